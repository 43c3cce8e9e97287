"""Sharding a fleet over N processes: `--shard I/N`, or a Kubernetes Indexed Job's index.

Each target goes to the shard with the highest hash of (shard, target key): rendezvous
hashing. Every process computes the same answer with no coordination; adding or removing a
target moves no other target, and going from N to N+1 shards moves about 1/(N+1) of them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ..errors import UsageError
from .targets import Target

SHARD_HINT = "write --shard I/N with 1 <= I <= N, e.g. --shard 2/4 for the second of four"


@dataclass(frozen=True)
class Shard:
    index: int  # 0-based
    count: int

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


def parse(spec: str) -> Shard:
    """`I/N`, 1-based as people count (a Job's 0-based index is converted by from_job)."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", spec)
    if not match:
        raise UsageError(f"bad --shard {spec!r}", hint=SHARD_HINT)
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise UsageError(
            f"bad --shard {spec!r}: {index} is not between 1 and {count}", hint=SHARD_HINT
        )
    return Shard(index - 1, count)


def from_job(env: Mapping[str, str]) -> Shard | None:
    """JOB_COMPLETION_INDEX (0-based, set by Kubernetes in an Indexed Job's pods) and
    JOB_COMPLETIONS (the Job's completions, set in the manifest); None when neither is."""
    index, count = env.get("JOB_COMPLETION_INDEX"), env.get("JOB_COMPLETIONS")
    if index is None and count is None:
        return None
    if index is None or count is None or not index.isdigit() or not count.isdigit():
        raise UsageError(
            "JOB_COMPLETION_INDEX and JOB_COMPLETIONS must both be set, as whole numbers "
            f"(JOB_COMPLETION_INDEX={index!r}, JOB_COMPLETIONS={count!r})",
            hint="set JOB_COMPLETIONS in the Job's env to its spec.completions (see "
            "examples/kubernetes-indexed-job), or pass --shard I/N",
        )
    if not 0 <= int(index) < int(count):
        raise UsageError(
            f"JOB_COMPLETION_INDEX={index} is not below JOB_COMPLETIONS={count}",
            hint="set JOB_COMPLETIONS to the Job's spec.completions",
        )
    return Shard(int(index), int(count))


def owner(key: str, count: int) -> int:
    """The 0-based shard that owns `key`: the highest of the count hashes."""
    return max(range(count), key=lambda i: _score(i, key))


def _score(index: int, key: str) -> bytes:
    return hashlib.sha256(f"{index}\x00{key}".encode()).digest()


def select(targets: Iterable[Target], shard: Shard | None) -> Iterator[Target]:
    """The targets this shard owns, in their order (all of them without a shard)."""
    for target in targets:
        if shard is None or owner(target.key, shard.count) == shard.index:
            yield target

"""Parse `python -X importtime` output: the costliest imports, and modules that must not load."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from context import Context
from report import Outcome

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)\s*$")
FORBIDDEN = ("sqlglot", "rich")  # must not be imported by a no-op `sqlmig up`
PROFILE_RUNS = 3


@dataclass(frozen=True)
class Import:
    """One line of -X importtime: times in microseconds, depth 0 = imported at top level."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int


def parse(stderr: str) -> list[Import]:
    out: list[Import] = []
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match:
            depth = (len(match[3]) - 1) // 2
            out.append(Import(match[4], int(match[1]), int(match[2]), depth))
    return out


def total_us(imports: Iterable[Import]) -> int:
    """All import time: the sum of the top-level entries' cumulative times."""
    return sum(i.cumulative_us for i in imports if i.depth == 0)


def top(imports: Iterable[Import], n: int = 15) -> list[Import]:
    return sorted(imports, key=lambda i: i.cumulative_us, reverse=True)[:n]


def forbidden(imports: Iterable[Import]) -> list[str]:
    """The FORBIDDEN packages (or their submodules) that were imported, sorted."""
    found = {i.module.split(".")[0] for i in imports}
    return sorted(found & set(FORBIDDEN))


def lines(imports: list[Import], n: int = 15) -> list[str]:
    """A small table of the top `n` cumulative import costs; nesting shown by indentation."""
    out = [f"{'cumulative ms':>13}  {'self ms':>7}  module (indented by nesting depth)"]
    for i in top(imports, n):
        out.append(
            f"{i.cumulative_us / 1000:13.1f}  {i.self_us / 1000:7.1f}  {'  ' * i.depth}{i.module}"
        )
    return out


def profile_up(ctx: Context, url: str, folder: Path) -> list[Import]:
    """The -X importtime lines of the fastest of PROFILE_RUNS no-op `up` runs (python -m)."""
    argv = [ctx.python, "-X", "importtime", "-m", "sqlmig", "--url", url, "--dir", str(folder)]
    profiles = []
    for _ in range(PROFILE_RUNS):
        stderr = ctx.setup_run([*argv, "up"]).stderr  # where -X importtime writes
        profiles.append(parse(stderr))
    return min(profiles, key=total_us)


def add_findings(outcome: Outcome, profile: list[Import], where: str) -> None:
    """Add the import breakdown to the outcome; a FORBIDDEN import is a failure."""
    outcome.notes.append(
        f"imports of `python -X importtime -m sqlmig ... up` (fastest of {PROFILE_RUNS}): "
        f"{total_us(profile) / 1000:.1f} ms in total; top 15 cumulative:"
    )
    outcome.notes += ["  " + line for line in lines(profile)]
    bad = forbidden(profile)
    for package in bad:
        outcome.failures.append(f"{package} is imported by a no-op `sqlmig up` ({where})")
    if not bad:
        outcome.notes.append(f"OK: none of {', '.join(FORBIDDEN)} is imported on this path")
    outcome.extra["imports"] = {
        "total_ms": total_us(profile) / 1000,
        "forbidden_imported": bad,
        "top15": [vars(i) for i in top(profile)],
    }

"""Deploy phases: `-- sqlmig:phase post` marks a migration post-deploy; `up --phase` picks one.

A pre-deploy migration (the default) expands the schema before the new code is out; a
post-deploy one contracts it (drops, renames' second half) after. `up --phase pre` leaves the
post-deploy ones pending even when they are numbered lower, so they do not count as out of
order while pre-deploy ones above them are applied; `up` alone applies all in order.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MigrationFileError, UsageError

if TYPE_CHECKING:
    from .files import Migration
    from .history import AppliedRow
    from .results import StatusRow

PRE, POST = "pre", "post"
PHASES = (PRE, POST)
# `-- sqlmig:phase post` (or post-deploy); the leading comment block is what files.py reads
PHASE = re.compile(r"^--\s*sqlmig:\s*phase\b(?P<args>[^\n]*)$", re.I | re.M)
SPELLINGS = {"pre": PRE, "pre-deploy": PRE, "post": POST, "post-deploy": POST}
HINT = "write it as: -- sqlmig:phase post (or pre, the default)"


def phase_of(block: str, path: Path) -> str:
    """The phase named by the `-- sqlmig:phase X` lines of a file's leading comments."""
    lines = list(PHASE.finditer(block))
    bad = next((m for m in lines if m["args"].strip().lower() not in SPELLINGS), None)
    if bad is not None or not lines:
        said = bad[0].strip() if bad else "phase"
        raise MigrationFileError(f"{path}: malformed directive {said!r}", hint=HINT)
    said = {SPELLINGS[m["args"].strip().lower()] for m in lines}
    if len(said) > 1:
        raise MigrationFileError(f"{path}: both a pre and a post phase directive", hint=HINT)
    return said.pop()


def parse(given: str | None) -> str | None:
    """`--phase pre|post` (also pre-deploy, post-deploy); None: every phase."""
    if given is None:
        return None
    phase = SPELLINGS.get(given.strip().lower())
    if phase is None:
        raise UsageError(
            f"--phase: unknown phase {given!r}", hint="use --phase pre or --phase post"
        )
    return phase


def used(files: Sequence[Migration]) -> bool:
    """Whether the folder has any post-deploy migration (else phases change nothing)."""
    return any(m.up.phase == POST for m in files)


def select(pending: list[Migration], phase: str | None) -> list[Migration]:
    """The pending migrations `up --phase` applies (`--to`, `--steps` choose among them)."""
    return pending if phase is None else [m for m in pending if m.up.phase == phase]


def require_pre_first(pending: list[Migration], todo: list[Migration], phase: str | None) -> None:
    """A post-deploy run refuses while a pre-deploy migration numbered below one it would apply
    is pending: that one may depend on it."""
    if phase != POST or not todo:
        return
    behind = [m for m in pending if m.up.phase == PRE and m.version < todo[-1].version]
    if behind:
        raise UsageError(
            f"pre-deploy migration(s) {', '.join(m.label for m in behind)} are pending, "
            f"numbered below post-deploy {todo[-1].label}",
            hint="run `sqlmig up --phase pre` first (and deploy the code), then "
            "`sqlmig up --phase post`; or `sqlmig up` to apply all in order",
        )


def left(pending: list[Migration], todo: list[Migration], phase: str | None) -> list[str]:
    """What `up --phase pre` leaves for the post-deploy phase, said in its result."""
    if phase != PRE:
        return []
    later = [m.label for m in pending if m.up.phase == POST and m not in todo]
    if not later:
        return []
    return [
        f"{len(later)} post-deploy migration(s) left pending ({', '.join(later)}): run "
        "`sqlmig up --phase post` once the new code is out"
    ]


def early(
    candidates: list[Migration], rows: Sequence[AppliedRow], known: Mapping[int, Migration]
) -> list[Migration]:
    """Of pending migrations numbered below an applied one, those really out of order: a
    post-deploy migration below only applied pre-deploy ones was left pending by
    `up --phase pre`, as intended. One below an applied post-deploy migration (which its own
    phase would have applied first) stays out of order."""
    out = []
    for m in candidates:
        above = [r for r in rows if r.version > m.version]
        if m.up.phase != POST or any(_phase(known.get(r.version)) == POST for r in above):
            out.append(m)
    return out


def _phase(m: Migration | None) -> str:
    return m.up.phase if m is not None else PRE


def rows(status: list[StatusRow], files: Sequence[Migration]) -> list[StatusRow]:
    """Status rows with their phase, when the folder uses phases (else unchanged)."""
    if not used(files):
        return status
    known = {m.version: m.up.phase for m in files}
    return [replace(r, phase=known[r.version]) if r.version in known else r for r in status]


def notes(status: Collection[StatusRow]) -> list[str]:
    """`pending: 2 pre-deploy (sqlmig up --phase pre), 1 post-deploy (...)`."""
    pending = [r for r in status if r.state == "pending" and r.phase]
    if not pending:
        return []
    pre = [r.label for r in pending if r.phase == PRE]
    post = [r.label for r in pending if r.phase == POST]
    said = []
    if pre:
        said.append(f"{len(pre)} pre-deploy ({', '.join(pre)}: `sqlmig up --phase pre`)")
    if post:
        said.append(
            f"{len(post)} post-deploy ({', '.join(post)}: `sqlmig up --phase post`, once the "
            "new code is out)"
        )
    return ["pending: " + "; ".join(said)]

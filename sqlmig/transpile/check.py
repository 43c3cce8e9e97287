"""`sqlmig transpile --check`: build both sets on scratch databases, compare after each file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import SqlmigError, UsageError
from ..files import Migration, discover
from ..schema.build import builder
from ..schema.scratch import scratch
from .base import OutFile
from .equivalence import differences

TABLE = "sqlmig_history"


def check(
    files: Sequence[Migration], written: Sequence[OutFile], *, target: str,
    source_url: str | None, target_url: str | None,
) -> list[str]:  # fmt: skip
    """Every difference, as `label: text`, between the source and transpiled schemas."""
    if not source_url or not source_url.startswith(("postgres://", "postgresql://")):
        raise UsageError(
            "--check needs a PostgreSQL server to build the source migrations on",
            hint="pass --source-url postgresql://... (a scratch database is made next to it)",
        )
    if target == "mysql" and not target_url:
        raise UsageError("--check --to mysql needs an empty MySQL database",
                         hint="pass --target-url mysql://user@host/empty_db")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sqlmig-transpiled-") as folder:
        for f in written:
            (Path(folder) / f.name).write_text(f.text, encoding="utf-8")
        transpiled = discover(Path(folder))
        live = target_url or "sqlite:///unused.db"
        with scratch(source_url, None, table=TABLE) as src_url, scratch(
            live if target == "sqlite" else None, target_url if target != "sqlite" else None,
            table=TABLE,
        ) as dst_url:  # fmt: skip
            found = _walk(files, transpiled, src_url, dst_url)
        return [line.replace(folder + os.sep, "transpiled ") for line in found]


def _walk(files: Sequence[Migration], transpiled: list[Migration], src: str, dst: str) -> list[str]:
    """Every up, then every down newest first (a down is output too: it must run and undo the
    same), comparing after each. Each difference is told once, under the step after which it
    first shows (it stays in the schemas after that, and is not repeated for every later one)."""
    out: list[str] = []
    before: set[str] = set()
    with builder(src, TABLE) as a, builder(dst, TABLE) as b:
        steps = [(m, t, "up") for m, t in zip(files, transpiled, strict=True)]
        steps += [
            (m, t, "down") for m, t, _ in reversed(steps[len(steps) - downs_checked(files) :])
        ]
        for m, t, way in steps:
            label = m.label if way == "up" else f"{m.label} (down)"
            try:
                getattr(a, way)(m)
            except SqlmigError as exc:
                return [*out, f"{label}: the source fails on PostgreSQL: {exc.message}"]
            try:
                getattr(b, way)(t)
            except SqlmigError as exc:
                return [*out, f"{label}: the transpiled file fails: {exc.message}"]
            now = differences(a.snapshot(), b.snapshot())
            out += [f"{label}: {d}" for d in now if d not in before]
            before = set(now)
    return out


def downs_checked(files: Sequence[Migration]) -> int:
    """How many down files --check runs: newest first, up to the first migration without one
    (nothing older can be reverted past an irreversible migration)."""
    n = 0
    for m in reversed(files):
        if m.down is None:
            break
        n += 1
    return n

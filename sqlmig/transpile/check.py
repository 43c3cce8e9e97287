"""`sqlmig transpile --check`: build both sets on scratch databases, compare after each file."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import SqlmigError, UsageError
from ..files import Migration, discover
from ..schema.build import builder
from ..schema.scratch import scratch
from .command import OutFile
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
            return _walk(files, transpiled, src_url, dst_url)


def _walk(files: Sequence[Migration], transpiled: list[Migration], src: str, dst: str) -> list[str]:
    """Each difference once, under the migration after which it first shows (it stays in the
    schemas after that, and is not repeated for every later migration)."""
    out: list[str] = []
    before: set[str] = set()
    with builder(src, TABLE) as a, builder(dst, TABLE) as b:
        for m, t in zip(files, transpiled, strict=True):
            try:
                a.up(m)
            except SqlmigError as exc:
                return [*out, f"{m.label}: the source fails on PostgreSQL: {exc.message}"]
            try:
                b.up(t)
            except SqlmigError as exc:
                return [*out, f"{m.label}: the transpiled file fails: {exc.message}"]
            now = differences(a.snapshot(), b.snapshot())
            out += [f"{m.label}: {d}" for d in now if d not in before]
            before = set(now)
    return out

"""`sqlmig convert`: write another format's folder once in sqlmig's layout, versions kept,
names made sqlmig slugs; each up file keeps the checksum its migration has when read natively."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MigrationFileError, SqlmigError, UsageError
from ..files import NO_TRANSACTION_LINE, Migration, SqlFile, directives
from ..results import Result
from . import FORMATS, discover
from .base import option_hint


def convert(source: Path, fmt: str, target: Path, *, dialect: str | None) -> Result:
    """Write `source` (in format `fmt`) into `target` as NNNN_slug.up.sql / .down.sql pairs;
    nothing is written when any file would be overwritten."""
    if fmt not in FORMATS:
        raise UsageError(
            f"--from: unknown format {fmt!r}", hint="use one of: " + ", ".join(FORMATS)
        )
    if target.resolve() == source.resolve():
        raise UsageError(
            f"--to {target} is the folder being converted",
            hint="give --to another folder (new or empty); the old one is left as it is",
        )
    migrations = discover(source, fmt, dialect=dialect).migrations
    if not migrations:
        raise MigrationFileError(f"{source} holds no {fmt} migration", hint=option_hint(fmt))
    files = _plan(migrations, fmt)
    taken = [path for path in (target / name for name in files) if path.exists()]
    if taken:
        raise UsageError(
            f"{taken[0]} already exists ({len(taken)} of the {len(files)} files to write do); "
            "nothing was written",
            hint="give --to a new or empty folder",
        )
    written = _write(target, files)
    renamed = [
        (m.label, f"{_version(m.version_text, m.version, fmt)}_{_slug(m.name)}") for m in migrations
    ]
    renamed = [(old, new) for old, new in renamed if old != new]
    return Result(
        "convert",
        messages=[
            *_table(renamed),
            f"wrote {len(written)} files for {len(migrations)} migrations into {target}",
        ],
        entries=[{"from": old, "to": new} for old, new in renamed],
    )


def _plan(migrations: list[Migration], fmt: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for m in migrations:
        label = f"{_version(m.version_text, m.version, fmt)}_{_slug(m.name)}"
        files[f"{label}.up.sql"] = _text(m.up)
        if m.down is not None:
            files[f"{label}.down.sql"] = _text(m.down)
    return files


def _version(text: str, integer: int, fmt: str) -> str:
    """The version's digits as written (zero padding kept); a Flyway version is its integer."""
    digits = text.replace("-", "")
    return digits if digits.isdigit() and int(digits) == integer else str(integer)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "migration"


def _text(sql: SqlFile) -> str:
    """The file sqlmig writes: the text it runs, below a no-transaction directive if the
    format said so (the checksum of a natively read migration is that of this file)."""
    body = sql.body
    if sql.transactional or "no-transaction" in directives(body, sql.path):
        return body
    return NO_TRANSACTION_LINE + body


def _write(target: Path, files: dict[str, str]) -> list[Path]:
    written: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = target / name
            with path.open("x", encoding="utf-8", newline="\n") as f:  # never overwrite
                f.write(text)
            written.append(path)
    except OSError as exc:
        raise SqlmigError(
            f"cannot write {exc.filename}: {exc.strerror}; {len(written)} of {len(files)} "
            f"files were written into {target}",
            hint="fix the cause, remove the files written, and run convert again",
        ) from None
    return written


def _table(renamed: list[tuple[str, str]]) -> list[str]:
    """old name -> new name, only where the name changed."""
    if not renamed:
        return []
    width = max(len(old) for old, _ in renamed)
    return ["renamed:", *(f"  {old:<{width}}  ->  {new}" for old, new in renamed)]

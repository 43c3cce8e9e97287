"""What every folder reader shares: versions as integers, sections of a file as SqlFiles, and
the checks of a folder's migrations (duplicates, too large). Imports nothing else of formats/."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import files
from ..errors import MigrationFileError
from ..files import Migration, SqlFile, sql_file


@dataclass(frozen=True)
class Found:
    """A folder's migrations as one format reads them; `detected`: the format was not given."""

    format: str
    migrations: list[Migration]
    detected: bool = False


def option_hint(fmt: str) -> str:
    """How to ask for a format: the one sentence every 'read it as' hint ends with."""
    return (
        f"read it with --dir-format {fmt} (or SQLMIG_DIR_FORMAT={fmt}, "
        f'dir_format = "{fmt}" in sqlmig.toml)'
    )


def version_of(digits: str, path: Path, shown: str | None = None) -> int:
    """A version's integer, refused when the history cannot store it."""
    version = int(digits)
    if version > files.MAX_VERSION:  # read at call time: the storage may hold more digits later
        as_integer = f" (the integer {digits})" if shown and shown != digits else ""
        raise MigrationFileError(
            f"{path}: version {shown or digits}{as_integer} is too large for sqlmig's history, "
            f"which holds versions up to {files.MAX_VERSION}",
            hint="sqlmig cannot read this migration yet; give it a smaller version",
        )
    return version


def refuse_duplicates(found: Iterable[Migration]) -> list[Migration]:
    """Sorted by version; two migrations with one version are an error naming both files."""
    by_version: dict[int, Migration] = {}
    for m in found:
        other = by_version.get(m.version)
        if other is not None:
            raise MigrationFileError(
                f"duplicate version {m.version_text}: {other.up.path.name} and {m.up.path.name}",
                hint="give one of them another version",
            )
        by_version[m.version] = m
    return [by_version[v] for v in sorted(by_version)]


def sql_files(folder: Path) -> list[Path]:
    """The folder's *.sql files (any case), sorted; README.md and friends are not migrations."""
    return sorted(p for p in folder.iterdir() if p.name.lower().endswith(".sql"))


def without_transaction(sql: SqlFile) -> SqlFile:
    """A file another format runs outside a transaction (popx's `.autocommit.`, Flyway's
    `executeInTransaction=false`, diesel's `run_in_transaction = false`)."""
    return sql_file(sql.path, sql.body, first_line=sql.first_line, transactional=False)

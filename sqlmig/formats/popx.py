"""popx (ory): `{version}_{name}.up.sql` for every database, `{version}_{name}.{dialect}.up.sql`
for one (it beats the generic file there); `.autocommit.` runs the file without a transaction.
A version with a file for other databases only is not a migration on this one, as in popx."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import MigrationFileError, UsageError
from ..files import Migration, SqlFile, read_sql_file
from .base import refuse_duplicates, sql_files, version_of, without_transaction

NAME = re.compile(
    r"^(?P<version>[0-9]+)_(?P<name>[^.]+)(?:\.(?!autocommit\.)(?P<dialect>[a-z0-9]+))?(?P<autocommit>\.autocommit)?"
    r"\.(?P<direction>up|down)\.sql$"
)
# popx's spellings of a dialect -> its canonical one
DIALECTS = {
    "postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
    "cockroach": "cockroach", "cockroachdb": "cockroach", "crdb": "cockroach",
    "mysql": "mysql", "sqlite3": "sqlite3", "sqlite": "sqlite3",
}  # fmt: skip
# sqlmig's driver -> popx's dialect
OF_DRIVER = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite3"}
# pop splits one migration into files of one name, its 14-digit timestamp followed by 6 digits,
# and ory/kratos one migration over consecutive timestamps of one name (add_verification_methods:
# 20200830130642 to ...646, whose downs are all in the first); popx runs a group's downs newest
# first. So a version group is the consecutive migrations of one name among versions longer than
# 14 digits: its downs undo it only together.
GROUP_DIGITS = 14
HINT = "popx names its files {version}_{name}[.{dialect}][.autocommit].up.sql (and .down.sql)"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    """The migrations for `dialect` (sqlmig's driver name, or popx's own dialect)."""
    return refuse_duplicates(
        _migration(c.version_text, c.name, c.up, c.down) for c in choose(folder, dialect)
    )


@dataclass(frozen=True)
class Chosen:
    """One migration's files for a dialect, paired as popx pairs them: by version and name."""

    version_text: str
    name: str
    up: Path
    down: Path | None


def choose(folder: Path, dialect: str | None) -> list[Chosen]:
    """The files `read` runs for `dialect` (a dialect's file beats the generic one), in the
    folder's name order; lint reads the same list, so both pair a down with the same up."""
    want = _dialect(dialect)
    chosen: dict[tuple[str, str], dict[str, tuple[bool, Path]]] = {}
    for path in sql_files(folder):
        match = NAME.match(path.name)
        if match is None:
            raise MigrationFileError(f"{path}: not a popx file name", hint=HINT)
        kind = _canonical(match["dialect"], path)
        if kind not in (None, want):
            continue  # another database's file
        key = (match["version"], match["name"])
        slot = chosen.setdefault(key, {})
        best = slot.get(match["direction"])
        if best is None or (kind is not None and not best[0]):  # .<dialect>. beats generic
            slot[match["direction"]] = (kind is not None, path)
    return [
        Chosen(v, n, s["up"][1], s["down"][1] if "down" in s else None)
        for (v, n), s in chosen.items()
        if "up" in s
    ]


def _dialect(dialect: str | None) -> str:
    if dialect is None:
        raise UsageError(
            "a popx folder holds files per database: which database's files to read is not known",
            hint="give a database URL (--url), whose kind chooses the files",
        )
    return OF_DRIVER.get(dialect) or _canonical(dialect, Path(dialect)) or dialect


def _canonical(dialect: str | None, path: Path) -> str | None:
    if dialect is None:
        return None
    if dialect not in DIALECTS:
        raise MigrationFileError(
            f"{path}: unknown popx dialect {dialect!r}",
            hint="popx's dialects: postgres, cockroach, mysql, sqlite3",
        )
    return DIALECTS[dialect]


def _migration(vtext: str, name: str, up: Path, down: Path | None) -> Migration:
    return Migration(
        version=version_of(vtext, up),
        version_text=vtext,
        name=name,
        up=_read(up),
        down=_read(down) if down else None,
    )


def runs_without_transaction(path: Path) -> bool:
    """popx runs a `.autocommit.` file outside a transaction."""
    return ".autocommit." in path.name


def _read(path: Path) -> SqlFile:
    sql = read_sql_file(path)
    return without_transaction(sql) if runs_without_transaction(path) else sql


def group_key(version_text: str, name: str) -> str | None:
    """The name that joins a migration to its neighbours of that name (None: alone)."""
    return name if len(version_text) > GROUP_DIGITS else None


def groups(migrations: Iterable[Migration]) -> list[tuple[Migration, ...]]:
    """The version groups of more than one file, oldest first, each oldest first."""
    out: list[list[Migration]] = []
    last: str | None = None
    for m in sorted(migrations, key=lambda m: m.version):
        key = group_key(m.version_text, m.name)
        if out and key is not None and key == last:
            out[-1].append(m)
        else:
            out.append([m])
        last = key
    return [tuple(g) for g in out if len(g) > 1]

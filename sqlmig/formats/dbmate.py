"""dbmate: one file per migration, `{version}_{name}.sql`, with `-- migrate:up` and
`-- migrate:down` sections; `transaction:false` on a marker line runs that section without one."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MigrationFileError
from ..files import Migration, SqlFile, read_text, sql_file
from .base import refuse_duplicates, sql_files, version_of
from .sections import Section, cut

NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.+)\.sql$")
MARKER = re.compile(r"^--[ \t]*migrate:(?P<direction>up|down)\b(?P<options>[^\n]*)$", re.M)
HINT = "dbmate names its files {version}_{name}.sql, each with a `-- migrate:up` section"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    return refuse_duplicates(_migration(path) for path in sql_files(folder))


def _migration(path: Path) -> Migration:
    match = NAME.match(path.name)
    if match is None:
        raise MigrationFileError(f"{path}: not a dbmate file name", hint=HINT)
    sections = cut(read_text(path), path, MARKER, "-- migrate:")
    if "up" not in sections:
        raise MigrationFileError(f"{path}: no `-- migrate:up` section", hint=HINT)
    down = sections.get("down")
    return Migration(
        version=version_of(match["version"], path),
        version_text=match["version"],
        name=match["name"],
        up=_file(path, sections["up"]),
        down=_file(path, down) if down else _no_down(path),
    )


def _file(path: Path, s: Section) -> SqlFile:
    transactional = True
    for option in s.options.split():
        if option.lower() not in ("transaction:false", "transaction:true"):
            raise MigrationFileError(
                f"{path}:{s.marker_line}: unknown dbmate option {option!r}",
                hint="dbmate's marker takes transaction:false",
            )
        transactional = option.lower() == "transaction:true"
    return sql_file(path, s.text, first_line=s.first_line, transactional=transactional)


def _no_down(path: Path) -> SqlFile:
    """No down section: the tool's down runs nothing and records the revert; so does sqlmig's."""
    return sql_file(path, "", first_line=1)

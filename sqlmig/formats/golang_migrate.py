"""golang-migrate: `{version}_{title}.up.sql` / `.down.sql`, any title (`0002_1.7.0_schema`)."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MigrationFileError
from ..files import Migration, read_sql_file
from .base import refuse_duplicates, sql_files, version_of

NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<title>.+)\.(?P<direction>up|down)\.sql$")
HINT = "golang-migrate names its files {version}_{title}.up.sql and {version}_{title}.down.sql"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    pairs: dict[tuple[str, str], dict[str, Path]] = {}
    for path in sql_files(folder):
        match = NAME.match(path.name)
        if match is None:
            raise MigrationFileError(f"{path}: not a golang-migrate file name", hint=HINT)
        key = (match["version"], match["title"])
        pairs.setdefault(key, {})[match["direction"]] = path
    return refuse_duplicates(_migration(v, t, p) for (v, t), p in pairs.items())


def _migration(vtext: str, title: str, paths: dict[str, Path]) -> Migration:
    if "up" not in paths:
        raise MigrationFileError(
            f"{paths['down']}: down file without its up file",
            hint=f"add {vtext}_{title}.up.sql or remove this file",
        )
    down = paths.get("down")
    return Migration(
        version=version_of(vtext, paths["up"]),
        version_text=vtext,
        name=title,
        up=read_sql_file(paths["up"]),
        down=read_sql_file(down) if down else None,
    )

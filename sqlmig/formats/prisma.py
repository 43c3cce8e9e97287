"""Prisma: a folder per migration, `{version}_{name}/migration.sql`; Prisma has no downs."""

from __future__ import annotations

import re
from pathlib import Path

from ..callback_names import FOLDER as CALLBACKS
from ..errors import MigrationFileError
from ..files import Migration, read_sql_file
from .base import refuse_duplicates, version_of

FOLDER = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.+)$")
HINT = "Prisma names each migration's folder {version}_{name} and its file migration.sql"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if sub.name == CALLBACKS:
            continue  # callbacks/, read by callbacks.py as in every layout
        match = FOLDER.match(sub.name)
        if match is None or not (sub / "migration.sql").is_file():
            raise MigrationFileError(f"{sub}: not a Prisma migration folder", hint=HINT)
        found.append(
            Migration(
                version=version_of(match["version"], sub),
                version_text=match["version"],
                name=match["name"],
                up=read_sql_file(sub / "migration.sql"),
                down=None,
            )
        )
    stray = [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(".sql")]
    if stray:
        raise MigrationFileError(
            f"{sorted(stray)[0]}: a .sql file beside Prisma's folders", hint=HINT
        )
    return refuse_duplicates(found)

"""Folder level: a file whose version another migration of its folder also has."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from ...errors import MigrationFileError
from ...files import FILENAME, read_sql_file
from ..context import FileContext
from ..model import Hit, rule


@rule(
    "F704",
    "duplicate-version",
    "error",
    help="give one of them the next free number (`sqlmig renumber --base BRANCH` renumbers a "
    "branch's new files after the base's newest); `sqlmig up` refuses the folder until then",
    scope="file",
)
def duplicate_version(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """Two migrations of one version in a folder (often two branches that each added the
    next number, merged): `up` and `validate` refuse the folder. A squash file beside the
    last migration it replaces (`-- sqlmig:replaces`) is not one.

    Bad:
        0006_add_isbn.up.sql and 0006_add_users.up.sql
    Good:
        0006_add_isbn.up.sql and 0007_add_users.up.sql
    """
    match = FILENAME.match(ctx.path.name)
    if match is None or match["direction"] != "up":
        return
    folder = ctx.path.parent
    stamp = _stamp(folder)
    others = [
        n for n in _versions(folder, stamp).get(int(match["version"]), ()) if n != ctx.path.name
    ]
    if others and not _squash_beside(folder, ctx.path.name, others):
        yield Hit(
            f"version {match['version']} is also {', '.join(others)}'s: `sqlmig up` refuses a "
            "folder with two migrations of one version",
            0,
        )


def _stamp(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=32)
def _versions(folder: Path, _stamp: int) -> dict[int, tuple[str, ...]]:
    """The folder's up files by version, read once per folder (and again if it changes)."""
    out: dict[int, tuple[str, ...]] = {}
    for path in sorted(folder.iterdir()):
        match = FILENAME.match(path.name)
        if match and match["direction"] == "up":
            version = int(match["version"])
            out[version] = (*out.get(version, ()), path.name)
    return out


def _squash_beside(folder: Path, name: str, others: list[str]) -> bool:
    """One squash file and the one file it replaces at its version: allowed (see files.py)."""
    if len(others) != 1:
        return False
    try:
        marks = [read_sql_file(folder / n).replaces is not None for n in (name, others[0])]
    except MigrationFileError:
        return False
    return marks[0] != marks[1]

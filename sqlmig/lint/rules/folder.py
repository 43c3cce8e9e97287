"""Folder level: duplicate versions, names `up` refuses, a down without its up, bad directives,
an override without its generic file."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from ...errors import MigrationFileError
from ...files import FILENAME, OVERRIDE, read_sql_file
from ..context import FileContext
from ..directives import problem
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
    if ctx.layout != "sqlmig":
        return  # another tool's folder: its reader names and pairs the files
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


def _in_migrations_folder(path: Path) -> bool:
    """Does the file's folder hold sqlmig migrations (so `up` reads every .sql in it)?"""
    folder = path.parent
    return any(_versions(folder, _stamp(folder)))


@rule(
    "F705",
    "not-a-migration-name",
    "error",
    help="rename it NNNN_slug.up.sql / NNNN_slug.down.sql, or move it out of the migrations folder",
    scope="file",
)
def not_a_migration_name(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A `.sql` file in a migrations folder whose name is not a migration's
    (`NNNN_slug.up.sql`, `.down.sql`, or a dialect's `NNNN_slug.mysql.up.sql`): `up`, `status`
    and `validate` refuse the whole folder until it is renamed or moved.

    Bad:
        0007_Add-ISBN.up.sql (or schema.sql) beside 0006_add_users.up.sql
    Good:
        0007_add_isbn.up.sql
    """
    if ctx.layout != "sqlmig":
        return  # another tool's folder: its reader names and pairs the files
    if FILENAME.match(ctx.path.name) or OVERRIDE.match(ctx.path.name):
        return
    if not _in_migrations_folder(ctx.path):
        return  # a lone .sql file linted on its own: not a folder `up` reads
    from ... import repeatables

    repeatable = repeatables.NAME.match(ctx.path.name)
    if repeatable is not None:  # R__slug.sql: a repeatable migration
        if not repeatables.SLUG.match(repeatable["name"]):
            yield Hit(
                "not a repeatable migration name: `sqlmig up` refuses the folder",
                0,
                help="name it R__slug.sql (lowercase letters, digits and underscores after R__)",
            )
        return
    from ...files import _not_a_migration

    refused = _not_a_migration(ctx.path)
    message = str(refused).removeprefix(f"{ctx.path}: ")
    yield Hit(f"{message}: `sqlmig up` refuses the folder", 0, help=refused.hint or None)


@rule(
    "F706",
    "down-without-up",
    "error",
    help="add the up file of the same name (NNNN_slug.up.sql), or remove the down file",
    scope="file",
)
def down_without_up(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A down file with no up file beside it (often an up file renamed or removed alone):
    `up`, `status` and `validate` refuse the folder.

    Bad:
        0007_add_isbn.down.sql and no 0007_add_isbn.up.sql
    Good:
        0007_add_isbn.up.sql and 0007_add_isbn.down.sql
    """
    if ctx.layout != "sqlmig":
        return  # another tool's folder: its reader names and pairs the files
    match = FILENAME.match(ctx.path.name)
    if match and match["direction"] == "down" and ctx.pair_path is None:
        up = f"{match['version']}_{match['slug']}.up.sql"
        yield Hit(f"no {up} beside this down file: `sqlmig up` refuses the folder", 0)


@rule(
    "F707",
    "bad-directive",
    "error",
    help="write directives in the file's first comment lines, as `-- sqlmig:no-transaction`",
    scope="file",
)
def bad_directive(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A `-- sqlmig:` directive that `up` refuses (misspelt, unknown, malformed, or
    no-transaction after the first statement) or silently ignores (no-foreign-key-check or
    replaces after the first statement).

    Bad:
        ALTER TABLE books ADD COLUMN isbn text;
        -- sqlmig:no-transaction
        CREATE INDEX CONCURRENTLY books_isbn ON books (isbn);
    Good:
        -- sqlmig:no-transaction
        CREATE INDEX CONCURRENTLY books_isbn ON books (isbn);
    """
    comments = [(s.lead_offset, s.lead_offset + len(s.lead)) for s in ctx.statements]
    last = ctx.statements[-1] if ctx.statements else None
    comments.append((last.offset + len(last.sql) if last else 0, len(ctx.text) + 1))
    found = problem(ctx.text, ctx.path, ctx.direction, comments)
    if found is not None:
        yield Hit(found.message, found.offset, help=found.hint or None)


@rule(
    "F708",
    "override-without-generic",
    "error",
    help="add the generic file it overrides (NNNN_slug.up.sql), or remove the override",
    scope="file",
)
def override_without_generic(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A dialect's override file (`NNNN_slug.mysql.up.sql`) with no generic file of the same
    name and direction: `transpile` and `squash` refuse the folder.

    Bad:
        0007_add_isbn.mysql.up.sql and no 0007_add_isbn.up.sql
    Good:
        0007_add_isbn.up.sql and 0007_add_isbn.mysql.up.sql
    """
    if ctx.layout != "sqlmig":
        return  # another tool's folder: its reader names and pairs the files
    match = OVERRIDE.match(ctx.path.name)
    if match is None:
        return
    generic = f"{match['version']}_{match['slug']}.{match['direction']}.sql"
    if not (ctx.path.parent / generic).is_file():
        yield Hit(f"{match['dialect']} override of {generic}, which does not exist", 0)

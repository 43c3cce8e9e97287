"""File level: an up file without a down file, a down file that leaves what the up created."""

from __future__ import annotations

from collections.abc import Iterator

from ...files import FILENAME
from ..context import FileContext, GroupView, Objects
from ..model import Hit, rule
from .syntax import opaque


@rule(
    "F701",
    "up-without-down",
    "warning",
    help="add the matching .down.sql, or `-- sqlmig:ignore-file up-without-down` if the "
    "migration is irreversible on purpose",
    scope="file",
)
def up_without_down(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """An up file with no down file: `sqlmig down` cannot revert the migration.

    Bad:
        0007_add_isbn.up.sql and no 0007_add_isbn.down.sql
    Good:
        0007_add_isbn.up.sql and 0007_add_isbn.down.sql
    """
    named = FILENAME.match(ctx.path.name) or ctx.layout != "sqlmig"  # a popx file: its reader's
    if ctx.direction == "up" and ctx.pair_path is None and named:
        down = ctx.path.name.replace(".up.sql", ".down.sql")
        yield Hit(f"no {down}: `sqlmig down` cannot revert this migration", 0)


def _hidden(ctx: FileContext) -> bool:
    """Did any statement escape the parser (so what the file does cannot be fully seen)?"""
    return any(s.problem is not None or opaque(s) for s in ctx.statements)


def _left(down: FileContext, up: FileContext) -> Iterator[tuple[str, str, int]]:
    """(kind, name, up statement index) made by the up file and not removed by the down file."""
    return _left_of(down.dropped, up.created, up.rebuilds.replacements, up.dropped)


def _left_of(
    gone: Objects, made: Objects, replacing: frozenset[str], undone: Objects
) -> Iterator[tuple[str, str, int]]:
    """(kind, name, index) made and not removed, nor replaced by a rebuild; `undone`: what the
    up itself dropped."""
    for (kind, name), index in made.items.items():
        if kind.startswith("renamed-"):
            continue  # a name given by renaming: what was renamed is no new object
        if kind == "column" and name in made.columns_renamed:  # added, then renamed
            name = made.columns_renamed[name]
            if undone.has("column", name):
                continue  # a column swap: it took the place of a column the up dropped
        table = name.split(".")[0] if kind == "column" else made.index_on.get(name)
        if gone.has(kind, name) or (table and (gone.has_table(table) or gone.has("view", table))):
            continue
        if kind == "index" and table and made.has_table(table):
            continue  # dropped with its table, which the table check reports
        if kind == "index" and table and _columns_gone(made.index_columns.get(name), table, gone):
            continue  # every column it is on is dropped, and the index with them
        if kind == "column" and _renamed_gone(name, made, gone):
            continue
        if kind == "table" and name in replacing:
            continue  # a rebuild: the table it replaced existed before the up ran
        yield kind, name, index


def _columns_gone(columns: frozenset[str] | None, table: str, gone: Objects) -> bool:
    return bool(columns) and all(gone.has("column", f"{table}.{c}") for c in columns or ())


def _renamed_gone(column: str, made: Objects, gone: Objects) -> bool:
    """A column the up added before renaming its table, dropped under the table's new name."""
    table, _, name = column.partition(".")
    news = [new for new, old in made.renamed.items() if old == table]
    return any(gone.has("column", f"{new}.{name}") or gone.has_table(new) for new in news)


@rule(
    "F702",
    "down-missing-drop",
    "warning",
    help="drop it in the down file, so that down then up gives the same schema",
    scope="file",
)
def down_missing_drop(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A down file that does not drop a table, column, index, view or type its up file created.

    Only reported when both files parse completely, so what they do can be seen.

    Bad:
        -- 0007_add_isbn.up.sql:   ALTER TABLE books ADD COLUMN isbn text;
        -- 0007_add_isbn.down.sql: (empty)
    Good:
        -- 0007_add_isbn.down.sql: ALTER TABLE books DROP COLUMN isbn;
    """
    if ctx.direction != "down" or pair is None:
        return
    if ctx.group is not None:
        yield from _group_missing_drop(ctx.group, pair)
        return
    if _hidden(ctx) or _hidden(pair):
        return
    for kind, name, index in _left(ctx, pair):
        line = pair.position(pair.statements[index].offset)[0]
        yield Hit(
            f"{pair.path.name} line {line} creates {kind} {name}, and this down file does not "
            "drop it",
            0,
        )


def _group_missing_drop(group: GroupView, up: FileContext) -> Iterator[Hit]:
    """popx: what the up made and no down of its version group drops (they run together)."""
    if group.hidden:
        return
    for kind, name, index in _left_of(group.gone, group.made, group.replacements, group.undone):
        path, mine = group.origin[index]
        if path == up.path:
            line = up.position(up.statements[mine].offset)[0]
            yield Hit(
                f"{up.path.name} line {line} creates {kind} {name}, and no down file of its "
                f"version group ({_span(group)}) drops it",
                0,
            )


def _span(group: GroupView) -> str:
    """The group's versions, as `first-last`."""
    versions = [p.name.split("_", 1)[0] for p in group.files]
    return f"{versions[0]}-{versions[-1]}" if len(versions) > 1 else versions[0]


def _runs_something(ctx: FileContext) -> bool:
    """What `up` itself would send (MySQL runs a `/*! ... */` comment, which sqlglot drops)."""
    from ...sqltext import SplitError, split_mysql, split_postgres, split_sqlite

    split = {"mysql": split_mysql, "sqlite": split_sqlite}.get(ctx.dialect, split_postgres)
    try:
        return bool(split(ctx.text))
    except SplitError:
        return True  # not ours to say: the syntax rules report it


@rule(
    "F703",
    "no-statements",
    "warning",
    help="write the migration's SQL, or delete the file pair if it is not needed "
    "(`sqlmig up` would record it as applied having run nothing)",
    scope="file",
)
def no_statements(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """An up file with no statement, only comments: applying it does nothing (often a file of
    `sqlmig new` that was never filled in). An empty file of a popx version group whose other
    files run statements is not one: pop pads a group's ups and downs to the same count.

    Bad:
        -- 0007_add_isbn: up
    Good:
        -- 0007_add_isbn: up
        ALTER TABLE books ADD COLUMN isbn text;
    """
    if ctx.direction == "up" and not ctx.statements and not _runs_something(ctx):
        if ctx.group is not None and ctx.group.origin:
            return  # padding: the group's other ups run its statements
        yield Hit("the file has no statements, only comments: applying it does nothing", 0)

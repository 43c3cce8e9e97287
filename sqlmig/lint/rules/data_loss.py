"""Data loss and compatibility: drops, renames, NOT NULL without a default, TRUNCATE CASCADE."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..context import FileContext, Stmt
from ..model import Hit, rule
from ..objects import dropped_columns
from .common import actions, alter_table, at, existing_table, name_of, table_of

REVIEWED = "if it is intended and reviewed, add `-- sqlmig:ignore {name}` before the statement"
# deploy phases (phases.py): the contract step runs once no deployed code needs the old shape
POST_DEPLOY = (
    "; put that step in its own migration marked `-- sqlmig:phase post`, so that "
    "`sqlmig up --phase post` applies it after the new code is out"
)


def _drops(stmt: Stmt, ctx: FileContext, kind: str) -> Iterator[tuple[str, object]]:
    """(name, node) for each object of `kind` dropped that this migration did not make (nor
    rebuilt: a table whose rows were copied into the one that takes its name, a type renamed
    away from a name this file creates again)."""

    node = stmt.node
    if isinstance(node, exp.Drop) and str(node.args.get("kind")) == kind.upper():
        for target in node.args.get("tables") or []:
            name = name_of(target)
            rebuilt = ctx.rebuilds.keeps(stmt.index, name)  # tables and PostgreSQL's enum types
            if not ctx.is_owned(kind, name) and not rebuilt:
                yield name, target


def _drop_rule(kind: str, what: str) -> None:
    name = f"drop-{kind}"

    def check(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
        for obj, node in _drops(stmt, ctx, kind):
            clause = ctx.rebuilds.filtered_by(stmt.index, obj)
            lost = what
            if clause is not None:  # a rebuild that copied the rows through a WHERE, a JOIN, ...
                lost = f"after copying its rows through {clause}: the rows it left out are lost"
            yield Hit(f"DROP {kind.upper()} {ctx.quoted(obj)} {lost}", at(stmt, node))

    check.__name__ = name.replace("-", "_")
    check.__doc__ = DOCS[kind]
    codes = {"table": "D201", "schema": "D203", "type": "D204"}
    help = "first ship code that no longer uses it and keep a backup" + POST_DEPLOY + "; "
    help += REVIEWED.format(name=name)
    rule(codes[kind], name, "error", help=help, on=(f"DROP {kind.upper()}",))(check)


DOCS = {
    "table": """DROP TABLE of a table this migration did not create: its rows are gone for good.

    Dropping a table created in the same file (or, in a down file, by its up file) is fine, and
    so is a rebuild: the rows copied earlier in the file (`INSERT INTO new SELECT ... FROM old`)
    into the table that then takes the old name (`ALTER TABLE new RENAME TO old`).

    Bad:
        DROP TABLE authors;
    Good:
        -- sqlmig:ignore drop-table
        DROP TABLE authors;  -- reviewed: the app stopped using it in release 4.2
    """,
    "schema": """DROP SCHEMA of a schema this migration did not create: every object in it is lost.

    Bad:
        DROP SCHEMA reporting CASCADE;
    Good:
        -- sqlmig:ignore drop-schema
        DROP SCHEMA reporting CASCADE;  -- reviewed and backed up
    """,
    "type": """DROP TYPE of a type this migration did not create: columns using it break.

    Bad:
        DROP TYPE mood;
    Good:
        -- sqlmig:ignore drop-type
        DROP TYPE mood;  -- reviewed: no column uses it any more
    """,
}
_drop_rule("table", "deletes the table and every row in it")
_drop_rule("schema", "deletes the schema and everything in it")
_drop_rule("type", "breaks every column and function that still uses the type")


@rule(
    "D202",
    "drop-column",
    "error",
    help="first ship code that no longer reads or writes the column"
    + POST_DEPLOY
    + "; "
    + REVIEWED.format(name="drop-column"),
    on=("ALTER TABLE",),
)
def drop_column(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER TABLE ... DROP COLUMN of a column this migration did not add: its data is gone.

    Running application code that still selects the column fails as soon as it is dropped.
    Not reported for a column swap: its values copied into another column the file keeps by an
    `UPDATE t SET b = a` on every row (no WHERE) earlier in the file.

    Bad:
        ALTER TABLE books DROP COLUMN isbn;
    Good:
        -- sqlmig:ignore drop-column
        ALTER TABLE books DROP COLUMN isbn;  -- reviewed: unused since release 4.2
    """

    for action in actions(stmt):
        table = table_of(stmt.node)
        for column, node in dropped_columns(action):
            swapped = (stmt.index, table, column) in ctx.rebuilds.columns
            if not ctx.is_owned("column", f"{table}.{column}") and not swapped:
                yield Hit(
                    f"DROP COLUMN {ctx.shown(f'{table}.{column}')} deletes the column's data",
                    at(stmt, node),
                )


def _renames(stmt: Stmt, ctx: FileContext) -> Iterator[tuple[str, str, object]]:
    """("table"|"column", description, node) for renames of objects older than this file."""

    table = existing_table(stmt, ctx)
    for action in actions(stmt) if table else []:
        if isinstance(action, exp.AlterRename):
            new = ctx.quoted(name_of(action.this))
            yield "table", f"table {ctx.quoted(table)} to {new}", action
        elif isinstance(action, exp.RenameColumn):
            old, new = action.this.name, action.args["to"].name
            yield "column", f"column {ctx.shown(f'{table}.{old}')} to {new}", action
        elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from"):
            old, new = action.args["rename_from"].name, action.this.name
            yield "column", f"column {ctx.shown(f'{table}.{old}')} to {new} (CHANGE)", action


@rule(
    "D205",
    "rename-table",
    "warning",
    help="create the new table (or a view with the new name), move the code over, then drop "
    "the old one in a later release" + POST_DEPLOY,
    on=("ALTER TABLE",),
)
def rename_table(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER TABLE ... RENAME TO: running code that uses the old name fails at once.

    Bad:
        ALTER TABLE books RENAME TO titles;
    Good:
        CREATE VIEW titles AS SELECT * FROM books;  -- move the code over, rename later
    """
    table = existing_table(stmt, ctx) or ""
    for kind, text, node in _renames(stmt, ctx):
        undone = _undoes(ctx, "renamed-table", table)
        if kind == "table" and not ctx.rebuilds.keeps(stmt.index, table) and not undone:
            yield Hit(f"renaming {text} breaks code that still uses the old name", at(stmt, node))


@rule(
    "D206",
    "rename-column",
    "warning",
    help="add the new column, write to both, backfill, move the readers, then drop the old one"
    + POST_DEPLOY,
    on=("ALTER TABLE",),
)
def rename_column(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """RENAME COLUMN: running code that uses the old name fails at once.

    Not reported when the column renamed was added by this migration, or when the file adds
    a column with the old name again (a column swapped for a new one, as SQLite type changes do).

    Bad:
        ALTER TABLE books RENAME COLUMN title TO name;
    Good:
        ALTER TABLE books ADD COLUMN name text;  -- write both, backfill, then drop title later
    """
    table = existing_table(stmt, ctx) or ""
    for kind, text, node in _renames(stmt, ctx):
        if kind != "column":
            continue
        old = f"{table}.{_old_name(node)}"
        # no running code uses a column this migration added, nor loses one the file adds back
        swap = ctx.is_owned("column", old) or ctx.created.has("column", old)
        if not swap and not _undoes(ctx, "renamed-column", old):
            yield Hit(f"renaming {text} breaks code that still uses the old name", at(stmt, node))


def _old_name(action: object) -> str:
    if isinstance(action, exp.RenameColumn):
        return action.this.name.lower()
    return action.args["rename_from"].name.lower()  # type: ignore[attr-defined]


def _undoes(ctx: FileContext, kind: str, name: str) -> bool:
    """A down file renaming back a name its up file gave: it restores what was there (a
    column's name given before the up renamed its table too)."""
    if ctx.direction != "down" or ctx.created.has(kind, name):
        return False
    table, dot, column = name.partition(".")
    before = ctx.owned.renamed.get(table) if dot else None
    return ctx.owned.has(kind, name) or (
        before is not None and ctx.owned.has(kind, f"{before}.{column}")
    )


def _not_null_without_default(coldef: object) -> bool:

    kinds = [c.args.get("kind") for c in coldef.args.get("constraints") or []]  # type: ignore[attr-defined]
    not_null = any(
        isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
    )
    filled = (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)
    filled += (exp.ComputedColumnConstraint, exp.AutoIncrementColumnConstraint)
    if any(isinstance(k, filled) for k in kinds):
        return False
    dtype = coldef.args.get("kind")  # type: ignore[attr-defined]
    serial = dtype is not None and dtype.this.name in ("SERIAL", "BIGSERIAL", "SMALLSERIAL")
    return not_null and not serial


@rule(
    "D207",
    "add-column-not-null-without-default",
    "error",
    help="add the column nullable (or with a DEFAULT), backfill it, then make it NOT NULL",
    on=("ALTER TABLE",),
)
def add_column_not_null_without_default(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ADD COLUMN ... NOT NULL without a DEFAULT: fails on any table that has rows.

    (SQLite refuses it even on an empty table.)

    Bad:
        ALTER TABLE books ADD COLUMN isbn text NOT NULL;
    Good:
        ALTER TABLE books ADD COLUMN isbn text NOT NULL DEFAULT '';
    """

    table = existing_table(stmt, ctx)
    if ctx.dialect == "sqlite" and alter_table(stmt) is not None:
        table = table_of(stmt.node)  # SQLite refuses it even on an empty table
    for action in actions(stmt) if table else []:
        if isinstance(action, exp.ColumnDef) and _not_null_without_default(action):
            yield Hit(
                f"column {ctx.shown(f'{table}.{action.name}')}"
                " is NOT NULL without a DEFAULT: adding it fails "
                "as soon as the table has a row",
                at(stmt, action),
            )


@rule(
    "D208",
    "truncate-cascade",
    "error",
    help="TRUNCATE the tables you mean by name, without CASCADE",
    on=("TRUNCATE",),
)
def truncate_cascade(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """TRUNCATE ... CASCADE also empties every table that references these, recursively.

    Bad:
        TRUNCATE authors CASCADE;
    Good:
        TRUNCATE books, authors;
    """

    node = stmt.node
    if (
        isinstance(node, exp.TruncateTable)
        and str(node.args.get("option") or "").upper() == "CASCADE"
    ):
        names = ", ".join(name_of(t) for t in node.expressions)
        yield Hit(f"TRUNCATE {names} CASCADE also empties every table that references them")

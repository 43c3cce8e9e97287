"""MySQL: DDL commits implicitly, column-level REFERENCES is silently ignored, and strict mode
refuses an INSERT ... SELECT that leaves out a NOT NULL column without a default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..model import Hit, rule
from .common import alter_table, at, column_defs, name_of, table_of

DDL_WORDS = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"}


@rule(
    "M501",
    "mysql-multi-ddl",
    "warning",
    help="put one DDL statement in each migration, so a failure leaves nothing half applied",
    dialects=("mysql",),
    scope="file",
)
def mysql_multi_ddl(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A MySQL file with several DDL statements: each commits on its own, so the file is not atomic.

    If the second statement fails, the first stays applied and the migration cannot be rolled
    back or simply re-run.

    Bad:
        CREATE TABLE authors (id bigint PRIMARY KEY);
        CREATE TABLE books (id bigint PRIMARY KEY);
    Good:
        CREATE TABLE authors (id bigint PRIMARY KEY);
    """
    ddl = [s for s in ctx.statements if s.keyword.split(" ")[0] in DDL_WORDS]
    if len(ddl) > 1:
        yield Hit(
            f"{len(ddl)} DDL statements in one file; MySQL commits after each, so if this one "
            "fails the ones before it stay applied",
            ddl[1].offset,
            stmt=ddl[1].index,
        )


@rule(
    "M502",
    "mysql-column-references",
    "error",
    help="declare it as a table constraint: FOREIGN KEY (col) REFERENCES other (id); "
    "MariaDB 10.5 and later create the key: if MariaDB runs these files, lint them with "
    "--dialect mariadb (or a mariadb:// URL)",
    dialects=("mysql",),
    on=("CREATE TABLE", "ALTER TABLE"),
)
def mysql_column_references(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """A column-level REFERENCES, which MySQL 8.0 and earlier parse and silently ignore.

    MariaDB (10.5 and later) creates the foreign key, so with `--dialect mariadb` (or a
    `mariadb://` URL) it is not reported.

    Bad:
        CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint REFERENCES authors (id));
    Good:
        CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint,
            FOREIGN KEY (author_id) REFERENCES authors (id));
    """

    for table, col in column_defs(stmt) if not ctx.mariadb else ():
        for con in col.args.get("constraints") or []:
            if isinstance(con.args.get("kind"), exp.Reference):
                yield Hit(
                    f"REFERENCES on column {ctx.shown(f'{table}.{col.name}')}"
                    " creates no foreign key in MySQL 8.0 and earlier",
                    at(stmt, con),
                )


@rule(
    "M503",
    "mysql-insert-select-omits-not-null",
    "error",
    help="list the column and give it a value in the SELECT, or give the column a DEFAULT",
    dialects=("mysql",),
    on=("INSERT INTO",),
)
def mysql_insert_select_omits_not_null(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """INSERT ... SELECT with a column list that leaves out a NOT NULL column without a DEFAULT
    of a table created earlier in the file: MySQL and MariaDB in strict mode refuse it
    ("Field doesn't have a default value") even when the SELECT returns no rows.

    Only tables the file creates are known (the usual case: a rebuild copying rows into a new
    table); AUTO_INCREMENT, generated and TIMESTAMP columns are not reported.

    Bad:
        CREATE TABLE books_new (id bigint PRIMARY KEY, title text NOT NULL);
        INSERT INTO books_new (id) SELECT id FROM books;
    Good:
        CREATE TABLE books_new (id bigint PRIMARY KEY, title text NOT NULL);
        INSERT INTO books_new (id, title) SELECT id, title FROM books;
    """
    node = stmt.node
    if not isinstance(node, exp.Insert) or not isinstance(node.this, exp.Schema):
        return  # no column list: every column gets a value, or the count is wrong anyway
    if not isinstance(node.expression, (exp.Select, exp.SetOperation)) or node.args.get("ignore"):
        return  # INSERT IGNORE: the server fills the column in (with a warning)
    table = name_of(node.this.this)
    listed = {name_of(c) for c in node.this.expressions}
    missing = [c for c in _required(ctx, stmt.index, table) if c not in listed]
    if missing:
        names = ", ".join(ctx.shown(f"{table}.{c}") for c in missing)
        yield Hit(
            f"INSERT INTO {ctx.shown(table)} ... SELECT leaves out {names}: NOT NULL without a "
            "DEFAULT, which strict mode refuses even when the SELECT finds no rows",
            at(stmt, node.this.this),
        )


def _required(ctx: FileContext, before: int, table: str) -> list[str]:
    """The columns of `table` as the file created it before statement `before` that need a
    value: NOT NULL (or in the primary key) with no DEFAULT, AUTO_INCREMENT or generation.
    Nothing when the file did not create it with a column list, or changed it since in any
    way but ADD COLUMN (a DEFAULT set, a MODIFY, a rename: not followed here)."""
    columns: dict[str, Any] | None = None
    keyed: set[str] = set()
    for stmt in ctx.statements[:before]:
        node = stmt.node
        schema = node.this if isinstance(node, exp.Create) else None
        target = schema.this if isinstance(schema, exp.Schema) else schema
        if target is not None and name_of(target) == table:
            columns = {} if isinstance(schema, exp.Schema) else None  # LIKE, AS SELECT: unknown
            keyed = {
                name_of(c)
                for part in (schema.expressions if columns is not None else ())
                if isinstance(part, exp.PrimaryKey)
                for c in part.expressions
            }
        elif stmt.keyword.startswith(("DROP", "RENAME")) and table in stmt.sql.lower():
            columns = None
        elif alter_table(stmt) is not None and table_of(node) == table:
            added = all(isinstance(a, exp.ColumnDef) for a in node.args.get("actions") or [])
            columns = columns if added else None
        for owner, col in column_defs(stmt):
            if owner == table and columns is not None:
                columns[col.name.lower()] = col
    if columns is None:
        return []
    return [name for name, col in columns.items() if _needs_value(col, name in keyed)]


_FILLED = (
    exp.DefaultColumnConstraint,
    exp.AutoIncrementColumnConstraint,
    exp.ComputedColumnConstraint,
    exp.GeneratedAsIdentityColumnConstraint,
)


def _needs_value(col: Any, keyed: bool) -> bool:
    kinds = [c.args.get("kind") for c in col.args.get("constraints") or []]
    if any(isinstance(k, _FILLED) for k in kinds):
        return False
    kind = col.args.get("kind")
    if kind is not None and kind.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.SERIAL):
        return False  # TIMESTAMP may get an implicit default (explicit_defaults_for_timestamp)
    not_null = any(
        isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
    )
    return not_null or keyed or any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)

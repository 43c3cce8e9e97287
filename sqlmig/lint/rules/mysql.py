"""MySQL: DDL commits implicitly, and column-level REFERENCES is silently ignored."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..context import FileContext, Stmt
from ..model import Hit, rule
from .common import at, column_defs

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
    help="declare it as a table constraint: FOREIGN KEY (col) REFERENCES other (id)",
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
                    " creates no foreign key in MySQL",
                    at(stmt, con),
                )

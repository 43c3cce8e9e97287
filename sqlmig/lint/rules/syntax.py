"""Syntax: statements sqlglot cannot parse, statements it could not check, unused ignores."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, rule

STATEMENT_WORDS = set(
    [
        "ABORT",
        "ALTER",
        "ANALYZE",
        "ANALYSE",
        "ATTACH",
        "BEGIN",
        "CALL",
        "CHECKPOINT",
        "CLOSE",
        "CLUSTER",
        "COMMENT",
        "COMMIT",
        "COPY",
        "CREATE",
        "DEALLOCATE",
        "DECLARE",
        "DELETE",
        "DESC",
        "DESCRIBE",
        "DETACH",
        "DISCARD",
        "DO",
        "DROP",
        "END",
        "EXECUTE",
        "EXPLAIN",
        "FETCH",
        "FLUSH",
        "GRANT",
        "HANDLER",
        "IMPORT",
        "INSERT",
        "LISTEN",
        "LOAD",
        "LOCK",
        "MERGE",
        "MOVE",
        "NOTIFY",
        "OPTIMIZE",
        "PRAGMA",
        "PREPARE",
        "REASSIGN",
        "REFRESH",
        "REINDEX",
        "RELEASE",
        "RENAME",
        "REPAIR",
        "REPLACE",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SAVEPOINT",
        "SECURITY",
        "SELECT",
        "SET",
        "SHOW",
        "START",
        "TABLE",
        "TRUNCATE",
        "UNLISTEN",
        "UPDATE",
        "USE",
        "VACUUM",
        "VALUES",
        "WITH",
    ]
)


@rule(
    "S001",
    "syntax-error",
    "error",
    help="fix the statement; it would fail when `sqlmig up` runs it",
)
def syntax_error(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """A statement that cannot be parsed, or that starts with no SQL statement keyword.

    Bad:
        CREATE TABLE books (id bigint PRIMARY KEY, title text;
    Good:
        CREATE TABLE books (id bigint PRIMARY KEY, title text);
    """
    first = stmt.keyword.split(" ")[0]
    if first and first not in STATEMENT_WORDS and stmt.sql[:1] != "(":
        yield Hit(f"{first!r} does not start a SQL statement")
    elif stmt.problem is not None:
        problem = stmt.problem
        yield Hit(f"cannot parse: {problem.message}", problem.offset, help=problem.help)


def opaque(stmt: Stmt) -> bool:
    """Did sqlglot read this statement only as an opaque Command (or a bare expression)?"""

    node = stmt.node
    if node is None or stmt.keyword.split(" ")[0] not in STATEMENT_WORDS:
        return False
    if isinstance(node, (exp.Command, exp.Block)):
        return form(stmt.sql) is None
    return isinstance(node, (exp.Condition, exp.Alias)) and not isinstance(node, exp.Query)


@rule(
    "S002",
    "unchecked-statement",
    "warning",
    help="review it by hand; if it is right, add `-- sqlmig:ignore unchecked-statement` before it",
)
def unchecked_statement(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """A statement sqlglot reads only as an opaque command: its syntax and dangers were not checked.

    Bad:
        CREATE PUBLICATION pub FOR TABLE books;
    Good:
        -- sqlmig:ignore unchecked-statement
        CREATE PUBLICATION pub FOR TABLE books;
    """
    if stmt.note is not None:
        yield Hit(f"{stmt.keyword} ... was not checked: {stmt.note}")
    elif opaque(stmt):
        yield Hit(
            f"{stmt.keyword} ... was not checked: sqlglot reads it only as an opaque command, "
            "so neither its syntax nor its locks were verified"
        )


@rule(
    "S003",
    "unused-ignore",
    "warning",
    help="remove the ignore comment, or fix the rule name in it",
    on=(),
)
def unused_ignore(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """An `-- sqlmig:ignore` comment that silences nothing (reported by the engine itself).

    Bad:
        -- sqlmig:ignore drop-table
        ALTER TABLE books ADD COLUMN isbn text;
    Good:
        ALTER TABLE books ADD COLUMN isbn text;
    """
    return iter(())

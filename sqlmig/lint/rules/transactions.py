"""Transactions: BEGIN/COMMIT/ROLLBACK in a transactional file, a file's own transaction left
open, and statements a no-transaction file cannot run twice."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, rule
from .common import name_of

CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "END", "ABORT"}


@rule(
    "X401",
    "transaction-control",
    "error",
    help="remove it: sqlmig wraps the file in a transaction (or mark the file "
    "`-- sqlmig:no-transaction` to manage transactions yourself)",
    on=("BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT"),
)
def transaction_control(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """BEGIN, COMMIT or ROLLBACK in a file that sqlmig runs inside its own transaction.

    A COMMIT ends sqlmig's transaction early: the history row and the rest of the file are no
    longer atomic with what came before.

    Bad:
        BEGIN;
        ALTER TABLE books ADD COLUMN isbn text;
        COMMIT;
    Good:
        ALTER TABLE books ADD COLUMN isbn text;
    """
    words = stmt.keyword.split(" ")
    if not ctx.transactional or (words[0] == "ROLLBACK" and words[1:2] == ["TO"]):
        return
    if words[0] in CONTROL or stmt.keyword in CONTROL:
        if words[0] == "START" and words[1:2] != ["TRANSACTION"]:
            return
        yield Hit(f"{stmt.keyword} inside a file that sqlmig already runs in a transaction")


def _opens(stmt: Stmt) -> bool:
    """BEGIN / START TRANSACTION, or MySQL's SET autocommit = 0 (what mysqldump writes)."""
    words = stmt.keyword.split(" ")
    if words[0] == "BEGIN" or words[:2] == ["START", "TRANSACTION"]:
        return True
    return bool(AUTOCOMMIT_OFF.match(stmt.sql))


def _closes(stmt: Stmt) -> bool:
    """COMMIT, END, ABORT, ROLLBACK (not ROLLBACK TO), or MySQL's SET autocommit = 1 (which
    commits what is open)."""
    words = stmt.keyword.split(" ")
    return (
        words[0] in ("COMMIT", "END", "ABORT")
        or (words[0] == "ROLLBACK" and words[1:2] != ["TO"])
        or bool(AUTOCOMMIT_ON.match(stmt.sql))
    )


AUTOCOMMIT_ON = re.compile(
    r"\s*SET\s+(?:SESSION\s+|@@(?:SESSION\.)?)?autocommit\s*=\s*(?:1|ON)\b", re.I
)
AUTOCOMMIT_OFF = re.compile(
    r"\s*SET\s+(?:SESSION\s+|@@(?:SESSION\.)?)?autocommit\s*=\s*(?:0|OFF)\b", re.I
)


@rule(
    "X402",
    "uncommitted-transaction",
    "error",
    help="end the transaction with COMMIT before the end of the file",
    scope="file",
)
def uncommitted_transaction(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A `-- sqlmig:no-transaction` file that opens its own transaction (BEGIN, START
    TRANSACTION, MySQL's SET autocommit = 0) and never commits it: `up` rolls back what ran
    in it and records the migration failed.

    Bad:
        -- sqlmig:no-transaction
        BEGIN;
        CREATE TABLE users (id bigint PRIMARY KEY);
    Good:
        -- sqlmig:no-transaction
        BEGIN;
        CREATE TABLE users (id bigint PRIMARY KEY);
        COMMIT;
    """
    if ctx.transactional:
        return  # transaction-control reports BEGIN in a transactional file
    opened: Stmt | None = None
    for stmt in ctx.statements:
        if _closes(stmt):
            opened = None
        elif opened is None and _opens(stmt):
            opened = stmt
    if opened is not None:
        yield Hit(
            f"{opened.keyword} opens a transaction that is never committed: the file ends "
            "inside it, so `sqlmig up` rolls back the statements after it and records the "
            "migration failed",
            opened.offset,
            stmt=opened.index,
        )


GUARDED_CREATE = {"TABLE", "INDEX", "SEQUENCE", "SCHEMA"}
GUARDED_DROP = {"TABLE", "INDEX", "SEQUENCE", "SCHEMA", "VIEW", "TYPE", "MATERIALIZED VIEW"}


def _not_rerunnable(stmt: Stmt) -> Iterator[str]:
    """What in the statement fails when it runs a second time: `CREATE TABLE "t"`, ..."""
    node = stmt.node
    kind = str(node.args.get("kind") or "").upper() if node is not None else ""
    if isinstance(node, exp.Create) and kind in GUARDED_CREATE and not node.args.get("exists"):
        if not node.args.get("replace"):
            yield f"CREATE {kind} {name_of(node.this)} without IF NOT EXISTS"
    elif isinstance(node, exp.Drop) and kind in GUARDED_DROP and not node.args.get("exists"):
        names = ", ".join(name_of(t) for t in node.args.get("tables") or []) or "..."
        yield f"DROP {kind} {names} without IF EXISTS"
    elif isinstance(node, exp.Command) and (form(stmt.sql) or ("",))[0] == (
        "add-constraint-using-index"
    ):
        yield "ADD CONSTRAINT ... USING INDEX (which has no IF NOT EXISTS)"
    elif isinstance(node, exp.Alter) and kind == "TABLE":
        for action in node.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef) and not action.args.get("exists"):
                yield f"ADD COLUMN {action.name} without IF NOT EXISTS"
            elif isinstance(action, exp.Drop) and not action.args.get("exists"):
                what = str(action.args.get("kind") or "").upper()
                if what in ("COLUMN", "CONSTRAINT"):
                    names = ", ".join(name_of(t) for t in action.args.get("tables") or [])
                    yield f"DROP {what} {names} without IF EXISTS"
            elif isinstance(action, exp.AddConstraint):
                named = action.find(exp.Constraint)
                label = f" {named.name}" if named is not None and named.name else ""
                yield f"ADD CONSTRAINT{label} (which has no IF NOT EXISTS)"


@rule(
    "X403",
    "prefer-robust-statements",
    "warning",
    help="add IF NOT EXISTS / IF EXISTS, so that the file can run again after a failure (a "
    "failed CREATE INDEX CONCURRENTLY leaves an invalid index: `sqlmig status` and `validate` "
    "report it); or move the statements that need no CONCURRENTLY (ADD CONSTRAINT among them) "
    "to a transactional file",
    dialects=("postgres",),
    scope="file",
)
def prefer_robust_statements(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """In a `-- sqlmig:no-transaction` file, a CREATE or DROP without IF [NOT] EXISTS (or an ADD
    CONSTRAINT, which has none) that is not the file's last statement: if a later statement
    fails, this one stays applied, and running the file again (after `sqlmig repair`) fails
    on it. Not reported inside the file's own BEGIN ... COMMIT.

    Bad:
        -- sqlmig:no-transaction
        ALTER TABLE accounts ADD COLUMN billing_email text;
        CREATE INDEX CONCURRENTLY accounts_billing_email ON accounts (billing_email);
    Good:
        -- sqlmig:no-transaction
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS billing_email text;
        CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_billing_email ON accounts (billing_email);
    """
    if ctx.transactional:
        return
    inside = False
    last = max((s.index for s in ctx.statements if s.keyword), default=-1)
    for stmt in ctx.statements:
        if _closes(stmt):
            inside = False
        elif _opens(stmt):
            inside = True
        elif not inside and stmt.index < last:
            for what in _not_rerunnable(stmt):
                yield Hit(
                    f"{what} in a no-transaction file: if a later statement fails, this one "
                    "stays applied and running the file again fails here",
                    stmt.offset,
                    stmt=stmt.index,
                )


OUTSIDE_ONLY = ("VACUUM", "CREATE DATABASE", "DROP DATABASE", "CREATE TABLESPACE",
                "DROP TABLESPACE", "ALTER SYSTEM")  # fmt: skip


@rule(
    "X404",
    "outside-transaction-only",
    "error",
    help="put `-- sqlmig:no-transaction` in the file's first lines (or leave the statement to "
    "your maintenance jobs: it is rarely a schema change)",
    dialects=("postgres", "sqlite"),
    on=OUTSIDE_ONLY,
)
def outside_transaction_only(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """VACUUM (PostgreSQL and SQLite), CREATE or DROP DATABASE or TABLESPACE, or ALTER SYSTEM
    (PostgreSQL) in a file that sqlmig runs in a transaction: the database refuses them inside
    a transaction, so the migration fails and rolls back.

    Bad:
        ALTER TABLE orders ADD COLUMN note text;
        VACUUM ANALYZE orders;
    Good:
        -- sqlmig:no-transaction
        VACUUM ANALYZE orders;
    """
    if not ctx.transactional or (
        ctx.dialect == "sqlite" and stmt.keyword.split(" ")[0] != "VACUUM"
    ):
        return
    what = next(w for w in OUTSIDE_ONLY if stmt.keyword.startswith(w))
    yield Hit(f"{what} cannot run inside a transaction block, and sqlmig runs this file in one")

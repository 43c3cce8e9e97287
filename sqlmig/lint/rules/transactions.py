"""Transactions: BEGIN/COMMIT/ROLLBACK in a file that sqlmig already runs in a transaction."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import FileContext, Stmt
from ..model import Hit, rule

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

"""PostgreSQL locking: constraints that check every row, or build an index, under a lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, rule
from .common import actions, at, existing_table
from .locking import PG


def _constraints(action: Any) -> list[Any]:

    if not isinstance(action, exp.AddConstraint):
        return []
    found = []
    for item in action.expressions:
        found += item.expressions if isinstance(item, exp.Constraint) else [item]
    return found


@rule(
    "P103",
    "constraint-without-not-valid",
    "error",
    help="add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    dialects=PG,
    on=("ALTER TABLE",),
)
def constraint_without_not_valid(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """FOREIGN KEY, CHECK or a REFERENCES column added to an existing table without NOT VALID.

    Without NOT VALID, PostgreSQL checks every row while holding a lock that blocks writes (and,
    for a foreign key, writes to the referenced table too).

    Bad:
        ALTER TABLE books ADD CONSTRAINT books_author_fk
            FOREIGN KEY (author_id) REFERENCES authors (id);
    Good:
        ALTER TABLE books ADD CONSTRAINT books_author_fk
            FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID;
        -- and in the next migration: ALTER TABLE books VALIDATE CONSTRAINT books_author_fk;
    """

    if isinstance(stmt.node, exp.Command) and OPAQUE_ADD.match(stmt.sql):
        if not NOT_VALID.search(stmt.sql) and not ctx.is_new_table(_alter_target(stmt.sql)):
            yield Hit(
                "constraint added without NOT VALID: every row is checked while writes are blocked"
            )
        return
    table = existing_table(stmt, ctx)
    if table is None or stmt.node.args.get("not_valid"):
        return
    for action in actions(stmt):
        if isinstance(action, exp.ColumnDef) and _references(action):
            yield Hit(
                f"column {ctx.shown(f'{table}.{action.name}')}"
                " is added with REFERENCES: every row is checked "
                "while writes to both tables are blocked",
                at(stmt, action),
                "add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ... "
                "NOT VALID, and VALIDATE it in a later migration",
            )
        for item in _constraints(action):
            if isinstance(item, (exp.ForeignKey, exp.CheckColumnConstraint)):
                kind = "FOREIGN KEY" if isinstance(item, exp.ForeignKey) else "CHECK"
                yield Hit(
                    f"{kind} added to table {ctx.quoted(table)} without NOT VALID: every row is "
                    "checked while writes are blocked",
                    at(stmt, action),
                )


OPAQUE_ADD = re.compile(
    r"\s*ALTER\s+TABLE\b.*?\bADD\s+(?:CONSTRAINT\s+\S+\s+)?"
    r"(?:CHECK|FOREIGN\s+KEY)\b",
    re.I | re.S,
)
NOT_VALID = re.compile(r"\bNOT\s+VALID\s*$", re.I)
ALTER_TARGET = re.compile(r"\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w$.\"]+)", re.I)


def _alter_target(sql: str) -> str:
    match = ALTER_TARGET.match(sql)
    return match[1].strip('"').split(".")[-1].lower() if match else ""


def _references(coldef: Any) -> bool:
    kinds = [c.args.get("kind") for c in coldef.args.get("constraints") or []]
    return any(isinstance(k, exp.Reference) for k in kinds)


def _not_valid_added(stmts: tuple[Stmt, ...]) -> dict[str, Stmt]:
    """Constraint name -> the statement that added it NOT VALID."""

    found: dict[str, Stmt] = {}
    for stmt in stmts:
        if stmt.node is None or not stmt.node.args.get("not_valid"):
            continue
        for action in actions(stmt):
            for item in action.expressions if isinstance(action, exp.AddConstraint) else []:
                if isinstance(item, exp.Constraint):
                    found[item.name.lower()] = stmt
    return found


@rule(
    "P104",
    "validate-in-same-transaction",
    "warning",
    help="move VALIDATE CONSTRAINT to the next migration, so the ADD's lock is released first",
    dialects=PG,
    on=("ALTER TABLE",),
)
def validate_in_same_transaction(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT ... NOT VALID.

    The ADD holds its ACCESS EXCLUSIVE lock until the transaction ends, so validating in the same
    transaction blocks the table for the whole scan: NOT VALID bought nothing.

    Bad:
        ALTER TABLE books ADD CONSTRAINT books_pages_check CHECK (pages > 0) NOT VALID;
        ALTER TABLE books VALIDATE CONSTRAINT books_pages_check;
    Good:
        ALTER TABLE books ADD CONSTRAINT books_pages_check CHECK (pages > 0) NOT VALID;
        -- and in the next migration: ALTER TABLE books VALIDATE CONSTRAINT books_pages_check;
    """
    opaque = isinstance(stmt.node, exp.Command)
    known = form(stmt.sql) if ctx.transactional and opaque else None
    if not known or known[0] != "validate-constraint":
        return
    name = known[1]["constraint"].strip('"').lower()
    added = _not_valid_added(ctx.statements[: stmt.index]).get(name)
    if added is not None:
        line = ctx.position(added.offset)[0]
        yield Hit(
            f"constraint {ctx.quoted(name)}"
            " is validated in the transaction that added it NOT VALID "
            f"(line {line}): the table stays locked for the whole check"
        )


def _unique_or_pk(action: Any) -> str | None:

    items = list(_constraints(action))
    if isinstance(action, exp.ColumnDef):
        items = [c.args.get("kind") for c in action.args.get("constraints") or []]
    for item in items:
        if isinstance(item, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
            return "PRIMARY KEY"
        if isinstance(item, exp.UniqueColumnConstraint):
            return "UNIQUE"
    return None


@rule(
    "P107",
    "unique-without-index",
    "error",
    help="CREATE UNIQUE INDEX CONCURRENTLY first (no-transaction file), then ADD CONSTRAINT ... "
    "UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)",
    dialects=PG,
    on=("ALTER TABLE",),
)
def unique_without_index(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """UNIQUE or PRIMARY KEY added to an existing table builds its index under an exclusive lock.

    Bad:
        ALTER TABLE books ADD CONSTRAINT books_isbn_key UNIQUE (isbn);
    Good:
        -- sqlmig:no-transaction
        CREATE UNIQUE INDEX CONCURRENTLY books_isbn_key ON books (isbn);
        ALTER TABLE books ADD CONSTRAINT books_isbn_key UNIQUE USING INDEX books_isbn_key;
    """
    table = existing_table(stmt, ctx)
    for action in actions(stmt) if table else []:
        kind = _unique_or_pk(action)
        if kind:
            yield Hit(
                f"{kind} on existing table {ctx.quoted(table)} builds its index while reads and "
                "writes are blocked",
                at(stmt, action),
            )

"""MySQL: a table's index, key and column changes as one ALTER TABLE, which MySQL checks as a
whole (AUTO_INCREMENT needs its key in the same statement; a foreign key's index can be swapped
for another only there), and which copies the table once instead of once per change."""

from __future__ import annotations

import re

from .stmt import Stmt

_NAME = r"`(?:[^`]|``)*`"
_ALTER = re.compile(rf"ALTER TABLE ({_NAME}) (.*);", re.S)
_DROP_INDEX = re.compile(rf"DROP INDEX ({_NAME}) ON ({_NAME});")
_CREATE_INDEX = re.compile(
    rf"CREATE ((?:UNIQUE |FULLTEXT |SPATIAL )*)INDEX ({_NAME}) ON ({_NAME}) (.*);", re.S
)


def merge(stmts: list[Stmt]) -> list[Stmt]:
    """One statement per table, in the order the tables first appear; the clauses in the order
    given (drops, then column changes, then additions)."""
    clauses: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    out: list[Stmt | str] = []
    for s in stmts:
        found = _clause(s.sql)
        if found is None:
            out.append(s)
            continue
        table, clause = found
        if table not in clauses:
            clauses[table], notes[table] = [], []
            out.append(table)
        clauses[table].append(clause)
        notes[table] += [s.review] if s.review else []
    return [x if isinstance(x, Stmt) else _statement(x, clauses[x], notes[x]) for x in out]


def _statement(table: str, clauses: list[str], notes: list[str]) -> Stmt:
    if len(clauses) == 1:
        return Stmt(f"ALTER TABLE {table} {clauses[0]};", "; ".join(notes) or None)
    body = ",\n    ".join(clauses)
    return Stmt(f"ALTER TABLE {table}\n    {body};", "; ".join(notes) or None)


def _clause(sql: str) -> tuple[str, str] | None:
    """(table, clause) of a statement that can be a clause of ALTER TABLE."""
    m = _ALTER.fullmatch(sql)
    if m:
        return m[1], m[2]
    m = _DROP_INDEX.fullmatch(sql)
    if m:
        return m[2], f"DROP INDEX {m[1]}"
    m = _CREATE_INDEX.fullmatch(sql)
    if m:
        return m[3], f"ADD {m[1]}INDEX {m[2]} {m[4]}"
    return None

"""Small helpers the rules share: ALTER TABLE actions, node positions, column definitions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..objects import name_of, table_of

__all__ = ["actions", "alter_table", "at", "column_defs", "name_of", "quote", "table_of"]


def alter_table(stmt: Stmt) -> Any:
    """The statement's tree if it is an ALTER TABLE, else None."""

    node = stmt.node
    if isinstance(node, exp.Alter) and str(node.args.get("kind", "")).upper() == "TABLE":
        return node
    return None


def actions(stmt: Stmt) -> Iterator[Any]:
    """The actions of an ALTER TABLE (ADD COLUMN, ALTER COLUMN, ...); nothing otherwise."""
    node = alter_table(stmt)
    if node is not None:
        yield from node.args.get("actions") or []


def existing_table(stmt: Stmt, ctx: FileContext) -> str | None:
    """The ALTER TABLE's table name when this file did not create it (it may hold rows)."""
    node = alter_table(stmt)
    if node is None:
        return None
    table = table_of(node)
    return None if ctx.is_new_table(table) else table


def at(stmt: Stmt, node: Any) -> int:
    """File offset of `node` (its first identifier with a position), else of the statement."""

    candidates = [node] if isinstance(node, exp.Identifier) else []
    candidates += list(node.find_all(exp.Identifier)) if node is not None else []
    for ident in candidates:
        start = ident.meta.get("start") if ident.meta else None
        if start is not None:
            return start  # a file offset: the statement was parsed from the file's tokens
    return stmt.offset


def column_defs(stmt: Stmt) -> Iterator[tuple[str, Any]]:
    """(table, ColumnDef) for CREATE TABLE columns and ALTER TABLE ... ADD COLUMN."""

    node = stmt.node
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Schema):
        table = name_of(node.this.this)
        for col in node.this.expressions:
            if isinstance(col, exp.ColumnDef):
                yield table, col
    for action in actions(stmt):
        if isinstance(action, exp.ColumnDef):
            yield table_of(stmt.node), action


def quote(name: str) -> str:
    return f'"{name}"'

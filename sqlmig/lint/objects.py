"""Which named objects a file's statements create and drop, read from their sqlglot trees."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from .context import Objects, Stmt

KINDS = {"TABLE": "table", "INDEX": "index", "VIEW": "view", "TYPE": "type", "SCHEMA": "schema"}
KINDS["SEQUENCE"] = "sequence"
BARE_NAME = re.compile(r'\s*[`"]?([\w$]+)[`"]?\s*')


def name_of(node: Any) -> str:
    """The lower-case object name of a Table/Identifier/Column node (schema dropped)."""

    if isinstance(node, exp.Table) and not node.name and node.args.get("db"):
        return node.args["db"].name.lower()  # CREATE SCHEMA s / DROP SCHEMA s
    return (node.name or "").lower()


def dropped_columns(action: Any) -> list[tuple[str, Any]]:
    """(column, node) an ALTER TABLE action drops: DROP [COLUMN] c (sqlglot reads SQLite's
    `DROP c`, without COLUMN, only as an opaque command)."""
    if isinstance(action, exp.Drop) and str(action.args.get("kind")) == "COLUMN":
        return [(name_of(c), c) for c in action.args.get("tables") or action.expressions]
    if isinstance(action, exp.Command) and str(action.this).upper() == "DROP":
        word = BARE_NAME.fullmatch(str(action.expression or ""))
        return [(word[1].lower(), None)] if word else []
    return []


def table_of(alter: Any) -> str:
    return name_of(alter.this) if alter.this is not None else ""


def created(statements: Iterable[Stmt]) -> Objects:
    """Objects the statements create: tables, indexes, views, types, schemas, added columns."""

    items: dict[tuple[str, str], int] = {}
    index_on: dict[str, str] = {}
    renamed: dict[str, str] = {}  # table -> the name it had before this file renamed it
    types: dict[str, Any] = {}
    moved: dict[str, str] = {}  # "table.old" -> "table.new": columns renamed
    keys: dict[str, frozenset[str]] = {}  # index -> the columns it is on
    for stmt in statements:
        node = stmt.node
        if isinstance(node, exp.Create) and str(node.args.get("kind")) in KINDS:
            kind = KINDS[str(node.args["kind"])]
            target = node.this.this if isinstance(node.this, exp.Schema) else node.this
            items.setdefault((kind, name_of(target)), stmt.index)
            if isinstance(node.this, exp.Schema):
                _typed(types, name_of(target), node.this.expressions)
            if kind == "index" and node.this.args.get("table") is not None:
                index_on[name_of(target)] = name_of(node.this.args["table"])
                keys[name_of(target)] = _key_columns(node.this)
        elif isinstance(node, exp.Alter):
            for action in node.args.get("actions") or []:
                _altered(items, table_of(node), action, stmt.index)
                _typed(types, table_of(node), [action])
                _moved(moved, table_of(node), action)
                if isinstance(action, exp.AlterRename):
                    renamed[name_of(action.this)] = renamed.get(table_of(node), table_of(node))
    return Objects(items, index_on, renamed, types, moved, keys)


def _key_columns(index: Any) -> frozenset[str]:
    params = index.args.get("params")
    columns = params.args.get("columns") if params is not None else None
    return frozenset(name_of(c) for o in columns or [] for c in o.find_all(exp.Column))


def _moved(moved: dict[str, str], table: str, action: Any) -> None:
    if isinstance(action, exp.RenameColumn):
        old, new = action.this.name.lower(), action.args["to"].name.lower()
    elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from"):
        old, new = action.args["rename_from"].name.lower(), action.this.name.lower()
    else:
        return
    moved[f"{table}.{old}"] = f"{table}.{new}"


def _typed(types: dict[str, Any], table: str, defs: Iterable[Any]) -> None:
    """The declared type of each column a CREATE TABLE or ADD COLUMN makes (the first one)."""
    for col in defs:
        if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
            # a copy: the type node itself would keep its whole statement tree alive (packed.py)
            types.setdefault(f"{table}.{col.name.lower()}", col.args["kind"].copy())


def _altered(items: dict[tuple[str, str], int], table: str, action: Any, index: int) -> None:
    """Columns an ALTER TABLE adds, and names it gives by renaming: a down file that drops
    them, or renames them back, undoes this migration and loses nothing."""
    if isinstance(action, exp.ColumnDef):
        items.setdefault(("column", f"{table}.{action.name.lower()}"), index)
    elif isinstance(action, exp.RenameColumn):
        items.setdefault(("renamed-column", f"{table}.{action.args['to'].name.lower()}"), index)
    elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from"):
        items.setdefault(("renamed-column", f"{table}.{action.this.name.lower()}"), index)
    elif isinstance(action, exp.AlterRename):
        items.setdefault(("renamed-table", name_of(action.this)), index)


def dropped(statements: Iterable[Stmt]) -> Objects:
    """Objects the statements drop: DROP TABLE/INDEX/VIEW/TYPE/SCHEMA, ALTER ... DROP COLUMN."""

    items: dict[tuple[str, str], int] = {}
    for stmt in statements:
        node = stmt.node
        if isinstance(node, exp.Drop) and str(node.args.get("kind")) in KINDS:
            for target in node.args.get("tables") or node.expressions:
                items[(KINDS[str(node.args["kind"])], name_of(target))] = stmt.index
        elif isinstance(node, exp.Alter):
            for action in node.args.get("actions") or []:
                for column, _ in dropped_columns(action):
                    items[("column", f"{table_of(node)}.{column}")] = stmt.index
    return Objects(items)

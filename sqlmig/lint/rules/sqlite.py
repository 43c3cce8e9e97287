"""SQLite: ALTER TABLE forms SQLite does not have, which need a table rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..model import Hit, rule
from .common import actions, alter_table, at

REBUILD = (
    "rebuild the table: CREATE TABLE new_t (...), INSERT INTO new_t SELECT ... FROM t, "
    "DROP TABLE t, ALTER TABLE new_t RENAME TO t (https://sqlite.org/lang_altertable.html)"
)


def _unsupported(action: Any) -> str | None:

    if isinstance(action, exp.AlterColumn):
        return "ALTER COLUMN"
    if isinstance(action, exp.Drop) and str(action.args.get("kind")) == "CONSTRAINT":
        return "DROP CONSTRAINT"
    if isinstance(action, exp.AddConstraint):
        return "ADD CONSTRAINT"
    if isinstance(action, exp.ModifyColumn):
        return "MODIFY/CHANGE COLUMN"
    if isinstance(action, exp.ColumnDef):
        kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
        if any(
            isinstance(k, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint))
            for k in kinds
        ):
            return "ADD COLUMN with PRIMARY KEY or UNIQUE"
    return None


@rule(
    "L601",
    "sqlite-unsupported-alter",
    "error",
    help=REBUILD,
    dialects=("sqlite",),
    on=("ALTER TABLE",),
)
def sqlite_unsupported_alter(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """An ALTER TABLE form SQLite does not support (ALTER COLUMN, ADD/DROP CONSTRAINT, ...).

    SQLite's ALTER TABLE only renames, adds a plain column, or drops a column, one per statement.

    Bad:
        ALTER TABLE books ALTER COLUMN title TYPE text;
    Good:
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT);
        INSERT INTO books_new (id, title) SELECT id, title FROM books;
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO books;
    """
    found = list(actions(stmt))
    for action in found:
        form = _unsupported(action)
        if form:
            yield Hit(f"SQLite's ALTER TABLE has no {form}", at(stmt, action))
    if len(found) > 1 and alter_table(stmt) is not None:
        yield Hit(f"SQLite's ALTER TABLE takes one change per statement, not {len(found)}")

"""Repeatable migrations (R__name.sql): each runs again whenever it changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import FileContext, Stmt
from ..model import Hit, rule

KINDS = "TABLE|VIEW|INDEX|FUNCTION|PROCEDURE|TYPE|SEQUENCE|TRIGGER|SCHEMA|DOMAIN|EXTENSION|ROLE"
CREATE = re.compile(
    r"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:(?:UNIQUE|TEMP|TEMPORARY|MATERIALIZED|RECURSIVE)"
    rf"\s+)*(?P<kind>{KINDS})\s+(?:CONCURRENTLY\s+)?(?P<exists>IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>[^\s(]+)",
    re.I,
)


@rule(
    "F709",
    "repeatable-not-rerunnable",
    "warning",
    help="write CREATE OR REPLACE or CREATE ... IF NOT EXISTS, or DROP ... IF EXISTS first: "
    "`up` runs a repeatable migration again each time its file changes",
    scope="file",
)
def repeatable_not_rerunnable(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A CREATE in a repeatable migration (R__name.sql) that fails when the file runs again.

    Bad:
        -- R__book_titles.sql
        CREATE VIEW book_titles AS SELECT id, title FROM books;
    Good:
        -- R__book_titles.sql
        CREATE OR REPLACE VIEW book_titles AS SELECT id, title FROM books;
    """
    if not ctx.path.name.startswith("R__"):
        return
    for stmt in ctx.statements:
        message = _fails_again(ctx, stmt)
        if message:
            yield Hit(message, stmt.offset, stmt=stmt.index)


def _fails_again(ctx: FileContext, stmt: Stmt) -> str | None:
    match = CREATE.match(stmt.sql)
    if match is None or match["replace"] or match["exists"]:
        return None
    kind, name = match["kind"].upper(), match["name"]
    if name.upper() == "ON":  # an index with no name: each run adds another
        return "CREATE INDEX without a name adds one more index each time the file runs"
    if _dropped_before(ctx, stmt, kind, name):
        return None
    return f"CREATE {kind} {name} fails when the file runs again ({name} exists)"


def _dropped_before(ctx: FileContext, stmt: Stmt, kind: str, name: str) -> bool:
    bare = name.split(".")[-1].strip('"`[]').lower()
    drop = re.compile(rf"^DROP\s+(?:MATERIALIZED\s+)?{kind}\s+IF\s+EXISTS\b", re.I)
    return any(
        drop.match(s.sql) and bare in s.sql.lower() for s in ctx.statements if s.index < stmt.index
    )

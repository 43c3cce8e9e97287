"""SQLite's PRAGMA foreign_key_check, counted by child and parent table, and not run again while
nothing that could change its answer has changed."""

from __future__ import annotations

import sqlite3
from typing import Any

from .base import Orphans

# Rows without a parent, by child table and parent: how many, and the lowest rowid of each
# (counted inside SQLite: a legacy database's million orphans never cross into Python).
COUNTS = """SELECT "table", parent, count(*), min(rowid)
FROM pragma_foreign_key_check({which}, 'main') GROUP BY "table", parent ORDER BY 1, 2"""
SAMPLE = """SELECT rowid FROM pragma_foreign_key_check(?, 'main') WHERE parent = ?
ORDER BY rowid LIMIT 5"""
FK_TABLES = (
    "SELECT name FROM main.sqlite_master m WHERE type = 'table' "
    "AND EXISTS (SELECT 1 FROM pragma_foreign_key_list(m.name, 'main')) ORDER BY name"
)


class ForeignKeyCheck:
    """The orphans of one connection's main database.

    The answer is kept while the database is as it was: the same schema (`schema_version`),
    no commit by another connection (`data_version`) and no row changed by this one other than
    sqlmig's own history writes (`own`), which touch tables without foreign keys. So checking
    before a migration right after checking after the previous one costs three pragmas.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.own = 0  # rows changed by history writes since the connection opened
        self._seen: tuple[tuple[int, ...], list[Orphans]] | None = None

    def orphans(self, *, rowids: bool = False) -> list[Orphans]:
        state = self._state()
        if self._seen is not None and self._seen[0] == state and not rowids:
            return self._seen[1]
        found = self._all()
        if rowids:
            found = [self._sampled(o) for o in found]
        self._seen = (state, found)
        return found

    def _state(self) -> tuple[int, ...]:
        schema = self.conn.execute("PRAGMA main.schema_version").fetchone()[0]
        data = self.conn.execute("PRAGMA main.data_version").fetchone()[0]
        return schema, data, self.conn.total_changes - self.own

    def _all(self) -> list[Orphans]:
        """One pragma for the whole database; table by table when a key cannot be checked
        ("foreign key mismatch" fails the whole pragma)."""
        try:
            return self._counted("NULL")
        except sqlite3.OperationalError as exc:
            if "foreign key mismatch" not in str(exc):
                raise
        found: list[Orphans] = []
        for (table,) in self.conn.execute(FK_TABLES).fetchall():
            try:
                found += self._counted("?", table)
            except sqlite3.OperationalError as exc:
                found.append(Orphans(table, "", 1, problem=str(exc)))
        return found

    def _counted(self, which: str, *params: Any) -> list[Orphans]:
        rows = self.conn.execute(COUNTS.format(which=which), params).fetchall()
        return [Orphans(table, parent, n, (rowid,)) for table, parent, n, rowid in rows]

    def _sampled(self, o: Orphans) -> Orphans:
        if o.problem:
            return o
        rows = self.conn.execute(SAMPLE, (o.table, o.parent)).fetchall()
        return Orphans(o.table, o.parent, o.count, tuple(r[0] for r in rows))

"""Trace pending statements on a PostgreSQL scratch database built from the applied
migrations: each runs inside a transaction that reads its own locks (pg_locks), the
relfilenodes it changed (a rewrite) and the sequential scans it made, then rolls back; it is
then applied for real so that the next statement sees what it made."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..errors import ConnectError
from .locks import MODES
from .model import Pending, Touch
from .rules import TRANSACTION_CONTROL, data_statement, outside_transaction

_RELS = """
SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relfilenode, c.relkind,
       COALESCE(s.seq_scan, 0)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_xact_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'"""
_LOCKS = """
SELECT l.relation, quote_ident(n.nspname) || '.' || quote_ident(c.relname), l.mode, c.relkind,
       (SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname)
        FROM pg_catalog.pg_class tc JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
        WHERE tc.oid = i.indrelid)
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND (n.nspname IS NULL  -- dropped by the statement: named from before it ran
       OR n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%%')"""
# a statement that sleeps or loops on the empty scratch database must not hold plan up
_BOUND = "SET statement_timeout = '60s'"
# ... nor may the migration's own settings: `SET statement_timeout = 0` (or '1ms', which would
# cancel plan's own catalog reads) and `SET default_transaction_read_only = on` hold for its
# statements in `up`, which has begun its transaction already
_TX = ("SET TRANSACTION READ WRITE", "SET LOCAL statement_timeout = '60s'")
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.I)
# SET LOCAL in a file's own BEGIN ... COMMIT: each statement is traced in a transaction of its
# own, so it is made a session setting, and put back at the file's COMMIT
_SET_LOCAL = re.compile(r"^\s*SET\s+LOCAL\s+([A-Za-z_][\w.]*)(.*)$", re.I | re.S)
_TX_END = re.compile(r"^\s*(COMMIT|END|ROLLBACK|ABORT)\b", re.I)
STRENGTH = MODES  # weakest first


class Tracer:
    """Traces statements on an open scratch connection (psycopg, autocommit)."""

    def __init__(self, conn: Any, history: str) -> None:
        self.conn = conn
        self.history = history  # sqlmig's own tables are not the migration's business
        self.migration = ""
        self.saved: dict[str, str | None] = {}  # SET LOCAL settings' values from before them
        self.where = ""  # the statement being traced: file:line

    def trace(self, stmt: Pending) -> tuple[list[Touch], str]:
        """(touches, error): error is the statement's own failure on the scratch database."""
        self.where = stmt.where
        if stmt.label != self.migration:  # each migration starts in the run's session state
            self.migration = stmt.label
            self._apply_text(f"RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION; {_BOUND}")
            self.saved = {}
        local = _SET_LOCAL.match(stmt.text)
        if local:
            return [], self._set_local(local[1], local[2])
        if _TX_END.match(stmt.text):
            self._restore()
        if TRANSACTION_CONTROL.match(stmt.text):
            return [], ""  # the file's own BEGIN/COMMIT: each statement is traced on its own
        data = data_statement(stmt.text)
        if data is not None:
            return data, ""  # rows change no lock plan; a COPY's data is not here to send
        ruled = outside_transaction(stmt.text)
        if ruled is not None:
            return ruled, self._apply_text(stmt.text)
        import psycopg

        try:
            with self.conn.transaction():
                self._bound()
                before = self._rels()
                self.conn.execute(stmt.text)
                self._bound()
                locks = self.conn.execute(_LOCKS).fetchall()
                after = self._rels()
                raise _Rollback(_touches(locks, before, after, self.history))
        except _Rollback as done:
            touches = done.touches
            if _TRUNCATE.match(stmt.text):  # a new, empty file: no copy, whatever the size
                note = "TRUNCATE swaps in an empty file: quick, under its lock"
                touches = [replace(t, rewrite=False, scan=False, note=note) for t in touches]
        except psycopg.errors.ActiveSqlTransaction:  # cannot run in a transaction block
            note = "runs outside a transaction: not traced"
            return [Touch("?", "?", how="rules", note=note)], self._apply_text(stmt.text)
        except psycopg.Error as exc:
            self._require_open(exc)
            return [], _first_line(exc)
        return touches, self._apply_text(stmt.text, bounded=True)

    def _set_local(self, name: str, rest: str) -> str:
        import psycopg

        if name.lower() not in self.saved:
            try:
                row = self.conn.execute("SELECT current_setting(%s, true)", (name,)).fetchone()
            except psycopg.Error as exc:
                self._require_open(exc)
                return _first_line(exc)
            self.saved[name.lower()] = row[0] if row else None
        return self._apply_text(f"SET {name}{rest}")

    def _restore(self) -> None:
        import psycopg

        for name, value in self.saved.items():
            try:
                self.conn.execute("SELECT set_config(%s, %s, false)", (name, value or ""))
            except psycopg.Error as exc:
                self._require_open(exc)
        self.saved = {}

    def _require_open(self, exc: Exception) -> None:
        if self.conn.closed:
            raise ConnectError(
                f"lost the connection to the scratch database while tracing {self.where}: "
                f"{_first_line(exc)}",
                hint="nothing was applied; run sqlmig plan again (a statement that ends its own "
                "session, e.g. pg_terminate_backend, cannot be traced: plan with --to the "
                "version before it)",
            )

    def _rels(self) -> dict[int, tuple[str, int, str, int]]:
        rows = self.conn.execute(_RELS).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def _bound(self) -> None:
        for sql in _TX:
            self.conn.execute(sql)

    def _apply_text(self, text: str, *, bounded: bool = False) -> str:
        """Runs text for real; bounded: in a transaction of its own under plan's time limit (a
        session SET in it holds after its COMMIT, as in `up`)."""
        import psycopg

        try:
            if bounded:
                with self.conn.transaction():
                    self._bound()
                    self.conn.execute(text)
            else:
                self.conn.execute(text)
        except psycopg.Error as exc:
            self._require_open(exc)
            return _first_line(exc)
        return ""


class _Rollback(Exception):
    def __init__(self, touches: list[Touch]) -> None:
        self.touches = touches


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _touches(
    locks: list[tuple[Any, ...]],
    before: dict[int, tuple[str, int, str, int]],
    after: dict[int, tuple[str, int, str, int]],
    history: str,
) -> list[Touch]:
    """One Touch per table: its strongest lock, and whether it (or an index) was rewritten,
    scanned, or had an index built. Locks on indexes count for their table."""
    by_table: dict[str, dict[str, Any]] = {}
    dropped: set[str] = set()
    for oid, name, mode, kind, owner in sorted(locks, key=lambda row: row[3] == "i"):
        if name is None:  # gone by the end of the statement (DROP)
            if oid not in before:
                continue
            name, kind, owner = before[oid][0], before[oid][2], None
            if kind == "i":
                continue  # a dropped index: its table's own lock says it
            dropped.add(name)
        table = owner if kind == "i" and owner else name
        if table.split(".")[-1] in (history, f"{history}_log"):
            continue
        if kind == "i":  # a lock on an index alone (ALTER INDEX): the table's own is weaker
            by_table.setdefault(table, {"lock": mode, "new": False, "on_index": True})
            continue
        entry = by_table.setdefault(table, {"lock": mode, "new": oid not in before})
        if STRENGTH.index(mode) > STRENGTH.index(entry["lock"]):
            entry["lock"] = mode
    for oid, (name, node, kind, seq) in after.items():
        old = before.get(oid)
        table = name
        if kind == "i":
            continue
        if table not in by_table:
            continue
        entry = by_table[table]
        if old is not None and old[1] != node:
            entry["rewrite"] = True
        if old is not None and seq > old[3]:
            entry["scan"] = True
    for oid, (_name, _node, kind, _seq) in after.items():
        if kind == "i" and oid not in before:
            for table, entry in by_table.items():
                if _index_of(oid, table, locks):
                    entry["index"] = True
    return [
        Touch(
            table,
            e["lock"],
            rewrite=e.get("rewrite", False),
            scan=e.get("scan", False),
            builds_index=e.get("index", False),
            new=e["new"],
            note="dropped"
            if table in dropped
            else "on an index of the table only"
            if e.get("on_index")
            else "",
        )
        for table, e in by_table.items()
    ]


def _index_of(oid: int, table: str, locks: list[tuple[Any, ...]]) -> bool:
    return any(row[0] == oid and row[4] == table for row in locks)

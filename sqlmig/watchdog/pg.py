"""PostgreSQL: the sessions a backend keeps waiting (pg_blocking_pids, also through a chain of
waiters), and a cancel (pg_cancel_backend) sent only while that same query still runs."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import psycopg

from ..drivers.pg_connect import _connect
from ..urls import DatabaseUrl
from .model import Blocked

# Its own queries must never hang the watchdog: they read views and take no table lock.
OWN_SETTINGS = "SET statement_timeout = '1s'; SET lock_timeout = '500ms'"
# Only sessions that wait for a heavyweight lock (table, row via transaction id, ...) are asked
# pg_blocking_pids, which takes the lock manager's locks: not every session at every poll. A
# session queued behind a waiter that waits for the migration is blocked by it too (PostgreSQL
# queues a lock request behind a conflicting one that waits): depth 2 and more.
BLOCKED = """WITH RECURSIVE waiting AS (
  SELECT a.pid, a.application_name AS app, pg_catalog.pg_blocking_pids(a.pid) AS blockers,
         {since} AS since, upper(substring(ltrim(a.query) from '^[A-Za-z]+')) AS word
  FROM pg_catalog.pg_stat_activity a
  WHERE a.wait_event_type = 'Lock' AND a.pid <> %(pid)s
), chain AS (
  SELECT w.pid, 1 AS depth FROM waiting w WHERE %(pid)s = ANY (w.blockers)
  UNION
  SELECT w.pid, c.depth + 1 FROM waiting w JOIN chain c ON c.pid = ANY (w.blockers)
  WHERE c.depth < 20
)
SELECT w.pid, w.app, min(c.depth),
       extract(epoch FROM pg_catalog.clock_timestamp() - w.since)::float8, w.word,
       m.query_start, m.wait_event_type = 'Lock'
FROM chain c JOIN waiting w ON w.pid = c.pid
LEFT JOIN pg_catalog.pg_stat_activity m ON m.pid = %(pid)s AND m.state = 'active'
GROUP BY w.pid, w.app, w.since, w.word, m.query_start, m.wait_event_type"""
# pg_locks.waitstart (14+): when the wait began; before 14, when the query began
SINCE = (
    "COALESCE((SELECT min(l.waitstart) FROM pg_catalog.pg_locks l "
    "WHERE l.pid = a.pid AND NOT l.granted), a.state_change)"
)
SINCE_BEFORE_14 = "a.state_change"
# the same query as the one seen blocking (a file is one query): never the COMMIT after it
CANCEL = (
    "SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_catalog.pg_stat_activity "
    "WHERE pid = %s AND state = 'active' AND query_start = %s"
)
CANCELLED = ("57014",)  # query_canceled


class PgProbe:
    """The watchdog's own connection (never the lock's, never the migration's)."""

    CANCELLED = CANCELLED

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.conn: psycopg.Connection | None = None
        self.query = ""
        self._open()

    def _open(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            conn = _connect(self.url, "sqlmig-watchdog", connect_timeout=5)
            conn.execute(OWN_SETTINGS)
            newer = conn.info.server_version >= 140000
            self.query = BLOCKED.format(since=SINCE if newer else SINCE_BEFORE_14)
            self.conn = conn
        return self.conn

    @staticmethod
    def own_id(driver: Any) -> int:
        """The migration connection's backend pid (read at each statement: a reconnect
        changes it)."""
        return int(driver.conn.info.backend_pid)

    def blocked(self, own: int, since: float) -> tuple[list[Blocked], Any, bool]:
        """The sessions `own` keeps waiting, what identifies its running query, and whether
        it waits for a lock itself."""
        try:
            rows = self._open().execute(self.query, {"pid": own}).fetchall()
        except psycopg.Error:
            self.close()  # opened again at the next poll
            raise
        found = [Blocked(r[0], r[1] or "", max(0.0, r[3] or 0.0), "a lock", r[4] or "", r[2])
                 for r in rows]  # fmt: skip
        return found, (rows[0][5] if rows else None), bool(rows and rows[0][6])

    def cancel(self, own: int, handle: Any) -> bool:
        if handle is None:
            return False
        rows = self._open().execute(CANCEL, (own, handle)).fetchall()
        return bool(rows and rows[0][0])

    def close(self) -> None:
        if self.conn is not None:
            with suppress(psycopg.Error):
                self.conn.close()
        self.conn = None

"""PostgreSQL: the sessions a backend keeps waiting (pg_blocking_pids, also through a chain of
waiters), and a cancel (pg_cancel_backend) sent only while that same query still runs."""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Any

import psycopg

from ..drivers.pg_connect import _connect
from ..drivers.pg_errors import _wrap
from ..urls import DatabaseUrl
from .model import Blocked, printable

# Its own queries must never hang the watchdog: they read views and take no table lock.
OWN_SETTINGS = "SET statement_timeout = '1s'; SET lock_timeout = '500ms'"
# Waiting sessions come from pg_locks (ungranted), not pg_stat_activity: another role's session
# shows no wait_event_type there unless the watchdog's role has pg_read_all_stats, while
# pg_locks, pg_blocking_pids and application_name are visible to every role. Only those waiting
# sessions are asked pg_blocking_pids. A session queued behind a waiter that waits for the
# migration is blocked by it too (PostgreSQL queues a request behind a conflicting one that
# waits): depth 2 and more.
BLOCKED = """WITH RECURSIVE waiting AS (
  SELECT l.pid, {since} AS since, pg_catalog.pg_blocking_pids(l.pid) AS blockers
  FROM pg_catalog.pg_locks l WHERE NOT l.granted AND l.pid <> %(pid)s GROUP BY l.pid
), chain AS (
  SELECT w.pid, 1 AS depth FROM waiting w WHERE %(pid)s = ANY (w.blockers)
  UNION
  SELECT w.pid, c.depth + 1 FROM waiting w JOIN chain c ON c.pid = ANY (w.blockers)
  WHERE c.depth < 20
)
SELECT w.pid, a.application_name, min(c.depth),
       extract(epoch FROM pg_catalog.clock_timestamp() - w.since)::float8,
       upper(substring(ltrim(a.query) from '^[A-Za-z]+')),
       m.query_start, m.wait_event_type = 'Lock'
FROM chain c JOIN waiting w ON w.pid = c.pid
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = w.pid
LEFT JOIN pg_catalog.pg_stat_activity m ON m.pid = %(pid)s AND m.state = 'active'
GROUP BY w.pid, w.since, a.application_name, a.query, m.query_start, m.wait_event_type"""
# pg_locks.waitstart (14+): when the wait began; before 14, when its query began (NULL for
# another role's session without pg_read_all_stats: then from when the watchdog first saw it)
SINCE = "min(l.waitstart)"
SINCE_BEFORE_14 = "(SELECT a.state_change FROM pg_catalog.pg_stat_activity a WHERE a.pid = l.pid)"
# first, cheaply: does anyone wait for a lock at all? (the full query plans in milliseconds)
ANY_WAITING = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE NOT l.granted AND l.pid <> %s)"
)
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
        self._seen: dict[int, float] = {}  # pid -> when first seen waiting (a wait not dated)
        self._open()

    def _open(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            conn = _connect(self.url, "sqlmig-watchdog", connect_timeout=5)
            try:
                conn.execute(OWN_SETTINGS)
            except psycopg.Error as exc:
                conn.close()
                raise _wrap(exc, self.url.raw) from None
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
            conn = self._open()
            waiting = conn.execute(ANY_WAITING, (own,)).fetchone()
            rows = (
                conn.execute(self.query, {"pid": own}).fetchall()
                if waiting[0]  # type: ignore[index]
                else []
            )
        except psycopg.Error:
            self.close()  # opened again at the next poll
            raise
        found = [
            Blocked(r[0], printable(r[1]), self._waited(r[0], r[3]), "a lock", r[4] or "", r[2])
            for r in rows
        ]
        self._seen = {r[0]: self._seen.get(r[0], time.monotonic()) for r in rows}
        return found, (rows[0][5] if rows else None), bool(rows and rows[0][6])

    def _waited(self, pid: int, seconds: float | None) -> float:
        if seconds is not None:
            return max(0.0, seconds)
        return time.monotonic() - self._seen.get(pid, time.monotonic())

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

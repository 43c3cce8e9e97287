"""MySQL and MariaDB: the sessions a connection keeps waiting, and `KILL QUERY`.

InnoDB row-lock waits are exact (MariaDB: INNODB_LOCK_WAITS, also through a chain of waiters).
A metadata-lock wait does not say who holds the lock (PROCESSLIST shows the state only; the
METADATA_LOCK_INFO plugin lists granted locks, not waiters; performance_schema is off by
default in MariaDB), so a session counts as blocked by the migration when it began waiting for
a table lock while the migration's file ran. MariaDB's `KILL QUERY ID` ends that one query and
never the next; MySQL has only `KILL QUERY <connection>` and no INNODB_LOCK_WAITS (not read).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from ..drivers.mysql import _connect, _fetch, _wrap, pymysql
from ..urls import DatabaseUrl
from .model import Blocked, printable

FIRST_WORD = "UPPER(REGEXP_SUBSTR(LTRIM(p.INFO), '^[A-Za-z]+'))"
# waits for a table (metadata or table-level lock) that began after the migration's file did
TABLE_WAITS = f"""SELECT p.ID, CONCAT(p.USER, '@', SUBSTRING_INDEX(p.HOST, ':', 1)), {{ms}},
  {FIRST_WORD}
FROM information_schema.PROCESSLIST p
WHERE p.STATE IN ('Waiting for table metadata lock', 'Waiting for table level lock')
  AND p.ID <> %s AND p.ID <> CONNECTION_ID() AND {{ms}} <= %s"""
ROW_WAITS = f"""WITH RECURSIVE chain (trx, depth) AS (
  SELECT w.requesting_trx_id, 1 FROM information_schema.INNODB_LOCK_WAITS w
  JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
  WHERE b.trx_mysql_thread_id = %s
  UNION
  SELECT w.requesting_trx_id, c.depth + 1 FROM information_schema.INNODB_LOCK_WAITS w
  JOIN chain c ON w.blocking_trx_id = c.trx WHERE c.depth < 20
)
SELECT r.trx_mysql_thread_id, CONCAT(p.USER, '@', SUBSTRING_INDEX(p.HOST, ':', 1)), MIN(c.depth),
  COALESCE(p.TIME_MS, TIMESTAMPDIFF(MICROSECOND, r.trx_wait_started, NOW(6)) / 1000),
  {FIRST_WORD}
FROM chain c JOIN information_schema.INNODB_TRX r ON r.trx_id = c.trx
LEFT JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id
WHERE r.trx_mysql_thread_id <> %s
GROUP BY r.trx_mysql_thread_id, p.USER, p.HOST, p.TIME_MS, r.trx_wait_started, p.INFO"""
OWN_QUERY = (
    "SELECT QUERY_ID, STATE LIKE 'Waiting for table%%' FROM information_schema.PROCESSLIST "
    "WHERE ID = %s AND COMMAND = 'Query'"
)
TABLE_LOCK = "a table metadata lock"
CANCELLED = ("1317",)  # ER_QUERY_INTERRUPTED


class MysqlProbe:
    """The watchdog's own connection (never the lock's, never the migration's)."""

    CANCELLED = CANCELLED

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.conn: Any = None
        self.mariadb = True
        self._open()

    def _open(self) -> Any:
        if self.conn is None:
            conn = _connect(self.url, connect_timeout=5)
            try:
                version = str(_fetch(conn, "SELECT VERSION()")[0][0])
                self.mariadb = "mariadb" in version.lower()
                # its own reads never hang the watchdog
                own = "max_statement_time = 1" if self.mariadb else "max_execution_time = 1000"
                _fetch(conn, f"SET SESSION {own}")
            except pymysql.Error as exc:
                conn.close()
                raise _wrap(exc, self.url.raw) from None
            self.conn = conn
        return self.conn

    @staticmethod
    def own_id(driver: Any) -> int:
        """The migration connection's id (read at each statement: a reconnect changes it)."""
        return int(driver.conn.thread_id())

    def blocked(self, own: int, since: float) -> tuple[list[Blocked], Any, bool]:
        """The sessions `own` keeps waiting (`since`: seconds since its file began), and what
        identifies its running query."""
        try:
            return self._blocked(own, since)
        except pymysql.Error:
            self.close()  # opened again at the next poll
            raise

    def _blocked(self, own: int, since: float) -> tuple[list[Blocked], Any, bool]:
        conn = self._open()
        ms = "p.TIME_MS" if self.mariadb else "p.TIME * 1000"
        waits = _fetch(conn, TABLE_WAITS.format(ms=ms), (own, since * 1000 + 200))
        found = {
            r[0]: Blocked(int(r[0]), printable(r[1]), _s(r[2]), TABLE_LOCK, r[3] or "")
            for r in waits
        }
        if self.mariadb:
            for r in _fetch(conn, ROW_WAITS, (own, own)):
                found[r[0]] = Blocked(
                    int(r[0]), printable(r[1]), _s(r[3]), "a row lock", r[4] or "", int(r[2])
                )
        if not found:
            return [], None, False
        if not self.mariadb:
            return list(found.values()), own, False
        rows = _fetch(conn, OWN_QUERY, (own,))
        return list(found.values()), (rows[0][0] if rows else None), bool(rows and rows[0][1])

    def cancel(self, own: int, handle: Any) -> bool:
        """MariaDB: KILL QUERY ID, that query only; MySQL: KILL QUERY on the connection."""
        if handle is None:
            return False
        kill = f"KILL QUERY ID {int(handle)}" if self.mariadb else f"KILL QUERY {int(own)}"
        try:
            _fetch(self._open(), kill)
        except pymysql.Error:  # the query ended meanwhile (unknown query id)
            return False
        return True

    def close(self) -> None:
        if self.conn is not None:
            with suppress(Exception):
                self.conn.close()
        self.conn = None


def _s(ms: Any) -> float:
    return max(0.0, float(ms or 0) / 1000)

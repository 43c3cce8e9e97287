"""Read-only queries on the live database under a time limit: a query that hits it is
TimedOut (reported as skipped, never as passed)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..config import Config
from ..drivers import connect
from ..drivers.base import Driver
from ..errors import ConnectError
from ..urls import parse_url


class TimedOut(Exception):
    """The query ran past its time limit and was cancelled."""


class Failed(Exception):
    """The query failed (a column that does not exist yet, a type it cannot compare, ...)."""


@contextmanager
def reader(config: Config) -> Iterator[Reader]:
    driver = connect(parse_url(config.require_url()), table=config.table, create=False)
    try:
        yield READERS[driver.dialect](driver)
    finally:
        driver.close()


class Reader:
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.dialect = driver.dialect
        self.search_path: str | None = None  # PostgreSQL: a migration's own SET search_path

    def quote(self, name: str) -> str:
        return self.driver.quote(name)

    def run(self, sql: str, timeout: float, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError


class PostgresReader(Reader):
    """BEGIN READ ONLY, statement_timeout and lock_timeout for this query only, ROLLBACK."""

    def run(self, sql: str, timeout: float, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        conn: Any = self.driver.conn  # type: ignore[attr-defined]
        ms = max(1, round(timeout * 1000))
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(f"SET LOCAL statement_timeout = {ms}")
                conn.execute(f"SET LOCAL lock_timeout = {ms}")
                if self.search_path is not None:  # as the migration set it before this statement
                    conn.execute(f"SET LOCAL search_path TO {self.search_path}")
                rows = conn.execute(sql, params or None).fetchall()
                raise _Done(rows)  # roll back: nothing to keep
        except _Done as done:
            return done.rows
        except (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable):
            raise TimedOut() from None
        except psycopg.Error as exc:
            if conn.closed:
                raise _lost(exc) from None
            raise Failed(str(exc).strip().splitlines()[0]) from None


def _lost(exc: Exception) -> ConnectError:
    return ConnectError(
        f"lost the connection to the database during a read-only check: {exc}",
        hint="nothing was applied; run the command again once the database answers",
    )


class _Done(Exception):
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows


# MariaDB: ER_STATEMENT_TIMEOUT; MySQL: ER_QUERY_TIMEOUT (MAX_EXECUTION_TIME);
# lock wait timeout (1205) when a metadata lock holds the table past it
_MYSQL_TIMEOUTS = {1969, 3024, 1205}


class MysqlReader(Reader):
    """A READ ONLY transaction; MariaDB's SET STATEMENT max_statement_time, MySQL's
    MAX_EXECUTION_TIME hint."""

    def run(self, sql: str, timeout: float, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import pymysql

        conn: Any = self.driver.conn  # type: ignore[attr-defined]
        mariadb = "mariadb" in self.driver.about().lower()
        wait = max(1, round(timeout))
        if mariadb:
            limits = f"max_statement_time={timeout:.3f}, lock_wait_timeout={wait}"
            text = f"SET STATEMENT {limits} FOR {sql}"
        else:
            text = sql.replace(
                "SELECT", f"SELECT /*+ MAX_EXECUTION_TIME({round(timeout * 1000)}) */", 1
            )
        try:
            with conn.cursor() as cur:
                cur.execute("START TRANSACTION READ ONLY")
                try:
                    cur.execute(text, params or None)
                    return list(cur.fetchall())
                finally:
                    cur.execute("ROLLBACK")
        except pymysql.Error as exc:
            code = exc.args[0] if exc.args else None
            if code in _MYSQL_TIMEOUTS:
                raise TimedOut() from None
            if code in (2006, 2013, 2055):  # server gone, lost during the query
                raise _lost(exc) from None
            raise Failed(str(exc.args[1] if len(exc.args) > 1 else exc)) from None


class SqliteReader(Reader):
    """A progress handler interrupts the query at its deadline; the connection only reads."""

    def run(self, sql: str, timeout: float, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn: sqlite3.Connection = self.driver.conn  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            return list(conn.execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise TimedOut() from None
            raise Failed(str(exc)) from None
        finally:
            conn.set_progress_handler(None, 0)


READERS: dict[str, type[Reader]] = {
    "postgres": PostgresReader,
    "mysql": MysqlReader,
    "sqlite": SqliteReader,
}

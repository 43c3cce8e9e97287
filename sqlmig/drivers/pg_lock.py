"""PostgreSQL's migration lock: a session advisory lock on a connection of its own.

The key is hashed from the database and the history table's schema-qualified name, resolved
once when sqlmig connects, so nothing a migration does to its session can change it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg

from ..errors import LockTimeout, UsageError
from .pg_session import LockProof

KEY = "pg_catalog.hashtextextended(pg_catalog.current_database() || '/' || %s, 0)"
HOLDER = """SELECT a.pid, a.application_name, a.client_addr::text, a.usename, a.backend_start
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_catalog.pg_database
                    WHERE datname = pg_catalog.current_database())
  AND ((l.classid::int8 << 32) | l.objid::int8) = %s"""
# The lock session sits idle for as long as the run lasts: the server's idle timeouts (settable
# by any user, where the server has them) must not end it.
NO_TIMEOUTS = (
    "SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name IN "
    "('idle_session_timeout', 'idle_in_transaction_session_timeout', 'statement_timeout', "
    "'transaction_timeout')"
)
POOLER = (
    "sqlmig is connected through a connection pooler (PgBouncer or similar): the server "
    "session is pid {server}, not the pid {announced} the connection announced. Behind "
    "pool_mode = transaction (or statement) the session advisory lock that keeps two runners "
    "apart would be taken on one server connection and released on another, or left behind"
)


def acquire(
    conn: psycopg.Connection,
    name: str,
    timeout: float,
    on_wait: Callable[[str], None] | None,
) -> LockProof:
    """Take the lock for `name` (schema.table) on `conn`, polling until `timeout`."""
    deadline = time.monotonic() + timeout
    announced = conn.info.backend_pid
    conn.execute(NO_TIMEOUTS)
    key, got, server, started = conn.execute(  # type: ignore[misc]
        "SELECT k, CASE WHEN pg_catalog.pg_backend_pid() = %s THEN "
        "pg_catalog.pg_try_advisory_lock(k) END, pg_catalog.pg_backend_pid(), "
        "(SELECT backend_start::text FROM "
        "pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid()) "
        f"FROM (SELECT {KEY} AS k) s",
        (announced, name),
    ).fetchone()
    if got is None:  # never locked: nothing is left behind on a pooled server connection
        raise UsageError(
            POOLER.format(server=server, announced=announced),
            hint="point sqlmig's --url at PostgreSQL itself, not at the pooler (PgBouncer's "
            "pool_mode = transaction cannot keep a session lock)",
        )
    delay, told = 0.02, False
    while not got:
        row = conn.execute(HOLDER, (key,)).fetchone()
        if not told and on_wait:
            on_wait(f"waiting for the migration lock, held by {_described(row)}")
            told = True
        if time.monotonic() >= deadline:
            raise _timed_out(row, timeout)
        time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
        delay = min(delay * 1.5, 0.25)
        got = conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s)", (key,)).fetchone()[0]  # type: ignore[index]
    return LockProof(pid=server, started=started, key=key)


def holder_row(conn: psycopg.Connection, name: str) -> tuple[Any, ...] | None:
    """The session holding the lock for `name`, or None: without waiting for it or taking it."""
    key = conn.execute(f"SELECT {KEY}", (name,)).fetchone()[0]  # type: ignore[index]
    return conn.execute(HOLDER, (key,)).fetchone()


# The lock holder's migration connection: same client process (application_name "sqlmig
# <pid>@<host>" next to the lock's "sqlmig-lock <pid>@<host>"), with a transaction open.
IN_FLIGHT = """SELECT m.xact_start::text, m.query FROM pg_catalog.pg_stat_activity m
WHERE m.datname = pg_catalog.current_database() AND m.application_name = %s
  AND m.xact_start IS NOT NULL AND m.pid <> %s"""


def in_flight(conn: psycopg.Connection, name: str) -> tuple[str, str] | None:
    """(since when, what SQL) the lock holder's migration transaction runs; None: unknown."""
    row = holder_row(conn, name)
    if row is None or not (row[1] or "").startswith("sqlmig-lock "):
        return None
    app = "sqlmig " + row[1].removeprefix("sqlmig-lock ")
    found = conn.execute(IN_FLIGHT, (app, row[0])).fetchall()
    return (found[0][0], found[0][1] or "") if len(found) == 1 else None


def describe_holder(conn: psycopg.Connection, key: int) -> str:
    return _described(conn.execute(HOLDER, (key,)).fetchone())


def _described(row: tuple[Any, ...] | None) -> str:
    return "another session (it may have just finished)" if row is None else describe(row)


def _timed_out(row: tuple[Any, ...] | None, timeout: float) -> LockTimeout:
    """The lock timeout, whose hint names the holder's pid (from pg_locks) to end it by."""
    if row is None:
        hint = "the holder let go just now: run the command again"
    else:
        hint = (
            f"wait for that run to finish, raise --lock-timeout, or, if server pid {row[0]} is "
            f"stuck, end it with SELECT pg_terminate_backend({row[0]})"
        )
    return LockTimeout(
        f"the migration lock is held by {_described(row)}; gave up after {timeout:g} s", hint=hint
    )


def describe(row: tuple[Any, ...]) -> str:
    pid, app, addr, user, since = row
    where = addr or "local socket"
    return f"pid {pid} ({app or 'no application_name'}, user {user}, from {where}, since {since})"

"""From the live database, read-only under a short time limit and never under the migration
lock: a table's estimated rows and size, and the sessions holding or waiting for a lock that
conflicts with the statement's."""

from __future__ import annotations

from .locks import CONFLICTS
from .model import Blocker, Facts
from .readonly import Failed, Reader, TimedOut

_PG_CLASS = """
SELECT c.reltuples::bigint, c.relpages::bigint * current_setting('block_size')::bigint
FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s)"""
_PG_SIZE = """
SELECT c.reltuples::bigint, pg_catalog.pg_total_relation_size(c.oid),
       pg_catalog.pg_relation_size(c.oid)
FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s)"""
# the command word only: a query's text can hold personal data or secrets, and plan's output
# goes to CI logs; pid and application_name are enough to find the session
_PG_BLOCKERS = """
SELECT a.pid, COALESCE(a.application_name, ''), COALESCE(a.state, ''), l.mode, l.granted,
       EXTRACT(EPOCH FROM now() - a.xact_start)::float8,
       upper(substring(ltrim(a.query) from '^[A-Za-z]+'))
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = to_regclass(%s)
  AND l.pid <> pg_backend_pid() AND l.mode = ANY(%s)
ORDER BY a.xact_start NULLS LAST"""
_MY_SIZE = """
SELECT TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, DATA_LENGTH FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s"""
# any open transaction that used the table holds a metadata lock DDL waits for; which table
# it used is not shown without performance_schema: the oldest open transactions are listed
_MY_TRX = """
SELECT p.ID, COALESCE(p.USER, ''), COALESCE(p.STATE, p.COMMAND, ''), t.trx_state,
       TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), UPPER(SUBSTRING_INDEX(TRIM(p.INFO), ' ', 1))
FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p
  ON p.ID = t.trx_mysql_thread_id
WHERE p.ID <> CONNECTION_ID() AND p.DB = COALESCE(%s, DATABASE())
ORDER BY t.trx_started LIMIT 10"""
TIMEOUT = 2.0
MYSQL_TRX = "an open transaction (it may hold a metadata lock on the table)"


def facts(reader: Reader, table: str, mode: str) -> Facts:
    try:
        if reader.dialect == "postgres":
            return _postgres(reader, table, mode)
        if reader.dialect == "mysql":
            return _mysql(reader, table)
    except TimedOut:
        return Facts(table, exists=True, error=f"the catalog did not answer within {TIMEOUT:g} s")
    except Failed as exc:
        return Facts(table, exists=True, error=str(exc))
    return Facts(table, exists=True)


def _postgres(reader: Reader, table: str, mode: str) -> Facts:
    """Sessions first: pg_locks takes no lock on the table, while the size functions wait
    behind an ACCESS EXCLUSIVE holder, which is when the sessions matter most."""
    name = table  # quoted as quote_ident writes it (trace.py, rules.py)
    estimate = reader.run(_PG_CLASS, TIMEOUT, (name,))
    if not estimate:
        return Facts(table, exists=False)
    tuples, pages_bytes = estimate[0]
    found = reader.run(_PG_BLOCKERS, TIMEOUT, (name, sorted(CONFLICTS.get(mode, ()))))
    blockers = tuple(
        Blocker(pid, app, state, m, granted, age, command or "")
        for pid, app, state, m, granted, age, command in found
    )
    rows = None if tuples < 0 else tuples
    try:
        _tuples, total, heap = reader.run(_PG_SIZE, TIMEOUT, (name,))[0]
    except TimedOut:
        note = f"size from pg_class.relpages: the table's lock held its size past {TIMEOUT:g} s"
        return Facts(table, True, rows, pages_bytes, pages_bytes, blockers, error=note)
    return Facts(table, True, rows, total, heap, blockers)


def _mysql(reader: Reader, table: str) -> Facts:
    schema, _, name = table.rpartition(".")
    rows = reader.run(_MY_SIZE, TIMEOUT, (schema or None, name))
    if not rows:
        return Facts(table, exists=False)
    tuples, total, heap = rows[0]
    found = reader.run(_MY_TRX, TIMEOUT, (schema or None,))
    blockers = tuple(
        Blocker(
            int(pid),
            user,
            state,
            MYSQL_TRX,
            trx != "LOCK WAIT",
            float(age or 0),
            command or "",
        )
        for pid, user, state, trx, age, command in found
    )
    return Facts(table, True, int(tuples or 0), int(total or 0), int(heap or 0), blockers)

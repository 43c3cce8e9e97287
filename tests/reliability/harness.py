"""Shared pieces of the reliability suite: ledger migrations, the exactly-once check, faults.

Every migration a reliability test writes creates an object WITHOUT `IF NOT EXISTS` and appends
its version to `ledger`, so a second run of it fails or leaves a second ledger row. Each test
ends with `assert_exactly_once`: every version has exactly one ledger row, and the history
table lists as applied exactly the versions the ledger has.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import query, write
from tests.integration.procs import Runner, sqlite_busy_statement, wait_until

FAULT_ENV = "SQLMIG_TEST_FAULT"
PG_SLEEPING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
)


MYSQL_SLEEPING = (
    "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
    "AND INFO LIKE 'SELECT SLEEP(%' AND ID <> CONNECTION_ID()"
)


def is_pg(url: str) -> bool:
    return url.startswith("postgres")


def is_mysql(url: str) -> bool:
    return url.startswith("mysql")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def atomic(url: str) -> bool:
    """Whether a migration and its history row commit together (not on MySQL: DDL commits)."""
    return not is_mysql(url)


def create_ledger(url: str) -> None:
    """The ledger lives outside the migrations, so that every version can write to it."""
    if is_pg(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE ledger (version int NOT NULL)")
    elif is_mysql(url):
        query(url, "CREATE TABLE ledger (version int NOT NULL)")
    else:
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.execute("CREATE TABLE ledger (version int NOT NULL)")
        conn.commit()
        conn.close()


def ledger_sql(version: int, extra: str = "") -> str:
    """A migration that must not run twice: a table without IF NOT EXISTS, and a ledger row."""
    return (
        f"CREATE TABLE t_{version} (id int);\n{extra}"
        f"INSERT INTO ledger (version) VALUES ({version});\n"
    )


def write_versions(
    folder: Path, versions: range | list[int], extra: dict[int, str] | None = None
) -> None:
    """NNNN_vN.up.sql (+ a down that undoes it) for each version; `extra` adds SQL to some."""
    for v in versions:
        write(
            folder,
            f"{v:04d}_v{v}",
            ledger_sql(v, (extra or {}).get(v, "")),
            f"DROP TABLE t_{v};\nDELETE FROM ledger WHERE version = {v};\n",
        )


def slow(url: str, seconds: float) -> str:
    if is_mysql(url):
        return f"SELECT SLEEP({seconds:g});\n"
    return (
        f"SELECT pg_sleep({seconds:g});\n" if is_pg(url) else sqlite_busy_statement(seconds) + ";\n"
    )


def sleeping(url: str) -> int:
    """Statements of slow() running on url's server now (PostgreSQL and MySQL; SQLite: 0)."""
    if not (is_pg(url) or is_mysql(url)):
        return 0
    return int(query(url, PG_SLEEPING if is_pg(url) else MYSQL_SLEEPING)[0][0])


def ledger_counts(url: str) -> dict[int, int]:
    rows = query(url, "SELECT version, count(*) FROM ledger GROUP BY version")
    return {int(v): int(n) for v, n in rows}


def history_rows(url: str, table: str = "sqlmig_history") -> dict[int, str]:
    """version -> status; {} when the history table does not exist."""
    if is_pg(url):
        exists = query(url, f"SELECT to_regclass('{table}') IS NOT NULL")[0][0]
    elif is_mysql(url):
        exists = query(
            url,
            "SELECT count(*) FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'",
        )[0][0]
    else:
        exists = query(url, f"SELECT count(*) FROM sqlite_master WHERE name = '{table}'")[0][0]
    if not exists:
        return {}
    return {int(v): s for v, s in query(url, f"SELECT version, status FROM {table}")}


def assert_exactly_once(url: str, applied: range | list[int] | set[int]) -> None:
    """Every version ran once; the history agrees with the ledger; `applied` is what ran."""
    counts = ledger_counts(url)
    assert all(n == 1 for n in counts.values()), f"applied more than once: {counts}"
    assert set(counts) == set(applied), f"ledger {sorted(counts)} != expected {sorted(applied)}"
    history = history_rows(url)
    recorded = {v for v, s in history.items() if s == "applied"}
    assert recorded == set(counts), f"history {history} disagrees with the ledger {counts}"


def advisory_locks(url: str) -> int:
    """Advisory locks held in url's database (PostgreSQL), by anyone."""
    sql = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return int(query(url, sql)[0][0])


def wait_in_slow(url: str, runner: Runner, label: str) -> None:
    """Return once `runner` is inside the slow statement of `label`."""
    runner.wait_for_stderr(f"applying {label}", timeout=30)
    if is_pg(url) or is_mysql(url):
        wait_until(lambda: sleeping(url) >= 1, 20, "the slow statement", alive=runner)
    else:
        time.sleep(0.5)
    assert runner.running(), runner.stderr


def secret_free(text: str, password: str) -> None:
    """`password` is nowhere in `text`: not raw, not percent-encoded (either way)."""
    from urllib.parse import quote

    for spelling in {password, quote(password, safe=""), quote(password)}:
        assert spelling not in text, f"password {spelling!r} printed:\n{text}"


def fault(spec: str) -> dict[str, str]:
    return {FAULT_ENV: spec}


def args(url: str, migrations: Path, *rest: str) -> list[str]:
    return ["--url", url, "--dir", str(migrations), *rest]


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def flock_free(path: str) -> bool:
    """Whether the SQLite migration lock (a flock on the database file) is free now."""
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def mysql_lock_free(url: str, table: str = "sqlmig_history") -> bool:
    """Whether sqlmig's GET_LOCK lock for url's database and `table` is free now."""
    from sqlmig.drivers.mysql import lock_name

    name = lock_name(url.rsplit("/", 1)[1], table)
    return query(url, f"SELECT IS_FREE_LOCK('{name}')")[0][0] == 1


def lock_free(url: str) -> bool:
    if is_mysql(url):
        return mysql_lock_free(url)
    return advisory_locks(url) == 0 if is_pg(url) else flock_free(sqlite_path(url))

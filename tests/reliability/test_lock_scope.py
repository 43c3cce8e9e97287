"""Scenarios 3 and 5: what the migration lock covers.

3. (MariaDB) A runner that waited for the lock reads the history after it gets the lock:
   whatever the holder applied meanwhile is skipped, not applied a second time (which would
   fail on its CREATE TABLE, or add a second ledger row). SQLite and PostgreSQL: the same in
   tests/integration/test_concurrency.py, with slow statements instead of a fault point.
5. (SQLite, PostgreSQL, MariaDB) The lock is scoped to the database and the history table:
   while one runner holds it, runners on another history table of the same database, or on
   another database of the same server, neither wait nor time out. (SQLite locks the database
   file, so there only another database applies: two history tables in one file share the
   file's single writer anyway.)
The holder stops at a fault point, which works the same on every database.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import sqlmig
from tests.integration.procs import Runner
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    fault,
    history_rows,
    is_sqlite,
    ledger_counts,
    lock_free,
    write_versions,
)

pytestmark = pytest.mark.timeout(60)
WAITING = "waiting for the migration lock"


def test_waiter_reads_the_history_after_the_lock(
    ledger_mysql: str, migrations: Path, tmp_path: Path
) -> None:
    url = ledger_mysql
    write_versions(migrations, range(1, 4))
    later = tmp_path / "later"  # the waiter also knows a version the holder does not
    later.mkdir()
    write_versions(later, range(1, 5))
    holder = Runner(*args(url, migrations, "up"), env=fault("after_lock:sleep=3"))
    runners = [holder]
    try:
        holder.wait_for_stderr("sqlmig-test-fault: after_lock", timeout=30)
        waiter = Runner(*args(url, later, "--lock-timeout", "30", "up"))
        runners.append(waiter)
        waiter.wait_for_stderr(WAITING, timeout=20)
        assert holder.running(), "the holder finished before the waiter waited: no overlap"
        first, second = holder.finish(timeout=30), waiter.finish(timeout=30)
    finally:
        for runner in runners:
            runner.kill()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "applied 0003_v3" in first.stderr
    assert "applying 0001" not in second.stderr and "applying 0003" not in second.stderr
    assert "applied 0004_v4" in second.stderr, second.stderr
    assert_exactly_once(url, range(1, 5))


def test_other_tables_and_databases_do_not_wait(
    ledger_any: str, sibling_db: str, migrations: Path
) -> None:
    write_versions(migrations, [1])
    holder = Runner(*args(ledger_any, migrations, "up"), env=fault("after_lock:sleep=30"))
    try:
        holder.wait_for_stderr("sqlmig-test-fault: after_lock", timeout=30)
        assert not lock_free(ledger_any)
        others = [(ledger_any, "other_history"), (sibling_db, "sqlmig_history")]
        if is_sqlite(ledger_any):  # one lock per file there (flock): a file has one writer
            others = others[1:]
        for url, table in others:
            start = time.monotonic()
            done = sqlmig(*args(url, migrations, "--table", table, "--lock-timeout", "5", "up"))
            took = time.monotonic() - start
            assert done.returncode == 0, (url, table, done.stderr)
            assert WAITING not in done.stderr and took < 5, (took, done.stderr)
            assert history_rows(url, table) == {1: "applied"}
        assert holder.running(), "the holder let go early: the runners above proved nothing"
        assert not lock_free(ledger_any)
    finally:
        holder.kill()
        holder.finish(timeout=10)
    assert history_rows(ledger_any) == {}  # the holder never got past its sleep
    assert ledger_counts(ledger_any) == ({} if is_sqlite(ledger_any) else {1: 1})  # other_history
    assert_exactly_once(sibling_db, [1])

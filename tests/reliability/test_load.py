"""Scenarios 2 and 9: many runners at once.

2. Ten processes each loop `up --steps 1` until a run applies nothing: together they apply
   every version exactly once, in order (SQLite, PostgreSQL, MariaDB).
9. A no-transaction file with CREATE INDEX CONCURRENTLY while six other runners wait for the
   migration lock: no deadlock (the index build waits for other transactions; the waiters poll
   the lock from autocommit connections, outside any transaction), never a session idle in
   transaction, and the index is valid.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write
from tests.integration.procs import Runner
from tests.reliability.harness import args, assert_exactly_once, fault, write_versions

pytestmark = pytest.mark.timeout(180)
VERSIONS = range(1, 7)


def _loop(url: str, migrations: Path, log: list[tuple[int, list[int]]]) -> None:
    for _ in range(len(VERSIONS) + 2):
        done = sqlmig(
            *args(url, migrations, "--lock-timeout", "60", "--json", "up", "--steps", "1")
        )
        applied = (
            [int(s["version"]) for s in json.loads(done.stdout).get("steps", [])]
            if done.stdout
            else []
        )
        log.append((done.returncode, applied))
        if done.returncode != 0 or not applied:
            return


def test_ten_processes_looping_up_steps_1(ledger_any: str, migrations: Path) -> None:
    write_versions(migrations, VERSIONS)
    logs: list[list[tuple[int, list[int]]]] = [[] for _ in range(10)]
    threads = [threading.Thread(target=_loop, args=(ledger_any, migrations, log)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    assert not any(t.is_alive() for t in threads)
    runs = [run for log in logs for run in log]
    assert all(code == 0 for code, _ in runs), runs
    applied = [v for _, vs in runs for v in vs]
    assert sorted(applied) == list(VERSIONS), f"each version once, got {sorted(applied)}"
    assert all(len(vs) <= 1 for _, vs in runs)
    assert all(log[-1] == (0, []) for log in logs)  # every loop ended on "nothing to do"
    assert_exactly_once(ledger_any, VERSIONS)


# A session that sits idle in a transaction (over a second: between two statements of a
# transaction a busy machine shows a few milliseconds of it) would hold back CREATE INDEX
# CONCURRENTLY, which waits for every older transaction.
IDLE_IN_TX = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state LIKE 'idle in transaction%' AND now() - state_change > interval '1 second'"
)


def test_create_index_concurrently_while_six_runners_wait(ledger_pg: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_big",
        "CREATE TABLE big (id int, v int);\n"
        "INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 200000) g;\n"
        "INSERT INTO ledger (version) VALUES (1);\n",
    )
    write(
        migrations,
        "0002_index",
        "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY big_v ON big (v);\n"
        "INSERT INTO ledger (version) VALUES (2);\n",
    )
    write_versions(migrations, [3])
    assert sqlmig(*args(ledger_pg, migrations, "up", "--to", "1")).returncode == 0
    # the holder waits before the index build long enough for all six to reach the lock
    holder = Runner(*args(ledger_pg, migrations, "up"), env=fault("before_migration:2:sleep=5"))
    holder.wait_for_stderr("sqlmig-test-fault: before_migration:2", timeout=30)
    waiters = [Runner(*args(ledger_pg, migrations, "--lock-timeout", "60", "up")) for _ in range(6)]
    seen: list[int] = []
    deadline = time.monotonic() + 90
    while any(r.running() for r in [holder, *waiters]) and time.monotonic() < deadline:
        seen.append(int(query(ledger_pg, IDLE_IN_TX)[0][0]))
        time.sleep(0.05)
    results = [r.finish(timeout=30) for r in [holder, *waiters]]
    assert [r.returncode for r in results] == [0] * 7, [r.stderr for r in results]
    assert results[0].seconds < 60, "the index build waited for the waiters: a deadlock"
    assert "applied 0002_index" in results[0].stderr
    waited = [r for r in results[1:] if "waiting for the migration lock" in r.stderr]
    assert len(waited) == 6, "not every runner met the lock: the scenario did not happen"
    assert max(seen) == 0, f"a session sat idle in transaction ({len(seen)} samples)"
    valid = query(
        ledger_pg,
        "SELECT i.indisvalid, i.indisready FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'big_v'",
    )
    assert valid == [(True, True)]
    assert_exactly_once(ledger_pg, [1, 2, 3])

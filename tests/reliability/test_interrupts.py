"""Scenarios 11 and 10: Ctrl-C mid-migration, and readers that never wait for the lock.

11. SIGINT (Ctrl-C) while a statement runs: the statement is cancelled, the transaction rolled
    back, the lock released at once, exit 130 within a few
    seconds; every version is then applied exactly once. (SIGTERM, also as PID 1, is
    tests/containers/test_signals.py.)
10. `status`, `validate`, `history` and `current` answer promptly while another runner holds
    the migration lock, sleeping right after taking it or holding an open migration transaction
    (on MariaDB, where files run statement by statement: stopped between two statements).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import sqlmig, write
from tests.integration.procs import Runner
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    atomic,
    fault,
    is_pg,
    ledger_counts,
    ledger_sql,
    lock_free,
    slow,
    wait_in_slow,
    write_versions,
)

pytestmark = pytest.mark.timeout(90)


def test_ctrl_c_cancels_rolls_back_and_frees_the_lock(ledger_db: str, migrations: Path) -> None:
    write_versions(migrations, range(1, 4), extra={2: slow(ledger_db, 60)})
    runner = Runner(*args(ledger_db, migrations, "up"))
    wait_in_slow(ledger_db, runner, "0002_v2")
    sent = time.monotonic()
    os.kill(runner.pid, signal.SIGINT)
    done = runner.finish(timeout=15)
    assert done.returncode == 130, done.stderr
    assert time.monotonic() - sent < 5, f"took {time.monotonic() - sent:.1f} s to stop"
    assert "rolled back" in done.stderr and "Traceback" not in done.stderr, done.stderr
    deadline = time.monotonic() + 5  # PostgreSQL: the server drops the lock as the socket closes
    while not lock_free(ledger_db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock_free(ledger_db)
    assert ledger_counts(ledger_db) == {1: 1}  # 2's ledger row was rolled back with it
    assert_exactly_once(ledger_db, [1])
    write_versions(migrations, [2])  # the slow statement is gone; 2 was never applied
    again = sqlmig(*args(ledger_db, migrations, "--lock-timeout", "5", "up"))
    assert again.returncode == 0, again.stderr
    assert_exactly_once(ledger_db, range(1, 4))


# where the holder stops, holding the lock: right after taking it, or mid-migration - inside the
# migration's open transaction, or on MySQL (no transaction) between two statements of a file
HOLDING = {
    "after_lock": ("after_lock:sleep=30", "after_lock:sleep=30"),
    "mid_migration": ("before_commit:2:hang", "after_statement:1:hang"),
}


@pytest.mark.parametrize("holding", sorted(HOLDING))
def test_readers_never_wait_for_the_migration_lock(
    ledger_any: str, migrations: Path, holding: str
) -> None:
    url = ledger_any
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(url, migrations, "up", "--to", "1")).returncode == 0
    spec = HOLDING[holding][0 if atomic(url) else 1]
    running = spec.startswith("after_statement")  # MySQL: 2's `running` row is visible at once
    holder = Runner(*args(url, migrations, "up"), env=fault(spec))
    holder.wait_for_stderr("sqlmig-test-fault:", timeout=30)
    try:
        assert not lock_free(url), "the holder does not hold the lock: the test proves nothing"
        for command in (["status"], ["validate"], ["history"], ["current"]):
            start = time.monotonic()
            done = sqlmig(*args(url, migrations, "--lock-timeout", "60", *command), timeout=30)
            took = time.monotonic() - start
            # a `running` row whose run still holds the lock is no partial state: no exit 5
            assert done.returncode == 0, (command, done.stderr)
            assert took < 4, f"{command} took {took:.1f} s: it waited for the lock"
        status = sqlmig(*args(url, migrations, "status", "--exit-code"))
        assert status.returncode == 8, status.stdout + status.stderr
        # PostgreSQL sees the holder's open transaction running 0002 (pg_stat_activity): applying
        seen = running or (holding == "mid_migration" and is_pg(url))
        state = "applying" if seen else "pending "
        assert f"{state} 0002_v2" in status.stdout, status.stdout
        if running:
            assert "0002_v2: being applied now by " in status.stdout, status.stdout
    finally:
        holder.kill()
        holder.finish(timeout=10)
    assert_exactly_once(url, [1])
    if running:  # the run died: now its `running` row is a partial state that needs repair
        deadline = time.monotonic() + 5
        while not lock_free(url) and time.monotonic() < deadline:
            time.sleep(0.05)
        after = sqlmig(*args(url, migrations, "validate"))
        assert after.returncode == 5, after.stdout + after.stderr
        assert "running  0002_v2" in sqlmig(*args(url, migrations, "status")).stdout


def test_a_live_no_transaction_run_is_applying_until_it_dies(
    ledger_db: str, migrations: Path
) -> None:
    """A `-- sqlmig:no-transaction` file shows a `running` row while it runs: readers report it as
    being applied (the lock is held), and as a partial state only once its run is gone."""
    url = ledger_db
    write_versions(migrations, [1])
    write(migrations, "0002_nt", "-- sqlmig:no-transaction\n" + ledger_sql(2))
    holder = Runner(*args(url, migrations, "up"), env=fault("after_statement:1:hang"))
    holder.wait_for_stderr("sqlmig-test-fault:", timeout=30)
    try:
        status = sqlmig(*args(url, migrations, "status", "--exit-code"))
        assert status.returncode == 8, status.stdout + status.stderr
        assert "applying 0002_nt" in status.stdout
        holder_named = f"(sqlmig-lock {holder.pid}@" if is_pg(url) else f"by pid {holder.pid} ("
        assert holder_named in status.stdout, status.stdout
        valid = sqlmig(*args(url, migrations, "validate"))
        assert valid.returncode == 0, valid.stdout + valid.stderr
        assert "0002_nt is being applied now by" in valid.stdout
    finally:
        holder.kill()
        holder.finish(timeout=10)
    deadline = time.monotonic() + 5
    while not lock_free(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    after = sqlmig(*args(url, migrations, "status", "--exit-code"))
    assert after.returncode == 5, after.stdout + after.stderr
    assert "running  0002_nt" in after.stdout
    assert sqlmig(*args(url, migrations, "validate")).returncode == 5


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_ctrl_c_between_statements_says_what_stays(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    """A no-transaction file (PostgreSQL) or any file (MariaDB) runs statement by statement:
    after Ctrl-C the message must not say "rolled back" for statements that stay applied."""
    url = request.getfixturevalue(f"ledger_{kind}")
    no_tx = "" if kind == "mysql" else "-- sqlmig:no-transaction\n"
    write(migrations, "0001_steps", no_tx + ledger_sql(1) + slow(url, 60))
    runner = Runner(*args(url, migrations, "up"))
    wait_in_slow(url, runner, "0001_steps")
    os.kill(runner.pid, signal.SIGINT)
    done = runner.finish(timeout=15)
    assert done.returncode == 130, done.stderr
    assert "rolled back" not in done.stderr, done.stderr
    assert "2 statement(s) ran and stay applied" in done.stderr, done.stderr
    assert "0001_steps.up.sql" in done.stderr and "statement 3" in done.stderr, done.stderr
    assert ledger_counts(url) == {1: 1}


def test_a_run_stopped_between_creating_the_history_tables_is_not_stuck(
    any_url: str, migrations: Path
) -> None:
    """Ctrl-C (or a lost connection) after the first CREATE TABLE of a new history: the next
    `up` must create the rest, not fail on a missing log table forever (found by a fleet's
    Ctrl-C landing there on SQLite)."""
    from sqlmig.drivers import connect
    from sqlmig.history import History
    from sqlmig.urls import parse_url

    driver = connect(parse_url(any_url), table="sqlmig_history")
    plain = driver.execute
    calls: list[str] = []

    def stop_at_the_second(sql: str, *args: object, **kwargs: object) -> object:
        calls.append(sql)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return plain(sql, *args, **kwargs)

    driver.execute = stop_at_the_second  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            History(driver, "sqlmig_history").ensure()
    finally:
        driver.close()
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    proc = sqlmig("--url", any_url, "--dir", str(migrations), "up")
    assert proc.returncode == 0, proc.stderr
    assert "applied 0001_a" in proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_json_of_an_interrupted_run_gives_the_exit_code_the_process_has(
    sqlite_url: str, migrations: Path, signum: int
) -> None:
    """README: an error document's exit_code is the process's too (it said 1 for 130/143)."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT, clean_env

    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    env = clean_env({"PYTHONPATH": str(ROOT), "SQLMIG_TEST_FAULT": "after_lock:hang"})
    argv = [sys.executable, "-m", "sqlmig", "--json", "--url", sqlite_url, "--dir",
            str(migrations), "up"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stderr is not None
    while "sqlmig-test-fault: after_lock" not in (line := proc.stderr.readline()):
        assert line, "sqlmig ended before it held the lock"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    expected = 143 if signum == signal.SIGTERM else 130
    assert proc.returncode == expected, err
    error = json.loads(out)["error"]
    assert (error["kind"], error["exit_code"]) == ("interrupted", expected)

"""SIGTERM during `up`, as `docker stop` or Kubernetes sends it: cancel, roll back, free the lock.

A real `sqlmig up` process is signalled while a slow statement runs, on PostgreSQL, SQLite and
MariaDB, as an ordinary child and as PID 1 of its own PID namespace (where a process without a
SIGTERM handler would not die at all). On MariaDB there is no transaction to roll back (DDL
commits by itself): the statement is killed on the server, the file is recorded as failed after
the statements that completed, and the lock is free; `up` then exits 5 until `repair`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import clean_env, query, skip_or_fail, sqlmig, write
from tests.integration.procs import Runner, sqlite_busy_statement, wait_until

pytestmark = pytest.mark.timeout(60)
SLOW_S = 60  # far longer than the test waits: only a cancel can end it in time


def _slow(url: str) -> str:
    if url.startswith("sqlite"):
        return sqlite_busy_statement(SLOW_S) + ";\n"
    if url.startswith("mysql"):
        return f"SELECT SLEEP({SLOW_S});\n"
    return f"SELECT pg_sleep({SLOW_S});\n"


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        return {r[0] for r in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if url.startswith("mysql"):
        return {r[0] for r in query(url, "SHOW TABLES")}
    sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {r[0] for r in query(url, sql)}


SLEEPING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
)
MYSQL_SLEEPING = (
    "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
    "AND INFO LIKE 'SELECT SLEEP(%' AND ID <> CONNECTION_ID()"
)


def _sleeping(url: str) -> int:
    return int(query(url, MYSQL_SLEEPING if url.startswith("mysql") else SLEEPING)[0][0])


def _layout(migrations: Path) -> None:
    write(migrations, "0001_first", "CREATE TABLE first (id int);\n")
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n" + "-- placeholder\n")


def _in_slow_statement(url: str, runner: Runner) -> None:
    runner.wait_for_stderr("applying 0002_slow", timeout=30)
    if url.startswith("sqlite"):
        time.sleep(0.5)
    else:
        wait_until(lambda: _sleeping(url) == 1, 15, "the sleep to run", alive=runner)
    assert runner.running(), runner.stderr


def _check_after(url: str, migrations: Path, code: int, seconds: float, stderr: str) -> None:
    assert code == 143, stderr
    assert seconds < 5, f"took {seconds:.1f} s to exit after SIGTERM:\n{stderr}"
    if url.startswith("mysql"):
        _check_after_mysql(url, migrations, stderr)
        return
    assert "interrupted" in stderr and "rolled back" in stderr, stderr
    assert "half" not in _tables(url), "the interrupted migration left a table behind"
    assert query(url, "SELECT version FROM sqlmig_history ORDER BY version") == [(1,)]
    # the lock is free: a second run gets it at once and applies the (now fast) migration
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n")
    again = sqlmig("--url", url, "--dir", str(migrations), "up", "--lock-timeout", "2")
    assert again.returncode == 0, again.stderr
    assert "half" in _tables(url)


def _check_after_mysql(url: str, migrations: Path, stderr: str) -> None:
    """MySQL: CREATE TABLE half committed by itself; the sleep was killed on the server; the
    file is recorded as failed after 1 statement, and the lock is free (exit 5, not 3)."""
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert _sleeping(url) == 0, "the server still runs the interrupted statement"
    rows = query(url, "SELECT version, status, statements_done, error FROM sqlmig_history")
    assert [r[:3] for r in sorted(rows)] == [(1, "applied", 1), (2, "failed", 1)], rows
    assert "interrupted during statement 2" in sorted(rows)[1][3]
    again = sqlmig("--url", url, "--dir", str(migrations), "up", "--lock-timeout", "2")
    assert again.returncode == 5, again.stderr
    assert "repair" in again.stderr


def test_sigterm_during_a_slow_statement(any_url: str, migrations: Path) -> None:
    _layout(migrations)
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n" + _slow(any_url))
    runner = Runner("--url", any_url, "--dir", str(migrations), "up")
    try:
        _in_slow_statement(any_url, runner)
        signalled = time.monotonic()
        os.kill(runner.pid, signal.SIGTERM)
        done = runner.finish(timeout=20)
    finally:
        runner.kill()
    _check_after(any_url, migrations, done.returncode, time.monotonic() - signalled, done.stderr)


def _child_of(pid: int) -> int:
    """The one child of `pid` (the process `unshare --fork` started), once it exists."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    found: list[int] = []

    def has_child() -> bool:
        found[:] = [int(p) for p in path.read_text().split()]
        return bool(found)

    wait_until(has_child, 10, f"a child of pid {pid}")
    return found[0]


def _pid_namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--kill-child", "true"], capture_output=True, timeout=10
    )
    return probe.returncode == 0


def test_sigterm_to_pid_1_of_a_pid_namespace(pg_url: str, migrations: Path) -> None:
    """As PID 1 (a container's entrypoint) a signal without a handler is ignored: sqlmig has one."""
    if not _pid_namespaces_work():
        skip_or_fail("needs unshare --pid (root in a VM or on a host)")
    _layout(migrations)
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n" + _slow(pg_url))
    runner = Runner("--url", pg_url, "--dir", str(migrations), "up")
    runner.proc.kill()  # only its argv was wanted; run the same under unshare below
    runner.finish(timeout=10)
    argv = ["unshare", "--pid", "--fork", "--kill-child", "--", *runner.proc.args]
    outer = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        child = _child_of(outer.pid)
        nspid = [
            ln
            for ln in Path(f"/proc/{child}/status").read_text().splitlines()
            if ln.startswith("NSpid:")
        ]
        assert nspid and nspid[0].split()[-1] == "1", nspid  # PID 1 inside its namespace
        wait_until(lambda: query(pg_url, SLEEPING)[0][0] == 1, 30, "pg_sleep to run")
        signalled = time.monotonic()
        os.kill(child, signal.SIGTERM)
        _out, err = outer.communicate(timeout=20)
    finally:
        outer.kill()
    _check_after(pg_url, migrations, outer.returncode, time.monotonic() - signalled, err)


def _env() -> dict[str, str]:
    return clean_env()

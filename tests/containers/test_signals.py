"""SIGTERM during `up`, as `docker stop` or Kubernetes sends it: cancel, roll back, free the lock.

A real `sqlmig up` process is signalled while a slow statement runs, on PostgreSQL and SQLite,
as an ordinary child and as PID 1 of its own PID namespace (where a process without a SIGTERM
handler would not die at all).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import query, skip_or_fail, sqlmig, write
from tests.integration.procs import Runner, sqlite_busy_statement, wait_until

SLOW_S = 60  # far longer than the test waits: only a cancel can end it in time


def _slow(url: str) -> str:
    if url.startswith("sqlite"):
        return sqlite_busy_statement(SLOW_S) + ";\n"
    return f"SELECT pg_sleep({SLOW_S});\n"


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        return {r[0] for r in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {r[0] for r in query(url, sql)}


SLEEPING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
)


def _layout(migrations: Path) -> None:
    write(migrations, "0001_first", "CREATE TABLE first (id int);\n")
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n" + "-- placeholder\n")


def _in_slow_statement(url: str, runner: Runner) -> None:
    runner.wait_for_stderr("applying 0002_slow", timeout=30)
    if url.startswith("sqlite"):
        time.sleep(0.5)
    else:
        wait_until(lambda: query(url, SLEEPING)[0][0] == 1, 15, "pg_sleep to run", alive=runner)
    assert runner.running(), runner.stderr


def _check_after(url: str, migrations: Path, code: int, seconds: float, stderr: str) -> None:
    assert code == 143, stderr
    assert seconds < 5, f"took {seconds:.1f} s to exit after SIGTERM:\n{stderr}"
    assert "interrupted" in stderr and "rolled back" in stderr, stderr
    assert "half" not in _tables(url), "the interrupted migration left a table behind"
    assert query(url, "SELECT version FROM sqlmig_history ORDER BY version") == [(1,)]
    # the lock is free: a second run gets it at once and applies the (now fast) migration
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n")
    again = sqlmig("--url", url, "--dir", str(migrations), "up", "--lock-timeout", "2")
    assert again.returncode == 0, again.stderr
    assert "half" in _tables(url)


def test_sigterm_during_a_slow_statement(db_url: str, migrations: Path) -> None:
    _layout(migrations)
    write(migrations, "0002_slow", "CREATE TABLE half (id int);\n" + _slow(db_url))
    runner = Runner("--url", db_url, "--dir", str(migrations), "up")
    try:
        _in_slow_statement(db_url, runner)
        signalled = time.monotonic()
        os.kill(runner.pid, signal.SIGTERM)
        done = runner.finish(timeout=20)
    finally:
        runner.kill()
    _check_after(db_url, migrations, done.returncode, time.monotonic() - signalled, done.stderr)


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
    return {k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_")}

"""Concurrency guarantees of `sqlmig up`, checked with real OS processes on SQLite and PostgreSQL.

DESIGN.md, "Guarantees": concurrent runners apply each migration exactly once; the lock is scoped
to database + history table, taken before the history is read, bounded by --lock-timeout and
released when the process dies; a migration and its history row commit together, so a crash
leaves it wholly applied or not at all.

Slow statements: PostgreSQL has pg_sleep(); SQLite has no sleep, so a recursive CTE counts to a
number measured to take the wanted time (tests/integration/procs.py). Every migration that must
not run twice creates a table without IF NOT EXISTS and appends its version to `ledger`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write
from tests.integration.procs import Runner, release_all, sqlite_busy_statement, wait_until

RUNNERS = 10
VERSIONS = range(1, 9)


def is_pg(url: str) -> bool:
    return url.startswith("postgres")


def slow(url: str, seconds: float) -> str:
    """A statement that takes about `seconds` (at least) on the database behind url."""
    return f"SELECT pg_sleep({seconds:g})" if is_pg(url) else sqlite_busy_statement(seconds)


def table_exists(url: str, name: str) -> bool:
    if is_pg(url):
        return query(url, f"SELECT to_regclass('{name}') IS NOT NULL")[0][0]
    return bool(query(url, f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{name}'"))


def ledger(url: str) -> list[tuple[int, int]]:
    """(version, how many times it was inserted), by version."""
    rows = query(url, "SELECT version, count(*) FROM ledger GROUP BY version ORDER BY version")
    return [(int(v), int(n)) for v, n in rows]


def history(url: str, table: str = "sqlmig_history") -> list[tuple[int, str]]:
    rows = query(url, f"SELECT version, status FROM {table} ORDER BY version")
    return [(int(v), s) for v, s in rows]


def up_events(url: str, table: str = "sqlmig_history") -> list[tuple[int, str, int]]:
    """(version, outcome, count) of the `up` events in the log."""
    rows = query(
        url,
        f"SELECT version, outcome, count(*) FROM {table}_log WHERE event = 'up' "
        "GROUP BY version, outcome ORDER BY version, outcome",
    )
    return [(int(v), o, int(n)) for v, o, n in rows]


def once(versions: range | list[int]) -> list[tuple[int, int]]:
    return [(v, 1) for v in versions]


def wait_in_slow_statement(url: str, runner: Runner, label: str) -> None:
    """Return once `runner` is inside the slow statement of migration `label`.

    PostgreSQL: its connection (application_name "sqlmig <os pid>@host") is seen running
    pg_sleep. SQLite: it announced `applying <label>`, and half a second later it is still
    running and has not announced `applied <label>`.
    """
    runner.wait_for_stderr(f"applying {label}", timeout=20)
    if is_pg(url):
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            f"AND state = 'active' AND query LIKE '%pg_sleep%' "
            f"AND application_name LIKE 'sqlmig {runner.pid}@%'"
        )
        wait_until(
            lambda: query(url, sql)[0][0] == 1,
            10,
            f"pid {runner.pid} to be in pg_sleep",
            alive=runner,
            interval=0.05,
        )
    else:
        time.sleep(0.5)
    assert runner.running(), f"{runner.describe()} ended early:\n{runner.stderr}"
    assert f"applied {label}" not in runner.stderr


@pytest.fixture
def spawn() -> Iterator[list[Runner]]:
    """A list to put Runners in; whatever still runs at the end is killed and reaped."""
    runners: list[Runner] = []
    yield runners
    for runner in runners:
        runner.kill()
        runner.proc.wait(timeout=10)


@pytest.mark.timeout(90)
def test_ten_runners_at_once_apply_each_migration_exactly_once(
    db_url: str, migrations: Path, spawn: list[Runner]
) -> None:
    for v in VERSIONS:
        # the first holds the lock for a while, so that the runners surely meet at it even
        # when a busy machine delays some of them (all eight take under 0.1 s otherwise)
        first = f"CREATE TABLE ledger (version int);\n{slow(db_url, 1.5)};\n" if v == 1 else ""
        write(
            migrations,
            f"{v:04d}_step{v}",
            f"{first}CREATE TABLE ledger_src_{v} (id int);\nINSERT INTO ledger VALUES ({v});\n",
        )
    args = ("--url", db_url, "--dir", str(migrations), "up")
    spawn += [Runner(*args, gated=True) for _ in range(RUNNERS)]
    release_all(spawn)
    done = [r.finish(timeout=60) for r in spawn]

    report = "\n".join(f"--- exit {d.returncode}\n{d.stderr}" for d in done)
    assert [d.returncode for d in done] == [0] * RUNNERS, report
    assert ledger(db_url) == once(VERSIONS)
    assert history(db_url) == [(v, "applied") for v in VERSIONS]
    assert up_events(db_url) == [(v, "ok", 1) for v in VERSIONS]
    # each migration was attempted by one runner only (no attempt rolled back by a failure)
    attempts = [line for d in done for line in d.stderr.splitlines() if line.startswith("applying")]
    assert sorted(attempts) == [f"applying {v:04d}_step{v}" for v in VERSIONS], report
    # the runners really did meet at the lock: otherwise this test proved nothing
    assert any("waiting for the migration lock" in d.stderr for d in done), report


@pytest.mark.timeout(90)
def test_kill_9_during_a_migration_leaves_it_unapplied_and_the_next_run_applies_it_once(
    db_url: str, migrations: Path, spawn: list[Runner]
) -> None:
    write(
        migrations,
        "0001_ledger",
        "CREATE TABLE ledger (version int);\nINSERT INTO ledger VALUES (1);",
    )
    write(
        migrations,
        "0002_two",
        "CREATE TABLE ledger_src_2 (id int);\nINSERT INTO ledger VALUES (2);",
    )
    write(
        migrations,
        "0003_slow",
        f"CREATE TABLE slow_marker (id int);\nINSERT INTO ledger VALUES (3);\n{slow(db_url, 3)};\n",
    )
    args = ("--url", db_url, "--dir", str(migrations), "up")
    victim = Runner(*args)
    spawn.append(victim)
    wait_in_slow_statement(db_url, victim, "0003_slow")
    victim.kill()
    killed = victim.finish(timeout=10)
    assert killed.returncode == -9, killed.stderr

    # nothing of 0003: not its table, not its ledger row, not its history row or log event
    assert history(db_url) == [(1, "applied"), (2, "applied")]
    assert ledger(db_url) == once([1, 2])
    assert not table_exists(db_url, "slow_marker")
    assert up_events(db_url) == [(1, "ok", 1), (2, "ok", 1)]

    # the dead runner's lock is gone: the next run gets it at once and applies 0003 only
    start = time.monotonic()
    again = sqlmig(*args, timeout=30)
    took = time.monotonic() - start
    assert again.returncode == 0, again.stderr
    assert took < 30
    assert "applying 0003_slow" in again.stderr
    assert "applying 0001" not in again.stderr and "applying 0002" not in again.stderr
    assert history(db_url) == [(1, "applied"), (2, "applied"), (3, "applied")]
    assert ledger(db_url) == once([1, 2, 3])
    assert table_exists(db_url, "slow_marker")
    assert up_events(db_url) == [(v, "ok", 1) for v in (1, 2, 3)]


@pytest.mark.timeout(60)
def test_lock_timeout_exits_3_and_names_the_holder(
    db_url: str, migrations: Path, spawn: list[Runner]
) -> None:
    write(migrations, "0001_slow", f"CREATE TABLE slow_marker (id int);\n{slow(db_url, 10)};\n")
    args = ("--url", db_url, "--dir", str(migrations))
    holder = Runner(*args, "up")
    spawn.append(holder)
    wait_in_slow_statement(db_url, holder, "0001_slow")

    start = time.monotonic()
    waiter = sqlmig(*args, "--lock-timeout", "3", "up", timeout=20)
    took = time.monotonic() - start
    assert holder.running(), "the holder ended before the waiter gave up: no lock was contended"

    assert waiter.returncode == 3, waiter.stderr
    assert 3 <= took <= 9, f"gave up after {took:.1f} s, not about 3 s"
    assert "pid " in waiter.stderr
    if is_pg(db_url):
        # the backend's pid, then the lock connection's application_name with the OS pid
        assert f"(sqlmig-lock {holder.pid}@" in waiter.stderr, waiter.stderr
        assert ", from " in waiter.stderr and ", since 20" in waiter.stderr, waiter.stderr
        # the hint names the real holder's backend pid, as pg_locks shows it
        [backend] = {int(p) for p in re.findall(r"held by pid (\d+)", waiter.stderr)}
        locks = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        assert backend in [row[0] for row in query(db_url, locks)]
        assert f"end it with SELECT pg_terminate_backend({backend})" in waiter.stderr
    else:
        assert f"pid {holder.pid} (" in waiter.stderr, waiter.stderr
        assert f"stop it (kill {holder.pid})" in waiter.stderr, waiter.stderr
    assert "applying" not in waiter.stderr

    holder.kill()
    assert holder.finish(timeout=10).returncode == -9


@pytest.mark.timeout(60)
def test_history_is_read_after_the_lock_so_a_waiting_runner_skips_what_the_holder_applied(
    db_url: str, migrations: Path, tmp_path: Path, spawn: list[Runner]
) -> None:
    first = (
        "CREATE TABLE ledger (version int);\nCREATE TABLE ledger_src_1 (id int);\n"
        f"INSERT INTO ledger VALUES (1);\n{slow(db_url, 3)};\n"
    )
    second = "CREATE TABLE ledger_src_2 (id int);\nINSERT INTO ledger VALUES (2);\n"
    # A sees only 0001; B sees the same 0001 (same checksum) and 0002
    write(migrations, "0001_first", first)
    later = tmp_path / "migrations_b"
    later.mkdir()
    write(later, "0001_first", first)
    write(later, "0002_second", second)

    a = Runner("--url", db_url, "--dir", str(migrations), "up")
    spawn.append(a)
    wait_in_slow_statement(db_url, a, "0001_first")
    b = Runner("--url", db_url, "--dir", str(later), "up")
    spawn.append(b)
    b.wait_for_stderr("waiting for the migration lock", timeout=10)
    assert a.running(), "A finished before B waited: the test did not overlap them"

    done_a, done_b = a.finish(timeout=30), b.finish(timeout=30)
    assert done_a.returncode == 0, done_a.stderr
    assert done_b.returncode == 0, done_b.stderr
    assert "applying 0001_first" in done_a.stderr
    assert "applying 0001" not in done_b.stderr, done_b.stderr
    assert "applying 0002_second" in done_b.stderr
    assert ledger(db_url) == once([1, 2])
    assert history(db_url) == [(1, "applied"), (2, "applied")]
    assert up_events(db_url) == [(1, "ok", 1), (2, "ok", 1)]


@pytest.mark.timeout(60)
def test_runners_on_different_history_tables_do_not_block_each_other(
    pg_url: str, migrations: Path, tmp_path: Path, spawn: list[Runner]
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a_thing (id int);\nSELECT pg_sleep(4);\n")
    other = tmp_path / "migrations_b"
    other.mkdir()
    write(other, "0001_b", "CREATE TABLE b_thing (id int);\n")

    a = Runner("--url", pg_url, "--dir", str(migrations), "--table", "a_hist", "up")
    spawn.append(a)
    wait_in_slow_statement(pg_url, a, "0001_a")
    b = sqlmig(
        "--url",
        pg_url,
        "--dir",
        str(other),
        "--table",
        "b_hist",
        "--lock-timeout",
        "1",
        "up",
        timeout=20,
    )
    assert b.returncode == 0, b.stderr
    assert a.running(), "A finished before B: the test did not overlap them"
    assert "waiting for the migration lock" not in b.stderr
    assert history(pg_url, "b_hist") == [(1, "applied")]
    assert table_exists(pg_url, "b_thing")

    done_a = a.finish(timeout=30)
    assert done_a.returncode == 0, done_a.stderr
    assert history(pg_url, "a_hist") == [(1, "applied")]
    assert up_events(pg_url, "a_hist") == [(1, "ok", 1)]
    assert up_events(pg_url, "b_hist") == [(1, "ok", 1)]

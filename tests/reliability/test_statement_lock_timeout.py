"""Scenario 20: --statement-lock-timeout for DDL on PostgreSQL (default off).

An ALTER TABLE queued behind a long reader holds its place in the lock queue, and every later
query on that table queues behind the ALTER: the whole application stalls. With
`--statement-lock-timeout 2s` (or statement_lock_timeout in sqlmig.toml, or
SQLMIG_STATEMENT_LOCK_TIMEOUT) the ALTER gives up after about 2 s, the migration is rolled back
and the message says why; with `--retries N` it is tried again with back-off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import sqlmig, write
from tests.integration.procs import Runner
from tests.reliability.harness import args, assert_exactly_once, write_versions

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def reader(ledger_pg: str, migrations: Path) -> Iterator[psycopg.Connection]:
    """Version 1 applied; a connection inside a transaction that has read t_1 (and holds on)."""
    write_versions(migrations, [1])
    write(
        migrations,
        "0002_alter",
        "ALTER TABLE t_1 ADD COLUMN c int;\nINSERT INTO ledger (version) VALUES (2);\n",
    )
    assert sqlmig(*args(ledger_pg, migrations, "up", "--to", "1")).returncode == 0
    conn = psycopg.connect(ledger_pg)
    conn.execute("SELECT * FROM t_1").fetchall()  # AccessShareLock until the transaction ends
    try:
        yield conn
    finally:
        conn.close()


def test_alter_behind_a_long_reader_fails_in_about_2_s(
    ledger_pg: str, migrations: Path, reader: psycopg.Connection
) -> None:
    start = time.monotonic()
    done = sqlmig(*args(ledger_pg, migrations, "up", "--statement-lock-timeout", "2s"))
    took = time.monotonic() - start
    assert done.returncode == 1, done.stderr
    assert 1.8 < took < 6, f"took {took:.1f} s"
    assert "gave up waiting for a table lock (statement_lock_timeout)" in done.stderr
    assert "lock timeout" in done.stderr and "--retries" in done.stderr, done.stderr
    assert_exactly_once(ledger_pg, [1])


@pytest.mark.parametrize("where", ["toml", "env"])
def test_set_in_sqlmig_toml_or_the_environment(
    ledger_pg: str, migrations: Path, reader: psycopg.Connection, tmp_path: Path, where: str
) -> None:
    env = {}
    if where == "toml":
        (tmp_path / "sqlmig.toml").write_text('statement_lock_timeout = "1500ms"\n')
    else:
        env["SQLMIG_STATEMENT_LOCK_TIMEOUT"] = "1.5"
    start = time.monotonic()
    done = sqlmig(*args(ledger_pg, migrations, "up"), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - start < 6
    assert "statement_lock_timeout" in done.stderr
    assert_exactly_once(ledger_pg, [1])


def test_retries_apply_it_once_the_reader_is_gone(
    ledger_pg: str, migrations: Path, reader: psycopg.Connection
) -> None:
    threading.Timer(2.5, reader.commit).start()
    done = sqlmig(
        *args(ledger_pg, migrations, "up", "--statement-lock-timeout", "1s", "--retries", "4")
    )
    assert done.returncode == 0, done.stderr
    assert "retry 1 of 4" in done.stderr, done.stderr
    assert_exactly_once(ledger_pg, [1, 2])


def test_default_is_off_the_alter_waits(
    ledger_pg: str, migrations: Path, reader: psycopg.Connection
) -> None:
    runner = Runner(*args(ledger_pg, migrations, "up"))
    time.sleep(3)
    assert runner.running(), runner.stderr  # still queued: no lock_timeout unless asked for
    reader.commit()
    done = runner.finish(timeout=20)
    assert done.returncode == 0, done.stderr
    assert_exactly_once(ledger_pg, [1, 2])


def test_bad_value_is_a_usage_error(pg_url: str, migrations: Path) -> None:
    done = sqlmig(*args(pg_url, migrations, "up", "--statement-lock-timeout", "soon"))
    assert done.returncode == 2, done.stderr
    assert "statement" in done.stderr and "soon" in done.stderr

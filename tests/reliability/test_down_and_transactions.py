"""Scenarios 12 and 13.

12. A down that fails keeps the history intact: in a transaction everything (its SQL and the
    removal of the history row) rolls back; outside one (and always on MariaDB, where DDL
    commits by itself) the row stays, marked failed, and `down` exits 5 until `repair`.
13. A transactional file that ends sqlmig's transaction itself (`COMMIT; ... BEGIN;`, so that it
    ends inside a transaction again and looks complete) is detected, recorded as failed, and
    never recorded as applied: the next `up` stops with exit 5 until `repair`.
    (A plain COMMIT at the end of a file is tests/integration/test_roundtrip.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    atomic,
    history_rows,
    is_pg,
    ledger_counts,
    write_versions,
)

pytestmark = pytest.mark.timeout(60)


def _log(url: str) -> list[tuple[int, str, str]]:
    rows = query(url, "SELECT version, event, outcome FROM sqlmig_history_log ORDER BY id")
    return [(int(v), e, o) for v, e, o in rows]


def test_failed_transactional_down_keeps_history(ledger_any: str, migrations: Path) -> None:
    url = ledger_any
    write_versions(migrations, [1])
    write(
        migrations,
        "0002_v2",
        "CREATE TABLE t_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\n",
        "DROP TABLE t_2;\nDELETE FROM ledger WHERE version = 2;\nSELECT * FROM no_such_table;\n",
    )
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    done = sqlmig(*args(url, migrations, "down"))
    assert done.returncode == 1, done.stderr
    assert "0002_v2.down.sql:3" in done.stderr, done.stderr
    assert _log(url)[-1] == (2, "down", "failed")
    if not atomic(url):  # MySQL: the DROP committed by itself; the row stays, marked failed
        _assert_failed_down_kept(url, migrations, done.stderr, "statement 3 of 3")
        assert query(url, "SELECT count(*) FROM ledger WHERE version = 2") == [(0,)]
        return
    assert "0002_v2 (down) failed and was rolled back" in done.stderr
    assert history_rows(url) == {1: "applied", 2: "applied"}
    assert_exactly_once(url, [1, 2])  # t_2's drop and the ledger delete rolled back
    assert query(url, "SELECT count(*) FROM t_2") == [(0,)]
    status = sqlmig(*args(url, migrations, "status", "--exit-code"))
    assert status.returncode == 0, status.stdout


def _assert_failed_down_kept(url: str, migrations: Path, stderr: str, where: str) -> None:
    """A down that failed outside a transaction: its row stays (failed), needing repair."""
    assert where in stderr, stderr
    assert history_rows(url) == {1: "applied", 2: "failed"}  # not deleted: needs repair
    assert ledger_counts(url) == {1: 1}  # what ran before the failure stays
    again = sqlmig(*args(url, migrations, "down"))
    assert again.returncode == 5, again.stderr
    status = sqlmig(*args(url, migrations, "status", "--exit-code"))
    assert status.returncode == 5 and "failed" in status.stdout, (status.stdout, status.stderr)


def test_failed_no_transaction_down_keeps_the_row_as_failed(
    ledger_any: str, migrations: Path
) -> None:
    write_versions(migrations, [1])
    write(
        migrations,
        "0002_v2",
        "CREATE TABLE t_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\n",
        "-- sqlmig:no-transaction\nDELETE FROM ledger WHERE version = 2;\n"
        "SELECT * FROM no_such_table;\nDROP TABLE t_2;\n",
    )
    assert sqlmig(*args(ledger_any, migrations, "up")).returncode == 0
    done = sqlmig(*args(ledger_any, migrations, "down"))
    assert done.returncode == 1, done.stderr
    _assert_failed_down_kept(ledger_any, migrations, done.stderr, "statement 2 of 3")
    assert query(ledger_any, "SELECT count(*) FROM t_2") == [(0,)]  # statement 3 never ran


@pytest.mark.parametrize(
    "tail",
    [
        "COMMIT;\nCREATE TABLE t_2b (id int);\nBEGIN;\n",
        "COMMIT;\nBEGIN;\nSELECT * FROM no_such_table;\n",
        "END;\nSTART TRANSACTION;\nCREATE TABLE t_2b (id int);\n",
        "ROLLBACK;\nBEGIN;\nCREATE TABLE t_2b (id int);\n",
    ],
    ids=["commit-begin", "commit-begin-fail", "end-start", "rollback-begin"],
)
def test_file_that_ends_and_reopens_the_transaction(
    ledger_db: str, migrations: Path, tail: str
) -> None:
    if "START TRANSACTION" in tail and not is_pg(ledger_db):
        tail = tail.replace("START TRANSACTION", "BEGIN")
    write_versions(migrations, [1])
    write(
        migrations,
        "0002_v2",
        "CREATE TABLE t_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\n" + tail,
    )
    write_versions(migrations, [3])
    done = sqlmig(*args(ledger_db, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "ended sqlmig's transaction" in done.stderr, done.stderr
    history = history_rows(ledger_db)
    assert history == {1: "applied", 2: "failed"}, history  # never "applied"
    assert 3 not in ledger_counts(ledger_db)
    blocked = sqlmig(*args(ledger_db, migrations, "up"))
    assert blocked.returncode == 5, blocked.stderr
    assert ledger_counts(ledger_db).get(1) == 1

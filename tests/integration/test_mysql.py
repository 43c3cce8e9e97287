"""MySQL/MariaDB: the core behaviours on a real server, with real processes.

Every DDL statement commits by itself in MySQL, so each file runs statement by statement behind
a `running` row: a failure leaves `failed` with the count of statements done, and `up` exits 5
until `sqlmig repair`.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import ROOT, query, sqlmig, write


def run(url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sqlmig("--url", url, "--dir", str(folder), *args)


def test_example_migrations_round_trip(mysql_url: str) -> None:
    examples = ROOT / "migrations"
    assert run(mysql_url, examples, "up").returncode == 0
    tables = {r[0] for r in query(mysql_url, "SHOW TABLES")}
    assert {"authors", "books", "users"} <= tables
    assert run(mysql_url, examples, "down", "--steps", "2", "--yes").returncode == 0
    assert "users" not in {r[0] for r in query(mysql_url, "SHOW TABLES")}
    again = run(mysql_url, examples, "up")
    assert again.returncode == 0, again.stderr
    rows = query(mysql_url, "SELECT version, status, statements_done FROM sqlmig_history")
    assert rows == [
        (1, "applied", 1),
        (2, "applied", 2),
        (3, "applied", 1),
        (4, "applied", 1),
        (5, "applied", 1),
    ]


def test_failure_mid_file_is_recorded_and_needs_repair(mysql_url: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_half",
        "CREATE TABLE half (x INT);\n\nINSERT INTO nope VALUES (1);\nCREATE TABLE never (x INT);\n",
    )
    failed = run(mysql_url, migrations, "up")
    assert failed.returncode == 1, failed.stderr
    assert "0001_half.up.sql:3:1" in failed.stderr and "statement 2 of 3" in failed.stderr
    assert query(mysql_url, "SELECT status, statements_done FROM sqlmig_history") == [("failed", 1)]
    blocked = run(mysql_url, migrations, "up")
    assert blocked.returncode == 5, blocked.stderr
    query(mysql_url, "DROP TABLE half")
    write(migrations, "0001_half", "CREATE TABLE half (x INT);\n")
    assert run(mysql_url, migrations, "repair").returncode == 0
    fixed = run(mysql_url, migrations, "up")
    assert fixed.returncode == 0, fixed.stderr
    assert query(mysql_url, "SELECT status FROM sqlmig_history") == [("applied",)]


def test_drift_stops_up(mysql_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (x INT);", "DROP TABLE a;")
    assert run(mysql_url, migrations, "up").returncode == 0
    write(migrations, "0001_a", "CREATE TABLE a (x INT, y INT);", "DROP TABLE a;")
    write(migrations, "0002_b", "CREATE TABLE b (x INT);")
    drifted = run(mysql_url, migrations, "up")
    assert drifted.returncode == 4
    assert "0001_a.up.sql was edited" in drifted.stderr
    assert "b" not in {r[0] for r in query(mysql_url, "SHOW TABLES")}


def test_ten_runners_apply_each_migration_once(mysql_url: str, migrations: Path) -> None:
    write(migrations, "0001_ledger", "CREATE TABLE ledger (v INT);")
    for v in range(2, 7):
        write(
            migrations,
            f"000{v}_m",
            f"CREATE TABLE src_{v} (x INT);\nINSERT INTO ledger VALUES ({v});",
        )
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: run(mysql_url, migrations, "up"), range(10)))
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results]
    assert query(mysql_url, "SELECT v, count(*) FROM ledger GROUP BY v ORDER BY v") == [
        (v, 1) for v in range(2, 7)
    ]
    assert query(mysql_url, "SELECT count(*) FROM sqlmig_history WHERE status = 'applied'") == [
        (6,)
    ]


def sleeping(url: str) -> list[tuple]:
    """Statements of this test's database still sleeping on the server (a killed client's
    statement runs on: MySQL notices the lost client only when the statement ends)."""
    database = url.rsplit("/", 1)[1]
    return query(
        url,
        "SELECT count(*) FROM information_schema.PROCESSLIST "
        f"WHERE DB = '{database}' AND INFO LIKE 'SELECT SLEEP(20)%'",
    )


def start_slow(url: str, folder: Path, *options: str) -> subprocess.Popen[str]:
    write(folder, "0001_slow", "CREATE TABLE slow (x INT);\nSELECT SLEEP(20);\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", "--url", url, "--dir", str(folder), *options, "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if sleeping(url)[0][0]:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the slow migration never started")


def test_lock_timeout_names_the_holder(mysql_url: str, migrations: Path) -> None:
    holder = start_slow(mysql_url, migrations)
    try:
        started = time.monotonic()
        waiting = run(mysql_url, migrations, "--lock-timeout", "1", "up")
        assert waiting.returncode == 3, waiting.stderr
        assert time.monotonic() - started < 10
        assert "held by connection" in waiting.stderr
        # the hint names the holder's connection id, as IS_USED_LOCK gives it
        [ident] = set(re.findall(r"held by connection (\d+)", waiting.stderr))
        assert f"end it with KILL {ident}" in waiting.stderr, waiting.stderr
        alive = f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {int(ident)}"
        assert query(mysql_url, alive) == [(1,)]
    finally:
        holder.kill()
        holder.wait()


def test_ctrl_c_cancels_the_statement_and_records_where(mysql_url: str, migrations: Path) -> None:
    proc = start_slow(mysql_url, migrations)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    assert proc.returncode == 130
    assert time.monotonic() - started < 5
    assert sleeping(mysql_url) == [(0,)]  # the server-side statement was killed, not left running
    rows = query(mysql_url, "SELECT status, statements_done, error FROM sqlmig_history")
    assert rows[0][:2] == ("failed", 1) and "interrupted during statement 2" in rows[0][2]
    assert run(mysql_url, migrations, "--lock-timeout", "2", "up").returncode == 5  # lock free


def test_kill_9_leaves_a_running_row_and_up_exits_5(mysql_url: str, migrations: Path) -> None:
    proc = start_slow(mysql_url, migrations)
    proc.kill()
    proc.wait()
    assert query(mysql_url, "SELECT status, statements_done FROM sqlmig_history") == [
        ("running", 1)
    ]
    after = run(mysql_url, migrations, "--lock-timeout", "10", "up")
    assert after.returncode == 5, after.stderr
    assert "running" in after.stderr


def test_lock_names_fit_mysqls_limit_and_stay_distinct() -> None:
    from sqlmig.drivers.mysql import MAX_LOCK_NAME, lock_name

    assert lock_name("app", "sqlmig_history") == "sqlmig/app.sqlmig_history"
    long_names = {lock_name("d" * 64, f"history_{i}_" + "t" * 50) for i in range(50)}
    assert len(long_names) == 50
    assert max(len(n) for n in long_names) <= MAX_LOCK_NAME


def test_lock_with_a_long_history_table_name(mysql_url: str, migrations: Path) -> None:
    table = "deployment_history_" + "x" * 40  # with the database name, past 64 characters
    holder = start_slow(mysql_url, migrations, "--table", table)
    try:
        waiting = run(mysql_url, migrations, "--table", table, "--lock-timeout", "1", "up")
        assert waiting.returncode == 3, waiting.stderr
        assert "held by connection" in waiting.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_syntax_error_is_placed_on_its_line_in_the_file(mysql_url: str, migrations: Path) -> None:
    """MariaDB counts "at line N" from the start of the statement: sqlmig turns it into the
    file's own line and column."""
    write(
        migrations,
        "0001_bad",
        "CREATE TABLE ok (a INT);\n\n-- a comment\nCREATE TABLE bad (\n  a INT,\n"
        "  b INT DEFAULT DEFAULT 1\n);\n",
    )
    failed = run(mysql_url, migrations, "up")
    assert failed.returncode == 1, failed.stderr
    assert "0001_bad.up.sql:6:25" in failed.stderr, failed.stderr  # near "1", says the server

"""`up` never runs blind (issue 13, item 5): a database with tables but no sqlmig history is
refused with exit 7 before anything is created, naming what it holds and the ways on."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write


def _run_sql(url: str, sql: str) -> None:
    """Change the test database by hand, as another tool or a person would."""
    if url.startswith("mysql"):
        from tests.conftest import _mysql_admin

        conn = _mysql_admin()
        with conn.cursor() as cur:
            cur.execute(f"USE `{url.rsplit('/', 1)[1]}`")
            for statement in sql.split(";"):
                if statement.strip():
                    cur.execute(statement)
        conn.close()
        return
    from tests.conftest import execute

    execute(url, sql)


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        return {r[0] for r in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    where = "table_schema = DATABASE()" if url.startswith("mysql") else "table_schema = 'public'"
    return {
        r[0] for r in query(url, f"SELECT table_name FROM information_schema.tables WHERE {where}")
    }


def test_a_database_with_tables_and_no_history_is_refused(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id INT);\n")
    _run_sql(any_url, "CREATE TABLE legacy (x INT); CREATE TABLE goose_db_version (id INT)")
    for extra in ((), ("--dry-run",)):
        done = sqlmig("--url", any_url, "--dir", str(migrations), "up", *extra)
        assert done.returncode == 7, done.stderr
        assert (
            "has 2 tables or views but no sqlmig history: goose_db_version, legacy" in done.stderr
        )
        assert "goose_db_version (goose)" in done.stderr
        assert "sqlmig baseline V" in done.stderr and "--allow-non-empty" in done.stderr
    assert _tables(any_url) == {"legacy", "goose_db_version"}  # not even the history table

    as_json = sqlmig("--url", any_url, "--dir", str(migrations), "--json", "up")
    assert json.loads(as_json.stdout)["error"]["kind"] == "not_empty"

    forced = sqlmig("--url", any_url, "--dir", str(migrations), "up", "--allow-non-empty")
    assert forced.returncode == 0, forced.stderr
    assert "users" in _tables(any_url)
    # from now on sqlmig keeps the history: later runs are not refused
    write(migrations, "0002_more", "CREATE TABLE more (id INT);\n")
    again = sqlmig("--url", any_url, "--dir", str(migrations), "up")
    assert again.returncode == 0, again.stderr


def test_baseline_is_the_way_to_adopt_it(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id INT);\n")
    write(migrations, "0002_posts", "CREATE TABLE posts (id INT);\n")
    _run_sql(any_url, "CREATE TABLE users (id INT)")
    assert sqlmig("--url", any_url, "--dir", str(migrations), "up").returncode == 7
    base = sqlmig("--url", any_url, "--dir", str(migrations), "baseline", "1")
    assert base.returncode == 0, base.stderr
    done = sqlmig("--url", any_url, "--dir", str(migrations), "up")
    assert done.returncode == 0, done.stderr
    assert {"users", "posts"} <= _tables(any_url)


def test_an_empty_database_and_nothing_pending_are_not_refused(
    any_url: str, migrations: Path
) -> None:
    # nothing to apply: nothing runs, so nothing is refused
    _run_sql(any_url, "CREATE TABLE legacy (x INT)")
    idle = sqlmig("--url", any_url, "--dir", str(migrations), "up")
    assert idle.returncode == 0, idle.stderr


def test_postgres_counts_only_the_history_schema_and_what_users_made(
    pg_url: str, migrations: Path
) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id INT);\n")
    # an extension's own objects, another schema's tables: not this migration set's business
    _run_sql(
        pg_url,
        "CREATE EXTENSION pg_buffercache; CREATE SCHEMA other; CREATE TABLE other.x (id INT)",
    )
    done = sqlmig("--url", pg_url, "--dir", str(migrations), "up")
    assert done.returncode == 0, done.stderr
    # a serial column's sequence is not counted beside its table
    fresh = migrations.parent / "fresh"
    fresh.mkdir()
    write(fresh, "0001_a", "CREATE TABLE a (id INT);\n")
    _run_sql(pg_url, "CREATE SCHEMA app; CREATE TABLE app.t (id SERIAL PRIMARY KEY)")
    refused = sqlmig("--url", pg_url, "--dir", str(fresh), "--table", "app.hist", "up")
    assert refused.returncode == 7, refused.stderr
    assert "has 1 table or view but no sqlmig history: t" in refused.stderr


def test_a_schema_with_another_sqlmig_history_is_managed(any_url: str, migrations: Path) -> None:
    """Two migration sets in one database, each with its own --table: the second set's first
    `up` is not refused for the first set's tables; a pair that only looks like a history is."""
    write(migrations, "0001_a", "CREATE TABLE a (id INT);\n")
    other = migrations.parent / "other"
    other.mkdir()
    write(other, "0001_b", "CREATE TABLE b (id INT);\n")
    _run_sql(any_url, "CREATE TABLE orders (id INT); CREATE TABLE orders_log (id INT)")
    refused = sqlmig("--url", any_url, "--dir", str(migrations), "--table", "a_hist", "up")
    assert refused.returncode == 7 and "orders, orders_log" in refused.stderr, refused.stderr
    _run_sql(any_url, "DROP TABLE orders; DROP TABLE orders_log")
    first = sqlmig("--url", any_url, "--dir", str(migrations), "--table", "a_hist", "up")
    assert first.returncode == 0, first.stderr
    second = sqlmig("--url", any_url, "--dir", str(other), "--table", "b_hist", "up")
    assert second.returncode == 0, second.stderr


def test_another_history_without_its_log_yet_is_managed(any_url: str, migrations: Path) -> None:
    """A runner of another set between creating its history table and its log (runners on
    different --table raced into exit 7 naming that history, on PostgreSQL and MariaDB)."""
    write(migrations, "0001_a", "CREATE TABLE a (id INT);\n")
    other = migrations.parent / "other"
    other.mkdir()
    write(other, "0001_b", "CREATE TABLE b (id INT);\n")
    first = sqlmig("--url", any_url, "--dir", str(migrations), "--table", "a_hist", "up")
    assert first.returncode == 0, first.stderr
    _run_sql(any_url, "DROP TABLE a; DROP TABLE a_hist_log; DELETE FROM a_hist")
    second = sqlmig("--url", any_url, "--dir", str(other), "--table", "b_hist", "up")
    assert second.returncode == 0, second.stderr
    assert query(any_url, "SELECT count(*) FROM b") == [(0,)]


def test_a_history_kept_elsewhere_still_sees_the_urls_tables(
    mysql_url: str, migrations: Path
) -> None:
    """MySQL: --table OTHERDB.TABLE keeps the history in another database, but the migrations
    build in the URL's database: tables there are not a blank slate (up ran on top of them)."""
    import pymysql

    from tests.conftest import _mysql_admin

    meta = f"sqlmig_meta_{uuid.uuid4().hex[:8]}"
    admin = _mysql_admin()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {meta}")
    try:
        write(migrations, "0001_a", "CREATE TABLE a (id INT);\n")
        _run_sql(mysql_url, "CREATE TABLE customers (id INT)")
        table = f"{meta}.hist"
        refused = sqlmig("--url", mysql_url, "--dir", str(migrations), "--table", table, "up")
        assert refused.returncode == 7, refused.stdout + refused.stderr
        assert "no sqlmig history: customers" in refused.stderr, refused.stderr
        with pytest.raises(pymysql.ProgrammingError):
            query(mysql_url, "SELECT count(*) FROM a")
        _run_sql(mysql_url, "DROP TABLE customers")
        done = sqlmig("--url", mysql_url, "--dir", str(migrations), "--table", table, "up")
        assert done.returncode == 0, done.stderr
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {meta}")
        admin.close()


def test_a_dry_run_beside_a_first_up_is_not_refused(mysql_url: str, migrations: Path) -> None:
    """`up --dry-run` takes no lock: it read 'no history', another runner's `up` then made the
    history and a table (MySQL's DDL commits at once), and the dry run called that table the
    database's own (exit 7, "no sqlmig history: a") while the history was right beside it."""
    import subprocess
    import sys

    from tests.conftest import clean_env

    write(migrations, "0001_a", "CREATE TABLE a (id INT);\n")
    base = ["--url", mysql_url, "--dir", str(migrations)]
    fault = {"SQLMIG_TEST_FAULT": "after_history_read:sleep=3"}
    dry = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *base, "up", "--dry-run"],
        env=clean_env(fault),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert dry.stderr is not None
        while (line := dry.stderr.readline()) and "sqlmig-test-fault:" not in line:
            pass
        assert "after_history_read" in line, line
        done = sqlmig(*base, "up")
        assert done.returncode == 0, done.stderr
    finally:
        out, err = dry.communicate(timeout=60)
    assert dry.returncode == 0, out + err
    assert "no sqlmig history" not in err, err


def test_sqlite_history_table_in_main_only(sqlite_url: str, migrations: Path) -> None:
    """--table temp.hist or other.hist on SQLite was exit 1, 'near "SCHEMA": syntax error'
    (CREATE SCHEMA); main.hist is the table hist of the main database."""
    write(migrations, "0001_a", "CREATE TABLE a (id INT);\n")
    for table in ("temp.hist", "other.hist"):
        done = sqlmig("--url", sqlite_url, "--dir", str(migrations), "--table", table, "up")
        assert done.returncode == 2, done.stderr
        assert "keeps it in its main database only" in done.stderr, done.stderr
        assert "--table hist" in done.stderr
    done = sqlmig("--url", sqlite_url, "--dir", str(migrations), "--table", "main.hist", "up")
    assert done.returncode == 0, done.stderr
    assert query(sqlite_url, "SELECT name FROM hist") == [("a",)]

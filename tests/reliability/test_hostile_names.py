"""Scenario 18: hostile history-table names and URLs.

Table names holding quotes, backticks, semicolons, `--`, LIKE wildcards or 64+ bytes are quoted
as identifiers (or refused with exit 2 when the database would truncate or reject them), on
SQLite, PostgreSQL and MariaDB; a sentinel table and its row stay untouched and no other object
appears (MariaDB runs the names that are hostile to its quoting: backticks, quotes, `%` for
PyMySQL's placeholders, multi-byte characters). A password holding @ : / % is decoded and
checked for real in tests/reliability/test_pgbouncer.py (PostgreSQL) and
tests/reliability/test_mysql_passwords.py (MariaDB); here, URLs that cannot be parsed are
refused without printing the password.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import query, sqlmig
from tests.reliability.harness import (
    args,
    create_ledger,
    history_rows,
    is_mysql,
    is_pg,
    write_versions,
)

pytestmark = pytest.mark.timeout(60)
NAMES = [
    'we"ird',
    "semi;colon",
    "dash--dash",
    "x'); DROP TABLE victim; --",
    "back`tick`; DROP TABLE victim; -- x",
    "hist_%",
    "Mixed Case",
    "dot_in_schema.tbl%_",
    "é" * 20,
]
MYSQL_NAMES = [
    "x'); DROP TABLE victim; --",
    "back`tick`; DROP TABLE victim; -- x",
    "hist_%",
    "é" * 20,
]
# backticks quote names on MySQL and SQLite (which accepts them too); not on PostgreSQL
CASES = [("sqlite", n) for n in NAMES] + [("pg", n) for n in NAMES if "`" not in n]
CASES += [("mysql", n) for n in MYSQL_NAMES]


def _objects(url: str) -> set[str]:
    if is_mysql(url):
        sql = (
            "SELECT CONCAT('db.', TABLE_NAME) FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()"
        )
    elif is_pg(url):
        sql = (
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'v', 'S')"
        )
    else:
        sql = "SELECT 'main.' || name FROM sqlite_master WHERE type IN ('table', 'view')"
    return {r[0] for r in query(url, sql)}


def _prepare(url: str) -> None:
    create_ledger(url)
    if is_pg(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE victim (id int); INSERT INTO victim VALUES (42)")
            conn.execute("CREATE SCHEMA dot_in_schema")
    elif is_mysql(url):
        query(url, "CREATE TABLE victim (id int)")
        query(url, "INSERT INTO victim VALUES (42)")
    else:
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.executescript("CREATE TABLE victim (id int); INSERT INTO victim VALUES (42);")
        conn.close()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_hostile_table_name_is_quoted(
    request: pytest.FixtureRequest, migrations: Path, kind: str, name: str
) -> None:
    url = request.getfixturevalue(f"{kind}_url")
    if "." in name and not is_pg(url):
        pytest.skip("no schemas on SQLite (an attached database) or MySQL (another database)")
    _prepare(url)
    write_versions(migrations, range(1, 3))
    before = _objects(url)
    for command in (["up"], ["status"], ["history"], ["validate"], ["down"], ["redo"]):
        done = sqlmig(*args(url, migrations, "--table", name, *command))
        assert done.returncode == 0, (command, done.stderr)
    schema, _, table = name.rpartition(".")
    default = "public" if is_pg(url) else "db" if is_mysql(url) else "main"
    schema = schema or default
    expected = {f"{schema}.{table}", f"{schema}.{table}_log", f"{default}.t_1"}
    if is_pg(url):  # the log's identity column
        expected.add(f"{schema}.{table}_log_id_seq")
    assert _objects(url) - before == expected
    assert query(url, "SELECT id FROM victim") == [(42,)]
    assert query(url, "SELECT version FROM ledger") == [(1,)]  # 2 reverted, 1 redone


def test_tables_differing_only_by_like_wildcards_are_separate(
    any_url: str, migrations: Path
) -> None:
    _prepare(any_url)
    write_versions(migrations, [1])
    assert sqlmig(*args(any_url, migrations, "--table", "hist_x", "up")).returncode == 0
    status = sqlmig(*args(any_url, migrations, "--table", "hist_%", "status"))
    assert status.returncode == 0 and "pending" in status.stdout, status.stdout


@pytest.mark.parametrize(
    ("kind", "length"),
    [("pg", n) for n in (59, 60, 64, 200)] + [("mysql", n) for n in (60, 61, 200)],
)
def test_long_table_names(
    request: pytest.FixtureRequest, migrations: Path, kind: str, length: int
) -> None:
    """PostgreSQL truncates names at 63 bytes, MySQL refuses more than 64 characters: sqlmig
    refuses a history table whose log table's name would not fit, before it changes anything."""
    url = request.getfixturevalue(f"{kind}_url")
    write_versions(migrations, [1])
    create_ledger(url)
    name = "h" * length
    done = sqlmig(*args(url, migrations, "--table", name, "up"))
    if length + len("_log") <= (63 if kind == "pg" else 64):
        assert done.returncode == 0, done.stderr
        assert history_rows(url, name) == {1: "applied"}
        return
    assert done.returncode == 2, done.stderr
    assert "too long" in done.stderr
    assert query(url, "SELECT count(*) FROM ledger")[0][0] == 0
    assert _objects(url) == {"db.ledger" if kind == "mysql" else "public.ledger"}


def test_mysql_refuses_a_name_with_a_trailing_space(mysql_url: str, migrations: Path) -> None:
    """MySQL rejects such names: a clean error, and nothing was created."""
    _prepare(mysql_url)
    write_versions(migrations, [1])
    before = _objects(mysql_url)
    done = sqlmig(*args(mysql_url, migrations, "--table", "hist; -- ", "up"))
    assert done.returncode == 1, done.stderr
    assert "Incorrect table name" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert _objects(mysql_url) == before
    assert query(mysql_url, "SELECT count(*) FROM ledger") == [(0,)]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:Sentinel@pw@127.0.0.1:1:2/x",
        "postgresql://postgres:Sentinel%zz@127.0.0.1:notaport/x",
        "postgresql://postgres:Sentinel/pw@127.0.0.1:1/x",
    ],
)
def test_malformed_url_with_a_hostile_password(migrations: Path, url: str) -> None:
    write_versions(migrations, [1])
    for command in (["up"], ["status"]):
        done = sqlmig(*args(url, migrations, *command))
        assert done.returncode in (2, 6), done.stderr
        assert "Sentinel" not in done.stdout + done.stderr, done.stderr
        assert "Traceback" not in done.stderr

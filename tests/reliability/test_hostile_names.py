"""Scenario 18: hostile history-table names and URLs.

Table names holding quotes, semicolons, `--`, LIKE wildcards or 64+ bytes are quoted as
identifiers (or refused with exit 2 when the database would truncate them); a sentinel table
and its row stay untouched and no other object appears. A password holding @ : / % is decoded
and checked for real in tests/reliability/test_pgbouncer.py; here, URLs that cannot be parsed
are refused without printing the password.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import query, sqlmig
from tests.reliability.harness import args, create_ledger, is_pg, write_versions

pytestmark = pytest.mark.timeout(60)
NAMES = [
    'we"ird',
    "semi;colon",
    "dash--dash",
    "x'); DROP TABLE victim; --",
    "hist_%",
    "Mixed Case",
    "dot_in_schema.tbl%_",
    "é" * 20,
]


def _objects(url: str) -> set[str]:
    if is_pg(url):
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
    else:
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.executescript("CREATE TABLE victim (id int); INSERT INTO victim VALUES (42);")
        conn.close()


@pytest.mark.parametrize("name", NAMES)
def test_hostile_table_name_is_quoted(db_url: str, migrations: Path, name: str) -> None:
    if "." in name and not is_pg(db_url):
        pytest.skip("SQLite has no schemas (an attached database would be needed)")
    _prepare(db_url)
    write_versions(migrations, range(1, 3))
    before = _objects(db_url)
    for command in (["up"], ["status"], ["history"], ["validate"], ["down"], ["redo"]):
        done = sqlmig(*args(db_url, migrations, "--table", name, *command))
        assert done.returncode == 0, (command, done.stderr)
    schema, _, table = name.rpartition(".")
    schema = schema or ("public" if is_pg(db_url) else "main")
    expected = {f"{schema}.{table}", f"{schema}.{table}_log"}
    expected.add("public.t_1" if is_pg(db_url) else "main.t_1")
    if is_pg(db_url):  # the log's identity column
        expected.add(f"{schema}.{table}_log_id_seq")
    assert _objects(db_url) - before == expected
    assert query(db_url, "SELECT id FROM victim") == [(42,)]
    assert query(db_url, "SELECT version FROM ledger") == [(1,)]  # 2 reverted, 1 redone


def test_tables_differing_only_by_like_wildcards_are_separate(
    db_url: str, migrations: Path
) -> None:
    _prepare(db_url)
    write_versions(migrations, [1])
    assert sqlmig(*args(db_url, migrations, "--table", "hist_x", "up")).returncode == 0
    status = sqlmig(*args(db_url, migrations, "--table", "hist_%", "status"))
    assert status.returncode == 0 and "pending" in status.stdout, status.stdout


@pytest.mark.parametrize("length", [60, 64, 200])
def test_long_table_names(pg_url: str, migrations: Path, length: int) -> None:
    """PostgreSQL truncates names at 63 bytes: sqlmig refuses what would be truncated."""
    write_versions(migrations, [1])
    create_ledger(pg_url)
    name = "h" * length
    done = sqlmig(*args(pg_url, migrations, "--table", name, "up"))
    if length + len("_log") <= 63:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    assert "too long" in done.stderr
    assert query(pg_url, "SELECT count(*) FROM ledger")[0][0] == 0


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

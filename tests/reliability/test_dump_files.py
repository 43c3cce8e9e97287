"""pg_dump and mysqldump output used as migrations run as psql and mysql would run them.

The dumps are made here by the real pg_dump / mariadb-dump from a small source database (with
tabs, backslashes, newlines and NULLs in the data, a function, a trigger, a procedure), then
applied by `sqlmig up` to an empty database; the data must arrive intact. Other client
commands (`\\connect`, `\\i`, `source`) stop the run by file:line before anything runs.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import (
    MYSQL_URL,
    PG_URL,
    _mysql_admin,
    _with_db,
    execute,
    query,
    require_mysql,
    require_pg,
    skip_or_fail,
    sqlmig,
    write,
)
from tests.reliability.harness import args, history_rows

pytestmark = pytest.mark.timeout(120)

PG_SOURCE = r"""
CREATE TABLE people (id int PRIMARY KEY, name text, note text);
INSERT INTO people VALUES
  (1, 'tab	here', E'back\\slash'), (2, E'new\nline', NULL), (3, 'semi;colon', '\.');
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN upper(t); END $$;
CREATE VIEW loud AS SELECT id, shout(name) AS name FROM people;
"""


@pytest.fixture
def source_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """A second database on the same server as the test's (PostgreSQL or MariaDB, by the
    test's parameter), to dump from; dropped afterwards."""
    kind = request.param if hasattr(request, "param") else "pg"
    name = f"sqlmig_src_{uuid.uuid4().hex[:10]}"
    if kind == "mysql":
        require_mysql()
        create, drop = f"CREATE DATABASE `{name}`", f"DROP DATABASE IF EXISTS `{name}`"
        admin = _mysql_admin()
        with admin.cursor() as cur:
            cur.execute(create)
        try:
            yield f"{MYSQL_URL.rsplit('/', 1)[0]}/{name}"
        finally:
            with admin.cursor() as cur:
                cur.execute(drop)
            admin.close()
        return
    require_pg()
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(PG_URL, name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_dump(url: str) -> str:
    if shutil.which("pg_dump") is None:
        skip_or_fail("pg_dump is not installed")
    done = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("no_tx", [False, True], ids=["transaction", "no-transaction"])
def test_pg_dump_output_applies_as_a_migration(
    pg_url: str, source_db: str, migrations: Path, no_tx: bool
) -> None:
    source = source_db
    execute(source, PG_SOURCE)
    dump = _pg_dump(source)
    assert "FROM stdin;" in dump
    write(migrations, "0001_baseline", ("-- sqlmig:no-transaction\n" if no_tx else "") + dump)
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 0, done.stderr
    rows = "SELECT id, name, note FROM public.people ORDER BY id"
    assert query(pg_url, rows) == query(source, rows)
    assert query(pg_url, "SELECT name FROM public.loud WHERE id = 3") == [("SEMI;COLON",)]
    assert history_rows(pg_url) == {1: "applied"}
    # pg_dump's set_config('search_path', '', false) stayed in that file
    write(migrations, "0002_next", "CREATE TABLE after_dump (a int);\n")
    assert sqlmig(*args(pg_url, migrations, "up")).returncode == 0
    assert query(pg_url, "SELECT count(*) FROM public.after_dump") == [(0,)]


def test_pg_dump_restrict_lines_are_skipped(pg_url: str, migrations: Path) -> None:
    body = (
        "\\restrict abc123\n"
        "CREATE TABLE r (a text);\n"
        "COPY public.r (a) FROM stdin;\nx\\ty\n\\N\n\\.\n"
        "\\unrestrict abc123\n"
    )
    write(migrations, "0001_restricted", body)
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 0, done.stderr
    assert query(pg_url, "SELECT a FROM r ORDER BY a NULLS LAST") == [("x\ty",), (None,)]


def test_a_bad_copy_row_is_named_and_rolled_back(pg_url: str, migrations: Path) -> None:
    body = "CREATE TABLE n (a int);\nCOPY n (a) FROM stdin;\n1\nnot a number\n\\.\n"
    write(migrations, "0001_copy", body)
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "0001_copy.up.sql:2:" in done.stderr and "rolled back" in done.stderr, done.stderr
    assert query(pg_url, "SELECT to_regclass('public.n') IS NULL") == [(True,)]


@pytest.mark.parametrize("command", ["\\connect other", "\\i other.sql", "\\set ON_ERROR_STOP on"])
def test_other_psql_meta_commands_stop_before_anything_runs(
    pg_url: str, migrations: Path, command: str
) -> None:
    write(migrations, "0001_first", "CREATE TABLE first (a int);\n")
    write(migrations, "0002_meta", f"CREATE TABLE second (a int);\n{command}\nSELECT 1;\n")
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 2, done.stderr
    assert "0002_meta.up.sql:2:" in done.stderr and "nothing was run" in done.stderr, done.stderr
    assert query(pg_url, "SELECT to_regclass('public.first') IS NULL") == [(True,)]


MYSQL_SOURCE = [
    "CREATE TABLE people (id INT PRIMARY KEY, name TEXT, note TEXT)",
    "INSERT INTO people VALUES (1, 'tab\\there', 'back\\\\slash'), (2, 'new\\nline', NULL),"
    " (3, 'semi;colon', 'END CASE')",
    "CREATE PROCEDURE grade(IN n INT, OUT g TEXT) BEGIN CASE WHEN n > 1 THEN SET g = 'big'; "
    "ELSE SET g = 'small'; END CASE; END",
    "CREATE TRIGGER people_bi BEFORE INSERT ON people FOR EACH ROW BEGIN "
    "IF NEW.name IS NULL THEN SET NEW.name = 'anon'; END IF; END",
]


def _mariadb_dump(url: str) -> str:
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if tool is None:
        skip_or_fail("mariadb-dump is not installed")
    parts = urlsplit(url)
    command = [
        tool,
        "-h",
        parts.hostname or "127.0.0.1",
        "-P",
        str(parts.port or 3306),
        "-u",
        parts.username or "root",
        "--routines",
        "--triggers",
        "--no-autocommit",
        parts.path.lstrip("/"),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("source_db", ["mysql"], indirect=True)
def test_mysqldump_output_applies_as_a_migration(
    mysql_url: str, source_db: str, migrations: Path
) -> None:
    source = source_db
    for statement in MYSQL_SOURCE:
        query(source, statement)
    dump = _mariadb_dump(source)
    assert "DELIMITER ;;" in dump and "autocommit=0" in dump.replace(" ", "").lower()
    write(migrations, "0001_baseline", dump)
    done = sqlmig(*args(mysql_url, migrations, "up"))
    assert done.returncode == 0, done.stderr
    rows = "SELECT id, name, note FROM people ORDER BY id"
    assert query(mysql_url, rows) == query(source, rows)
    routines = (
        "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"
    )
    assert query(mysql_url, routines) == [("grade",)]
    assert history_rows(mysql_url) == {1: "applied"}


def test_mysql_source_command_stops_before_anything_runs(mysql_url: str, migrations: Path) -> None:
    write(migrations, "0001_first", "CREATE TABLE first (a INT);\n")
    write(migrations, "0002_src", "CREATE TABLE second (a INT);\nsource other.sql\n")
    done = sqlmig(*args(mysql_url, migrations, "up"))
    assert done.returncode == 2, done.stderr
    assert "0002_src.up.sql:2:" in done.stderr, done.stderr
    tables = "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
    assert query(mysql_url, tables) == [(0,)]

"""Shared fixtures: real SQLite files and real PostgreSQL databases, one per test.

PostgreSQL comes from SQLMIG_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
Each test gets its own database, dropped afterwards. When the server is unreachable the tests
that need it are skipped with the reason - except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("SQLMIG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("SQLMIG_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent


def _pg_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means "not reachable"
        return f"PostgreSQL at {PG_URL} is not reachable: {exc}".strip()


_PG_PROBLEM = _pg_problem()


def _mysql_admin(**extra):  # type: ignore[no-untyped-def]
    from urllib.parse import unquote, urlsplit

    import pymysql

    parts = urlsplit(MYSQL_URL)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        autocommit=True,
        connect_timeout=3,
        **extra,
    )


def _mysql_problem() -> str | None:
    try:
        _mysql_admin().close()
        return None
    except Exception as exc:  # any failure means "not reachable"
        return f"MySQL/MariaDB at {MYSQL_URL} is not reachable: {exc}".strip()


_MYSQL_PROBLEM = _mysql_problem()


def pytest_report_header() -> list[str]:
    lines = [f"sqlite {__import__('sqlite3').sqlite_version}"]
    if _MYSQL_PROBLEM:
        lines.append(f"mysql: UNAVAILABLE ({_MYSQL_PROBLEM})")
    if _PG_PROBLEM:
        lines.append(f"postgres: UNAVAILABLE ({_PG_PROBLEM})")
    else:
        import psycopg

        with psycopg.connect(PG_URL) as conn:
            lines.append(f"postgres: {conn.execute('SHOW server_version').fetchone()[0]}")
    return lines


def skip_or_fail(reason: str) -> None:
    """Skip locally when the machine lacks what a test needs; under CI=true, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing prerequisite is a failure, not a skip)")
    pytest.skip(reason)


def require_mysql() -> None:
    if _MYSQL_PROBLEM:
        skip_or_fail(_MYSQL_PROBLEM)


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MySQL/MariaDB database for this test; dropped afterwards."""
    yield from fresh_mysql_database()


def fresh_mysql_database() -> Iterator[str]:
    """The URL of a new, empty MySQL/MariaDB database, dropped when the generator is closed."""
    require_mysql()
    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        base = MYSQL_URL.rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(params=["sqlite", "pg", "mysql"], ids=["sqlite", "postgres", "mysql"])
def any_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite, PostgreSQL and MySQL/MariaDB."""
    return request.getfixturevalue(f"{request.param}_url")


def require_pg() -> None:
    if _PG_PROBLEM:
        skip_or_fail(_PG_PROBLEM)


def _with_db(url: str, dbname: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
    return f"postgresql://{user}{password}@{host}:{port}/{dbname}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    yield from fresh_pg_database()


def fresh_pg_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the generator is closed."""
    require_pg()
    import psycopg

    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(PG_URL, name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "pg"], ids=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    return folder


def write(folder: Path, label: str, up: str, down: str | None = None) -> None:
    """Write NNNN_name.up.sql (and .down.sql) into folder."""
    (folder / f"{label}.up.sql").write_text(up, "utf-8")
    if down is not None:
        (folder / f"{label}.down.sql").write_text(down, "utf-8")


def query(url: str, sql: str) -> list[tuple]:
    """Read from a test database directly, without sqlmig."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    if url.startswith("mysql"):
        from urllib.parse import unquote

        conn = _mysql_admin()
        try:
            with conn.cursor() as cur:
                name = unquote(url.rsplit("/", 1)[1].split("?", 1)[0]).replace("`", "``")
                cur.execute(f"USE `{name}`")
                cur.execute(sql)
                return [tuple(r) for r in cur.fetchall()]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def execute(url: str, script: str) -> None:
    """Change a test database directly, without sqlmig (a user fixing it by hand): run a script
    of one or more statements, committed at once (MySQL: each commits as it runs)."""
    if url.startswith("mysql"):
        _mysql_execute(url, script)
        return
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        try:
            conn.executescript(script)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)


def _mysql_execute(url: str, script: str) -> None:
    """The server splits the script (compound statements included); every result is read so
    that an error in a later statement is raised."""
    from urllib.parse import unquote

    from pymysql.constants import CLIENT

    conn = _mysql_admin(client_flag=CLIENT.MULTI_STATEMENTS)
    try:
        conn.select_db(unquote(url.rsplit("/", 1)[1].split("?", 1)[0]))
        with conn.cursor() as cur:
            cur.execute(script)
            while cur.nextset():
                pass
    finally:
        conn.close()


# Set on purpose by a fixture for the sqlmig processes its test starts (tests/reliability: the
# witness `ledger` table exists before the first `up`); every other SQLMIG_* is left out.
KEPT_ENV = ("SQLMIG_ALLOW_NON_EMPTY",)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a sqlmig process: no SQLMIG_* or DATABASE_URL of the machine's."""
    base = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("SQLMIG_") or k in KEPT_ENV) and k != "DATABASE_URL"
    }
    return {**base, **(extra or {})}


def sqlmig(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in its own OS process, as `python -m sqlmig` would, with no terminal on
    stdin (as in CI, even when pytest runs in one: `down` would ask). The process is forked from
    a warm interpreter where that is faithful (tests/forkrun.py), else a fresh interpreter."""
    from tests import forkrun

    return forkrun.run(list(args), clean_env(env), clean_env(), cwd or ROOT, timeout)

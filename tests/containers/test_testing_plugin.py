"""The pytest plugin `sqlmig.testing`, run by a real pytest on a tiny sample project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MYSQL_URL, PG_URL, query, require_mysql, require_pg, write

SAMPLE_TESTS = """
import sqlite3
import sys


def rows(url, sql, params=()):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1])
        try:
            with conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()
    if url.startswith("mysql"):
        from urllib.parse import urlsplit

        import pymysql

        parts = urlsplit(url)
        conn = pymysql.connect(
            host=parts.hostname, port=parts.port, user=parts.username,
            password=parts.password or "", database=parts.path[1:], autocommit=True,
        )  # fmt: skip
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return [tuple(r) for r in cur.fetchall()]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_the_schema_is_there(sqlmig_url):
    rows(sqlmig_url, "INSERT INTO users VALUES (1, %s, %s)", ("ada", "ada@example.org"))
    assert rows(sqlmig_url, "SELECT name, email FROM users") == [("ada", "ada@example.org")]
    print("URL-USED", sqlmig_url.split(":", 1)[0], file=sys.stderr)
    print("DB-USED", sqlmig_url.rsplit("/", 1)[1], file=sys.stderr)


def test_each_test_gets_a_fresh_database(sqlmig_url):
    assert rows(sqlmig_url, "SELECT count(*) FROM users") == [(0,)]
    assert rows(sqlmig_url, "SELECT version FROM sqlmig_history ORDER BY version") == [(1,), (2,)]
"""


def _project(root: Path, *, opt_in: bool = True) -> Path:
    migrations = root / "migrations"
    migrations.mkdir(parents=True)
    write(migrations, "0001_users", "CREATE TABLE users (id integer PRIMARY KEY, name text);\n")
    write(migrations, "0002_email", "ALTER TABLE users ADD COLUMN email text;\n")
    (root / "conftest.py").write_text('pytest_plugins = ["sqlmig.testing"]\n' if opt_in else "")
    (root / "test_app.py").write_text(SAMPLE_TESTS)
    return root


def _pytest(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SQLMIG_", "PYTEST_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *args],
        cwd=root,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _leftover_databases() -> set[str]:
    return {r[0] for r in query(PG_URL, "SELECT datname FROM pg_database")}


def test_sqlite_by_default(tmp_path: Path) -> None:
    proc = _pytest(_project(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and "URL-USED sqlite" in proc.stderr


@pytest.mark.parametrize("how", ["option", "ini", "env"])
def test_postgres_when_a_server_url_is_given(tmp_path: Path, how: str) -> None:
    require_pg()
    root = _project(tmp_path)
    before = _leftover_databases()
    args, env = [], {}
    if how == "option":
        args = ["--sqlmig-url", PG_URL]
    elif how == "ini":
        (root / "pytest.ini").write_text(f"[pytest]\nsqlmig_url = {PG_URL}\n")
    else:
        env = {"SQLMIG_TEST_URL": PG_URL}
    proc = _pytest(root, *args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and "URL-USED postgresql" in proc.stderr
    left = {n for n in _leftover_databases() - before if n.startswith("sqlmig_test_")}
    assert not left, f"temporary databases not dropped: {left}"


def _databases(server: str) -> set[str]:
    if server.startswith("mysql"):
        return {r[0] for r in query(MYSQL_URL, "SHOW DATABASES")}
    return _leftover_databases()


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_server_url_whose_database_does_not_exist(tmp_path: Path, kind: str) -> None:
    """The plugin creates its own databases: the URL's only serves to connect, and when the
    server has none of that name, its maintenance database does (createdb does the same)."""
    (require_pg if kind == "postgres" else require_mysql)()
    base = (PG_URL if kind == "postgres" else MYSQL_URL).rsplit("/", 1)[0]
    server = f"{base}/sqlmig_no_such_database"
    proc = _pytest(_project(tmp_path), "--sqlmig-url", server)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and f"URL-USED {server.split(':')[0]}" in proc.stderr
    used = {line.split()[1] for line in proc.stderr.splitlines() if line.startswith("DB-USED")}
    assert used and all(n.startswith("sqlmig_test_") for n in used), proc.stderr
    assert not used & _databases(server), f"test databases not dropped: {used}"
    assert "sqlmig_no_such_database" not in _databases(server)


def test_mysql_with_an_existing_database(tmp_path: Path, mysql_url: str) -> None:
    proc = _pytest(_project(tmp_path), "--sqlmig-url", mysql_url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and "URL-USED mysql" in proc.stderr
    assert query(mysql_url, "SHOW TABLES") == []  # the URL's own database is left alone


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    proc = _pytest(_project(tmp_path), "--sqlmig-url", "postgresql://u:s3cret@127.0.0.1:1/app")
    assert proc.returncode == 1, proc.stdout
    assert "sqlmig: the test server: cannot connect to postgresql://u:***@127.0.0.1:1/app" in (
        proc.stdout
    )
    assert "(--sqlmig-url, the ini option sqlmig_url or SQLMIG_TEST_URL)" in proc.stdout
    assert "Traceback" not in proc.stdout and "psycopg" not in proc.stdout
    assert "s3cret" not in proc.stdout + proc.stderr and "2 errors" in proc.stdout


def test_a_broken_migration_is_reported_as_a_fixture_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    write(root / "migrations", "0003_broken", "CREATE TABLE users (id int);\n")  # exists already
    proc = _pytest(root)
    assert proc.returncode == 1, proc.stdout
    assert "sqlmig: cannot apply the migrations in" in proc.stdout
    assert "0003_broken (up) failed" in proc.stdout and "2 errors" in proc.stdout


def test_not_loaded_unless_a_project_opts_in(tmp_path: Path) -> None:
    """Installed is not enabled: no import, no options, no fixtures in other projects' runs."""
    root = _project(tmp_path, opt_in=False)
    (root / "test_other.py").write_text(
        "import sys\n\ndef test_untouched():\n    assert 'sqlmig.testing' not in sys.modules\n"
    )
    proc = _pytest(root, "test_other.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    unknown = _pytest(root, "--sqlmig-url", "x", "test_other.py")
    assert unknown.returncode != 0 and "unrecognized arguments: --sqlmig-url" in unknown.stderr

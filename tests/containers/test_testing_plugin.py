"""The pytest plugin `sqlmig.testing`, run by a real pytest on a tiny sample project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL, query, require_pg, write

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
    import psycopg

    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_the_schema_is_there(sqlmig_url):
    rows(sqlmig_url, "INSERT INTO users VALUES (1, %s, %s)", ("ada", "ada@example.org"))
    assert rows(sqlmig_url, "SELECT name, email FROM users") == [("ada", "ada@example.org")]
    print("URL-USED", sqlmig_url.split(":", 1)[0], file=sys.stderr)


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

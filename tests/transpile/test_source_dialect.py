"""`source_dialect = "postgres"`: `up` on SQLite/MySQL runs the files transpiled, records the
source files' checksums, and refuses before running anything it cannot translate."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sqlmig.files import checksum
from tests.conftest import query, sqlmig, write

USERS = (
    "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE,\n"
    "  balance numeric(12,2) NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());\n"
    "CREATE INDEX CONCURRENTLY users_created ON users (created_at DESC NULLS LAST);\n"
)


def _config(tmp_path: Path, migrations: Path) -> Path:
    (tmp_path / "sqlmig.toml").write_text(
        f'source_dialect = "postgres"\ndir = "{migrations}"\n', "utf-8"
    )
    return tmp_path


def test_up_runs_postgres_files_on_sqlite(migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_users", USERS, "DROP TABLE users;\n")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=_config(tmp_path, migrations))
    assert done.returncode == 0, done.stderr
    query_sql = "INSERT INTO users (email, balance) VALUES ('a', 12.34) RETURNING id, balance"
    assert query(url, query_sql) == [(1, 12.34)]
    source = (migrations / "0001_users.up.sql").read_bytes()
    assert query(url, "SELECT checksum FROM sqlmig_history") == [(checksum(source),)]
    done = sqlmig("validate", "-u", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sqlmig("down", "-u", url, cwd=tmp_path).returncode == 0


def test_the_example_set_runs_on_sqlite_through_source_dialect(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "migrations"
    url = f"sqlite:///{tmp_path / 'app.db'}"
    cwd = _config(tmp_path, examples)
    for args in (["up"], ["down", "--steps", "2", "--yes"], ["up"], ["validate"]):
        done = sqlmig(*args, "-u", url, cwd=cwd)
        assert done.returncode == 0, (args, done.stderr)
    rows = query(url, "SELECT version, checksum FROM sqlmig_history ORDER BY version")
    sources = sorted(examples.glob("*.up.sql"))
    assert rows == [(i + 1, checksum(f.read_bytes())) for i, f in enumerate(sources)]
    # as on PostgreSQL, `id INTEGER PRIMARY KEY` is a plain key there, not SQLite's rowid alias
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.execute("INSERT INTO authors (id, name, age) VALUES (1, 'Le Guin', 88)")
        with pytest.raises(sqlite3.IntegrityError, match=r"NOT NULL constraint failed"):
            conn.execute("INSERT INTO authors (name) VALUES ('no id')")
    assert query(url, "SELECT name FROM authors") == [("Le Guin",)]


def test_up_runs_postgres_files_on_mysql(migrations: Path, tmp_path: Path, mysql_url: str) -> None:
    write(migrations, "0001_users", USERS, "DROP INDEX users_created;\nDROP TABLE users;\n")
    done = sqlmig("up", "-u", mysql_url, cwd=_config(tmp_path, migrations))
    assert done.returncode == 0, done.stderr
    sql = (
        "SELECT COLUMN_NAME, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' ORDER BY 1"
    )
    cols = query(mysql_url, sql)
    assert ("balance", "decimal(12,2)", "") in cols
    assert ("id", "bigint(20)", "auto_increment") in cols
    assert sqlmig("down", "-u", mysql_url, cwd=tmp_path).returncode == 0


def test_an_untranslatable_pending_file_stops_up_before_anything_runs(
    migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_users", USERS)
    write(migrations, "0002_ext", "CREATE EXTENSION pgcrypto;\n")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=_config(tmp_path, migrations))
    assert done.returncode == 2
    assert "0002_ext.up.sql:1: extensions are PostgreSQL-only" in done.stderr
    assert query(url, "SELECT name FROM sqlite_master WHERE name = 'users'") == []


def test_same_dialect_runs_the_files_as_written(migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    (tmp_path / "sqlmig.toml").write_text(f'source_dialect = "sqlite"\ndir = "{migrations}"\n')
    assert sqlmig("up", "-u", url, cwd=tmp_path).returncode == 0


def test_a_table_other_tables_refer_to_is_rebuilt_keeping_their_rows(
    migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_p", "CREATE TABLE p (id int PRIMARY KEY, v int);\n"
          "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id) ON DELETE CASCADE);\n"
          "INSERT INTO p VALUES (1, 10);\nINSERT INTO c VALUES (1, 1);\n")  # fmt: skip
    write(migrations, "0002_v", "ALTER TABLE p ALTER COLUMN v SET NOT NULL;\n"
          "ALTER TABLE p ALTER COLUMN v TYPE bigint;\n")  # fmt: skip
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=_config(tmp_path, migrations))
    assert done.returncode == 0, done.stderr
    assert query(url, "SELECT id, p_id FROM c") == [(1, 1)]  # no cascade fired
    assert "NOT NULL" in query(url, "SELECT sql FROM sqlite_master WHERE name = 'p'")[0][0]
    # the same file, run with foreign_keys on, stops by name before anything changes
    out = tmp_path / "lite"
    assert (
        sqlmig("transpile", "--to", "sqlite", "-d", str(migrations), "-o", str(out)).returncode == 0
    )
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript((out / "0001_p.up.sql").read_text())
        with pytest.raises(
            sqlite3.IntegrityError, match="rebuilding p needs PRAGMA foreign_keys = OFF"
        ):
            conn.executescript("BEGIN;\n" + (out / "0002_v.up.sql").read_text() + "COMMIT;\n")
        conn.rollback()
        assert conn.execute("SELECT id, p_id FROM c").fetchall() == [(1, 1)]


def test_an_error_names_the_line_of_the_source_file(migrations: Path, tmp_path: Path) -> None:
    text = (
        "-- users\n-- and a comment\nCREATE TABLE u (id bigserial PRIMARY KEY,\n"
        "  email varchar(200) NOT NULL);\n\nCOMMENT ON TABLE u IS 'people';\n-- a bad row\n"
        "INSERT INTO u (email)\n  VALUES (NULL);\n"
    )
    write(migrations, "0001_u", text)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=_config(tmp_path, migrations))
    assert done.returncode == 1
    assert f"{migrations / '0001_u.up.sql'}:8:" in done.stderr  # the INSERT's line there

"""`sqlmig diff` reads real `pg_dump --schema-only` output as the desired schema: its `\\restrict`
lines, SET lines and set_config() call; a dump made with --create, or naming roles the server
lacks, is refused with the pg_dump options that make a usable one."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import execute, skip_or_fail, sqlmig

SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq START 100;
CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
    m mood DEFAULT 'ok');
CREATE TABLE books (id serial PRIMARY KEY, title text NOT NULL,
    author_id bigint REFERENCES authors (id) ON DELETE CASCADE,
    price numeric(10,2) CHECK (price >= 0), ticket int DEFAULT nextval('ticket_seq'));
CREATE INDEX books_title ON books (lower(title));
CREATE VIEW cheap AS SELECT id, title FROM books WHERE price < 10;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW.title := trim(NEW.title); RETURN NEW; END $$;
CREATE TRIGGER books_touch BEFORE INSERT ON books FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
"""
RESTRICT = re.compile(r"^\\(?:un)?restrict .*\n", re.M)


def pg_dump(url: str, *options: str) -> str:
    exe = shutil.which("pg_dump")
    if exe is None:
        skip_or_fail("pg_dump is not installed")
    proc = subprocess.run(
        [str(exe), "--schema-only", *options, f"--dbname={url}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def with_restrict(dump: str) -> str:
    """The dump as pg_dump 15.14+/16.10+/17.6+ writes it, whichever pg_dump made it."""
    key = "AbC123restrictKeyWrittenByNewerPgDump"
    body = RESTRICT.sub("", dump)
    return f"--\n-- PostgreSQL database dump\n--\n\n\\restrict {key}\n{body}\n\\unrestrict {key}\n"


@pytest.fixture
def dump(pg_url: str) -> str:
    execute(pg_url, SCHEMA)
    return pg_dump(pg_url)


@pytest.mark.parametrize("form", ["as_dumped", "with_restrict_lines"])
def test_diff_builds_a_real_pg_dump(
    dump: str, form: str, pg_url_2: str, migrations: Path, tmp_path: Path
) -> None:
    text = dump if form == "as_dumped" else with_restrict(dump)
    assert "SELECT pg_catalog.set_config('search_path', '', false);" in text
    if form == "with_restrict_lines":
        assert text.count("\\restrict ") == 1 and text.count("\\unrestrict ") == 1
    schema = tmp_path / "schema.sql"
    schema.write_text(text)
    args = ("--url", pg_url_2, "--dir", str(migrations))

    check = sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    for thing in ("table books", "view cheap", "type mood", "function touch()", "ticket_seq"):
        assert thing in check.stdout, (thing, check.stdout)

    made = sqlmig(*args, "diff", str(schema), "--name", "from_dump", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    applied = sqlmig(*args, "up", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    again = sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path)
    assert again.returncode == 0 and "they agree" in again.stdout, again.stdout + again.stderr


def test_a_dump_made_with_create_is_refused_by_line(
    pg_url: str, pg_url_2: str, migrations: Path, tmp_path: Path
) -> None:
    execute(pg_url, "CREATE TABLE t (id int);")
    text = pg_dump(pg_url, "--create")
    schema = tmp_path / "schema.sql"
    schema.write_text(text)
    line = text[: text.index("CREATE DATABASE")].count("\n") + 1
    proc = sqlmig("--url", pg_url_2, "--dir", str(migrations), "diff", "--check", str(schema))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{schema}:{line}: CREATE DATABASE would leave the scratch database" in proc.stderr
    assert "pg_dump --schema-only --no-owner" in proc.stderr

    schema.write_text(re.sub(r"^(CREATE|ALTER) DATABASE .*$", "", text, flags=re.M))
    connect = text[: text.index("\\connect")].count("\n") + 1
    proc = sqlmig("--url", pg_url_2, "--dir", str(migrations), "diff", "--check", str(schema))
    assert f"{schema}:{connect}: \\connect would leave the scratch database" in proc.stderr


def test_a_dump_naming_missing_roles_says_how_to_dump_without_them(
    dump: str, pg_url_2: str, migrations: Path, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(re.sub(r"OWNER TO \w+", "OWNER TO sqlmig_no_such_role", dump))
    proc = sqlmig("--url", pg_url_2, "--dir", str(migrations), "diff", "--check", str(schema))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'role "sqlmig_no_such_role" does not exist' in proc.stderr
    assert "--no-owner --no-privileges" in proc.stderr

"""`sqlmig create` makes the database the URL names (issue 11, item 12), on every database:
created once, "already exists" (exit 0) after, and a clear error where it cannot."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import (
    MYSQL_URL,
    PG_URL,
    _mysql_admin,
    _with_db,
    query,
    require_mysql,
    require_pg,
    sqlmig,
    write,
)


@pytest.fixture(params=["pg", "mysql"])
def missing_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a database that does not exist yet on the server (with a hostile name); it is
    dropped afterwards if the test created it."""
    name = f'sqlmig c`r"{uuid.uuid4().hex[:8]}'
    if request.param == "pg":
        require_pg()
        import psycopg

        yield _with_db(PG_URL, "NAME").replace("NAME", quote(name, safe=""))
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')
    else:
        require_mysql()
        yield f"{MYSQL_URL.rsplit('/', 1)[0]}/{quote(name, safe='')}"
        admin = _mysql_admin()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name.replace('`', '``')}`")
        admin.close()


def test_create_then_up_on_a_server(missing_url: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_t", "CREATE TABLE t (id INT);\n")
    before = sqlmig("--url", missing_url, "--dir", str(tmp_path), "status")
    assert before.returncode == 6 and "sqlmig create" in before.stderr, before.stderr
    first = sqlmig("--url", missing_url, "--json", "create")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["entries"][0]["created"] is True
    again = sqlmig("--url", missing_url, "create")
    assert again.returncode == 0 and "already exists" in again.stdout, again.stdout
    done = sqlmig("--url", missing_url, "--dir", str(tmp_path), "up")
    assert done.returncode == 0, done.stderr
    assert query(missing_url, "SELECT count(*) FROM t") == [(0,)]


def test_create_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    done = sqlmig("--url", f"sqlite:///{path}", "create")
    assert done.returncode == 0 and "created SQLite database" in done.stdout, done.stderr
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    sqlite3.connect(path).execute("CREATE TABLE kept (x)").connection.commit()
    again = sqlmig("--url", f"sqlite:///{path}", "create")
    assert again.returncode == 0 and "already exists" in again.stdout
    assert sqlite3.connect(path).execute("SELECT count(*) FROM kept").fetchone() == (0,)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite:///{tmp}/no/such/folder/x.db", "does not exist"),
        ("sqlite:///:memory:", "in-memory"),
        ("postgresql://postgres@127.0.0.1:5432", "names no database"),
        ("mysql://root@127.0.0.1:3306/", "names no database"),
    ],
)
def test_what_cannot_be_created_is_a_usage_error(url: str, words: str, tmp_path: Path) -> None:
    done = sqlmig("--url", url.format(tmp=tmp_path), "create")
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert not (tmp_path / "no").exists()


def test_a_user_without_the_right_is_told_so(tmp_path: Path) -> None:
    require_pg()
    import psycopg

    role, name = f"sqlmig_nocreate_{uuid.uuid4().hex[:6]}", f"sqlmig_c_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        url = _with_db(PG_URL, name).replace("//postgres@", f"//{role}@")
        done = sqlmig("--url", url, "create")
        assert done.returncode == 1, done.stderr
        assert "permission denied" in done.stderr and "CREATEDB" in done.stderr
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize(
    ("dialect", "name"),
    [
        ("pg", "sqlmig_brk_" + "a" * 53),  # 64 bytes: PostgreSQL would cut it to 63
        ("pg", "sqlmig_brk_" + "é" * 27),  # 65 bytes in 38 characters
        ("mysql", "sqlmig_brk_" + "a" * 54),  # 65 characters
        ("mysql", "sqlmig_brk_trailing "),
    ],
)
def test_a_name_the_server_would_not_keep_is_a_usage_error(dialect: str, name: str) -> None:
    """Not 'created' under a name that does not exist, nor a hint about rights the user has."""
    url = _with_db(PG_URL, "N") if dialect == "pg" else f"{MYSQL_URL.rsplit('/', 1)[0]}/N"
    require_pg() if dialect == "pg" else require_mysql()
    done = sqlmig("--url", url.replace("/N", "/" + quote(name, safe="")), "create")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "created" not in done.stdout and "CREATEDB" not in done.stderr, done.stderr
    if dialect == "pg":
        import psycopg

        cut = name.encode()[:63].decode(errors="ignore")  # what PostgreSQL would have made
        with psycopg.connect(PG_URL) as admin:
            left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cut,))
            assert left.fetchall() == [], cut


@pytest.mark.parametrize("what", ["folder", "text file"])
def test_what_is_not_a_sqlite_database_is_not_called_one(what: str, tmp_path: Path) -> None:
    """`create` said "SQLite database ... already exists" (exit 0) for a folder or a text file."""
    path = tmp_path / "app.db"
    path.mkdir() if what == "folder" else path.write_text("hello\n")
    done = sqlmig("--url", f"sqlite:///{path}", "create")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "already exists" not in done.stdout and "not a SQLite database" in done.stderr
    empty = tmp_path / "empty.db"
    empty.touch()  # SQLite reads an empty file as an empty database
    again = sqlmig("--url", f"sqlite:///{empty}", "create")
    assert again.returncode == 0 and "already exists" in again.stdout, again.stderr

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
    table = "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'"
    assert query(missing_url, table) == [(1,)]


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

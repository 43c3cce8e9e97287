"""A user with one empty scratch database and no right to create another (PostgreSQL: no
CREATEDB; MySQL: rights on that database only) runs a full verify: sqlmig empties the database
itself between attempts and at the end, and refuses one that holds anything, naming it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlmig.drivers import connect
from sqlmig.schema import emptying
from sqlmig.schema.commands import verify
from sqlmig.urls import parse_url
from tests.cli.helpers import UNREACHABLE
from tests.conftest import (
    MYSQL_URL,
    PG_URL,
    ROOT,
    _mysql_admin,
    _with_db,
    execute,
    query,
    require_mysql,
    require_pg,
    sqlmig,
    write,
)

from .helpers import TABLE, cfg
from .test_verify import BROKEN, _write


def _pg_own_database() -> Iterator[str]:
    """A login role without CREATEDB (nor superuser) that owns one empty database."""
    require_pg()
    import psycopg

    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    url = _with_db(PG_URL, name).replace("postgres@", f"{name}@", 1)
    try:
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def _mysql_own_database() -> Iterator[str]:
    """A user with every right on one database and none elsewhere (no CREATE of another)."""
    require_mysql()
    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"CREATE USER '{name}'@'%'")
            cur.execute(f"GRANT ALL ON `{name}`.* TO '{name}'@'%'")
        base = MYSQL_URL.rsplit("/", 1)[0].replace("//root@", f"//{name}@", 1)
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")
        admin.close()


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def own_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
    elif request.param == "postgres":
        yield from _pg_own_database()
    else:
        yield from _mysql_own_database()


def held(url: str) -> set[str]:
    driver = connect(parse_url(url), table=TABLE)
    try:
        return {str(h) for h in emptying.inventory(driver)}
    finally:
        driver.close()


def test_the_right_to_create_a_database_is_really_missing(own_url: str, tmp_path: Path) -> None:
    if own_url.startswith("sqlite"):
        return
    made = sqlmig("--url", own_url, "--dir", str(ROOT / "migrations"), "verify", cwd=tmp_path)
    assert made.returncode == 2, made.stdout + made.stderr
    assert "cannot create a scratch database on the server" in made.stderr


def test_doing_what_the_missing_right_hint_says_lets_verify_run(
    own_url: str, tmp_path: Path
) -> None:
    """The hint's GRANT (MySQL: ALL on the prefix's names, since the migrations run there; CREATE
    and DROP alone: the first history row is refused) or CREATEDB, done as said, is enough."""
    if own_url.startswith("sqlite"):
        return
    user = own_url.split("//", 1)[1].split("@", 1)[0]
    prefix = f"sqlmig_sg{uuid.uuid4().hex[:6]}_"
    args = (
        "--url",
        own_url,
        "--dir",
        str(ROOT / "migrations"),
        "verify",
        "--scratch-prefix",
        prefix,
    )
    refused = sqlmig(*args, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    if own_url.startswith("mysql"):
        hint = refused.stderr.split("as an administrator: ", 1)[1].split(" (the migrations", 1)[0]
        assert hint == f"GRANT ALL ON `{prefix.replace('_', chr(92) + '_')}%`.* TO the user", hint
        execute(MYSQL_URL, hint.replace("the user", f"'{user}'@'%'"))
    else:
        assert "grant this user CREATEDB (ALTER ROLE ... CREATEDB)" in refused.stderr
        execute(PG_URL, f'ALTER ROLE "{user}" CREATEDB')
    ran = sqlmig(*args, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_every_broken_migration_is_named_on_one_given_database(
    own_url: str, migrations: Path
) -> None:
    empty_at_start = held(own_url)
    _write(migrations, BROKEN, own_url)
    result = verify(cfg(own_url, migrations), scratch_url=own_url, start=None, notify=None)
    assert [(e["migration"], e["problem"]) for e in result.entries] == [
        ("0003_add_isbn", "down does not restore the schema"),
        ("0004_index_name", "down does not restore the schema"),
        ("0005_drop_notes_index", "down does not restore the schema"),
        ("0006_create_books", "down does not restore the schema"),
        ("0008_seed_settings", "up is not repeatable: it failed after its down"),
    ]
    assert held(own_url) == empty_at_start  # emptied at the end: it can be used again
    again = verify(cfg(own_url, ROOT / "migrations"), scratch_url=own_url, start=None, notify=None)
    assert again.ok, again.messages


def test_a_given_database_that_holds_anything_is_refused_and_kept(
    own_url: str, tmp_path: Path
) -> None:
    execute(own_url, "CREATE TABLE precious (id int); INSERT INTO precious VALUES (1);")
    execute(own_url, "CREATE VIEW kept AS SELECT id FROM precious;")
    args = ("--dir", str(ROOT / "migrations"), "verify", "--scratch-url", own_url)
    proc = sqlmig(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is not empty: it holds table " in proc.stderr and "precious" in proc.stderr
    assert "view " in proc.stderr and "kept" in proc.stderr
    assert query(own_url, "SELECT id FROM kept") == [(1,)]


def test_postgres_keeps_the_empty_schemas_and_extensions_it_was_given(
    migrations: Path,
) -> None:
    owner = _pg_own_database()
    url = next(owner)
    try:
        execute(url, "CREATE SCHEMA app; CREATE EXTENSION IF NOT EXISTS plpgsql;")
        (migrations / "0001_app.up.sql").write_text(
            "CREATE TABLE app.t (id int); CREATE SCHEMA extra; CREATE TYPE extra.mood AS "
            "ENUM ('a'); CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
            "utf-8",
        )
        (migrations / "0001_app.down.sql").write_text("DROP TABLE app.t;", "utf-8")
        result = verify(cfg(None, migrations), scratch_url=url, start=None, notify=None)
        assert [e["migration"] for e in result.entries] == ["0001_app"]
        assert held(url) == {"schema app", "schema public", "extension plpgsql"}
    finally:
        owner.close()


def test_diff_builds_both_schemas_on_the_one_given_database(own_url: str, migrations: Path) -> None:
    """No second database: the user without CREATEDB runs diff, and the pair it writes."""
    from sqlmig.schema.commands import diff
    from sqlmig.schema.desired import SchemaFile

    mysql = own_url.startswith("mysql")
    (migrations / "0001_t.up.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);", "utf-8")
    path = migrations.parent / "schema.sql"
    desired = SchemaFile(path)
    path.write_text("CREATE TABLE t (id int PRIMARY KEY, name varchar(20));\n"
                       f"CREATE INDEX t_name ON t ({'name(10)' if mysql else 'name'});\n",
                       "utf-8")  # fmt: skip
    config = cfg(None, migrations)
    check = diff(config, desired=desired, check=True, name="x", scratch_url=own_url)
    assert not check.ok and "diff: the migrations do not build" in check.messages[-1]
    wrote = diff(config, desired=desired, check=False, name="add_name", scratch_url=own_url)
    assert wrote.ok, wrote.messages
    assert (migrations / "0002_add_name.up.sql").is_file()
    assert held(own_url) <= {"schema public", "extension plpgsql"}


def test_status_schema_can_use_the_given_database_again_and_again(
    own_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """It was left holding the applied migrations' schema, so the next run refused it."""
    kind = own_url.split(":", 1)[0]
    live = (
        f"sqlite:///{tmp_path / 'live.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("mysql_url" if kind == "mysql" else "pg_url")
    )
    args = ("--url", live, "--dir", str(ROOT / "migrations"))
    assert sqlmig(*args, "up", cwd=tmp_path).returncode == 0
    for _ in range(2):
        done = sqlmig(*args, "status", "--schema", "--exit-code", "--scratch-url", own_url,
                      cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "schema: matches what the 5 applied migration(s) build" in done.stdout
    assert held(own_url) <= {"schema public", "extension plpgsql"}


def test_postgres_makes_again_the_public_schema_a_migration_dropped(migrations: Path) -> None:
    """0001's down forgets public: the run goes on from the database as it was given (0001
    applied again needs public to drop), and leaves it so."""
    owner = _pg_own_database()
    url = next(owner)
    try:
        execute(url, "CREATE SCHEMA hist;")  # the history is kept out of public
        write(migrations, "0001_no_public", "DROP SCHEMA public CASCADE; CREATE SCHEMA app;",
              "DROP SCHEMA app;")  # fmt: skip
        write(migrations, "0002_t", "CREATE TABLE app.t (id int);", "DROP TABLE app.t;")
        config = cfg(None, migrations, table="hist.sqlmig_history")
        result = verify(config, scratch_url=url, start=None, notify=None)
        assert [(e["migration"], list(e["details"])) for e in result.entries] == [
            ("0001_no_public", ["schema public missing"])
        ]
        assert result.messages[-1] == "verify: 2 migration(s) checked; 1 problem(s)"
        assert held(url) == {"schema public", "schema hist", "extension plpgsql"}
    finally:
        owner.close()


@pytest.mark.parametrize("command", [("verify",), ("status", "--schema"), ("diff", "--check")])
def test_a_scratch_database_of_another_kind_is_refused_before_connecting(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A PostgreSQL scratch database for a SQLite --url would check the migrations on the wrong
    kind of database and report success: refused (exit 2) before anything connects."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    (tmp_path / "schema.sql").write_text("CREATE TABLE a (id int);\n")
    url = f"sqlite:///{tmp_path}/live.db"
    done = sqlmig(
        "--url", url, "--dir", str(folder), *command, "--scratch-url", UNREACHABLE, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "is a postgres database, and --url" in done.stderr
    assert "the check would run on the wrong kind" in done.stderr

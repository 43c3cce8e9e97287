"""Fixtures of the schema tests: db_url on all three databases, and a second empty database of
the same kind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    PG_URL,
    _with_db,
    fresh_mysql_database,
    fresh_pg_database,
    require_pg,
)


@pytest.fixture(params=["sqlite", "pg", "mysql"], ids=["sqlite", "postgres", "mysql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each schema test runs on SQLite, PostgreSQL and MySQL/MariaDB."""
    return request.getfixturevalue(f"{request.param}_url")


def dialect(url: str) -> str:
    return (
        "sqlite"
        if url.startswith("sqlite")
        else "mysql"
        if url.startswith("mysql")
        else ("postgres")
    )


@pytest.fixture
def mysql_url_2() -> Iterator[str]:
    """A second fresh MySQL/MariaDB database; dropped afterwards."""
    yield from fresh_mysql_database()


@pytest.fixture
def pg_url_2() -> Iterator[str]:
    """A second fresh PostgreSQL database; dropped afterwards."""
    yield from fresh_pg_database()


@pytest.fixture
def other_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> str:
    """A second empty database of the same kind as db_url."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    return request.getfixturevalue("mysql_url_2" if db_url.startswith("mysql") else "pg_url_2")


RESET = """DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public;"""


@pytest.fixture(scope="module")
def pg_pair_module() -> Iterator[tuple[str, str]]:
    """Two PostgreSQL databases shared by a module's tests (emptied by `two_dbs` each time)."""
    require_pg()
    import psycopg

    names = [f"sqlmig_t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(PG_URL, names[0]), _with_db(PG_URL, names[1])
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def two_dbs(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """Two empty databases of one kind: SQLite files, the module's PostgreSQL pair emptied, or
    two fresh MySQL/MariaDB databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    if request.param == "mysql":
        return request.getfixturevalue("mysql_url"), request.getfixturevalue("mysql_url_2")
    import psycopg

    pair = request.getfixturevalue("pg_pair_module")
    for url in pair:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(RESET)
    return pair

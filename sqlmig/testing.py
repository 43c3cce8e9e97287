"""pytest plugin: a fresh database with every migration applied, for tests of your application.

Opt in from a conftest.py (it is deliberately not auto-loaded through an entry point, so that
installing sqlmig never changes or slows down the test runs of projects that do not use it):

    pytest_plugins = ["sqlmig.testing"]

    def test_insert_user(sqlmig_url):
        ...  # sqlmig_url: "sqlite:///..." or "postgresql://.../sqlmig_test_..."

SQLite by default (a temporary file). PostgreSQL or MySQL when a server URL is given, first found
of: `--sqlmig-url URL`, the ini option `sqlmig_url`, the environment variable SQLMIG_TEST_URL. On
PostgreSQL the migrations are applied once per session into a template database, and each test
gets `CREATE DATABASE ... TEMPLATE` of it; on MySQL each test's database gets them applied;
either is dropped after the test. The URL's database only serves to connect (the server's
`postgres` database stands in when it does not exist). Options: `sqlmig_dir` (default
`migrations`, relative to the rootdir), `sqlmig_table`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from . import config
from .errors import ConnectError, SqlmigError, UsageError
from .urls import parse_url, redact, scrub


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sqlmig", "sqlmig: databases with all migrations applied")
    group.addoption(
        "--sqlmig-url",
        default=None,
        help="PostgreSQL server URL for the sqlmig_url fixture (default: SQLite files)",
    )
    parser.addini("sqlmig_url", "PostgreSQL server URL for the sqlmig_url fixture", default="")
    parser.addini("sqlmig_dir", "migrations folder, relative to the rootdir", default="migrations")
    parser.addini("sqlmig_table", "history table name", default=config.DEFAULT_TABLE)


@dataclass(frozen=True)
class Template:
    """Migrations applied once, to be copied: a SQLite file, or a PostgreSQL template database
    (MySQL has no templates: each test's database gets the migrations applied)."""

    url: str
    source: str  # the SQLite file's path, or the template database's name
    server: str | None = None  # the server URL databases are created through; None: SQLite
    # DROP DATABASE waits for a checkpoint (about a second): tests go on while it runs
    dropper: ThreadPoolExecutor | None = None
    folder: Path | None = None  # MySQL: the migrations each test's database gets
    table: str = config.DEFAULT_TABLE


@pytest.fixture(scope="session")
def _sqlmig_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    opts = request.config
    server = opts.getoption("--sqlmig-url") or opts.getini("sqlmig_url")
    server = server or config.testing_server_url()
    folder = Path(opts.rootpath) / opts.getini("sqlmig_dir")
    table = opts.getini("sqlmig_table")
    if not server:
        path = tmp_path_factory.mktemp("sqlmig") / "template.db"
        yield _migrated(Template(f"sqlite:///{path}", str(path)), folder, table)
        return
    server = _reachable(server)
    name = _create(server, template=None)
    dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlmig-drop")
    try:
        url = _with_db(server, name)
        yield _migrated(Template(url, name, server, dropper, folder, table), folder, table)
    finally:
        dropper.shutdown(wait=True)  # every test database is gone before the template
        _drop(server, name)


@pytest.fixture
def sqlmig_url(_sqlmig_template: Template, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database, private to this test, with every migration applied."""
    template = _sqlmig_template
    if template.server is None:
        target = tmp_path / "sqlmig.db"
        shutil.copyfile(template.source, target)
        yield f"sqlite:///{target}"
        return
    mysql = _dialect(template.server) == "mysql"
    name = _create(template.server, template=None if mysql else template.source)
    try:
        url = _with_db(template.server, name)
        if mysql and template.folder is not None:
            _migrated(Template(url, name), template.folder, template.table)
        yield url
    finally:
        assert template.dropper is not None
        template.dropper.submit(_drop, template.server, name)


def _migrated(template: Template, folder: Path, table: str) -> Template:
    from .migrator import Migrator

    cfg = config.Config(url=template.url, dir=folder, table=table)
    try:
        Migrator(cfg).up()
    except SqlmigError as exc:
        pytest.fail(f"sqlmig: cannot apply the migrations in {folder}: {exc.message}")
    return template


def _with_db(server: str, name: str) -> str:
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def _dialect(server: str) -> str:
    return parse_url(server).driver


def _reachable(server: str) -> str:
    """The server URL to create databases through, or a clear failure (never a traceback)."""
    try:
        return _admin_url(server)
    except SqlmigError as exc:
        failure = exc
    hint = (failure.hint or "").replace("(--url, SQLMIG_URL or DATABASE_URL)", WHERE)
    pytest.fail(f"sqlmig: the test server: {failure.message}\nhint: {hint}", pytrace=False)


def _admin_url(server: str) -> str:
    """The URL's database only serves to connect: when the server has no such database, its
    maintenance database (PostgreSQL's `postgres`; none on MySQL) serves as well, as for
    createdb. When that fails too, the error names the URL's database and how to create it."""
    if _dialect(server) == "sqlite":
        raise UsageError(
            "the pytest plugin's server URL is a SQLite URL",
            hint="leave sqlmig_url, --sqlmig-url and SQLMIG_TEST_URL unset for SQLite test "
            "databases; set them to a postgresql:// or mysql:// server URL otherwise",
        )
    try:
        _admin(server).close()
        return server
    except ConnectError as exc:
        if "has no database" not in (exc.hint or ""):
            raise
        missing = exc
    fallback = _with_db(server, "postgres" if _dialect(server) == "postgres" else "")
    try:
        _admin(fallback).close()
    except SqlmigError:
        raise missing from None
    return fallback


WHERE = "(--sqlmig-url, the ini option sqlmig_url or SQLMIG_TEST_URL)"


def _admin(server: str) -> Any:
    """An autocommit connection to the server (sqlmig's own: its errors are SqlmigErrors)."""
    url = parse_url(server)
    if url.driver == "mysql":
        from .drivers.mysql import _connect as mysql_connect

        return mysql_connect(url)
    from .drivers.pg_connect import _connect as pg_connect

    return pg_connect(url, "sqlmig-test")


def _create(server: str, *, template: str | None) -> str:
    name = f"sqlmig_test_{uuid.uuid4().hex[:12]}"
    conn = _admin(server)
    try:
        _create_database(conn, server, name, template)
        return name
    except Exception as exc:  # the server's own words (no CREATEDB privilege, ...)
        message = scrub(str(exc).strip(), server)
    finally:
        conn.close()
    pytest.fail(  # outside the except: no traceback chained to it
        f"sqlmig: cannot create a test database on {redact(server, server)}: {message}",
        pytrace=False,
    )


def _create_database(conn: Any, server: str, name: str, template: str | None) -> None:
    if _dialect(server) == "mysql":
        conn.cursor().execute(f"CREATE DATABASE `{name}`")
        return
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    conn.execute(statement)


def _drop(server: str, name: str) -> None:
    conn = _admin(server)
    try:
        if _dialect(server) == "mysql":
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        else:
            from psycopg import sql

            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()

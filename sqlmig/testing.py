"""pytest plugin: a fresh database with every migration applied, for tests of your application.

Opt in from a conftest.py (it is deliberately not auto-loaded through an entry point, so that
installing sqlmig never changes or slows down the test runs of projects that do not use it):

    pytest_plugins = ["sqlmig.testing"]

    def test_insert_user(sqlmig_url):
        ...  # sqlmig_url: "sqlite:///..." or "postgresql://.../sqlmig_test_..."

SQLite by default (a temporary file). PostgreSQL when a server URL is given, first found of:
`--sqlmig-url URL`, the ini option `sqlmig_url`, the environment variable SQLMIG_TEST_URL. On that
server the migrations are applied once per session into a template database, and each test gets
`CREATE DATABASE ... TEMPLATE` of it, dropped after the test. Options: `sqlmig_dir` (default
`migrations`, relative to the rootdir), `sqlmig_table`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from . import config
from .errors import SqlmigError

if TYPE_CHECKING:
    import psycopg


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
    """Migrations applied once, to be copied: a SQLite file, or a PostgreSQL template database."""

    url: str
    source: str  # the SQLite file's path, or the template database's name
    server: str | None = None  # the PostgreSQL URL databases are created through; None: SQLite
    # DROP DATABASE waits for a checkpoint (about a second): tests go on while it runs
    dropper: ThreadPoolExecutor | None = None


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
    name = _create(server, template=None)
    dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlmig-drop")
    try:
        yield _migrated(Template(_with_db(server, name), name, server, dropper), folder, table)
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
    name = _create(template.server, template=template.source)
    try:
        yield _with_db(template.server, name)
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


def _admin(server: str) -> psycopg.Connection:
    import psycopg

    return psycopg.connect(server, autocommit=True)


def _create(server: str, *, template: str | None) -> str:
    from psycopg import sql

    name = f"sqlmig_test_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _admin(server) as conn:
        conn.execute(statement)
    return name


def _drop(server: str, name: str) -> None:
    from psycopg import sql

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _admin(server) as conn:
        conn.execute(drop)

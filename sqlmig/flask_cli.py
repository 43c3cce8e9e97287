"""`flask sqlmig ...`: Flask-Migrate's `flask db` verbs as thin calls into sqlmig's library, with
the app's SQLALCHEMY_DATABASE_URI and its Flask-SQLAlchemy models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

Action = Callable[[Any, Any], Any]  # (Config, notify) -> Result

group = AppGroup(
    "sqlmig",
    help="Plain-SQL migrations from the app's Flask-SQLAlchemy models (sqlmig). Like `flask db`: "
    "migrate -m MSG writes the next up/down pair from the models; upgrade applies it.",
)
directory_option = click.option(
    "-d",
    "--directory",
    "--dir",  # as sqlmig's hints name it
    "directory",
    default=None,
    help="The migrations folder. Default: `dir` in sqlmig.toml, else ./migrations.",
)

scratch_option = click.option(
    "--scratch-url",
    default=None,
    help="An empty database of the app's kind to build both schemas on, instead of one made "
    "and dropped beside the app's (which needs CREATEDB).",
)


@group.command()
@directory_option
def init(directory: str | None) -> None:
    """Create the migrations folder and a commented sqlmig.toml."""
    from . import scaffold

    def action(cfg: Any, _n: Any) -> Any:
        config_file = cfg.config_file or Path("sqlmig.toml")
        return scaffold.init(cfg.dir, config_file, url_from="SQLALCHEMY_DATABASE_URI")

    _run(action, directory)


@group.command()
@directory_option
@click.argument("name")
def new(directory: str | None, name: str) -> None:
    """Create an empty NNNN_name.up.sql / .down.sql pair to write by hand."""
    from . import scaffold

    _run(
        lambda cfg, n: scaffold.new(
            cfg.dir, name, timestamp=False, notify=n, dir_format=cfg.dir_format
        ),
        directory,
    )


@group.command()
@directory_option
@click.option("-m", "--message", default="schema_diff", help="What the migration does.")
@scratch_option
def migrate(directory: str | None, message: str, scratch_url: str | None) -> None:
    """Write the next up/down pair that brings the migrations to the models (review it)."""
    action: Action = lambda cfg, n: _diff(cfg, n, False, message, scratch_url)  # noqa: E731
    _run(action, directory, failed=1, scratch=scratch_url)


@group.command()
@directory_option
@scratch_option
def check(directory: str | None, scratch_url: str | None) -> None:
    """Exit 1 when the models and the migrations differ (for CI); write nothing."""
    action: Action = lambda cfg, n: _diff(cfg, n, True, "check", scratch_url)  # noqa: E731
    _run(action, directory, failed=1, scratch=scratch_url)


class Revision(click.ParamType):
    """A version number, or the one word `flask db` users type for this end: `head` for upgrade,
    `base` for downgrade (returned as None and -1)."""

    name = "version"

    def __init__(self, word: str, value: int | None) -> None:
        self.word, self.value = word, value

    def convert(self, value: Any, param: Any, ctx: Any) -> int | None:
        if isinstance(value, int) or value is None:
            return value
        if value.strip().lower() == self.word:
            return self.value
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a version number (such as 3) nor {self.word!r}")


@group.command()
@directory_option
@click.argument("version", required=False, type=Revision("head", None))
def upgrade(directory: str | None, version: int | None) -> None:
    """Apply the pending migrations (up to VERSION, if given; `head`, as in `flask db`, is all)."""
    _run(lambda cfg, n: _migrator(cfg, n).up(to=version), directory)


@group.command()
@directory_option
@click.argument("version", required=False, type=Revision("base", -1))
def downgrade(directory: str | None, version: int | None) -> None:
    """Revert the newest applied migration, or every one after VERSION (`base`: every one)."""
    if version == -1:
        _run(lambda cfg, n: _migrator(cfg, n).down(all_=True), directory)
        return
    steps = None if version is not None else 1
    _run(lambda cfg, n: _migrator(cfg, n).down(steps=steps, to=version), directory)


@group.command()
@directory_option
def current(directory: str | None) -> None:
    """Show the newest applied migration."""
    _run(lambda cfg, n: _migrator(cfg, n).current(), directory)


@group.command()
@directory_option
def history(directory: str | None) -> None:
    """Show the audit log: every upgrade and downgrade, who, when, how long."""
    _run(lambda cfg, n: _migrator(cfg, n).history(), directory)


def _diff(cfg: Any, notify: Any, check: bool, name: str, scratch_url: str | None) -> Any:
    from .events import Event
    from .models_sqlalchemy import ModelsSource
    from .schema.commands import diff

    source = ModelsSource(_db().metadata, "the app's models")
    for line in source.warnings():
        notify(Event("models_warning", line, level="warning"))
    return diff(cfg, desired=source, check=check, name=name, scratch_url=scratch_url)


def _migrator(cfg: Any, notify: Any) -> Any:
    from .migrator import Migrator

    return Migrator(cfg, notify=notify)


def _run(
    action: Action, directory: str | None, *, failed: int = 0, scratch: str | None = None
) -> None:
    """Config from the app's URL (and sqlmig.toml), the action, its result on stdout; an error
    on stderr with its exit code, as the sqlmig command prints it."""
    import sys

    from . import config
    from .cli.runner import Redacted, fail
    from .errors import ConnectError, SqlmigError
    from .events import text_sink
    from .render import emit
    from .urls import redact

    urls: list[str | None] = []
    try:
        urls += [_app_url(), scratch]  # both passwords are hidden
        cfg = config.load({"url": urls[0], "dir": directory})
        result = action(cfg, text_sink(clean=lambda t: redact(t, *urls), verbose=False))
    except SqlmigError as exc:
        if isinstance(exc, ConnectError):  # its hint names sqlmig's own URL settings
            which = " (or --scratch-url)" if scratch else ""
            exc.hint = (
                f"check that the server is running and SQLALCHEMY_DATABASE_URI{which} is right"
            )
        fail(exc, urls, as_json=False)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: still never print the password
        message = redact(f"internal error: {type(exc).__name__}: {exc}", *urls)
        fail(SqlmigError(message, hint="please report this with the command you ran"), urls, False)
        sys.exit(1)
    emit(result, as_json=False, out=Redacted(sys.stdout))
    if failed and not result.ok:
        sys.exit(failed)


def _db() -> Any:
    from flask import current_app

    from .errors import UsageError

    db = current_app.extensions.get("sqlalchemy")
    if db is None:
        raise UsageError(
            f"the app {current_app.name} has no Flask-SQLAlchemy extension",
            hint="create it with db = SQLAlchemy(app) (or db.init_app(app)) in the app factory",
        )
    return db


def _app_url() -> str:
    """The default bind's URL as the app's engine has it (a relative SQLite file resolved into
    the instance folder, as Flask-SQLAlchemy does), as a sqlmig URL."""
    return sqlmig_url(_db().engine.url)


def sqlmig_url(url: Any) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://, mysql+pymysql://, sqlite:///x.db) as sqlmig's."""
    from .errors import UsageError

    backend = url.get_backend_name()
    if backend == "sqlite":
        database = _sqlite_file(url)
        if database in (None, "", ":memory:"):
            raise UsageError(
                "SQLALCHEMY_DATABASE_URI is an in-memory SQLite database: migrations applied to "
                "it would be gone when the command ends",
                hint="use a file: sqlite:///app.db",
            )
        return f"sqlite:///{database}"
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise UsageError(
            f"SQLALCHEMY_DATABASE_URI is a {backend} database; sqlmig migrates PostgreSQL, "
            "MySQL/MariaDB and SQLite",
            hint="use Flask-Migrate (Alembic) for this database",
        )
    return str(url.set(drivername=backend).render_as_string(hide_password=False))


def _sqlite_file(url: Any) -> str | None:
    """The file of a SQLite URL; of its URI form too (sqlite:///file:app.db?uri=true, which
    Flask-SQLAlchemy supports), None for an in-memory one (mode=memory)."""
    from urllib.parse import unquote

    if url.query.get("uri") not in ("true", "1") or not (url.database or "").startswith("file:"):
        return url.database
    if url.query.get("mode") == "memory":
        return None
    path = unquote(url.database[len("file:") :])
    if path.startswith("//"):  # file://localhost/abs/app.db, file:///abs/app.db
        path = path[2:]
        path = path[path.find("/") :]
    return path

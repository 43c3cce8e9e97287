"""Scratch databases: a temporary SQLite file, or a temporary PostgreSQL or MySQL database next
to the live one, created for a check and dropped afterwards."""

from __future__ import annotations

import signal
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..config import DEFAULT_SCRATCH_PREFIX as DEFAULT_PREFIX
from ..drivers import connect
from ..drivers.base import Driver
from ..errors import ConnectError, SqlmigError, UsageError
from ..urls import parse_url
from . import emptying
from .emptying import Held


@contextmanager
def scratch(
    live_url: str | None, scratch_url: str | None, *, table: str, prefix: str = DEFAULT_PREFIX
) -> Iterator[str]:
    """The URL of an empty database to build schemas in: `scratch_url`, or a temporary one."""
    with reusable(live_url, scratch_url, table=table, prefix=prefix) as made:
        yield made.url


@dataclass(frozen=True)
class Scratch:
    """A scratch database for a whole run: `empty()` takes it back to how it started."""

    url: str
    table: str
    keep: frozenset[Held]

    def empty(self) -> None:
        driver = connect(parse_url(self.url), table=self.table)
        try:
            emptying.empty(driver, self.keep)
        finally:
            driver.close()


@contextmanager
def reusable(
    live_url: str | None, scratch_url: str | None, *, table: str, prefix: str = DEFAULT_PREFIX
) -> Iterator[Scratch]:
    """One scratch database, to be emptied between uses: `scratch_url` (refused unless it is
    empty, and emptied again at the end, so it can be used again), or a temporary one named
    `<prefix><12 hex>`, made beside `live_url` and dropped at the end."""
    if scratch_url and live_url:
        _require_same_kind(live_url, scratch_url)
    if scratch_url:
        given = Scratch(scratch_url, table, _baseline(scratch_url, table, given=True))
        try:
            yield given
        except BaseException:
            with signals_held(), suppress(SqlmigError):  # the error that stopped the run shows
                given.empty()
            raise
        with signals_held():
            given.empty()
        return
    if not live_url:
        raise UsageError(
            "no database URL to choose a scratch database by",
            hint="set --url (a temporary database is made next to it) or pass --scratch-url",
        )
    maker = MAKERS[parse_url(live_url).driver]
    with maker(live_url, prefix) as url:
        yield Scratch(url, table, _baseline(url, table, given=False))


def _require_same_kind(live_url: str, scratch_url: str) -> None:
    """The migrations are checked on the scratch database for the database --url names: on
    another kind of database (SQLite for PostgreSQL) the check would prove nothing about it."""
    live, given = parse_url(live_url), parse_url(scratch_url)
    if live.driver != given.driver:
        raise UsageError(
            f"--scratch-url {given.redacted} is a {given.driver} database, and --url "
            f"{live.redacted} a {live.driver} one: the check would run on the wrong kind",
            hint=f"give a scratch database of the same kind ({live.driver}) as --url",
        )


def _baseline(url: str, table: str, *, given: bool) -> frozenset[Held]:
    driver = connect(parse_url(url), table=table)
    try:
        return emptying.baseline(driver, given=given)
    except UsageError as exc:
        raise UsageError(
            exc.message.replace("database", f"database {parse_url(url).redacted}", 1),
            hint=exc.hint,
        ) from None
    finally:
        driver.close()


@contextmanager
def _sqlite(_live_url: str, prefix: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield f"sqlite:///{Path(folder) / 'scratch.db'}"


@contextmanager
def _postgres(live_url: str, prefix: str) -> Iterator[str]:
    admin = _admin(live_url)
    try:
        home = admin.query("SELECT current_schema()")[0][0]
    except BaseException:
        admin.close()
        raise
    with _on_server(live_url, admin, prefix, _admin, drop_suffix=" WITH (FORCE)") as url:
        _make_home(url, home)
        yield url


def _make_home(url: str, home: str | None) -> None:
    """The URL's search_path may name a schema made outside the migrations (the live database
    had it before its first migration, since the history table is kept in it): a new database
    lacks it, and nothing could be built there. The scratch database gets it, empty."""
    if home is None:
        return
    driver = connect(parse_url(url), table="sqlmig_history")
    try:
        if driver.query("SELECT current_schema()")[0][0] is None:
            driver.execute(f"CREATE SCHEMA IF NOT EXISTS {driver.quote(home)}")
            driver.commit()
    finally:
        driver.close()


@contextmanager
def _on_server(
    live_url: str,
    admin: Driver,
    prefix: str,
    reconnect: Callable[[str], Driver],
    *,
    create_suffix: str = "",
    drop_suffix: str = "",
) -> Iterator[str]:
    """A database `<prefix><hex>` made through `admin` beside the live one, dropped after on
    every way out: an error, Ctrl-C, SIGTERM, or a connection the server dropped."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    try:
        try:
            admin.execute(f"CREATE DATABASE {admin.quote(name)}{create_suffix}")
        except SqlmigError as exc:
            raise UsageError(
                f"cannot create a scratch database on the server: {exc.message}",
                hint=_grant_hint(admin.dialect, prefix),
            ) from None
        try:
            yield with_database(live_url, name)
        finally:
            drop = f"DROP DATABASE IF EXISTS {admin.quote(name)}{drop_suffix}"
            with signals_held():
                _drop(admin, drop, name, lambda: reconnect(live_url))
    finally:
        admin.close()


def _grant_hint(dialect: str, prefix: str) -> str:
    """What lets this user make scratch databases: the migrations then run in them, so on MySQL
    CREATE and DROP are not enough (every privilege a migration uses, on those names)."""
    if dialect == "mysql":
        pattern = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        return (
            f"as an administrator: GRANT ALL ON `{pattern}%`.* TO the user (the migrations run in "
            "the scratch database), or pass --scratch-url to an empty database"
        )
    return (
        "grant this user CREATEDB (ALTER ROLE ... CREATEDB), or pass --scratch-url to an empty "
        "database"
    )


def _drop(admin: Driver, drop: str, name: str, reconnect: Callable[[], Driver]) -> None:
    """DROP DATABASE through `admin`, or, if its connection is gone, through a new one."""
    try:
        admin.execute(drop)
        return
    except Exception:  # the connection may be dead: try a fresh one
        pass
    try:
        fresh = reconnect()
        try:
            fresh.execute(drop)
        finally:
            fresh.close()
    except Exception as exc:  # say what is left behind, whatever the cause
        message = exc.message if isinstance(exc, SqlmigError) else str(exc)
        raise UsageError(
            f"could not drop the scratch database {name}: {message}",
            hint=f"drop it by hand: DROP DATABASE {name}",
        ) from None


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done (they are delivered after it), so that
    a second Ctrl-C does not stop a clean-up half way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def _mysql(live_url: str, prefix: str) -> Iterator[str]:
    """A database next to the live one, with its default character set and collation (a table
    that does not name its own is compared by them)."""
    admin = _mysql_admin(live_url)
    try:
        # the database's defaults; the server's when it does not exist yet
        charset, collation = admin.query("SELECT @@character_set_database, @@collation_database")[0]
    except BaseException:
        admin.close()
        raise
    suffix = f" CHARACTER SET {admin.quote(charset)} COLLATE {admin.quote(collation)}"
    with _on_server(live_url, admin, prefix, _mysql_admin, create_suffix=suffix) as url:
        yield url


def _mysql_admin(live_url: str) -> Driver:
    try:
        return connect(parse_url(live_url), table="sqlmig_history")
    except ConnectError:
        return connect(parse_url(with_database(live_url, "")), table="sqlmig_history")


def _admin(live_url: str) -> Driver:
    """A connection to the live server: its database, else `postgres` (it may not exist yet)."""
    try:
        return connect(parse_url(live_url), table="sqlmig_history")
    except ConnectError:
        return connect(parse_url(with_database(live_url, "postgres")), table="sqlmig_history")


def with_database(url: str, name: str) -> str:
    """`url` with its database name replaced (user, password, host and options kept)."""
    parts = urlsplit(url)
    if not parts.netloc:  # postgresql:///db?host=/socket: urlunsplit would drop the "//"
        return f"{parts.scheme}:///{name}" + (f"?{parts.query}" if parts.query else "")
    return urlunsplit(parts._replace(path="/" + name))


MAKERS: dict[str, Callable[[str, str], AbstractContextManager[str]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
    "mysql": _mysql,
}

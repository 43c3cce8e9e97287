"""`sqlmig create`: make the database a URL names, on its server (or the SQLite file).

Each function returns True when it created the database and False when it was already there,
so that `create` can run at every container start, as dbmate's `create` is used.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConnectError, SqlmigError, UsageError
from ..urls import DatabaseUrl, scrub

# Databases every PostgreSQL server has, to connect to while creating another one.
PG_MAINTENANCE = ("postgres", "template1")
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
# PostgreSQL cuts a longer name to this many bytes (NAMEDATALEN - 1), with only a NOTICE.
PG_MAX_NAME_BYTES = 63
# MySQL's "Incorrect database name" (too long, a trailing space, ...) and "identifier too long".
MYSQL_BAD_NAME = (1102, 1059)


def create_database(url: DatabaseUrl) -> tuple[str, bool]:
    """Create the database `url` names: (its name, whether it was created now)."""
    return CREATORS[url.driver](url)


def _postgres(url: DatabaseUrl) -> tuple[str, bool]:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    from .pg_connect import _connect

    name = conninfo_to_dict(url.raw).get("dbname") or ""
    if not name:
        raise UsageError(
            f"the URL {url.redacted} names no database to create",
            hint="put the database after the host: postgresql://user@host/DATABASE",
        )
    if len(name.encode()) > PG_MAX_NAME_BYTES:
        raise UsageError(
            f"database name {name!r} is {len(name.encode())} bytes: PostgreSQL would cut it to "
            f"{PG_MAX_NAME_BYTES} and create {_cut(name)!r} instead",
            hint=f"give a name of at most {PG_MAX_NAME_BYTES} bytes",
        )
    conn = _maintenance(url, _connect)
    try:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return name, False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name, True
    except psycopg.errors.DuplicateDatabase:  # another process created it meanwhile
        return name, False
    except psycopg.Error as exc:
        denied = exc.sqlstate == "42501"  # insufficient_privilege
        raise _refused(name, scrub(str(exc).strip(), url.raw), denied=denied) from None
    finally:
        conn.close()


def _maintenance(url: DatabaseUrl, connect: Callable[..., Any]) -> Any:
    """A connection to the server's `postgres` database, else `template1`."""
    for dbname in PG_MAINTENANCE:
        try:
            return connect(url, "sqlmig-create", dbname=dbname)
        except ConnectError as exc:
            if "has no database" not in (exc.hint or "") or dbname == PG_MAINTENANCE[-1]:
                raise
    raise AssertionError("unreachable")


def _mysql(url: DatabaseUrl) -> tuple[str, bool]:
    import pymysql

    from .mysql import _connect

    name = unquote(urlsplit(url.raw).path.lstrip("/"))
    if not name:
        raise UsageError(
            f"the URL {url.redacted} names no database to create",
            hint="put the database after the host: mysql://user@host/DATABASE",
        )
    conn = _connect(url, server=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
            if cur.fetchone():
                return name, False
            cur.execute("CREATE DATABASE `" + name.replace("`", "``") + "`")
        return name, True
    except pymysql.Error as exc:
        if exc.args and exc.args[0] == 1007:  # ER_DB_CREATE_EXISTS: created meanwhile
            return name, False
        reason = scrub(str(exc.args[-1]) if exc.args else str(exc), url.raw)
        if exc.args and exc.args[0] in MYSQL_BAD_NAME:
            raise UsageError(
                f"MySQL does not accept {name!r} as a database name: {reason}",
                hint="give a name of at most 64 characters that does not end with a space",
            ) from None
        denied = bool(exc.args) and exc.args[0] in (1044, 1045)  # no CREATE right, or no access
        raise _refused(name, reason, denied=denied) from None
    finally:
        conn.close()


def _sqlite(url: DatabaseUrl) -> tuple[str, bool]:
    path = url.sqlite_path
    if path == ":memory:":
        raise UsageError(
            "an in-memory SQLite database cannot be created ahead: it lives as long as one run",
            hint="use a file: sqlite:///app.db",
        )
    if os.path.exists(path):
        _check_sqlite_file(path)
        return path, False
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(
            f"cannot create SQLite database {path!r}: the folder {folder!r} does not exist",
            hint="create the folder first (mkdir -p), or fix the URL's path",
        )
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            # writes the header: a zero-byte file is a database to SQLite, but not to `file`
            conn.execute("PRAGMA user_version = 0")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ConnectError(
            f"cannot create SQLite database {path!r}: {exc}",
            hint="check that the folder is writable",
        ) from None
    return path, True


def _check_sqlite_file(path: str) -> None:
    """What is already at `path` is a SQLite database (an empty file is one to SQLite), not a
    folder or another file that `create` would call one."""
    if os.path.isdir(path):
        raise UsageError(
            f"{path!r} is a folder, not a SQLite database",
            hint="name a file in it: sqlite:///path/to/app.db",
        )
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ConnectError(
            f"cannot read {path!r}: {exc.strerror}", hint="check the file's permissions"
        ) from None
    if head and head != SQLITE_HEADER:
        raise UsageError(
            f"{path!r} exists and is not a SQLite database",
            hint="fix the URL's path, or move that file away",
        )


def _cut(name: str) -> str:
    """`name` as PostgreSQL stores it: its first 63 bytes, never half a character."""
    return name.encode()[:PG_MAX_NAME_BYTES].decode(errors="ignore")


def _refused(name: str, reason: str, *, denied: bool) -> SqlmigError:
    """The server's refusal in its words; the way on about rights only when rights were it."""
    hint = (
        "connect as a user allowed to create databases (PostgreSQL: CREATEDB; MySQL: "
        "the CREATE privilege), or ask the database's administrator to create it"
        if denied
        else "create it with the server's own client (createdb, mysql) to see what it needs"
    )
    return SqlmigError(f"the server refused to create database {name!r}: {reason}", hint=hint)


CREATORS: dict[str, Callable[[DatabaseUrl], tuple[str, bool]]] = {
    "postgres": _postgres,
    "mysql": _mysql,
    "sqlite": _sqlite,
}

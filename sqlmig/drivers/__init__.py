"""Database drivers, loaded by URL scheme so that only the one in use is imported."""

from __future__ import annotations

import importlib
from typing import Any

from ..urls import DatabaseUrl
from .base import Driver

# url.driver -> (module in this package, class): importing only the one in use
DRIVERS = {
    "sqlite": ("sqlite", "SqliteDriver"),
    "postgres": ("postgres", "PostgresDriver"),
    "mysql": ("mysql", "MysqlDriver"),
}


def driver_class(url: DatabaseUrl) -> Any:
    module, name = DRIVERS[url.driver]
    return getattr(importlib.import_module(f".{module}", __name__), name)


def connect(
    url: DatabaseUrl,
    *,
    table: str,
    statement_lock_timeout: float | None = None,
    create: bool = True,
) -> Driver:
    """Open the driver for `url`; its history table is `table` (maybe schema-qualified).

    `statement_lock_timeout` (seconds) bounds how long a migration's statement waits for a
    table lock (PostgreSQL's lock_timeout, MySQL's lock_wait_timeout); SQLite has no such wait
    once BEGIN IMMEDIATE holds. `create=False`, for commands that change nothing: a SQLite file
    that does not exist is not created (the driver's `absent` says so); a server's database is
    never created.
    """
    cls = driver_class(url)
    return cls.connect(
        url, table=table, statement_lock_timeout=statement_lock_timeout, create=create
    )


def probe(url: DatabaseUrl, *, timeout: float) -> str | None:
    """Connect once (within about `timeout` s): None when ready to migrate, else why not.

    Raises ConnectError when the database cannot be reached at all.
    """
    return driver_class(url).probe(url, timeout=timeout)

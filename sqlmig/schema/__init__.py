"""Schema snapshots: read a database's schema into a comparable model; dump, verify, diff."""

from __future__ import annotations

from importlib import import_module

from ..drivers.base import Driver
from .model import Snapshot, sort_snapshot

# dialect -> module that reads its catalogs (a `read(driver, exclude)` function)
READERS = {"postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql"}


def snapshot(driver: Driver, *, table: str) -> Snapshot:
    """The schema of the driver's database, leaving out the history table `table` and its log."""
    reader = import_module(f".{READERS[driver.dialect]}", __name__)
    return sort_snapshot(reader.read(driver, (table, f"{table}_log")))

"""Helpers for the schema tests: load SQL straight into a database, take snapshots."""

from __future__ import annotations

from pathlib import Path

from sqlmig import config
from sqlmig.drivers import connect
from sqlmig.schema import snapshot
from sqlmig.schema.model import Snapshot
from sqlmig.urls import parse_url

TABLE = "sqlmig_history"


def snap(url: str, table: str = TABLE) -> Snapshot:
    driver = connect(parse_url(url), table=table)
    try:
        return snapshot(driver, table=table)
    finally:
        driver.close()


def cfg(url: str | None, folder: Path, **flags: object) -> config.Config:
    return config.load({"url": url, "dir": str(folder), **flags}, environ={}, cwd=folder)


def load(url: str, text: str) -> None:
    """Load a schema file as sqlmig runs one (MySQL: statement by statement, DELIMITER read)."""
    from sqlmig.schema.build import builder

    with builder(url, TABLE) as b:
        b.run_sql(text, "schema.sql")

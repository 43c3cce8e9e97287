"""The local PostgreSQL: throw-away databases named sqlmig_bench_<name>_<pid>, and server facts.

The server URL comes from SQLMIG_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test);
that database is only used to create and drop the benchmark's own databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
SETTINGS = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "full_page_writes")


def admin_url() -> str:
    return os.environ.get("SQLMIG_BENCH_PG_URL", DEFAULT_URL)


def url_for(database: str) -> str:
    """The admin URL with its database name replaced (user, host, port and query kept)."""
    parts = urlsplit(admin_url())
    return urlunsplit(parts._replace(path="/" + database))


def _admin() -> psycopg.Connection:
    return psycopg.connect(admin_url(), autocommit=True, connect_timeout=10)


@dataclass(frozen=True)
class TempDatabase:
    """A database this process owns; `reset` drops and re-creates it (outside any timing)."""

    name: str

    @property
    def url(self) -> str:
        return url_for(self.name)

    def drop(self) -> None:
        with _admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def create(self) -> None:
        with _admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def reset(self) -> None:
        self.drop()
        self.create()

    def query(self, text: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(text).fetchall()  # type: ignore[arg-type]


@contextmanager
def temp_database(label: str) -> Iterator[TempDatabase]:
    """A fresh empty database sqlmig_bench_<label>_<pid>, dropped on the way out."""
    db = TempDatabase(f"sqlmig_bench_{label}_{os.getpid()}")
    db.reset()
    try:
        yield db
    finally:
        db.drop()


def server_settings() -> dict[str, str]:
    """The settings that decide what a COMMIT costs, as `SHOW` reports them."""
    with _admin() as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}  # type: ignore[index]


def counters(db: TempDatabase) -> dict[str, int]:
    """Cumulative server counters: commits in `db`, and WAL records/syncs of the whole cluster.

    The WAL figures are cluster-wide, so other sessions on a shared server add noise to them.
    """
    with _admin() as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        commits = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (db.name,)
        ).fetchone()
        wal = conn.execute("SELECT wal_records, wal_sync, wal_write FROM pg_stat_wal").fetchone()
    assert commits is not None and wal is not None
    return {
        "xact_commit": int(commits[0]),
        "wal_records": int(wal[0]),
        "wal_sync": int(wal[1]),
        "wal_write": int(wal[2]),
    }

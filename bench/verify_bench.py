"""verify-postgres, verify-sqlite, verify-mysql: `sqlmig verify` against `sqlmig up` of the same
342 migrations (bench/verifyset.py: tables, indexes, foreign keys, views, functions, triggers,
type changes, renames, enum types, sequences, rows; each with its down).

`up` runs on an empty database (dropped and made again, or a deleted SQLite file, before each
run, outside the timing); `verify` builds on the scratch database it makes itself (a temp file,
or `sqlmig_scratch_<hex>` beside the URL's database: making and dropping it is in its time).
Target (issue 12): verify <= 5x up on PostgreSQL; SQLite and MariaDB are reported.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pgadmin
import verifyset
from context import Context
from harness import Command, interleave
from report import Outcome

MIGRATIONS = 342
TARGETS = {"postgres": 5.0}
MYSQL_URL = os.environ.get("SQLMIG_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


class _MysqlDatabase:
    """A MariaDB/MySQL database sqlmig_bench_verify_<pid>, reset before each `up`."""

    def __init__(self) -> None:
        self.name = f"sqlmig_bench_verify_{os.getpid()}"
        base = MYSQL_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def _admin(self):  # pymysql: only this comparison needs it
        from urllib.parse import urlsplit

        import pymysql

        parts = urlsplit(MYSQL_URL)
        return pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
            password=parts.password or "", autocommit=True,
        )  # fmt: skip

    def run(self, *statements: str) -> list[tuple]:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for s in statements:
                    cur.execute(s)
                return list(cur.fetchall())
        finally:
            conn.close()

    def reset(self) -> None:
        self.run(f"DROP DATABASE IF EXISTS `{self.name}`", f"CREATE DATABASE `{self.name}`")

    def drop(self) -> None:
        self.run(f"DROP DATABASE IF EXISTS `{self.name}`")

    def history(self) -> int:
        return int(self.run(f"SELECT count(*) FROM `{self.name}`.sqlmig_history")[0][0])


@contextmanager
def _database(
    dialect: str, root: Path
) -> Iterator[tuple[str, Callable[[], None], Callable[[], int]]]:
    """The URL `up` runs on, a reset hook, and a count of its history rows."""
    if dialect == "sqlite":
        path = root / "bench.db"
        yield f"sqlite:///{path}", lambda: path.unlink(missing_ok=True), lambda: _sqlite_rows(path)
        return
    if dialect == "mysql":
        db = _MysqlDatabase()
        db.reset()
        try:
            yield db.url, db.reset, db.history
        finally:
            db.drop()
        return
    with pgadmin.temp_database("verify") as pg:
        yield pg.url, pg.reset, lambda: int(pg.query("SELECT count(*) FROM sqlmig_history")[0][0])


def _sqlite_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlmig_history").fetchone()[0])


def _comparison(dialect: str) -> Callable[[Context], Outcome]:
    def run(ctx: Context) -> Outcome:
        root = ctx.workdir / f"verify-{dialect}"
        folder = verifyset.write_set(root / "migrations", dialect, MIGRATIONS)
        with _database(dialect, root) as (url, reset, rows):

            def applied() -> None:
                if rows() != MIGRATIONS:
                    raise RuntimeError(f"up recorded {rows()} migrations, not {MIGRATIONS}")

            verify = [ctx.sqlmig, "--url", url, "--dir", str(folder), "verify"]
            cmds = [
                ctx.command("sqlmig verify", verify),
                Command(
                    "sqlmig up", ctx.sqlmig_up(url, folder), ctx.workdir, ctx.env, reset, applied
                ),
            ]
            samples = interleave(cmds, ctx.runs)
        return Outcome(
            f"verify-{dialect}",
            f"verify vs up of the same {MIGRATIONS} migrations with downs ({dialect})",
            samples,
            target_ratio=TARGETS.get(dialect),
        )

    return run


COMPARISONS = {f"verify-{d}": _comparison(d) for d in ("postgres", "sqlite", "mysql")}

"""apply-1000-postgres: `sqlmig up` applying 1000 small migrations to an empty database.

Compared with `psql -X -q -1 -v ON_ERROR_STOP=1 -f all.sql` (the same SQL concatenated, one
transaction) and with `sqlmig up --single-transaction`. The database is dropped and re-created
before every run, outside the timing. Target: `sqlmig up` <= 1.05x psql. When the target is
missed (or with --diagnose), diagnose.py looks for where the time goes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import diagnose
import migfiles
import pgadmin
from context import Context
from harness import Command, interleave
from report import Outcome

NAME = "apply-1000-postgres"
MIGRATIONS = 1000
TARGET = 1.05


def checker(db: pgadmin.TempDatabase, *, with_history: bool) -> Callable[[], None]:
    """A hook that fails unless the run created every table (and history row)."""

    def check() -> None:
        tables = db.query(
            r"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t_\d+$'"
        )[0][0]
        rows = db.query(f"SELECT count(*) FROM t_{MIGRATIONS:04d}")[0][0]
        history = db.query("SELECT count(*) FROM sqlmig_history")[0][0] if with_history else None
        want_history = MIGRATIONS if with_history else None
        if (tables, rows, history) != (MIGRATIONS, 3, want_history):
            raise RuntimeError(f"incomplete run: {tables} tables, {rows} rows, history {history}")

    return check


def commands(ctx: Context, db: pgadmin.TempDatabase, folder: Path, all_sql: Path) -> list[Command]:
    """sqlmig up, psql -1 -f, sqlmig up --single-transaction; each on a fresh database."""
    sqlmig_ok = checker(db, with_history=True)
    psql = ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", db.url, "-f", str(all_sql)]
    single = ctx.sqlmig_up(db.url, folder, "--single-transaction")
    return [
        ctx.command("sqlmig up", ctx.sqlmig_up(db.url, folder), before=db.reset, after=sqlmig_ok),
        ctx.command("psql -1 -f", psql, before=db.reset, after=checker(db, with_history=False)),
        ctx.command("sqlmig up --single-transaction", single, before=db.reset, after=sqlmig_ok),
    ]


def run(ctx: Context) -> Outcome:
    root = ctx.workdir / "apply-pg"
    all_sql = migfiles.apply_set(root / "migrations", MIGRATIONS)
    folder = root / "migrations"
    with pgadmin.temp_database("apply") as db:
        cmds = commands(ctx, db, folder, all_sql)
        samples = interleave(cmds, ctx.runs)
        outcome = Outcome(
            NAME,
            f"apply {MIGRATIONS} migrations (7 statements each) to an empty database",
            samples,
            target_ratio=TARGET,
        )
        outcome.extra["server_settings"] = pgadmin.server_settings()
        per_migration = (samples[0].median_ms - samples[2].median_ms) / MIGRATIONS
        outcome.notes.append(
            f"sqlmig up - sqlmig up --single-transaction = {per_migration:.2f} ms per migration "
            "(the cost of one transaction per migration)"
        )
        if ctx.diagnose or not outcome.target_met:
            diagnose.apply(ctx, db, cmds, outcome)
    return outcome

"""noop-up-postgres: a container start, `sqlmig up` with 100 migrations applied and none pending.

Compared with bench/minimal_noop.py, a psycopg 3 script doing the same necessary work (two
connections, the advisory lock, the history read, sha256 of 200 files). Target: <= 1.35x.
Also profiles the imports of `python -X importtime -m sqlmig ... up`: sqlglot and rich must
not be imported on this path.
"""

from __future__ import annotations

import imports
import migfiles
import pgadmin
from context import BENCH_DIR, Context
from harness import interleave
from report import Outcome

NAME = "noop-up-postgres"
MIGRATIONS = 100
TARGET = 1.35


def history_counts(db: pgadmin.TempDatabase) -> tuple[int, int]:
    """(rows in sqlmig_history, rows in its event log)."""
    row = db.query(
        "SELECT (SELECT count(*) FROM sqlmig_history), (SELECT count(*) FROM sqlmig_history_log)"
    )[0]
    return int(str(row[0])), int(str(row[1]))


def run(ctx: Context) -> Outcome:
    folder = migfiles.small_tables(ctx.workdir / "noop-pg" / "migrations", MIGRATIONS)
    with pgadmin.temp_database("noop") as db:
        ctx.setup_run(ctx.sqlmig_up(db.url, folder))
        before = history_counts(db)
        commands = [
            ctx.command("sqlmig up", ctx.sqlmig_up(db.url, folder)),
            ctx.command(
                "minimal psycopg script",
                [ctx.python, str(BENCH_DIR / "minimal_noop.py"), db.url, str(folder)],
            ),
        ]
        samples = interleave(commands, ctx.runs)
        after = history_counts(db)
        profile = imports.profile_up(ctx, db.url, folder)
    outcome = Outcome(
        NAME,
        f"`sqlmig up` with {MIGRATIONS} migrations applied, nothing pending",
        samples,
        target_ratio=TARGET,
    )
    if before != (MIGRATIONS, MIGRATIONS) or after != before:
        outcome.failures.append(f"history/log rows before {before}, after the runs {after}")
    imports.add_findings(outcome, profile, "PostgreSQL")
    return outcome

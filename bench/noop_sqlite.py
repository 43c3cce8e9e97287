"""noop-up-sqlite: `sqlmig up` on a SQLite file with 100 migrations applied and none pending.

Compared with `python -c pass` run by the same interpreter: the difference is everything sqlmig
adds to a bare interpreter start (imports, config, reading 200 files, the history query).
"""

from __future__ import annotations

import sqlite3

import imports
import migfiles
from context import Context
from harness import interleave
from report import Outcome

NAME = "noop-up-sqlite"
MIGRATIONS = 100


def history_rows(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlmig_history").fetchone()[0])


def run(ctx: Context) -> Outcome:
    root = ctx.workdir / "noop-sqlite"
    folder = migfiles.small_tables(root / "migrations", MIGRATIONS)
    db_path = root / "bench.db"
    url = f"sqlite:///{db_path}"
    ctx.setup_run(ctx.sqlmig_up(url, folder))
    commands = [
        ctx.command("sqlmig up", ctx.sqlmig_up(url, folder)),
        ctx.command("python -c pass", [ctx.python, "-c", "pass"]),
    ]
    samples = interleave(commands, ctx.runs)
    outcome = Outcome(
        NAME,
        f"`sqlmig up` on SQLite with {MIGRATIONS} migrations applied, nothing pending",
        samples,
    )
    diff = samples[0].median_ms - samples[1].median_ms
    outcome.notes.append(f"absolute difference of medians: {diff:.1f} ms (sqlmig's own cost)")
    outcome.extra["difference_of_medians_ms"] = round(diff, 2)
    rows = history_rows(str(db_path))
    if rows != MIGRATIONS:
        outcome.failures.append(f"sqlmig_history has {rows} rows, expected {MIGRATIONS}")
    imports.add_findings(outcome, imports.profile_up(ctx, url, folder), "SQLite")
    return outcome

"""Where does apply-1000-postgres spend its time? Run when the target is missed, or --diagnose.

None of this changes the comparison's figures; it adds notes and a "diagnosis" JSON section:
- the server's commit settings (SHOW synchronous_commit, fsync, wal_sync_method);
- per run: commits in the database and WAL syncs of the cluster (pg_stat_database, pg_stat_wal);
- a what-if: `sqlmig up` with PGOPTIONS='-c synchronous_commit=off' (no fsync wait per commit);
- cProfile of one `sqlmig up`: the costliest functions and how many queries it sent.
"""

from __future__ import annotations

import pstats
import time
from dataclasses import replace
from typing import Any

import pgadmin
from context import Context
from harness import Command, interleave, run_checked
from report import Outcome

WHAT_IF_ROUNDS = 3
STATS_FLUSH_S = 1.5  # backends report their statistics when they exit; give them time


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before}


def server_counts(db: pgadmin.TempDatabase, command: Command) -> dict[str, int]:
    """Commits and WAL syncs caused by one run of `command` on a fresh database."""
    db.reset()
    time.sleep(STATS_FLUSH_S)
    before = pgadmin.counters(db)
    run_checked(command.argv, cwd=command.cwd, env=command.env)
    time.sleep(STATS_FLUSH_S)
    return _delta(before, pgadmin.counters(db))


def what_if_async_commit(ctx: Context, cmds: list[Command]) -> dict[str, float]:
    """Medians of `sqlmig up` with and without synchronous_commit=off (its session), and psql."""
    env = {**ctx.env, "PGOPTIONS": "-c synchronous_commit=off"}
    sqlmig = cmds[0]
    relaxed = replace(sqlmig, label=sqlmig.label + " [synchronous_commit=off]", env=env)
    samples = interleave([sqlmig, relaxed, cmds[1]], WHAT_IF_ROUNDS, warmup=0)
    return {s.command.label: round(s.median_ms, 1) for s in samples}


def profile(ctx: Context, db: pgadmin.TempDatabase, command: Command) -> dict[str, Any]:
    """cProfile one `python -m sqlmig ... up`: top functions by own time, round trips.

    Every round trip to the server goes through psycopg's Connection.wait, so its call count is
    the number of round trips (psycopg's C methods such as send_query are invisible to cProfile).
    """
    out = ctx.workdir / "sqlmig-up.prof"
    db.reset()
    argv = [ctx.python, "-m", "cProfile", "-o", str(out), "-m", "sqlmig", *command.argv[1:]]
    run_checked(argv, cwd=ctx.workdir, env=ctx.env)
    stats = pstats.Stats(str(out))
    entries = stats.stats  # type: ignore[attr-defined]
    waits = [v for (f, _l, name), v in entries.items() if _is_wait(f, name)]
    ranked = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    return {
        "total_s": round(stats.total_tt, 3),  # type: ignore[attr-defined]
        "round_trips": sum(v[1] for v in waits),
        "waiting_s": round(sum(v[3] for v in waits), 3),  # on the server and the network
        "top_by_own_time": [_describe(key, value) for key, value in ranked],
    }


def _is_wait(filename: str, name: str) -> bool:
    return name == "wait" and filename.replace("\\", "/").endswith("psycopg/connection.py")


def _describe(key: tuple[str, int, str], value: tuple[Any, ...]) -> str:
    filename, line, name = key
    where = f"{filename.rsplit('/', 2)[-1]}:{line}" if filename != "~" else "built-in"
    own, cum = value[2] * 1000, value[3] * 1000
    return f"{own:7.0f} ms own {cum:7.0f} ms cum {value[1]:7d} calls  {name} ({where})"


def apply(ctx: Context, db: pgadmin.TempDatabase, cmds: list[Command], outcome: Outcome) -> None:
    """Run the diagnostics and add their findings to `outcome`."""
    settings = outcome.extra.get("server_settings") or pgadmin.server_settings()
    counts = {c.label: server_counts(db, c) for c in cmds}
    what_if = what_if_async_commit(ctx, cmds)
    prof = profile(ctx, db, cmds[0])
    outcome.extra["diagnosis"] = {"counts": counts, "what_if": what_if, "profile": prof}
    outcome.notes += _notes(settings, counts, what_if, prof)


def _notes(
    settings: dict[str, str],
    counts: dict[str, dict[str, int]],
    what_if: dict[str, float],
    prof: dict[str, Any],
) -> list[str]:
    notes = ["diagnosis: server " + ", ".join(f"{k}={v}" for k, v in settings.items())]
    notes += [
        f"  {label}: {c['xact_commit']} commits in the database, {c['wal_sync']} WAL syncs, "
        f"{c['wal_write']} WAL writes, {c['wal_records']} WAL records (cluster-wide)"
        for label, c in counts.items()
    ]
    notes.append(f"  what-if ({WHAT_IF_ROUNDS} rounds, medians in ms): {what_if}")
    notes.append(
        f"  cProfile of one sqlmig up: {prof['total_s']} s in all, {prof['waiting_s']} s waiting "
        f"for the server in {prof['round_trips']} round trips (psycopg Connection.wait); "
        "top by own time:"
    )
    return notes + ["    " + line for line in prof["top_by_own_time"]]

"""Run sqlmig's benchmarks (`make bench`): each comparison, its table, bench/results/<name>.json.

Usage: .venv/bin/python bench/run.py [--runs N] [--only NAME ...] [--diagnose] [--strict]
       [--before DIR]

Exit status: 0 when every comparison ran (targets met or not, see the MET/MISSED lines), 1 when a
run failed or the benchmark could not be set up, 2 with --strict when a target was missed or a
check (e.g. "sqlglot is not imported") failed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import apply_postgres
import help_start
import noop_postgres
import noop_sqlite
import pgadmin
import psycopg
import verify_bench
from context import Context, make_context
from report import Outcome, print_outcome, write_json

COMPARISONS: dict[str, Callable[[Context], Outcome]] = {
    noop_postgres.NAME: noop_postgres.run,
    apply_postgres.NAME: apply_postgres.run,
    noop_sqlite.NAME: noop_sqlite.run,
    help_start.NAME: help_start.run,
    **verify_bench.COMPARISONS,
}
MIN_RUNS = 5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (>= 5)")
    parser.add_argument(
        "--only", action="append", choices=sorted(COMPARISONS), help="run only this comparison"
    )
    parser.add_argument(
        "--diagnose", action="store_true", help="diagnose apply-1000-postgres even if it passes"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when a target is missed or a check fails"
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="help-start: also time the code of this checkout (run with PYTHONPATH=DIR)",
    )
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}")
    return args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the `finally` blocks that drop temp databases


def run_one(name: str, ctx: Context) -> Outcome | None:
    """Run one comparison; print and save it. None when a run failed (reported on stderr)."""
    print(f"\n-- {name}: running ...", file=sys.stderr, flush=True)
    start = time.monotonic()
    try:
        outcome = COMPARISONS[name](ctx)
    except (RuntimeError, psycopg.Error) as exc:  # RunFailed, a failed check, a lost server
        print(f"\nERROR in {name}: a run failed, so there is no timing:\n{exc}", file=sys.stderr)
        return None
    print_outcome(outcome)
    print(f"   results: {write_json(outcome)}  ({time.monotonic() - start:.0f} s)")
    return outcome


def check_server() -> None:
    """Fail early, and clearly, when PostgreSQL is not reachable."""
    try:
        settings = pgadmin.server_settings()
    except psycopg.Error as exc:
        raise SystemExit(
            f"bench: cannot reach PostgreSQL at {pgadmin.admin_url()} ({exc}); "
            "set SQLMIG_BENCH_PG_URL"
        ) from None
    print("PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in settings.items()))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    names = args.only or list(COMPARISONS)
    check_server()
    with tempfile.TemporaryDirectory(prefix="sqlmig-bench-") as tmp:
        ctx = make_context(args.runs, Path(tmp), diagnose=args.diagnose, before=args.before)
        print(f"sqlmig: {ctx.sqlmig} (the console script users run); python: {ctx.python}")
        outcomes = [run_one(name, ctx) for name in names]
    if any(o is None for o in outcomes):
        return 1
    done = [o for o in outcomes if o is not None]
    bad = any(o.failures or o.target_met is False for o in done)
    return 2 if bad and args.strict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

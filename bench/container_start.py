"""A container start on an up-to-date PostgreSQL: `sqlmig wait && sqlmig up` vs `dbmate --wait up`.

    .venv/bin/python bench/container_start.py [--runs 9] [--migrations 100]

Times, from process start to exit (fresh processes, interleaved, one warm-up round):
  - `sh -c 'sqlmig wait && sqlmig up'`  (two processes, as an entrypoint script would run them)
  - `sqlmig up --wait 60`               (the same in one process)
  - `dbmate --wait up`                  if dbmate is installed under bench/.npm:
        npm install --prefix bench/.npm dbmate      (bench only; never a runtime dependency)
Each tool gets its own database on the same server with the same N migrations (one small table
each) applied beforehand, in its own folder format; the timed runs find nothing to do. Results:
a table on stdout, bench/results/container-start.json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from context import BENCH_DIR, clean_env, sqlmig_script
from harness import Command, Samples, interleave, run_checked
from pgadmin import TempDatabase, temp_database

DBMATE = BENCH_DIR / ".npm" / "node_modules" / ".bin" / "dbmate"
TABLE_SQL = "CREATE TABLE t_{n:04d} (id bigint PRIMARY KEY, note text);\n"


def write_sqlmig_set(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for n in range(1, count + 1):
        (folder / f"{n:04d}_t_{n:04d}.up.sql").write_text(TABLE_SQL.format(n=n))
        (folder / f"{n:04d}_t_{n:04d}.down.sql").write_text(f"DROP TABLE t_{n:04d};\n")


def write_dbmate_set(folder: Path, count: int) -> None:
    """The same migrations in dbmate's format: db/migrations/NNNN_name.sql with markers."""
    folder.mkdir(parents=True)
    for n in range(1, count + 1):
        body = f"-- migrate:up\n{TABLE_SQL.format(n=n)}\n-- migrate:down\nDROP TABLE t_{n:04d};\n"
        (folder / f"{n:04d}_t_{n:04d}.sql").write_text(body)


def dbmate_url(db: TempDatabase) -> str:
    return db.url.replace("postgresql://", "postgres://", 1) + "?sslmode=disable"


def sqlmig_commands(db: TempDatabase, folder: Path, work: Path) -> list[Command]:
    script, env = (
        sqlmig_script(),
        {**clean_env(), "DATABASE_URL": db.url, "SQLMIG_DIR": str(folder)},
    )
    shell = f"{shlex.quote(script)} wait && {shlex.quote(script)} up"
    return [
        Command("sqlmig wait && sqlmig up", ["sh", "-c", shell], work, env),
        Command("sqlmig up --wait 60", [script, "up", "--wait", "60"], work, env),
    ]


def dbmate_command(db: TempDatabase, folder: Path, work: Path) -> Command:
    env = {**clean_env(), "DATABASE_URL": dbmate_url(db)}
    argv = [str(DBMATE), "--migrations-dir", str(folder), "--no-dump-schema", "--wait", "up"]
    return Command("dbmate --wait up", argv, work, env)


def prepare(commands: list[Command], checks: list[tuple[TempDatabase, str, int]]) -> None:
    """Apply everything once (untimed) and check that each database is really up to date."""
    for command in commands:
        run_checked(command.argv, cwd=command.cwd, env=command.env)
    for db, sql, expected in checks:
        got = db.query(sql)[0][0]
        if got != expected:
            raise SystemExit(f"bench: {db.name}: {sql} gave {got}, expected {expected}")


def print_table(samples: list[Samples], runs: int) -> None:
    print(f"\ncontainer start on an up-to-date PostgreSQL, median of {runs} runs (ms)")
    print(f"{'command':<28} {'median':>8} {'min':>8} {'cpu':>8}")
    for s in samples:
        label = s.command.label
        print(f"{label:<28} {s.median_ms:>8.1f} {s.min_ms:>8.1f} {s.median_cpu_ms:>8.1f}")


def save(samples: list[Samples], runs: int, count: int) -> Path:
    out = BENCH_DIR / "results" / "container-start.json"
    out.parent.mkdir(exist_ok=True)
    doc = {
        "runs": runs,
        "migrations": count,
        "python": sys.version.split()[0],
        "commands": [
            {"label": s.command.label, "argv": list(s.command.argv), "wall_ms": s.wall_ms}
            | {"median_ms": s.median_ms, "min_ms": s.min_ms, "median_cpu_ms": s.median_cpu_ms}
            for s in samples
        ],
    }
    out.write_text(json.dumps(doc, indent=2) + "\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--migrations", type=int, default=100)
    args = parser.parse_args()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sqlmig-bench-")))
        ours = stack.enter_context(temp_database("cs_sqlmig"))
        write_sqlmig_set(work / "migrations", args.migrations)
        commands = sqlmig_commands(ours, work / "migrations", work)
        checks = [(ours, "SELECT count(*) FROM sqlmig_history", args.migrations)]
        if DBMATE.exists() and shutil.which("node"):
            theirs = stack.enter_context(temp_database("cs_dbmate"))
            write_dbmate_set(work / "db" / "migrations", args.migrations)
            commands.append(dbmate_command(theirs, work / "db" / "migrations", work))
            checks.append((theirs, "SELECT count(*) FROM schema_migrations", args.migrations))
        else:
            print(f"bench: no dbmate at {DBMATE}; only sqlmig is timed", file=sys.stderr)
        prepare(commands, checks)
        samples = interleave(commands, args.runs)
        prepare([], checks)  # the timed runs changed nothing
    print_table(samples, args.runs)
    print(f"results: {save(samples, args.runs, args.migrations)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fleet benchmark: N PostgreSQL databases x M migrations, five ways, in one run.

  sqlmig up --targets F --parallel P   (forked workers, one per running database)
  sqlmig up --targets F --parallel 1   (the same, one at a time: fork against a new process)
  a sequential loop of single `python -m sqlmig up` processes
  a shell loop of `dbmate up`, one per database (and `xargs -P P` of the same, for reference)

Every way starts from N fresh, empty databases (created before and dropped after each round,
also on an error); the migrations folder is in dbmate's layout so that both tools run the same
files. Each round's result is checked (every database at M applied) before its time counts.
Peak memory: the largest resident set of any one process of the round (GNU time's %M).

  python bench/fleet_bench.py --dbs 200 --migrations 20 --parallel 8 --runs 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("SQLMIG_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = f"sqlmig_bench_fleet_{os.getpid()}_"


def psql(sql: str) -> str:
    """Run a script of statements (each in its own transaction: CREATE DATABASE needs it)."""
    out = subprocess.run(["psql", ADMIN, "-qAtX", "-v", "ON_ERROR_STOP=1"], input=sql,
                         check=True, capture_output=True, text=True)  # fmt: skip
    return out.stdout


def url_of(i: int) -> str:
    return ADMIN.rsplit("/", 1)[0] + f"/{PREFIX}{i:04d}"


def create(n: int) -> None:
    psql("".join(f'CREATE DATABASE "{PREFIX}{i:04d}";\n' for i in range(n)))


def drop_all() -> None:
    names = psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%';").split()
    psql("".join(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);\n' for name in names))


def write_migrations(folder: Path, m: int) -> None:
    folder.mkdir(parents=True)
    for k in range(1, m + 1):
        body = (
            f"-- migrate:up\nCREATE TABLE t_{k} (id bigint PRIMARY KEY, note text NOT NULL);\n"
            f"CREATE INDEX t_{k}_note ON t_{k} (note);\n"
            f"INSERT INTO t_{k} SELECT g, 'row ' || g FROM generate_series(1, 100) g;\n"
            f"-- migrate:down\nDROP TABLE t_{k};\n"
        )
        (folder / f"2026010100{k:04d}_create_t_{k}.sql").write_text(body)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the peak RSS (KiB) of the largest process under it."""
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], env=env,
                          capture_output=True, text=True)  # fmt: skip
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-2000:]}")  # fmt: skip
    return seconds, int(proc.stderr.strip().splitlines()[-1])


def check(n: int, m: int, table: str) -> None:
    import psycopg

    for i in range(n):
        with psycopg.connect(url_of(i)) as conn:
            (got,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[misc]
        if got != m:
            raise SystemExit(f"{url_of(i)}: {table} has {got} rows, expected {m}")


def ways(work: Path, parallel: int) -> dict[str, tuple[list[str], str]]:
    py = sys.executable
    parallel_flag = ["--parallel", str(parallel)]
    mig = str(work / "db" / "migrations")
    targets = str(work / "targets.txt")
    loop_sqlmig = (f'while read -r u; do "{py}" -m sqlmig -q --url "$u" --dir {mig} up '
                   "|| exit 1; done < " + targets)  # fmt: skip
    dbmate = f'dbmate --url "$u?sslmode=disable" --migrations-dir {mig} --no-dump-schema up'
    loop_dbmate = f"while read -r u; do {dbmate} >/dev/null || exit 1; done < {targets}"
    xargs_dbmate = (
        f"xargs -P {parallel} -I U dbmate --url 'U?sslmode=disable' "
        f"--migrations-dir {mig} --no-dump-schema up < {targets} >/dev/null"
    )
    return {
        f"sqlmig --targets --parallel {parallel}": (
            [py, "-m", "sqlmig", "-q", "--dir", mig, "up", "--targets", targets, *parallel_flag],
            "sqlmig_history",
        ),
        "sqlmig --targets --parallel 1": (
            [py, "-m", "sqlmig", "-q", "--dir", mig, "up", "--targets", targets, "--parallel", "1"],
            "sqlmig_history",
        ),
        "loop of single sqlmig up": (["bash", "-c", loop_sqlmig], "sqlmig_history"),
        "loop of dbmate up": (["bash", "-c", loop_dbmate], "schema_migrations"),
        f"xargs -P {parallel} dbmate up": (["bash", "-c", xargs_dbmate], "schema_migrations"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dbs", type=int, default=200)
    parser.add_argument("--migrations", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", help="run only the ways whose name holds this text")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sqlmig_bench_fleet_"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("SQLMIG_") and k != "DATABASE_URL"}
    results: dict[str, list[tuple[float, int]]] = {}
    try:
        write_migrations(work / "db" / "migrations", args.migrations)
        (work / "targets.txt").write_text("".join(url_of(i) + "\n" for i in range(args.dbs)))
        for run in range(args.runs):
            for name, (argv, table) in ways(work, args.parallel).items():
                if args.only and args.only not in name:
                    continue
                drop_all()
                create(args.dbs)
                seconds, rss = timed(argv, env)
                check(args.dbs, args.migrations, table)
                results.setdefault(name, []).append((seconds, rss))
                print(f"run {run + 1}: {name}: {seconds:.1f} s, peak {rss / 1024:.0f} MiB",
                      file=sys.stderr, flush=True)  # fmt: skip
    finally:
        drop_all()
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(s for s, _ in results[next(iter(results))])
    print(f"{args.dbs} databases x {args.migrations} migrations, {args.runs} run(s), median:")
    for name, runs in results.items():
        median = statistics.median(s for s, _ in runs)
        peak = max(r for _, r in runs) / 1024
        print(f"  {name:34} {median:7.1f} s  x{median / base:5.2f}  peak RSS {peak:5.0f} MiB")


if __name__ == "__main__":
    main()

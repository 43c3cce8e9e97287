"""Schema snapshots and verify: how long a snapshot of a 500-table PostgreSQL schema takes (and
how many catalog queries it sends), and how long `sqlmig verify` takes over 100 migrations.

    .venv/bin/python bench/schema_bench.py [--runs 5] [--tables 500] [--migrations 100]

Not a timed test: it prints the figures and writes bench/results/schema-bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pgadmin import server_settings, temp_database

ROOT = Path(__file__).resolve().parent.parent
SQLMIG = ROOT / ".venv" / "bin" / "sqlmig"


def schema_sql(tables: int) -> str:
    """`tables` tables with a key, a unique, a check, a foreign key, a default and an index."""
    parts = []
    for i in range(tables):
        ref = f" REFERENCES t{i - 1} (id) ON DELETE CASCADE" if i else ""
        parts.append(
            f"CREATE TABLE t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            f"name varchar(100) NOT NULL UNIQUE, parent bigint{ref}, "
            f"amount numeric(12,2) DEFAULT 0 CHECK (amount >= 0), "
            f"created timestamptz NOT NULL DEFAULT now());\n"
            f"CREATE INDEX t{i}_lower_name ON t{i} (lower(name)) WHERE amount > 0;\n"
        )
        if i % 10 == 0:
            parts.append(f"CREATE VIEW v{i} AS SELECT id, name FROM t{i} WHERE amount > 0;\n")
    return "".join(parts)


def bench_snapshot(tables: int, runs: int) -> dict:
    import psycopg

    from sqlmig.drivers import connect
    from sqlmig.schema import snapshot
    from sqlmig.urls import parse_url

    with temp_database("schema_snapshot") as db:
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(schema_sql(tables))
        driver = connect(parse_url(db.url), table="sqlmig_history")
        queries: list[str] = []
        real = driver.query

        def counted(sql: str, params=()):  # the real driver, counted
            queries.append(sql)
            return real(sql, params)

        driver.query = counted  # type: ignore[method-assign]
        snap = snapshot(driver, table="sqlmig_history")  # warm-up
        per_run = len(queries)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            snapshot(driver, table="sqlmig_history")
            times.append((time.perf_counter() - start) * 1000)
        driver.close()
        dump_ms = _cli_ms(["--url", db.url, "schema", "dump", "-o", os.devnull], runs)
    return {
        "tables": len(snap.tables),
        "indexes": len(snap.indexes),
        "views": len(snap.views),
        "catalog_queries": per_run,
        "snapshot_ms": _stats(times),
        "schema_dump_cli_ms": _stats(dump_ms),
    }


def write_migrations(folder: Path, count: int) -> None:
    for i in range(1, count + 1):
        name = f"{i:04d}_step"
        if i % 4 == 0:
            up = f"ALTER TABLE t{i - 1} ADD COLUMN note{i} TEXT;\n"
            down = f"ALTER TABLE t{i - 1} DROP COLUMN note{i};\n"
        else:
            previous = i - 1 if (i - 1) % 4 else i - 2  # the newest table before this one
            ref = f" REFERENCES t{previous} (id)" if i > 1 else ""
            up = (
                f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, "
                f"ref INTEGER{ref});\nCREATE INDEX t{i}_name ON t{i} (name);\n"
            )
            down = f"DROP TABLE t{i};\n"
        (folder / f"{name}.up.sql").write_text(up)
        (folder / f"{name}.down.sql").write_text(down)


def bench_verify(url: str, count: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "migrations"
        folder.mkdir()
        write_migrations(folder, count)
        times = _cli_ms(["--url", url, "--dir", str(folder), "verify", "-q"], runs)
    return {"migrations": count, "verify_cli_ms": _stats(times)}


def _cli_ms(args: list[str], runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_")}
    env.pop("DATABASE_URL", None)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([str(SQLMIG), *args], capture_output=True, text=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"sqlmig {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return times


def _stats(ms: list[float]) -> dict:
    return {"median": round(statistics.median(ms), 1), "min": round(min(ms), 1), "runs": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--migrations", type=int, default=100)
    args = parser.parse_args()
    result = {"server": server_settings(), "snapshot": bench_snapshot(args.tables, args.runs)}
    print(f"snapshot: {json.dumps(result['snapshot'])}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = bench_verify(f"sqlite:///{tmp}/live.db", args.migrations, max(args.runs // 2, 1))
    print(f"verify sqlite: {json.dumps(sqlite)}", flush=True)
    with temp_database("schema_verify") as db:
        pg = bench_verify(db.url, args.migrations, max(args.runs // 2, 1))
    print(f"verify postgres: {json.dumps(pg)}", flush=True)
    result["verify"] = {"sqlite": sqlite, "postgres": pg}
    out = ROOT / "bench" / "results" / "schema-bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

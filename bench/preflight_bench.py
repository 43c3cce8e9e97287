"""Run on its own (not by run.py): the time each pre-check of `up --preflight` takes, and
what `sqlmig plan` costs, on a PostgreSQL table of 10 million narrow rows (UNLOGGED,
generate_series; ~640 MB). Also the rewrite, scan and index-build throughputs that plan's
"for about T" uses (live/impact.py), measured on the same table.

    .venv/bin/python bench/preflight_bench.py [--rows 10000000]

Makes sqlmig_bench_preflight_<pid> beside SQLMIG_BENCH_PG_URL and drops it at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pgadmin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmig import config
from sqlmig.live import impact, preflight
from sqlmig.migrator import Migrator

INIT = """\
CREATE UNLOGGED TABLE big (id bigint PRIMARY KEY, a int, b int, c text, n text);
CREATE TABLE parent (id int PRIMARY KEY);
"""
CHECKS = {
    "SET NOT NULL, 10 NULLs (fails)": "ALTER TABLE big ALTER COLUMN a SET NOT NULL",
    "SET NOT NULL, none (passes)": "ALTER TABLE big ALTER COLUMN b SET NOT NULL",
    "ADD COLUMN NOT NULL, no default (fails)": "ALTER TABLE big ADD COLUMN d int NOT NULL",
    "UNIQUE, all distinct (passes)": "ALTER TABLE big ADD CONSTRAINT a_u UNIQUE (a)",
    "UNIQUE, 1000 values (fails)": "CREATE UNIQUE INDEX b_u ON big (b)",
    "FOREIGN KEY, all present (passes)": "ALTER TABLE big ADD FOREIGN KEY (b) REFERENCES parent",
    "FOREIGN KEY, 9 in 10 orphans (fails)": "ALTER TABLE big ADD FOREIGN KEY (a) REFERENCES parent",
    "CHECK (passes)": "ALTER TABLE big ADD CHECK (b < 1000)",
    "CHECK, 1 in 1000 (fails)": "ALTER TABLE big ADD CHECK (b < 999)",
    "TYPE smallint, out of range (fails)": "ALTER TABLE big ALTER COLUMN a TYPE smallint",
    "TYPE varchar(3) (fails)": "ALTER TABLE big ALTER COLUMN c TYPE varchar(3)",
    "TYPE bigint USING n::bigint, text digits (passes)": (
        "ALTER TABLE big ALTER COLUMN n TYPE bigint USING n::bigint"
    ),
    "TYPE numeric(6,0) USING n::numeric(6,0) (fails)": (
        "ALTER TABLE big ALTER COLUMN n TYPE numeric(6,0) USING n::numeric(6,0)"
    ),
    "TYPE uuid USING c::uuid (fails)": "ALTER TABLE big ALTER COLUMN c TYPE uuid USING c::uuid",
    "TYPE date USING n::date, no ISO form (not checked)": (
        "ALTER TABLE big ALTER COLUMN n TYPE date USING n::date"
    ),
    "TYPE int from text, no USING (fails on any rows)": "ALTER TABLE big ALTER COLUMN n TYPE int",
}
TRACED = {
    "scan (SET NOT NULL)": ("ALTER TABLE big ALTER COLUMN b SET NOT NULL", "heap"),
    "rewrite (TYPE bigint)": ("ALTER TABLE big ALTER COLUMN b TYPE bigint", "total"),
    "index build (CREATE INDEX)": ("CREATE INDEX ON big (b)", "heap"),
}


def run(url: str, script: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    rows = parser.parse_args().rows
    with pgadmin.temp_database("preflight") as db, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "migrations"
        folder.mkdir()
        (folder / "0001_init.up.sql").write_text(INIT)
        cfg = config.load({"url": db.url, "dir": str(folder)})
        Migrator(cfg).up()
        start = time.perf_counter()
        run(
            db.url,
            "ALTER TABLE big DROP CONSTRAINT big_pkey; "
            f"INSERT INTO big SELECT g, CASE WHEN g % 1000000 = 0 THEN NULL ELSE g END, "
            f"g % 1000, 'v' || g, g::text FROM generate_series(1, {rows}) g; "
            "ALTER TABLE big ADD PRIMARY KEY (id); "
            "INSERT INTO parent SELECT generate_series(0, 999999); ANALYZE big; ANALYZE parent",
        )
        made = time.perf_counter() - start
        ((total, heap),) = db.query("SELECT pg_total_relation_size('big'), pg_relation_size('big')")
        print(
            f"{rows:,} rows: {total / 1e6:.0f} MB ({heap / 1e6:.0f} MB heap), made in {made:.1f} s"
        )
        print(f"\nload average before the checks: {_load()}")
        print("\n| pre-check | result | seconds |\n|---|---|---|")
        for name, sql in CHECKS.items():
            (folder / "0002_next.up.sql").write_text(sql + ";\n")
            (f,) = preflight.run(cfg, timeout=120)
            print(
                f"| {name} | {f.status}{f' ({f.count:,})' if f.count else ''} | {f.seconds:.2f} |"
            )
        start = time.perf_counter()
        impact.plan(cfg)
        print(
            f"\nplan of the last statement (scratch database, trace, live facts): "
            f"{time.perf_counter() - start:.2f} s"
        )
        print("\n| traced statement | seconds | MB/s |\n|---|---|---|")
        for name, (sql, size) in TRACED.items():
            start = time.perf_counter()
            run(db.url, f"BEGIN; {sql}; ROLLBACK")
            took = time.perf_counter() - start
            mb = (total if size == "total" else heap) / 1e6
            print(f"| {name} | {took:.2f} | {mb / took:.0f} ({size}) |")


def _load() -> str:
    import os

    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()

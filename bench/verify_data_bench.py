"""`sqlmig verify --data` against plain `sqlmig verify` on the same generated set (verifyset.py:
tables with identity keys, foreign keys, checks, seed rows, views, functions, triggers, type
changes, renames; every down right), per database: medians of alternating runs and their ratio.

Run on its own, not by `run.py`:
    .venv/bin/python bench/verify_data_bench.py --count 60 --runs 3 [--only postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import verifyset

URLS = {
    "sqlite": "sqlite:///{folder}/live.db",
    "postgres": os.environ.get("SQLMIG_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "mysql": os.environ.get("SQLMIG_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql"),
}  # fmt: skip


def _run(url: str, folder: Path, *extra: str) -> float:
    argv = [sys.executable, "-m", "sqlmig", "--url", url, "--dir", str(folder), "-q", "verify"]
    started = time.perf_counter()
    proc = subprocess.run([*argv, *extra], capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} {' '.join(extra)}: exit {proc.returncode}\n"
                         f"{proc.stdout}{proc.stderr}")  # fmt: skip
    return took


def measure(dialect: str, count: int, runs: int) -> tuple[float, float]:
    """Medians (s) of plain verify and verify --data, run alternately."""
    with tempfile.TemporaryDirectory(prefix="sqlmig_bench_data_") as tmp:
        folder = verifyset.write_set(Path(tmp), dialect, count)
        url = URLS[dialect].format(folder=tmp)
        plain, data = [], []
        for _ in range(runs):
            plain.append(_run(url, folder))
            data.append(_run(url, folder, "--data"))
    return statistics.median(plain), statistics.median(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=sorted(URLS))
    args = parser.parse_args()
    print(f"verifyset, {args.count} migrations, {args.runs} runs each, medians")
    for dialect in [args.only] if args.only else ["sqlite", "postgres", "mysql"]:
        plain, data = measure(dialect, args.count, args.runs)
        print(f"{dialect:9} verify {plain:7.2f} s   verify --data {data:7.2f} s   "
              f"ratio {data / plain:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

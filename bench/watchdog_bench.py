"""Run on its own (not by run.py): what `up --max-blocking` costs and how late it cancels.

    .venv/bin/python bench/watchdog_bench.py [--runs 5] [--files 200]

1. `sqlmig up` of N small migrations (a table and a row each) with and without
   `--max-blocking 5s` (nothing is blocked: the cost of the watchdog's connection, thread and
   polls), fresh processes, interleaved, medians and the ratio of the same run.
2. One poll (the watchdog's query) with nobody waiting, and with W sessions queued behind a
   lock holder, median ms.
3. How long past the limit a blocked writer waited when the cancel came (limit 1 s), median
   and max over the runs.

Makes sqlmig_bench_watchdog_<pid> beside SQLMIG_BENCH_PG_URL and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pgadmin
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmig.urls import parse_url  # noqa: E402
from sqlmig.watchdog.pg import PgProbe  # noqa: E402

HOLDS = "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(3);\n"


def sqlmig(url: str, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_")}
    env["PYTHONPATH"] = str(ROOT)
    args = [sys.executable, "-m", "sqlmig", "--url", url, "--dir", str(folder), "up", *extra]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=folder.parent)
    return done


def apply_cost(db: pgadmin.TempDatabase, folder: Path, runs: int) -> None:
    times: dict[str, list[float]] = {"without": [], "--max-blocking 5s": []}
    for _ in range(runs + 1):  # the first round warms up, untimed
        for name in times:
            db.reset()
            extra = ("--max-blocking", "5s") if name != "without" else ()
            start = time.perf_counter()
            done = sqlmig(db.url, folder, *extra)
            took = time.perf_counter() - start
            assert done.returncode == 0, done.stderr
            times[name].append(took)
    base = statistics.median(times["without"][1:])
    print("\n| up of the files | median s | min s | ratio |\n|---|---|---|---|")
    for name, seen in times.items():
        med = statistics.median(seen[1:])
        print(f"| {name} | {med:.2f} | {min(seen[1:]):.2f} | {med / base:.2f} |")


def poll_cost(db: pgadmin.TempDatabase, waiters: int) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (id int)")
    probe = PgProbe(parse_url(db.url))
    holder = psycopg.connect(db.url)
    own = holder.info.backend_pid

    def timed(poll: bool = True) -> float:
        seen = []
        for _ in range(50):
            start = time.perf_counter()
            if poll:
                probe.blocked(own, 0.0)
            else:
                probe.conn.execute("SELECT 1").fetchall()  # type: ignore[union-attr]
            seen.append((time.perf_counter() - start) * 1000)
        return statistics.median(seen)

    idle, trip = timed(), timed(poll=False)
    holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    queued = [psycopg.connect(db.url, autocommit=True) for _ in range(waiters)]
    threads = [threading.Thread(target=c.execute, args=("SELECT * FROM t",)) for c in queued]
    for th in threads:
        th.start()
    time.sleep(1)
    sessions, _, _ = probe.blocked(own, 0.0)
    busy = timed()
    holder.rollback()
    for th in threads:
        th.join()
    for c in queued:
        c.close()
    holder.close()
    probe.close()
    print(f"\nSELECT 1 on the watchdog's connection: {trip:.2f} ms (median of 50)")
    print(f"one poll, nobody waiting: {idle:.2f} ms (median of 50)")
    print(f"one poll, {len(sessions)} sessions queued behind a lock holder: {busy:.2f} ms")


def lateness(db: pgadmin.TempDatabase, folder: Path, runs: int) -> None:
    late = []
    for _ in range(runs):
        db.reset()
        (folder / "0002_hold.up.sql").unlink(missing_ok=True)
        assert sqlmig(db.url, folder).returncode == 0
        (folder / "0002_hold.up.sql").write_text(HOLDS)
        stop = threading.Event()

        def write(stop: threading.Event = stop) -> None:
            with psycopg.connect(db.url, autocommit=True) as conn:
                while not stop.is_set():
                    conn.execute("UPDATE t SET id = id")
                    time.sleep(0.05)

        writer = threading.Thread(target=write)
        writer.start()
        done = sqlmig(db.url, folder, "--max-blocking", "1s", "--log-format", "json")
        stop.set()
        writer.join()
        assert done.returncode == 1, done.stderr
        for line in done.stderr.splitlines():
            event = json.loads(line)
            if event["event"] == "blocking_cancelled":
                late.append(max(s["waited_s"] for s in event["sessions"]) - 1.0)
    print(
        f"\ncancel after the limit (1 s): median {statistics.median(late):.2f} s, "
        f"max {max(late):.2f} s past it ({len(late)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--waiters", type=int, default=20)
    parser.add_argument("--only-polls", action="store_true")
    opts = parser.parse_args()
    with pgadmin.temp_database("watchdog") as db, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "migrations"
        folder.mkdir()
        for n in range(1, opts.files + 1):
            text = f"CREATE TABLE t{n} (id int);\nINSERT INTO t{n} VALUES ({n});\n"
            (folder / f"{n:04d}_t{n}.up.sql").write_text(text)
        if not opts.only_polls:
            apply_cost(db, folder, opts.runs)
        poll_cost(db, opts.waiters)
        if opts.only_polls:
            return
        for f in folder.iterdir():
            f.unlink()
        (folder / "0001_t.up.sql").write_text(
            "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"
        )
        lateness(db, folder, opts.runs)


if __name__ == "__main__":
    main()

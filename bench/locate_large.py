"""locate-large: finding a failed statement in a 50 MB PostgreSQL file vs. applying the file.

A file is one simple query; when its last statement fails at run time the server says only how
many statements succeeded, and sqltext.statement_offset turns that count into a place in the
file. Target (integrity issue, item 7): locating costs at most 1.2x the time and the memory of
applying the file (encoding it and sending it through psycopg to a real database).

    .venv/bin/python bench/locate_large.py [--mb 50] [--runs 3]

Each measurement is a fresh process that reads the file and then does one thing, timed with
perf_counter around that thing; memory is the process's peak RSS (ru_maxrss of the child) and
the growth over the RSS after reading the file (reading alone briefly holds the bytes and the
text, so a smaller growth does not show); for locate and split, also the peak of the Python
heap during a second, untimed run under tracemalloc. Columns: apply (BEGIN + file as one query, as
the driver sends it, then ROLLBACK), locate (statement_offset of the failing statement) and
split (split_postgres, every statement materialized, for reference). Needs PostgreSQL
(SQLMIG_BENCH_PG_URL, see pgadmin.py); the database sqlmig_bench_locate_<pid> is dropped at
the end, the file lives in a temp dir.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = "CREATE TABLE items (id bigint, name text, note text, doc jsonb)"
FAILING = "SELECT 1 / 0;\n"  # a run-time error: the server gives no position


def block(i: int) -> str:
    """About 1 kB: a multi-row INSERT with quotes, E'' escapes and ';' in strings, a comment,
    and every 8th block a plpgsql function with a $fn$ body."""
    rows = ",\n".join(
        f"  ({i * 5 + k}, 'item {i}-{k}: it''s; a \"name\" -- not a comment', "
        f"E'tab\\there\\nline \\'{k}\\'; \\\\ back', '{{\"k\": \"v;{k}\", \"n\": {k}}}')"
        for k in range(5)
    )
    text = f"-- batch {i}; rows {i * 5}..{i * 5 + 4}\nINSERT INTO items VALUES\n{rows};\n"
    if i % 8 == 0:
        text += (
            f"CREATE OR REPLACE FUNCTION f_{i % 64}(a int) RETURNS int LANGUAGE plpgsql AS $fn$\n"
            f"BEGIN\n  -- ';' inside the body; $$ too\n  RETURN a + {i};\nEND\n$fn$;\n"
        )
    return text


def generate(path: Path, mb: float) -> int:
    """Write the file; return the index of its failing (last) statement."""
    parts, size, i, statements = [TABLE + ";\n"], 0, 0, 1
    while size < mb * 1_000_000:
        b = block(i)
        parts.append(b)
        size += len(b)
        statements += 2 if i % 8 == 0 else 1
        i += 1
    parts.append(FAILING)
    path.write_text("".join(parts), "utf-8")
    return statements


def child(mode: str, path: str, arg: str) -> None:
    """One measurement in this process; prints a JSON line."""
    text = Path(path).read_text("utf-8")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = {"apply": _apply, "locate": _locate, "split": _split}[mode](text, arg)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    traced = 0
    if mode != "apply":  # again, untimed: the Python heap's peak during the operation
        tracemalloc.start()
        {"locate": _locate, "split": _split}[mode](text, arg)
        traced = tracemalloc.get_traced_memory()[1] // 1024
        tracemalloc.stop()
    print(
        json.dumps(
            {"seconds": seconds, "peak_kb": peak, "growth_kb": peak - base, "heap_kb": traced}
            | result
        )
    )


def _apply(text: str, url: str) -> dict[str, object]:
    import psycopg
    from psycopg import generators
    from psycopg.pq import ExecStatus

    with psycopg.connect(url, autocommit=True) as conn:
        pgconn = conn.pgconn
        with conn.lock:
            pgconn.send_query(("BEGIN;\n" + text).encode(conn.info.encoding))
            results = conn.wait(generators.execute(pgconn))
        done = next(i for i, r in enumerate(results) if r.status == ExecStatus.FATAL_ERROR)
        conn.execute("ROLLBACK")
    return {"done": done - 1}  # BEGIN is not the file's


def _locate(text: str, index: str) -> dict[str, object]:
    from sqlmig.sqltext import statement_offset

    offset = statement_offset(text, int(index))
    return {"offset": offset, "found": offset is not None and text[offset:] == FAILING}


def _split(text: str, _arg: str) -> dict[str, object]:
    from sqlmig.sqltext import split_postgres

    return {"statements": len(split_postgres(text))}


def measure(mode: str, path: Path, arg: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), arg],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pgadmin

    with tempfile.TemporaryDirectory() as tmp, pgadmin.temp_database("locate") as db:
        path = Path(tmp) / "large.up.sql"
        index = generate(path, args.mb)
        print(f"file: {path.stat().st_size / 1e6:.1f} MB, failing statement #{index}")
        return report(path, index, db.url, args.runs)


def report(path: Path, index: int, url: str, runs: int) -> int:
    modes = {"apply": url, "locate": str(index), "split": ""}
    samples: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    for _ in range(runs):  # interleaved, so that a noisy neighbour slows all alike
        for mode, arg in modes.items():
            samples[mode].append(measure(mode, path, arg))
    if any(s["done"] != index for s in samples["apply"]) or not samples["locate"][0]["found"]:
        print("FAIL: the server's count and the located statement disagree", samples)
        return 1
    med = {
        m: {
            k: statistics.median(s[k] for s in v)
            for k in ("seconds", "peak_kb", "growth_kb", "heap_kb")
        }
        for m, v in samples.items()
    }
    print(
        f"{'':8} {'median s':>9} {'min s':>7} {'peak RSS MB':>12} {'growth MB':>10} {'heap MB':>8}"
    )
    for m, v in samples.items():
        print(
            f"{m:8} {med[m]['seconds']:9.2f} {min(s['seconds'] for s in v):7.2f} "
            f"{med[m]['peak_kb'] / 1024:12.0f} {med[m]['growth_kb'] / 1024:10.0f} "
            f"{med[m]['heap_kb'] / 1024:8.1f}"
        )
    t = med["locate"]["seconds"] / med["apply"]["seconds"]
    r = med["locate"]["peak_kb"] / med["apply"]["peak_kb"]
    ok = t <= 1.2 and r <= 1.2
    print(
        f"locate/apply: time {t:.2f}x, peak memory {r:.2f}x (target <= 1.2x): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `sqlmig lint` against squawk on the same PostgreSQL migrations, in the same run.

Usage: .venv/bin/python bench/lint_bench.py [--runs N] [--big-runs N] [--squawk PATH]
                                            [--keep DIR] [--also LABEL=SQLMIG_SCRIPT ...]

`--also` adds a column for another installation, e.g. one with the compiled sqlglotc:
    python3 -m venv /tmp/venv-c && /tmp/venv-c/bin/pip install -e '.[fast]'
    .venv/bin/python bench/lint_bench.py --also sqlglotc=/tmp/venv-c/bin/sqlmig

Inputs (generated into a temp dir, same bytes for both tools): `small/`, 1000 migration files of
about 0.7 KB each (0.7 MB), and `big.sql`, one 5 MB file. Each command is a fresh process; the
commands of a case run interleaved after one untimed warm-up (which also fills sqlmig's cache
for the warm case, and writes the .pyc files an installed package has: PYTHONDONTWRITEBYTECODE
is dropped from the children's environment). Cases: squawk; sqlmig cold (`--no-cache`: every
file parsed); sqlmig warm (nothing changed since the last run: every file from the cache).
Figures per command: median and min wall time, median peak RSS of the process (from wait4),
and the ratio of medians vs squawk. squawk takes minutes on big.sql, so that input runs
`--big-runs` times (default 1) without a warm-up.

squawk lives only in the benchmark environment, never in sqlmig's dependencies: the npm package
(`npm i -g squawk-cli`; its `squawk` is a node wrapper, so the native binary it starts is
measured) or PyPI's (python3 -m venv bench/.venv-squawk && bench/.venv-squawk/bin/pip install
squawk-cli).
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

BENCH = Path(__file__).resolve().parent
SQLMIG = Path(sys.executable).parent / "sqlmig"
SQUAWK = BENCH / ".venv-squawk" / "bin" / "squawk"
NPM_NATIVE = "node_modules/@squawk-cli/linux-x64/bin/squawk"  # beside npm's js/ wrapper

SMALL = """\
-- Migration {i}: orders of shop {i}
SET lock_timeout = '5s';
CREATE TABLE orders_{i} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    status text NOT NULL DEFAULT 'new',
    total numeric(12, 2) NOT NULL DEFAULT 0,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_{i}_account_idx ON orders_{i} (account_id);
ALTER TABLE items_{i} ADD COLUMN discount numeric(5, 2);
ALTER TABLE items_{i} ADD CONSTRAINT items_{i}_discount_check CHECK (discount >= 0) NOT VALID;
{danger}
INSERT INTO settings (key, value) VALUES ('orders_{i}.enabled', 'true'), ('orders_{i}.max', '9');
UPDATE items_{i} SET discount = 0 WHERE discount IS NULL AND note <> 'keep';
"""
DANGERS = [
    "CREATE INDEX items_{i}_sku_idx ON items_{i} (sku);",
    "ALTER TABLE items_{i} ALTER COLUMN sku SET NOT NULL;",
    "ALTER TABLE items_{i} ADD COLUMN code varchar(20);",
    "ALTER TABLE items_{i} DROP COLUMN legacy_code;",
    "ALTER TABLE items_{i} ADD COLUMN qty integer NOT NULL DEFAULT 1;",
]


def small_file(i: int) -> str:
    return SMALL.format(i=i, danger=DANGERS[i % len(DANGERS)].format(i=i))


def generate(root: Path) -> tuple[Path, Path]:
    """1000 small files in root/small (about 0.7 MB) and root/big.sql (5 MB)."""
    small = root / "small"
    small.mkdir()
    for i in range(1, 1001):
        (small / f"{i:04d}_shop_{i}.up.sql").write_text(small_file(i))
    big = root / "big.sql"
    with big.open("w") as out:
        i = 1
        while out.tell() < 5_000_000:
            out.write(small_file(100_000 + i).replace("SET lock_timeout = '5s';\n", ""))
            i += 1
    return small, big


def find_squawk(given: str | None) -> str:
    """The squawk binary: --squawk, bench/.venv-squawk's, or npm's native one (not its node
    wrapper, whose start-up and memory are node's)."""
    candidates = [given] if given else [str(SQUAWK), shutil.which("squawk") or ""]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        if not path.exists():
            continue
        real = path.resolve()
        native = real.parent.parent.parent / NPM_NATIVE  # .../squawk-cli/js/bin/squawk
        head = real.read_bytes()[:64]
        if head.startswith(b"#!") and b"node" in head and native.exists():
            return str(native)
        return str(path)
    raise SystemExit("no squawk found; see this file's docstring")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: .pyc files exist
    return env


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall ms, peak RSS MB, exit code) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env()
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: findings; anything else is a failed run
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.read().decode()}")
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, rss_mb, proc.returncode


def measure(
    cases: dict[str, list[str]], cwd: Path, runs: int, *, warm_up: bool = True
) -> dict[str, dict[str, float]]:
    """Run the commands interleaved `runs` times (after one warm-up); median figures."""
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
    for round_no in range(0 if warm_up else 1, runs + 1):
        for name, argv in cases.items():
            if not warm_up and name.startswith("sqlmig lint warm"):
                run_once(argv, cwd)  # fills the cache; not timed
            result = run_once(argv, cwd)
            if round_no:
                samples[name].append(result)
        print(f"   round {round_no}/{runs} done", file=sys.stderr, flush=True)
    return {
        name: {
            "median_ms": statistics.median(s[0] for s in rows),
            "min_ms": min(s[0] for s in rows),
            "peak_mb": statistics.median(s[1] for s in rows),
        }
        for name, rows in samples.items()
    }


def report(title: str, figures: dict[str, dict[str, float]], base: str) -> None:
    print(f"\n{title}")
    print(
        f"{'command':<36} {'median ms':>10} {'min ms':>9} {'peak MB':>8} {'time x':>7} {'mem x':>6}"
    )
    ref = figures[base]
    for name, f in figures.items():
        print(
            f"{name:<36} {f['median_ms']:>10.0f} {f['min_ms']:>9.0f} {f['peak_mb']:>8.1f} "
            f"{f['median_ms'] / ref['median_ms']:>6.2f}x {f['peak_mb'] / ref['peak_mb']:>5.2f}x",
            flush=True,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-runs", type=int, default=1, help="runs on the 5 MB file; 0: skip")
    parser.add_argument("--squawk", default=None)
    parser.add_argument("--keep", type=Path, help="generate the inputs here and keep them")
    parser.add_argument("--also", action="append", default=[], metavar="LABEL=SQLMIG")
    args = parser.parse_args(argv)
    args.squawk = find_squawk(args.squawk)
    root = args.keep or Path(tempfile.mkdtemp(prefix="sqlmig-lint-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        small, big = generate(root)
        size = sum(p.stat().st_size for p in small.iterdir())
        print(
            f"inputs: {len(list(small.iterdir()))} files, {size / 1e6:.2f} MB; "
            f"big.sql {big.stat().st_size / 1e6:.2f} MB"
        )
        squawk_v = subprocess.run([args.squawk, "--version"], capture_output=True, text=True)
        print(f"{squawk_v.stdout.strip()}; python {sys.version.split()[0]}; runs: {args.runs}")
        print(f"cpus: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}", flush=True)
        inputs = (
            ("1000 small files", [str(small)], [str(small / "*.sql")], args.runs, True),
            ("one 5 MB file", [str(big)], [str(big)], args.big_runs, False),
        )
        for label, target, squawk_target, runs, warm_up in inputs:
            if runs < 1:
                continue
            lint = [str(SQLMIG), "lint", "--dialect", "postgres"]
            cases = {
                "squawk": [args.squawk, *squawk_target],
                "sqlmig lint cold (--no-cache)": [*lint, "--no-cache", *target],
                "sqlmig lint warm (cached)": [*lint, *target],
            }
            for extra in args.also:
                name, script = extra.split("=", 1)
                cold = [script, "lint", "--dialect", "postgres", "--no-cache", *target]
                cases[f"sqlmig lint cold ({name})"] = cold
            report(label, measure(cases, root, runs, warm_up=warm_up), "squawk")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

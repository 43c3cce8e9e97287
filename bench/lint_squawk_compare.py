"""Compare `sqlmig lint` with squawk, rule by rule, on the corpus in tests/lint/corpus/.

Usage: .venv/bin/python bench/lint_squawk_compare.py [--squawk PATH] [--details]

Both tools lint the same files (PostgreSQL). A file without `-- sqlmig:no-transaction` is run by
sqlmig in a transaction, so squawk gets --assume-in-transaction for it. Findings are compared per
statement (a finding belongs to the statement its line falls in), except missing-lock-timeout,
which sqlmig reports once per file and squawk once per statement: compared per file.
squawk comes from bench/.venv-squawk (see bench/lint_bench.py), never from sqlmig's dependencies.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from sqlmig.lint import engine, lint_paths, parse

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH.parent / "tests" / "lint" / "corpus"
SQUAWK = BENCH / ".venv-squawk" / "bin" / "squawk"

# sqlmig rule -> the squawk rules that look for the same danger
SHARED = {
    "index-without-concurrently": {
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
    },
    "concurrently-in-transaction": {"ban-concurrent-index-creation-in-transaction"},
    "reindex-without-concurrently": {"require-concurrent-reindex"},
    # squawk's constraint-missing-not-valid also covers VALIDATE in the adding transaction
    "constraint-without-not-valid + validate-in-same-transaction": {
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
    },
    "set-not-null": {"adding-not-nullable-field"},
    "column-type-change": {"changing-column-type"},
    "unique-without-index": {"disallowed-unique-constraint", "adding-serial-primary-key-field"},
    "volatile-default": {"adding-field-with-default"},
    "missing-lock-timeout": {"require-lock-timeout"},
    "drop-table": {"ban-drop-table"},
    "drop-column": {"ban-drop-column"},
    "drop-schema": {"ban-drop-schema"},
    "drop-type": {"ban-drop-type"},
    "rename-table": {"renaming-table"},
    "rename-column": {"renaming-column"},
    "add-column-not-null-without-default": {"adding-required-field"},
    "truncate-cascade": {"ban-truncate-cascade"},
    "prefer-text": {"prefer-text-field"},
    "prefer-bigint-identity": {"prefer-bigint-over-int", "prefer-bigint-over-smallint"},
    "prefer-timestamptz": {"prefer-timestamp-tz"},  # opt-in in squawk: --include
    "identifier-too-long": {"identifier-too-long"},
    "transaction-control": {"transaction-nesting"},
    "syntax-error": {"syntax-error"},
    "detach-partition-without-concurrently": {"require-concurrent-partition-detach"},
    "missing-statement-timeout": {"require-statement-timeout"},
    "domain-constraint-without-not-valid": {"ban-alter-domain-with-add-constraint"},
    "enum-value-without-position": {"require-enum-value-ordering"},
    "drop-not-null": {"ban-drop-not-null"},
    "avoid-char": {"ban-char-field"},
    "uncommitted-transaction": {"ban-uncommitted-transaction"},
    "prefer-robust-statements": {"prefer-robust-stmts"},
}
PER_FILE = {"missing-lock-timeout", "missing-statement-timeout"}
OURS = {
    "constraint-without-not-valid": "constraint-without-not-valid + validate-in-same-transaction",
    "validate-in-same-transaction": "constraint-without-not-valid + validate-in-same-transaction",
}


def statement_of(path: Path) -> tuple[callable, int]:  # type: ignore[valid-type]
    """A function line -> statement index for the file, and the statement count."""
    ctx = engine.load(path, "postgres", 17, parse_all=False)
    starts = [(ctx.position(s.offset)[0], s.index) for s in ctx.statements]

    def index(line: int) -> int:
        found = 0
        for start, i in starts:
            if start <= line:
                found = i
        return found

    return index, len(ctx.statements)


def squawk_findings(squawk: str, path: Path) -> list[tuple[str, int]]:
    in_tx = "-- sqlmig:no-transaction" not in path.read_text()
    tx = ["--assume-in-transaction"] if in_tx else []
    argv = [squawk, "--reporter", "json", "--include", "prefer-timestamp-tz", *tx, str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    return [(v["rule_name"], v["line"] + 1) for v in json.loads(proc.stdout or "[]")]


def compare(squawk: str) -> tuple[dict[str, dict[str, list]], int]:
    table: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    total = 0
    parse.quiet_sqlglot()  # statement_of() parses before lint_paths() would quiet it
    for path in sorted(CORPUS.glob("*.sql")):
        index, count = statement_of(path)
        total += count
        ours = {(OURS.get(f.rule, f.rule), index(f.line)) for f in lint_paths([path]).findings}
        theirs = {(name, index(line)) for name, line in squawk_findings(squawk, path)}
        for rule, names in SHARED.items():
            a = {i for r, i in ours if r == rule}
            b = {i for r, i in theirs if r in names}
            if rule in PER_FILE:
                a, b = ({0} if a else set()), ({0} if b else set())
            for i in sorted(a & b):
                table[rule]["agree"].append((path.name, i))
            for i in sorted(a - b):
                table[rule]["sqlmig only"].append((path.name, i))
            for i in sorted(b - a):
                table[rule]["squawk only"].append((path.name, i))
    return table, total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squawk", default=str(SQUAWK))
    parser.add_argument("--details", action="store_true", help="list each disagreement")
    args = parser.parse_args(argv)
    version = subprocess.run([args.squawk, "--version"], capture_output=True, text=True)
    table, total = compare(args.squawk)
    files = len(list(CORPUS.glob("*.sql")))
    print(f"{version.stdout.strip()}; corpus: {files} files, {total} statements")
    print(f"{'sqlmig rule':<60} {'agree':>5} {'sqlmig only':>11} {'squawk only':>11}")
    for rule in SHARED:
        row = table.get(rule, {})
        counts = [len(row.get(k, [])) for k in ("agree", "sqlmig only", "squawk only")]
        print(f"{rule:<60} {counts[0]:>5} {counts[1]:>11} {counts[2]:>11}")
        if args.details:
            for kind in ("sqlmig only", "squawk only"):
                for name, i in row.get(kind, []):
                    print(f"    {kind}: {name} statement {i + 1}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

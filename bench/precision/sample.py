"""Lint real public migration sets and draw the precision sample (issue 16); verdicts are by hand.

Usage: .venv/bin/python bench/precision/sample.py [--mirrors /work/.mirror] [--out DIR]

Extracts each set from a local git mirror (a bare clone: kratos, documenso, umami at the commits
in SETS) into a temp dir, runs `sqlmig lint --format json` on it, draws 35 findings per set (the
35 whose hash of SEED, set, file, line and rule is smallest: a finding is drawn or not whatever
the others are, so a rule change redraws only where it adds or removes findings, and never
another set's sample), and prints them as CSV rows (set, file, line, rule, message) with the
verdict recorded in bench/precision/sample.csv when that finding was judged before (new ones
print `?`: judge them by hand and add them). The migration files are never stored here.

Kratos's folder is popx's (`<version>_<slug>[.<dialect>][.autocommit].<up|down>.sql`) and is
linted as it is, with `--dir-format popx --dialect D`, so lint reads the files `up` and `down`
run on that database. Until 2026-12-03 this script copied the dialect's files into sqlmig's
layout instead (`<version>_<slug>.<up|down>.sql`, `.autocommit` as a first line
`-- sqlmig:no-transaction`); verdicts recorded then are found under those names and lines.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KRATOS = ("ory+kratos", "b86338da04a040247a07f46100a86dcfb3875909")
SETS = {  # name: (mirror, commit, lint dialect, kratos dialect suffixes or prisma folder)
    "kpg": (*KRATOS, "postgres", ("postgres",)),
    "kmy": (*KRATOS, "mysql", ("mysql",)),
    "ksq": (*KRATOS, "sqlite", ("sqlite3", "sqlite")),
    "doc": (
        "documenso+documenso",
        "75330166cc00b29c14399bc2e391e4b4d8080c00",
        "postgres",
        "packages/prisma/migrations",
    ),
    "umi": (
        "umami-software+umami",
        "c0ea3aefbee7a3429ee2f824b06dc4a9dbe0b7e1",
        "postgres",
        "prisma/migrations",
    ),
}
KRATOS_DIR = "persistence/sql/migrations/sql"
POP = re.compile(
    r"^(\d+_[^.]+)\.(?:(postgres|mysql|sqlite3|sqlite|cockroach)\.)?(autocommit\.)?(up|down)\.sql$"
)
POPX_DIALECT = {"kpg": "postgres", "kmy": "mysql", "ksq": "sqlite"}
PER_SET = 35
SEED = 16


def extract(mirror: Path, commit: str, path: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", f"--git-dir={mirror}", "archive", commit, path], check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / path


def legacy_key(name: str, line: int) -> tuple[str, int]:
    """A kratos finding's file and line as the copy into sqlmig's layout had them (before
    2026-12-03): no dialect in the name, and one line more in an `.autocommit.` file."""
    m = POP.match(name)
    if m is None:
        return name, line
    base, _, auto, direction = m.groups()
    return f"{base}.{direction}.sql", line + (1 if auto else 0)


def prisma_set(source: Path, out: Path) -> None:
    for folder in sorted(p for p in source.iterdir() if (p / "migration.sql").is_file()):
        number, _, slug = folder.name.partition("_")
        (out / f"{int(number):04d}_{slug}.up.sql").write_text(
            (folder / "migration.sql").read_text()
        )


def findings(folder: Path, dialect: str, *extra: str) -> list[dict]:
    run = subprocess.run(
        [
            sys.executable, "-m", "sqlmig", "lint", "--no-cache", "--dialect", dialect,
            "--format", "json", *extra, str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    return json.loads(run.stdout)["findings"]


def draw(name: str, found: list[dict]) -> list[dict]:
    """PER_SET findings, each ranked by a hash of its own key (bottom-k sampling)."""

    def rank(f: dict) -> bytes:
        key = f"{SEED}\0{name}\0{Path(f['path']).name}\0{f['line']}\0{f['code']}"
        return hashlib.blake2b(key.encode(), digest_size=16).digest()

    return sorted(found, key=rank)[:PER_SET]


def verdict(judged: dict, name: str, f: dict) -> str:
    line = int(f["line"])
    found = judged.get((name, Path(f["path"]).name, line, f["code"]))
    # a finding about a version group is new: the copy into sqlmig's layout had no groups
    if found is None and name in POPX_DIALECT and "version group" not in f["message"]:
        found = judged.get((name, *legacy_key(Path(f["path"]).name, line), f["code"]))
    return found or "?"


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args.add_argument("--counts", action="store_true", help="also print each set's total")
    opts = args.parse_args()
    judged = {}
    with (HERE / "sample.csv").open() as f:
        for row in csv.DictReader(f):
            key = (row["set"], row["file"], int(row["line"]), row["rule"])
            judged[key] = row["verdict"]
    out = csv.writer(sys.stdout)
    out.writerow(["set", "file", "line", "rule", "verdict", "message"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, (mirror, commit, dialect, where) in SETS.items():
            git = opts.mirrors / mirror / "repo"
            if isinstance(where, tuple):
                folder = Path(tmp) / "k" / KRATOS_DIR
                if not folder.is_dir():
                    extract(git, commit, KRATOS_DIR, Path(tmp) / "k")
                found = findings(folder, dialect, "--dir-format", "popx")
            else:
                folder = Path(tmp) / name
                folder.mkdir()
                prisma_set(extract(git, commit, where, Path(tmp) / name / "src"), folder)
                found = findings(folder, dialect)
            if opts.counts:
                print(f"# {name}: {len(found)} findings", file=sys.stderr)
            for f in sorted(draw(name, found), key=lambda f: (f["path"], f["line"])):
                key = (name, Path(f["path"]).name, str(f["line"]), f["code"])
                out.writerow([*key, verdict(judged, name, f), f["message"]])


if __name__ == "__main__":
    main()

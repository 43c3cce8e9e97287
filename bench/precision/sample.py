"""Lint real public migration sets and draw the precision sample (issue 16); verdicts are by hand.

Usage: .venv/bin/python bench/precision/sample.py [--mirrors /work/.mirror] [--out DIR]

Extracts each set from a local git mirror (a bare clone: kratos, documenso, umami at the commits
in SETS) into a temp dir in sqlmig's layout, runs `sqlmig lint --format json` on it, draws 35
findings per set with a fixed seed, and prints them as CSV rows (set, file, line, rule, message)
with the verdict recorded in bench/precision/sample.csv when that finding was judged before
(new ones print `?`: judge them by hand and add them). The migration files are never stored
here. Kratos (pop/fizz) files are `<version>_<slug>[.<dialect>][.autocommit].<up|down>.sql`:
the dialect's file is taken, else the shared one; `.autocommit` becomes
`-- sqlmig:no-transaction`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
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
PER_SET = 35
SEED = 16


def extract(mirror: Path, commit: str, path: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", f"--git-dir={mirror}", "archive", commit, path], check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / path


def kratos_set(source: Path, dialects: tuple[str, ...], out: Path) -> None:
    chosen: dict[tuple[str, str], tuple[Path, bool]] = {}
    for f in sorted(source.iterdir()):
        m = POP.match(f.name)
        if m is None:
            continue
        base, dialect, auto, direction = m.groups()
        if dialect in dialects or (dialect is None and (base, direction) not in chosen):
            chosen[(base, direction)] = (f, bool(auto))
    for (base, direction), (f, auto) in chosen.items():
        text = ("-- sqlmig:no-transaction\n" if auto else "") + f.read_text()
        (out / f"{base}.{direction}.sql").write_text(text)


def prisma_set(source: Path, out: Path) -> None:
    for folder in sorted(p for p in source.iterdir() if (p / "migration.sql").is_file()):
        number, _, slug = folder.name.partition("_")
        (out / f"{int(number):04d}_{slug}.up.sql").write_text(
            (folder / "migration.sql").read_text()
        )


def findings(folder: Path, dialect: str) -> list[dict]:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlmig",
            "lint",
            "--dialect",
            dialect,
            "--format",
            "json",
            str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(run.stdout)["findings"]


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    opts = args.parse_args()
    judged = {}
    with (HERE / "sample.csv").open() as f:
        for row in csv.DictReader(f):
            judged[(row["set"], row["file"], row["line"], row["rule"])] = row["verdict"]
    rng = random.Random(SEED)
    out = csv.writer(sys.stdout)
    out.writerow(["set", "file", "line", "rule", "verdict", "message"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, (mirror, commit, dialect, where) in SETS.items():
            folder = Path(tmp) / name
            folder.mkdir()
            git = opts.mirrors / mirror / "repo"
            if isinstance(where, tuple):
                kratos_set(extract(git, commit, KRATOS_DIR, Path(tmp) / "k"), where, folder)
            else:
                prisma_set(extract(git, commit, where, Path(tmp) / name / "src"), folder)
            found = findings(folder, dialect)
            for f in sorted(rng.sample(found, PER_SET), key=lambda f: (f["path"], f["line"])):
                key = (name, Path(f["path"]).name, str(f["line"]), f["code"])
                out.writerow([*key, judged.get(key, "?"), f["message"]])


if __name__ == "__main__":
    main()

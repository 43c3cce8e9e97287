"""Recognise other tools' migration layouts, so that a folder sqlmig cannot read is named as
what it is (a Flyway, dbmate, goose, diesel, Prisma, golang-migrate or Alembic folder, or
migrations written as code), never read as empty."""

from __future__ import annotations

import re
from pathlib import Path

FLYWAY = re.compile(r"^([VU][0-9][0-9A-Za-z._]*|R)__.+\.sql$", re.I)  # R: a repeatable one
POPX = re.compile(
    r"^[0-9]+_.+\.(postgres|cockroach|mysql|sqlite3?)(\.autocommit)?\.(up|down)\.sql$"
)
TITLED = re.compile(r"^(?P<version>[0-9]+)_(?P<title>.+)\.(?P<direction>up|down)\.sql$")
# name pattern -> what a file of that name is (checked in order; the first match wins)
BY_NAME = (
    (FLYWAY, "a Flyway migration (V<version>__<description>.sql)"),
    (POPX, "a popx (ory) migration (<version>_<name>.<dialect>.up.sql)"),
)
# text markers -> the tool whose single-file migrations use them
BY_TEXT = (
    (re.compile(r"^--\s*migrate:(up|down)\b", re.M), "a dbmate migration (-- migrate:up/down)"),
    (re.compile(r"^--\s*\+goose\s+(Up|Down)\b", re.M | re.I), "a goose migration (-- +goose Up)"),
)
ONE_FILE = re.compile(r"^[0-9]+[_-][^.]+\.sql$")
# a numbered migration written in a programming language (Django, knex, Rails, TypeORM, goose)
CODE_FILE = re.compile(r"^[0-9]+[_-].*\.(py|rb|js|cjs|mjs|ts|go|php|java|cs)$", re.I)
HEAD_BYTES = 64 * 1024
# words of a description above -> the --dir-format that reads that layout
READ_AS = (
    ("Flyway", "flyway"), ("popx", "popx"), ("dbmate", "dbmate"), ("goose migration (", "goose"),
    ("diesel", "diesel"), ("Prisma", "prisma"),
)  # fmt: skip


def read_as(description: str) -> str | None:
    """The --dir-format that reads what `describe_*` described, if sqlmig reads it."""
    return next((fmt for words, fmt in READ_AS if words in description), None)


def rename(path: Path) -> str | None:
    """The sqlmig name for a golang-migrate style name whose title sqlmig's names do not take
    (`0002_1.7.0_schema.up.sql` -> `0002_1_7_0_schema.up.sql`)."""
    match = TITLED.match(path.name)
    if match is None or POPX.match(path.name) or re.search(r"\.(up|down)$", match["title"], re.I):
        return None
    slug = re.sub(r"[^a-z0-9]+", "_", match["title"].lower()).strip("_")
    return f"{match['version']}_{slug}.{match['direction']}.sql" if slug else None


def describe_file(path: Path) -> str | None:
    """What another tool's file named like `path` (or holding its markers) is, if recognised."""
    for pattern, what in BY_NAME:
        if pattern.match(path.name):
            return what
    head = _head(path)
    for pattern, what in BY_TEXT:
        if pattern.search(head):
            return what
    if ONE_FILE.match(path.name):
        return "one file per migration, with no up/down in its name (sqlx, knex and others)"
    return None


def describe_folders(folder: Path) -> str | None:
    """A layout of one folder per migration (diesel's up.sql/down.sql, Prisma's migration.sql)."""
    subfolders = sorted(
        p
        for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "callbacks"  # callbacks.py
    )
    for sub in subfolders:
        if (sub / "migration.sql").is_file():
            return f"a Prisma folder (a subfolder per migration holding migration.sql: {sub.name}/)"
        if (sub / "up.sql").is_file() or (sub / "down.sql").is_file():
            return (
                f"a diesel folder (a subfolder per migration holding up.sql/down.sql: {sub.name}/)"
            )
    for sub in subfolders:  # any other folder-per-version layout (Temporal's v1.0/schema.sql)
        found = next(iter(sorted(sub.glob("*.sql"))), None)
        if found is not None:
            return f"subfolders holding .sql files ({sub.name}/{found.name}), a layout of its own"
    return None


def describe_code(folder: Path) -> str | None:
    """A folder of migrations written as code, which sqlmig cannot run (and must not call empty)."""
    if (folder / "env.py").is_file() and (folder / "versions").is_dir():
        return "an Alembic folder (env.py and versions/), whose migrations are Python"
    names = sorted(p.name for p in folder.iterdir() if CODE_FILE.match(p.name) and p.is_file())
    if names:
        return (
            f"migrations written as code ({names[0]}: Django, knex, Rails, TypeORM, goose and "
            "others), which sqlmig does not run"
        )
    return None


def _head(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""

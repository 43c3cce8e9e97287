"""`sqlmig schema dump` and `sqlmig status --schema` as a user runs them; `status` alone does
not load the schema package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, execute, sqlmig

from .conftest import dialect
from .schemas import RICH

EXAMPLES = str(ROOT / "migrations")


def test_dump_is_the_same_bytes_every_time(db_url: str, tmp_path: Path) -> None:
    execute(db_url, RICH[dialect(db_url)])
    first = sqlmig("--url", db_url, "schema", "dump", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("-- schema dumped by sqlmig")
    assert "CREATE TABLE" in first.stdout and "CREATE VIEW" in first.stdout
    out = tmp_path / "schema.sql"
    wrote = sqlmig("--url", db_url, "schema", "dump", "-o", str(out), cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert out.read_text("utf-8") == first.stdout
    model = sqlmig("--url", db_url, "schema", "dump", "--json", cwd=tmp_path)
    tables = json.loads(model.stdout)["entries"][0]["tables"]
    assert {t["name"] for t in tables} >= {"authors", "books"}


def test_dump_leaves_the_history_out(sqlite_url: str, tmp_path: Path) -> None:
    assert sqlmig("--url", sqlite_url, "--dir", EXAMPLES, "up", cwd=tmp_path).returncode == 0
    dumped = sqlmig("--url", sqlite_url, "schema", "dump", cwd=tmp_path).stdout
    assert "sqlmig_history" not in dumped
    assert dumped.count("CREATE TABLE") == 3


def test_status_schema_names_what_was_changed_by_hand(db_url: str, tmp_path: Path) -> None:
    args = ("--url", db_url, "--dir", EXAMPLES)
    assert sqlmig(*args, "up", cwd=tmp_path).returncode == 0
    clean = sqlmig(*args, "status", "--schema", "--exit-code", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "schema: matches what the 5 applied migration(s) build" in clean.stdout
    by_hand = "CREATE INDEX by_hand ON books (title);\nDROP INDEX books_author_id_idx;\n"
    if dialect(db_url) == "mysql":  # the foreign key needs an index on author_id: give it one
        by_hand = (
            "CREATE INDEX by_hand ON books (author_id, title);\n"
            "DROP INDEX books_author_id_idx ON books;\n"
        )
    execute(db_url, by_hand + "ALTER TABLE users ADD COLUMN nickname TEXT;\n")
    drifted = sqlmig(*args, "status", "--schema", "--exit-code", cwd=tmp_path)
    assert drifted.returncode == 4, drifted.stdout + drifted.stderr
    assert drifted.stdout.splitlines() == [
        "column users.nickname was added outside the migrations",
        "index books_author_id_idx was removed outside the migrations",
        "index by_hand was added outside the migrations",
        "schema: 3 difference(s) from what the 5 applied migration(s) build",
    ]
    assert sqlmig(*args, "status", "--schema", cwd=tmp_path).returncode == 0


def test_up_check_schema_refuses_a_database_changed_by_hand(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in ("0001_create_authors", "0002_create_books"):
        for kind in ("up", "down"):
            source = Path(EXAMPLES) / f"{name}.{kind}.sql"
            (folder / source.name).write_bytes(source.read_bytes())
    args = ("--url", db_url, "--dir", str(folder))
    first = sqlmig(*args, "up", "--to", "1", "--check-schema", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    execute(db_url, "CREATE INDEX by_hand ON authors (name);\n")
    refused = sqlmig(*args, "up", "--check-schema", cwd=tmp_path)
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "index by_hand was added outside the migrations" in refused.stderr
    assert "nothing was applied" in refused.stderr
    assert sqlmig(*args, "current", cwd=tmp_path).stdout.strip() == "0001_create_authors"
    applied = sqlmig(*args, "up", cwd=tmp_path)  # without the flag, as before
    assert applied.returncode == 0, applied.stderr


def test_plain_status_does_not_import_the_schema_package(sqlite_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['sqlmig', '--url', {sqlite_url!r}, '--dir', {EXAMPLES!r}, 'status']\n"
        "from sqlmig import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'sqlmig.schema' in sys.modules, 'sqlglot' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)  # fmt: skip
    assert "pending" in proc.stdout, proc.stderr
    assert "LOADED False False" in proc.stdout

"""`--json`: every command prints exactly one JSON document on stdout, in the documented shape."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.cli.helpers import UNREACHABLE, Cli, describe, execute, run_many
from tests.conftest import sqlmig, write

NONE = type(None)
INT: tuple[type, ...] = (int,)  # checked with `type(v) is`, so True is not an int
STR: tuple[type, ...] = (str,)

# The documented shape (README "JSON shape"). A key ending in "?" may be left out; lists are
# only present when they have items. [shape] is a non-empty list of items of that shape.
STEP = {
    "version": STR,  # digits as a string: exact for JavaScript readers too
    "name": STR,
    "label": STR,
    "direction": STR,
    "duration_ms": (int, NONE),
    "transactional": (bool,),
    "sql": (str, NONE),
}
ROW = {
    "version": STR,
    "name": STR,
    "label": STR,
    "state": STR,
    "applied_at": (str, NONE),
    "applied_by": (str, NONE),
    "duration_ms": (int, NONE),
    "detail": (str, NONE),
    "phase": (str, NONE),  # pre | post where the folder has post-deploy migrations (phases.py)
}
ENTRY = {
    "id": INT,
    "version": (str, NONE),
    "name": (str, NONE),
    "event": STR,
    "checksum": (str, NONE),
    "happened_at": STR,
    "actor": STR,
    "duration_ms": (int, NONE),
    "outcome": STR,
    "detail": (str, NONE),
    "label": (str, NONE),  # 0001_create_a, as everywhere else; null for an event of no migration
}
SUCCESS = {
    "command": STR,
    "ok": (bool,),
    "dry_run": (bool,),
    "steps?": [STEP],
    "rows?": [ROW],
    "entries?": [ENTRY],
    "current?": STR,
    "messages?": [STR],
    "lock_holder?": STR,
}
ERROR = {
    "ok": (bool,),
    "error": {"kind": STR, "exit_code": INT, "message": STR, "hint": (str, NONE)},
}
KINDS = {
    "usage",
    "files",
    "migration_failed",
    "lock_timeout",
    "drift",
    "failed_state",
    "connect",
    "history",
    "error",
}
STATES = {"applied", "pending", "future", "edited", "renamed", "missing", "failed", "running"}


def check_shape(value: Any, shape: Any, where: str = "$") -> None:
    """Assert that a parsed JSON value has exactly the given shape (no missing or extra keys)."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        keys = {k.rstrip("?"): v for k, v in shape.items()}
        required = {k for k in shape if not k.endswith("?")}
        assert required <= set(value), f"{where}: missing {sorted(required - set(value))}"
        assert set(value) <= set(keys), f"{where}: unexpected {sorted(set(value) - set(keys))}"
        for key, item in value.items():
            check_shape(item, keys[key], f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list) and value, f"{where}: expected a non-empty list: {value!r}"
        for i, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{i}]")
    else:
        assert type(value) in shape, f"{where}: {value!r} is not one of {shape}"


def parse(
    proc: subprocess.CompletedProcess[str], code: int = 0, *, error: bool | None = None
) -> dict[str, Any]:
    """The one JSON document on stdout (json.loads rejects anything around it), checked.

    `error`: whether to expect the error shape; by default, for any exit code but 0.
    """
    assert proc.returncode == code, describe(proc)
    assert proc.stdout.strip(), describe(proc)
    doc = json.loads(proc.stdout)
    if not (code != 0 if error is None else error):
        check_shape(doc, SUCCESS)
        assert doc["ok"] is True
    else:
        check_shape(doc, ERROR)
        assert doc["ok"] is False
        assert doc["error"]["exit_code"] == code
        assert doc["error"]["kind"] in KINDS
        assert doc["error"]["message"]
    return doc


def success(cli: Cli, command: str, *args: str, code: int = 0) -> dict[str, Any]:
    """Run with --json after the command (hoisted by sqlmig) and check the result's command."""
    doc = parse(cli(command, *args, "--json"), code, error=False)
    assert doc["command"] == command, doc
    return doc


def test_json_of_every_command(db_url: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    folder = project / "migrations"
    doc = parse(sqlmig("--json", "init", cwd=project))
    assert doc["command"] == "init"
    assert len(doc["messages"]) == 4  # the folder, the file, the URL, where settings are
    assert folder.is_dir() and (project / "sqlmig.toml").is_file()

    cli = Cli(db_url, folder)
    doc = success(cli, "new", "Create A")
    assert doc["current"] == "0001_create_a"
    assert len(doc["messages"]) == 2
    doc = success(cli, "new", "create_b")
    assert doc["current"] == "0002_create_b"
    write(folder, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(folder, "0002_create_b", "-- sqlmig:no-transaction\nCREATE TABLE b (id int);\n")
    (folder / "0002_create_b.down.sql").unlink()  # irreversible

    doc = success(cli, "status", "--exit-code", code=8)
    assert [(r["label"], r["state"], r["applied_at"]) for r in doc["rows"]] == [
        ("0001_create_a", "pending", None),
        ("0002_create_b", "pending", None),
    ]
    assert "current" not in doc  # nothing applied: left out, not null

    doc = success(cli, "up", "--dry-run")
    assert doc["dry_run"] is True
    assert [(s["label"], s["direction"], s["transactional"]) for s in doc["steps"]] == [
        ("0001_create_a", "up", True),
        ("0002_create_b", "up", False),
    ]
    assert doc["steps"][0]["sql"] == "CREATE TABLE a (id int);\n"

    doc = success(cli, "up")
    assert doc["dry_run"] is False
    assert [s["version"] for s in doc["steps"]] == ["1", "2"]
    assert all(s["sql"] is None and s["duration_ms"] >= 0 for s in doc["steps"])
    assert doc["current"] == "0002_create_b"

    doc = success(cli, "status")
    assert {r["state"] for r in doc["rows"]} == {"applied"}
    assert all(r["applied_at"] and r["applied_by"] for r in doc["rows"])
    assert all(r["state"] in STATES for r in doc["rows"])
    assert success(cli, "current")["current"] == "0002_create_b"
    assert success(cli, "validate")["messages"]

    # 0002 has no down file: down refuses it by name, before running anything
    err = parse(cli("down", "--json"), 2)
    assert err["error"]["kind"] == "usage"
    assert "0002_create_b" in err["error"]["message"]
    (folder / "0002_create_b.down.sql").write_text("DROP TABLE b;\n")
    doc = success(cli, "down")
    assert [(s["label"], s["direction"]) for s in doc["steps"]] == [("0002_create_b", "down")]
    assert doc["current"] == "0001_create_a"
    assert "current" not in success(cli, "down")
    success(cli, "up")

    doc = success(cli, "redo")
    assert [(s["label"], s["direction"]) for s in doc["steps"]] == [
        ("0002_create_b", "down"),
        ("0002_create_b", "up"),
    ]
    assert success(cli, "repair")["messages"] == ["nothing to repair"]
    success(cli, "down", "--all", "--yes")
    doc = success(cli, "baseline", "2")
    assert [(s["version"], s["direction"]) for s in doc["steps"]] == [
        ("1", "baseline"),
        ("2", "baseline"),
    ]
    assert doc["current"] == "0002_create_b"

    entries = success(cli, "history")["entries"]
    assert [(e["event"], e["version"]) for e in entries] == [
        ("up", "1"),
        ("up", "2"),
        ("down", "2"),
        ("down", "1"),
        ("up", "1"),
        ("up", "2"),
        ("down", "2"),  # redo
        ("up", "2"),
        ("down", "2"),  # down --all
        ("down", "1"),
        ("baseline", "1"),  # recorded, never run: no "up" event
        ("baseline", "2"),
    ]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(e["outcome"] == "ok" for e in entries)
    assert [e["name"] for e in entries if e["version"] == "1"] == ["create_a"] * 5


def test_json_errors_have_the_documented_shape_and_exit_code(db_url: str, migrations: Path) -> None:
    cli = Cli(db_url, migrations)
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n")
    broken = "-- sqlmig:no-transaction\nCREATE TABLE b (id int);\nINSERT INTO nope VALUES (1);\n"
    write(migrations, "0002_fill_b", broken)

    err = parse(cli("--json", "up"), 1)
    assert err["error"]["kind"] == "migration_failed"
    assert "0002_fill_b" in err["error"]["message"]
    assert "repair" in err["error"]["hint"]
    err = parse(cli("up", "--json"), 5)
    assert err["error"]["kind"] == "failed_state"
    doc = success(cli, "status", "--exit-code", code=5)
    assert [(r["label"], r["state"]) for r in doc["rows"]] == [
        ("0001_create_a", "applied"),
        ("0002_fill_b", "failed"),
    ]
    assert "nope" in doc["rows"][1]["detail"]
    doc = success(cli, "repair")
    assert len(doc["messages"]) == 1 and "fill_b" in doc["messages"][0]
    write(migrations, "0002_fill_b", "CREATE TABLE b (id int);\n")
    execute(db_url, "DROP TABLE b")
    success(cli, "up")

    write(migrations, "0001_create_a", "CREATE TABLE a (id bigint);\n")
    err = parse(cli("validate", "--json"), 4)
    assert err["error"]["kind"] == "drift"
    assert "0001_create_a" in err["error"]["message"]
    assert parse(cli("up", "--json"), 4)["error"]["kind"] == "drift"
    assert success(cli, "status", "--exit-code", code=4)["rows"][0]["state"] == "edited"

    (migrations / "foo.sql").write_text("SELECT 1;\n")
    err = parse(cli("--json", "status"), 2)
    assert err["error"]["kind"] == "files"
    assert "foo.sql" in err["error"]["message"]

    entries = success(cli, "history")["entries"]
    assert [(e["event"], e["name"], e["outcome"]) for e in entries] == [
        ("up", "create_a", "ok"),
        ("up", "fill_b", "failed"),  # the migration's name, as in every other entry
        ("repair", "fill_b", "ok"),
        ("up", "fill_b", "ok"),
    ]


def test_json_errors_before_and_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    folder = tmp_path / "migrations"
    write(folder, "0001_a", "SELECT 1;\n")
    unreachable = Cli(UNREACHABLE, folder)
    no_url, connect, scheme, timeout = run_many(
        [
            (Cli("", folder), ("current", "--json")),  # no URL anywhere
            (unreachable, ("--json", "history")),
            (Cli("mysql2://root@127.0.0.1:1/x", folder), ("status", "--json")),
            (unreachable, ("up", "--json", "--lock-timeout", "-1")),
        ]
    )
    err = parse(no_url, 2)
    assert err["error"]["kind"] == "usage"
    assert "SQLMIG_URL" in err["error"]["hint"]
    assert parse(connect, 6)["error"]["kind"] == "connect"
    assert "mysql2" in parse(scheme, 2)["error"]["message"]
    assert parse(timeout, 2)["error"]["kind"] == "usage"


def test_json_for_usage_errors_found_by_the_option_parser(tmp_path: Path) -> None:
    """README: with --json, one JSON document on stdout and nothing else, whatever went wrong."""
    for args in (["--json", "up", "--steps", "0"], ["status", "--json", "--no-such-flag"]):
        proc = sqlmig("--url", UNREACHABLE, *args, cwd=tmp_path)
        err = parse(proc, 2)
        assert err["error"]["kind"] == "usage"

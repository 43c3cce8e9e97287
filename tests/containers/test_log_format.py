"""`--log-format json` / SQLMIG_LOG_FORMAT: one JSON object per event on stderr, for collectors.

The default stays plain text, and plain means plain when stderr is not a terminal: no escape
codes, no carriage returns, no progress line (tests/containers/test_progress.py covers terminals).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from tests.cli.helpers import GATED_SQL, SLOW_SQL, Cli, gate, holding_lock, kind_of
from tests.conftest import clean_env, sqlmig, write

PASSWORD = "s3cret-pw"


def _records(stderr: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stderr.splitlines()]  # fails on any non-JSON line
    for r in records:
        assert {"time", "level", "event", "message"} <= set(r), r
        assert r["time"].endswith("Z") and r["level"] in ("debug", "info", "warning", "error")
    return records


def _with_password(url: str) -> str:
    """PostgreSQL here trusts 127.0.0.1, so a password is accepted and ignored: it must not leak."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1) if "postgres@" in url else url


def test_up_down_and_failure_as_json_events(db_url: str, migrations: Path) -> None:
    url = _with_password(db_url)
    write(migrations, "0001_users", "CREATE TABLE users (id int);\n", "DROP TABLE users;\n")
    write(migrations, "0002_broken", "CREATE TABLE t (id int);\nSELECT * FROM missing_table;\n")
    up = sqlmig("--url", url, "--dir", str(migrations), "up", "--log-format", "json")
    assert up.returncode == 1, up.stderr
    assert up.stdout == ""
    records = _records(up.stderr)
    kinds = [(r["event"], r.get("version")) for r in records if r["level"] != "debug"]
    assert kinds == [
        ("database", None),  # the target first, as Flyway's "Database:" line
        ("migration_started", "1"),  # versions are strings, as in --json
        ("migration_applied", "1"),
        ("migration_started", "2"),
        ("migration_failed", "2"),
        ("error", None),
    ], kinds
    by_kind = {r["event"]: r for r in records}
    assert by_kind["database"]["url"] == url.replace(PASSWORD, "***")
    assert by_kind["database"]["server"].startswith(("SQLite 3.", "PostgreSQL "))
    assert by_kind["lock_acquired"]["level"] == "debug"  # always logged; not waited for
    applied = by_kind["migration_applied"]
    assert applied["name"] == "users" and applied["label"] == "0001_users"
    assert isinstance(applied["duration_ms"], int) and applied["direction"] == "up"
    failed = by_kind["migration_failed"]
    assert failed["level"] == "error" and "missing_table" in failed["error"]
    assert f"{migrations / '0002_broken.up.sql'}:2:" in failed["error"]  # file:line:col
    assert by_kind["error"]["exit_code"] == 1 and by_kind["error"]["kind"] == "migration_failed"
    assert PASSWORD not in up.stderr

    (migrations / "0002_broken.up.sql").unlink()
    down = sqlmig("--url", url, "--dir", str(migrations), "down", env=_env_json())
    assert down.returncode == 0, down.stderr
    events = [(r["event"], r.get("version")) for r in _records(down.stderr)]
    assert ("revert_started", "1") in events and ("migration_reverted", "1") in events
    reverted = next(r for r in _records(down.stderr) if r["event"] == "migration_reverted")
    assert reverted["direction"] == "down" and isinstance(reverted["duration_ms"], int)
    assert down.stdout.startswith("down 0001_users"), "results stay on stdout, as text"


def _env_json() -> dict[str, str]:
    return {"SQLMIG_LOG_FORMAT": "json"}


def test_lock_waiting_and_acquired_events(db_url: str, migrations: Path) -> None:
    cli, kind = Cli(db_url, migrations), kind_of(db_url)
    # PostgreSQL: the holder waits at a gate, opened once the waiter said it waits (a sleep could
    # end before a slow-starting waiter asked for the lock); SQLite: a few seconds of CPU
    write(migrations, "0001_slow", GATED_SQL.get(kind, SLOW_SQL[kind]))
    gated = gate(db_url) if kind != "sqlite" else nullcontext(lambda: None)
    with gated as open_gate, holding_lock(cli):
        write(migrations, "0002_next", "CREATE TABLE next_one (id int);\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "sqlmig", *cli.argv("--log-format", "json", "--lock-timeout",
                                                       "30", "up")],
            cwd=cli.cwd, env=clean_env(cli.env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert proc.stderr is not None
        said = ""
        for line in proc.stderr:
            said += line
            if '"lock_waiting"' in line:
                break
        time.sleep(0.3)  # it waits: for longer than the 100 ms waited_ms is checked against
        open_gate()
        out, rest = proc.communicate(timeout=60)
    waiter = subprocess.CompletedProcess(proc.args, proc.returncode, out, said + rest)
    assert waiter.returncode == 0, waiter.stderr
    records = _records(waiter.stderr)
    kinds = [r["event"] for r in records]
    assert kinds.index("lock_waiting") < kinds.index("lock_acquired") < kinds.index("plan")
    waiting = records[kinds.index("lock_waiting")]
    assert waiting["level"] == "warning" and "held by" in waiting["message"]
    assert waiting["lock_timeout_s"] == 30
    acquired = records[kinds.index("lock_acquired")]
    assert acquired["level"] == "info" and acquired["waited_ms"] > 100


def test_default_text_is_plain_when_stderr_is_not_a_terminal(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n")
    proc = sqlmig("--url", sqlite_url, "--dir", str(migrations), "up")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert [ln.split(" (")[0] for ln in lines] == [
        f"Database: {sqlite_url}",
        "applying 0001_a",
        "applied 0001_a",
        "applying 0002_b",
        "applied 0002_b",
    ]
    assert "\x1b" not in proc.stderr + proc.stdout and "\r" not in proc.stderr
    assert "[1/2]" not in proc.stderr


def test_a_bad_log_format_is_a_usage_error(tmp_path: Path) -> None:
    flag = sqlmig("--url", "sqlite:///x.db", "status", "--log-format", "yaml", cwd=tmp_path)
    assert flag.returncode == 2 and "--log-format: unknown log format 'yaml'" in flag.stderr
    env = sqlmig(
        "--url", "sqlite:///x.db", "status", env={"SQLMIG_LOG_FORMAT": "xml"}, cwd=tmp_path
    )
    assert env.returncode == 2 and "SQLMIG_LOG_FORMAT: unknown log format" in env.stderr
    assert not (tmp_path / "x.db").exists(), "stopped before connecting"

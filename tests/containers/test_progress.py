"""On a terminal, `up` and `verify` show a progress line: count, current file, elapsed. Never in
JSON or logs."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, clean_env, write
from tests.integration.procs import sqlite_busy_statement

PROGRESS = re.compile(r"\r\x1b\[K\[(\d+)/(\d+)\] (\S*)  (\d+\.\d) s")


def _up_on_a_terminal(
    url: str, migrations: Path, *extra: str, command: str = "up"
) -> tuple[int, str, str]:
    """Run `sqlmig up` (or `command`) with stderr on a pseudo-terminal (stdout a pipe); return
    its exit code, stdout and everything the terminal got."""
    leader, follower = pty.openpty()
    env = clean_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", "--url", url, "--dir", str(migrations), *extra, command],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=60)
    os.close(leader)
    return code, out, b"".join(chunks).decode()


def _slow_set(migrations: Path, count: int, *, down: str | None = None) -> None:
    for i in range(1, count + 1):
        write(migrations, f"{i:04d}_step{i}", sqlite_busy_statement(0.7) + ";\n", down)


def test_a_terminal_gets_a_progress_line(sqlite_url: str, migrations: Path) -> None:
    _slow_set(migrations, 3)
    started = time.monotonic()
    code, out, err = _up_on_a_terminal(sqlite_url, migrations)
    assert code == 0, err
    frames = PROGRESS.findall(err)
    seen = {(int(done), current) for done, _total, current, _s in frames}
    assert {(0, "0001_step1"), (1, "0002_step2"), (2, "0003_step3")} <= seen, frames
    assert {total for _d, total, _c, _s in frames} == {"3"}
    elapsed = [float(s) for _d, _t, current, s in frames if current == "0001_step1"]
    assert max(elapsed) >= 0.5, "the elapsed time ticks while a migration runs"
    assert max(float(s) for *_, s in frames) <= time.monotonic() - started
    assert err.endswith("\r\x1b[K"), "the line is cleared at the end"
    assert "applied 0003_step3" in err and "applying 0001" not in err  # the line names it
    assert out.splitlines()[-1] == "now at 0003_step3"  # stdout stays plain
    assert "\x1b" not in out


def test_no_progress_line_in_json_even_on_a_terminal(sqlite_url: str, migrations: Path) -> None:
    _slow_set(migrations, 2)
    code, _out, err = _up_on_a_terminal(sqlite_url, migrations, "--log-format", "json")
    assert code == 0, err
    assert "\x1b" not in err and not PROGRESS.search(err)
    events = [json.loads(line)["event"] for line in err.splitlines()]
    assert events.count("migration_applied") == 2


def test_verify_on_a_terminal_gets_a_progress_line(sqlite_url: str, migrations: Path) -> None:
    _slow_set(migrations, 3, down="SELECT 1;\n")
    code, out, err = _up_on_a_terminal(sqlite_url, migrations, command="verify")
    assert code == 0, err
    frames = PROGRESS.findall(err)
    seen = {(int(done), current) for done, _total, current, _s in frames}
    assert {(0, "0001_step1"), (1, "0002_step2"), (2, "0003_step3")} <= seen, frames
    assert {total for _d, total, _c, _s in frames} == {"3"}
    assert err.endswith("\r\x1b[K"), "the line is cleared at the end"
    assert "ok   0003_step3" in err
    assert "3 migration(s) checked" in out and "\x1b" not in out

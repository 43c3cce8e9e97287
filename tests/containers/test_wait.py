"""`sqlmig wait` and `sqlmig up --wait`: a database that comes up late, one that never does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import query, sqlmig, write
from tests.containers.proxy import LateServer, free_port
from tests.integration.procs import Runner


def _via(url: str, port: int) -> str:
    """`url` through 127.0.0.1:port, with a password (trust ignores it) that must never show."""
    params = conninfo_to_dict(url)
    user, db = params.get("user", "postgres"), params["dbname"]
    return f"postgresql://{user}:s3cret-pw@127.0.0.1:{port}/{db}"


@pytest.fixture
def late(pg_url: str) -> Iterator[LateServer]:
    params = conninfo_to_dict(pg_url)
    server = LateServer((params.get("host", "127.0.0.1"), int(params.get("port", 5432))))
    yield server
    server.close()


def test_wait_returns_once_the_database_comes_up(pg_url: str, late: LateServer) -> None:
    url = _via(pg_url, late.port)
    runner = Runner("--url", url, "wait", "--timeout", "30")
    try:
        runner.wait_for_stderr("(attempt 3,", timeout=15)  # it kept trying while nothing listened
        opened = time.monotonic()
        late.open()
        done = runner.finish(timeout=20)
    finally:
        runner.kill()
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - opened < 4, "back-off is capped at 2 s: ready soon after it opens"
    assert done.stdout.startswith("ready: postgresql://postgres:***@127.0.0.1:"), done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) >= 3 and all(line.startswith("waiting for ") for line in lines), lines
    assert "Connection refused" in lines[0]
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_up_wait_applies_once_the_database_comes_up(
    pg_url: str, late: LateServer, migrations: Path
) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id int);\n")
    runner = Runner(
        "--url", _via(pg_url, late.port), "--dir", str(migrations), "up", "--wait", "30"
    )
    try:
        runner.wait_for_stderr("(attempt 2,", timeout=15)
        late.open()
        done = runner.finish(timeout=20)
    finally:
        runner.kill()
    assert done.returncode == 0, done.stderr
    assert "applied 0001_t" in done.stderr
    assert query(pg_url, "SELECT version FROM sqlmig_history") == [(1,)]


def test_wait_times_out_with_exit_6_and_the_last_reason(tmp_path: Path) -> None:
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{free_port()}/app"
    started = time.monotonic()
    proc = sqlmig("--url", url, "wait", "--timeout", "1.5", cwd=tmp_path)
    took = time.monotonic() - started
    assert proc.returncode == 6, proc.stderr
    assert 1.5 <= took < 6, took
    assert "error: the database was not ready after 1.5 s" in proc.stderr
    assert "Connection refused" in proc.stderr.splitlines()[-2]
    retries = [ln for ln in proc.stderr.splitlines() if ln.startswith("waiting for ")]
    pauses = [float(ln.rsplit("next in ", 1)[1].split()[0]) for ln in retries]
    assert len(pauses) >= 3 and pauses[:3] == [0.1, 0.2, 0.4], pauses  # exponential back-off
    assert proc.stdout == ""
    assert "s3cret-pw" not in proc.stderr


def test_wait_logs_each_attempt_as_json(tmp_path: Path) -> None:
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{free_port()}/app"
    proc = sqlmig("--url", url, "--log-format", "json", "wait", "--timeout", "0.5", cwd=tmp_path)
    assert proc.returncode == 6
    records = [json.loads(line) for line in proc.stderr.splitlines()]  # every line is JSON
    kinds = [r["event"] for r in records]
    assert kinds[-1] == "error" and set(kinds[:-1]) == {"wait_retry"}, kinds
    assert [r["attempt"] for r in records[:-1]] == list(range(1, len(records)))
    assert records[-1]["exit_code"] == 6 and records[-1]["kind"] == "connect"
    assert "s3cret-pw" not in proc.stderr


def test_wait_is_ready_at_once_on_sqlite_and_postgres(db_url: str, tmp_path: Path) -> None:
    proc = sqlmig("--url", db_url, "wait", "--timeout", "5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ready: ") and "(1 attempt(s)," in proc.stdout
    assert proc.stderr == ""


def test_wait_on_sqlite_waits_for_the_folder_to_appear(tmp_path: Path) -> None:
    """A volume mounted late: the database's folder does not exist yet."""
    folder = tmp_path / "volume"
    runner = Runner("--url", f"sqlite:///{folder / 'app.db'}", "wait", "--timeout", "20")
    try:
        runner.wait_for_stderr("(attempt 2,", timeout=15)
        folder.mkdir()
        done = runner.finish(timeout=15)
    finally:
        runner.kill()
    assert done.returncode == 0, done.stderr
    assert not (folder / "app.db").exists()  # a check creates nothing: `up` will

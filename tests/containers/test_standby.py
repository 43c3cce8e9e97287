"""`sqlmig wait` against a PostgreSQL standby: not ready until promoted, unless --allow-standby.

A throw-away cluster (initdb, as the postgres user when run as root) is started with
standby.signal, so it stays in recovery; `pg_ctl promote` turns it into a primary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail, sqlmig
from tests.containers.proxy import free_port
from tests.integration.procs import Runner

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*argv: str) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def standby() -> Iterator[tuple[str, Path]]:
    """(URL, data dir) of a fresh cluster running as a standby on its own port."""
    initdb = shutil.which("initdb") or str(BIN / "initdb")
    if not Path(initdb).exists() or (os.geteuid() == 0 and not shutil.which("runuser")):
        skip_or_fail("needs PostgreSQL's initdb and pg_ctl (and runuser when run as root)")
    root = Path(tempfile.mkdtemp(prefix="sqlmig-standby-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    pg_ctl = str(Path(initdb).parent / "pg_ctl")
    made = _as_postgres(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    assert made.returncode == 0, made.stderr
    (data / "standby.signal").touch()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = _as_postgres(
        pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"
    )
    assert started.returncode == 0, started.stderr + (root / "log").read_text()
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", data
    finally:
        _as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_a_standby_is_not_ready_unless_allowed_then_promotion_makes_it_ready(
    standby: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = standby
    refused = sqlmig("--url", url, "wait", "--timeout", "1", cwd=tmp_path)
    assert refused.returncode == 6, refused.stderr
    assert "the server is in recovery" in refused.stderr

    allowed = sqlmig("--url", url, "wait", "--timeout", "5", "--allow-standby", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr

    runner = Runner("--url", url, "wait", "--timeout", "30")
    try:
        runner.wait_for_stderr("(attempt 2,", timeout=15)
        pg_ctl = str(BIN / "pg_ctl") if (BIN / "pg_ctl").exists() else "pg_ctl"
        promoted = _as_postgres(pg_ctl, "-D", str(data), "-w", "promote")
        assert promoted.returncode == 0, promoted.stderr
        done = runner.finish(timeout=20)
    finally:
        runner.kill()
    assert done.returncode == 0, done.stderr
    assert "in recovery" in done.stderr and done.stdout.startswith("ready: ")

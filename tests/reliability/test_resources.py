"""Scenario 17: full disk, read-only file, no CREATE privilege, a busy SQLite database.

A user without CREATE privilege, or who may not read the history, also on MariaDB. Each is a
clean error (no traceback) that leaves the history as it was, and a history that
cannot be read is an error, never "nothing applied" (which would run every migration again).

Full disk: a 1 MiB tmpfs mounted for the test when running as root (else the test falls back to
RLIMIT_FSIZE on the child, which SQLite sees as a failed write). Read-only: the file is chmod
444; as root, whom file modes do not stop, the child runs without CAP_DAC_OVERRIDE (setpriv).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, skip_or_fail, sqlmig
from tests.integration.procs import clean_env
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    create_ledger,
    history_rows,
    ledger_counts,
    write_versions,
)

pytestmark = pytest.mark.timeout(60)


def without_dac(command: list[str]) -> list[str]:
    """As root: run `command` without the capabilities that let root ignore file modes."""
    if os.geteuid() != 0:
        return command
    if not shutil.which("setpriv"):
        skip_or_fail("root, and no setpriv to drop CAP_DAC_OVERRIDE: file modes cannot bite")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--inh-caps", caps, "--bounding-set", caps, *command]


def _run(*argv: str, preexec=None, prefix=()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "sqlmig", *argv],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=ROOT,
        timeout=30,
        preexec_fn=preexec,
    )


@pytest.fixture
def small_disk() -> Iterator[tuple[Path, str]]:
    """A folder on a 1 MiB file system, and how it was made."""
    folder = Path(tempfile.mkdtemp(prefix="sqlmig-full-"))
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield folder, "tmpfs" if mounted else "rlimit"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def test_full_disk_sqlite(small_disk: tuple[Path, str], migrations: Path) -> None:
    folder, how = small_disk
    url = f"sqlite:///{folder / 'app.db'}"
    create_ledger(url)
    write_versions(migrations, [1])
    write_versions(
        migrations,
        [2],
        extra={
            2: "INSERT INTO t_2 SELECT length(randomblob(1)) FROM (WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1) SELECT x FROM c);\n"
            "CREATE TABLE filler AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
            "FROM c WHERE x < 3000) SELECT x, randomblob(1000) AS b FROM c;\n"
        },
    )
    preexec = _limit_file_size if how == "rlimit" else None
    assert _run(*args(url, migrations, "up", "--to", "1"), preexec=preexec).returncode == 0
    done = _run(*args(url, migrations, "up"), preexec=preexec)
    assert done.returncode == 1, done.stderr
    assert "full" in done.stderr or "disk I/O" in done.stderr or "too large" in done.stderr, (
        how,
        done.stderr,
    )
    assert "Traceback" not in done.stderr
    assert_exactly_once(url, [1])
    status = _run(*args(url, migrations, "status"), preexec=preexec)
    assert status.returncode == 0 and "pending" in status.stdout, status.stderr


def test_read_only_sqlite_file(migrations: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sqlmig-ro-"))
    try:
        folder.chmod(0o755)
        url = f"sqlite:///{folder / 'app.db'}"
        create_ledger(url)
        write_versions(migrations, range(1, 3))
        migrations.parent.chmod(0o755)
        assert sqlmig(*args(url, migrations, "up", "--to", "1")).returncode == 0
        (folder / "app.db").chmod(0o444)
        done = _run(*args(url, migrations, "up"), prefix=without_dac([]))
        assert done.returncode == 1, done.stderr
        assert "readonly" in done.stderr or "read-only" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert_exactly_once(url, [1])
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.fixture
def limited_role(pg_url: str) -> Iterator[str]:
    """pg_url, but logged in as a role that may connect and nothing more."""
    role = f"sqlmig_limited_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        yield pg_url.replace("postgres@", f"{role}@", 1)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_postgres_user_without_create_privilege(
    pg_url: str, limited_role: str, migrations: Path
) -> None:
    write_versions(migrations, range(1, 3))
    done = sqlmig(*args(limited_role, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "permission denied for schema public" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert history_rows(pg_url) == {}


def test_unreadable_history_is_an_error_not_nothing_applied(
    pg_url: str, limited_role: str, migrations: Path
) -> None:
    create_ledger(pg_url)
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(pg_url, migrations, "up", "--to", "1")).returncode == 0
    for command in (["up"], ["status"], ["validate"], ["down"]):
        done = sqlmig(*args(limited_role, migrations, *command))
        assert done.returncode == 1, (command, done.stderr)
        assert "permission denied for table sqlmig_history" in done.stderr, done.stderr
        assert "pending" not in done.stdout
    assert_exactly_once(pg_url, [1])


def test_sqlite_busy_is_an_error_not_nothing_applied(sqlite_url: str, migrations: Path) -> None:
    create_ledger(sqlite_url)
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(sqlite_url, migrations, "up", "--to", "1")).returncode == 0
    other = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another application's write transaction
    try:
        for command in (["up"], ["status"]):  # each waits SQLite's 5 s busy timeout
            done = sqlmig(*args(sqlite_url, migrations, "--lock-timeout", "1", *command))
            assert done.returncode == 1, (command, done.stderr)
            assert "database is locked" in done.stderr, done.stderr
            assert "another connection holds a write lock" in done.stderr
            assert "pending" not in done.stdout
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert ledger_counts(sqlite_url) == {1: 1}
    assert sqlmig(*args(sqlite_url, migrations, "up")).returncode == 0
    assert_exactly_once(sqlite_url, [1, 2])


def test_mysql_user_without_create_privilege(
    ledger_mysql: str, mysql_user: Callable[..., str], migrations: Path
) -> None:
    """May read and write the database's rows, but not create tables."""
    limited = mysql_user("", "SELECT, INSERT, UPDATE, DELETE ON {db}.*")
    write_versions(migrations, range(1, 3))
    done = sqlmig(*args(limited, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "CREATE command denied" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert history_rows(ledger_mysql) == {}
    assert_exactly_once(ledger_mysql, [])


def test_unreadable_mysql_history_is_an_error_not_nothing_applied(
    ledger_mysql: str, mysql_user: Callable[..., str], migrations: Path
) -> None:
    """MySQL hides tables one may not read from information_schema: sqlmig must not mistake
    that for "no history table"."""
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(ledger_mysql, migrations, "up", "--to", "1")).returncode == 0
    limited = mysql_user("", "SELECT, INSERT ON {db}.ledger")
    for command in (["up"], ["status"], ["validate"], ["history"], ["down"]):
        done = sqlmig(*args(limited, migrations, *command))
        assert done.returncode == 1, (command, done.stderr)
        assert "command denied" in done.stderr and "sqlmig_history" in done.stderr, done.stderr
        assert "pending" not in done.stdout and "Traceback" not in done.stderr
    assert history_rows(ledger_mysql) == {1: "applied"}
    assert_exactly_once(ledger_mysql, [1])

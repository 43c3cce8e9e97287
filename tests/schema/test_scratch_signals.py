"""Every scratch database sqlmig makes is dropped on every way out of a real `sqlmig verify`
process: Ctrl-C (SIGINT), SIGTERM, and the server dropping all of its connections."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PG_URL, ROOT, _mysql_admin, clean_env, write

SLEEP = {"postgres": "SELECT pg_sleep(120);", "mysql": "SELECT SLEEP(120);"}


def _pg(sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def _mysql(sql: str) -> list[tuple]:
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        admin.close()


def databases(kind: str, prefix: str) -> list[str]:
    if kind == "postgres":
        sql = f"SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"
        return [r[0] for r in _pg(sql)]
    return [r[0] for r in _mysql(f"SHOW DATABASES LIKE '{prefix}%'")]


def sleeping(kind: str, db: str) -> bool:
    if kind == "postgres":
        sql = f"SELECT 1 FROM pg_stat_activity WHERE datname = '{db}' AND query LIKE '%pg_sleep%'"
        return bool(_pg(sql))
    sql = f"SELECT 1 FROM information_schema.processlist WHERE db = '{db}' AND info LIKE '%SLEEP%'"
    return bool(_mysql(sql))


def drop_connections(kind: str, names: list[str]) -> None:
    """What a server restart or a network cut does to sqlmig: every connection of it ends."""
    listed = ", ".join(f"'{n}'" for n in names)
    if kind == "postgres":
        _pg(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ({listed})")
        return
    import pymysql

    for (pid,) in _mysql(f"SELECT id FROM information_schema.processlist WHERE db IN ({listed})"):
        with contextlib.suppress(pymysql.OperationalError):  # it ended by itself meanwhile
            _mysql(f"KILL {pid}")


def wait_for(check: Callable[[], object], what: str, timeout: float = 90) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(params=["postgres", "mysql"])
def live(request: pytest.FixtureRequest) -> tuple[str, str]:
    name = "pg_url" if request.param == "postgres" else "mysql_url"
    return request.param, request.getfixturevalue(name)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "connections dropped"])
def test_the_scratch_database_is_dropped_however_verify_ends(
    live: tuple[str, str], how: str, migrations: Path
) -> None:
    kind, url = live
    write(migrations, "0001_slow", SLEEP[kind], "SELECT 1;")
    prefix = f"sqlmig_scratch_sig{uuid.uuid4().hex[:6]}_"
    args = ["--url", url, "--dir", str(migrations), "verify", "--scratch-prefix", prefix]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *args], cwd=ROOT, env=clean_env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        made = wait_for(lambda: databases(kind, prefix), "the scratch database")
        assert isinstance(made, list) and len(made) == 1
        wait_for(lambda: sleeping(kind, made[0]), "the migration to run")
        if how == "connections dropped":
            drop_connections(kind, [made[0], url.rsplit("/", 1)[1]])
        else:
            proc.send_signal(getattr(signal, how))
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    expected = {"SIGINT": 130, "SIGTERM": 143, "connections dropped": 1}[how]
    assert proc.returncode == expected, out + err
    assert databases(kind, prefix) == [], out + err


def test_a_given_scratch_database_is_emptied_on_ctrl_c(migrations: Path) -> None:
    from .test_scratch_given import _pg_own_database, held

    owner = _pg_own_database()
    url = next(owner)
    try:
        write(migrations, "0001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
        write(migrations, "0002_slow", "CREATE TABLE u (id int); SELECT pg_sleep(120);", "")
        args = ["--url", url, "--dir", str(migrations), "verify", "--scratch-url", url]
        proc = subprocess.Popen(
            [sys.executable, "-m", "sqlmig", *args], cwd=ROOT, env=clean_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: sleeping("postgres", url.rsplit("/", 1)[1]), "the migration to run")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 130, out + err
        assert held(url) == {"schema public", "extension plpgsql"}
    finally:
        owner.close()

"""Fixtures of the reliability suite: a ledger in every test database, the TCP proxy, PgBouncer,
and MariaDB users with a limited privilege or a password.

PgBouncer comes from the Debian package. When it is missing it is installed with apt-get if
this runs as root; otherwise its tests are skipped with the reason - except under CI=true, where
they fail, so CI can never pass without having run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import PG_URL, _mysql_admin, _with_db, require_pg, skip_or_fail
from tests.reliability.harness import create_ledger
from tests.reliability.proxy import Proxy

PGBOUNCER = "/usr/sbin/pgbouncer"
BOUNCER_PASSWORD = "Sentinel@:/%pw-7Q"  # what pgbouncer's md5 auth checks (scenario 18, 19)


@pytest.fixture(autouse=True)
def _ledger_is_not_a_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    """The witness `ledger` table exists before the first `up`, made by no migration: the
    sqlmig processes of this suite run as a user with such a table would run them, with
    SQLMIG_ALLOW_NON_EMPTY=1 (else `up` refuses to run blind, exit 7: tests/cli/test_not_empty)."""
    monkeypatch.setenv("SQLMIG_ALLOW_NON_EMPTY", "1")


@pytest.fixture
def ledger_db(db_url: str) -> str:
    """db_url (SQLite and PostgreSQL) with an empty `ledger` table."""
    create_ledger(db_url)
    return db_url


@pytest.fixture
def ledger_any(any_url: str) -> str:
    """any_url (SQLite, PostgreSQL and MySQL/MariaDB) with an empty `ledger` table."""
    create_ledger(any_url)
    return any_url


@pytest.fixture
def ledger_mysql(mysql_url: str) -> str:
    create_ledger(mysql_url)
    return mysql_url


@pytest.fixture
def ledger_pg(pg_url: str) -> str:
    create_ledger(pg_url)
    return pg_url


@pytest.fixture
def sibling_db(ledger_any: str, tmp_path: Path) -> Iterator[str]:
    """A second database (with a ledger) of ledger_any's kind, on the same server; dropped after."""
    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    if ledger_any.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'sibling.db'}"
        create_ledger(url)
        yield url
        return
    if ledger_any.startswith("mysql"):
        create, drop = f"CREATE DATABASE `{name}`", f"DROP DATABASE IF EXISTS `{name}`"
        url = f"{ledger_any.rsplit('/', 1)[0]}/{name}"
    else:
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        url = _with_db(PG_URL, name)
    _admin(ledger_any, create)
    try:
        create_ledger(url)
        yield url
    finally:
        _admin(ledger_any, drop)


def _admin(url: str, sql: str) -> None:
    """Run `sql` as the administrator of url's server, outside any database."""
    if url.startswith("mysql"):
        conn = _mysql_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(sql)


@pytest.fixture
def mysql_user(mysql_url: str) -> Iterator[Callable[..., str]]:
    """make(password, *grants) -> a URL of mysql_url's database as a new user with that
    password and only those grants ("SELECT ON {db}.ledger"). The users are dropped after."""
    parts = urlsplit(mysql_url)
    database = parts.path.lstrip("/")
    made: list[str] = []

    def make(password: str, *grants: str) -> str:
        user = f"sqlmig_u_{uuid.uuid4().hex[:8]}"
        sql = [f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s"]  # %% for the parameter
        sql += [f"GRANT {g.format(db=f'`{database}`')} TO '{user}'@'%'" for g in grants]
        conn = _mysql_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(sql[0], (password,))
                made.append(user)
                for grant in sql[1:]:
                    cur.execute(grant)
        finally:
            conn.close()
        secret = quote(password, safe="")
        return f"mysql://{user}:{secret}@{parts.hostname}:{parts.port or 3306}/{database}"

    try:
        yield make
    finally:
        conn = _mysql_admin()
        try:
            with conn.cursor() as cur:
                for user in made:
                    cur.execute(
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (user,)
                    )
                    for (ident,) in cur.fetchall():
                        with suppress(Exception):  # it may have ended meanwhile
                            cur.execute(f"KILL {int(ident)}")
                    cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        finally:
            conn.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    """A resettable TCP proxy in front of the test PostgreSQL server."""
    require_pg()
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(PG_URL)
    p = Proxy((params.get("host", "127.0.0.1"), int(params.get("port", 5432))))
    try:
        yield p
    finally:
        p.close()


def _install_pgbouncer() -> None:
    if os.path.exists(PGBOUNCER):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        skip_or_fail("pgbouncer is not installed (apt-get install pgbouncer) and this is not root")
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "pgbouncer"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        timeout=300,
    )
    if done.returncode != 0 or not os.path.exists(PGBOUNCER):
        skip_or_fail(f"apt-get install pgbouncer failed: {done.stderr[-500:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[int]:
    """PgBouncer in pool_mode = transaction on a free local port, in front of the test server.

    Clients authenticate to PgBouncer with md5 (user postgres, BOUNCER_PASSWORD), a real
    password check even though the server itself trusts everyone; PgBouncer logs in to the
    server as postgres. Yields the port.
    """
    require_pg()
    _install_pgbouncer()
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(PG_URL)
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="sqlmig-pgbouncer-"))
    folder.chmod(0o755)  # pgbouncer refuses to run as root: it runs as postgres (-u)
    (folder / "users.txt").write_text(f'"postgres" "{BOUNCER_PASSWORD}"\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={params.get('host', '127.0.0.1')} port={params.get('port', 5432)} "
        "user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = md5\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    if os.geteuid() == 0:  # its log and pid file go here
        import pwd

        os.chown(folder, pwd.getpwnam("postgres").pw_uid, -1)
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (folder / "pgbouncer.log").read_text()
                        if (folder / "pgbouncer.log").exists()
                        else ""
                    )
                    pytest.fail(
                        f"pgbouncer did not start: {proc.stdout.read() if proc.stdout else ''}{log}"
                    )
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)

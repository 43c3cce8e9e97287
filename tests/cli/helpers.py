"""Helpers for the CLI tests: run sqlmig against one database and folder, hold its lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import clean_env, execute, sqlmig

__all__ = ["execute"]  # the tests here import it from this module too

# Nothing listens on port 1: any attempt to connect fails at once (exit 6), so a command that
# exits 2 with this URL proves that it stopped before connecting. No password: sqlmig scrubs a
# password's text from every message, and a one-letter one would garble them (see test_secrets).
UNREACHABLE = "postgresql://sqlmig@127.0.0.1:1/x"

# Slow enough (3-5 s) that a second runner times out on the lock while it runs.
SLOW_SQL = {
    "postgres": "SELECT pg_sleep(4);\n",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 15000000)\n"
    "SELECT count(*) FROM c;\n",
    "mysql": "SELECT SLEEP(4);\n",
}


def kind_of(url: str) -> str:
    """'sqlite', 'mysql' or 'postgres', the key of SLOW_SQL."""
    if url.startswith(("mysql", "mariadb")):
        return "mysql"
    return "sqlite" if url.startswith("sqlite") else "postgres"


@dataclass
class Cli:
    """`sqlmig --url URL --dir FOLDER ...` run from FOLDER's parent (which has no sqlmig.toml).

    With url "" there is no --url: the URL comes from `env`, or there is none.
    """

    url: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def cwd(self) -> Path:
        return self.folder.parent

    def argv(self, *args: str) -> list[str]:
        url = ["--url", self.url] if self.url else []  # "": from the environment, or none
        return [*url, "--dir", str(self.folder), *args]

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return sqlmig(*self.argv(*args), env=self.env, cwd=self.cwd, timeout=timeout)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command that must succeed; fail with its output otherwise."""
        proc = self(*args)
        assert proc.returncode == 0, describe(proc)
        return proc


def run_many(
    calls: list[tuple[Cli, tuple[str, ...]]], workers: int = 4
) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands side by side (each is a separate process); results in order."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call[0](*call[1]), calls))


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """The command, exit code and output, for assertion messages."""
    return (
        f"{' '.join(map(str, proc.args))}\nexit {proc.returncode}\n"
        f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    )


# A migration that waits until the test opens its gate (see `gate`), so the lock is held for
# as long as the test needs, however slowly other processes start. SQLite has no such wait.
# A PostgreSQL advisory lock key / MySQL GET_LOCK name; sqlmig uses others. GET_LOCK names are
# server-wide: each pytest-xdist worker (gw0, gw1...) has its own.
GATE_KEY = 72_511_903 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
GATED_SQL = {
    "postgres": f"SELECT pg_advisory_xact_lock({GATE_KEY});\n",
    "mysql": f"SELECT GET_LOCK('sqlmig_test_gate_{GATE_KEY}', 300);\n",
}


@contextmanager
def gate(url: str) -> Iterator[Callable[[], None]]:
    """Hold the lock GATED_SQL waits for; yield the function that opens the gate (also opened
    when the block ends)."""
    if url.startswith("mysql"):
        from tests.conftest import _mysql_admin

        conn = _mysql_admin()
        conn.cursor().execute(f"SELECT GET_LOCK('sqlmig_test_gate_{GATE_KEY}', 10)")

        def release() -> None:
            conn.cursor().execute(f"SELECT RELEASE_LOCK('sqlmig_test_gate_{GATE_KEY}')")
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        conn.execute(f"SELECT pg_advisory_lock({GATE_KEY})")

        def release() -> None:
            conn.execute("SELECT pg_advisory_unlock_all()")

    try:
        yield release
    finally:
        release()
        conn.close()


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    return clean_env(extra)


@dataclass
class Holder:
    """A background `up` holding the lock; its output is filled in once it has finished."""

    proc: subprocess.Popen[str]
    stdout: str = ""
    stderr: str = ""


@contextmanager
def holding_lock(cli: Cli) -> Iterator[Holder]:
    """Run `up` in the background and yield once it holds the migration lock.

    The folder must hold a pending migration that runs for a few seconds (SLOW_SQL): the
    runner prints "applying ..." only after it took the lock. On exit, waits for it to finish.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *cli.argv("up")],
        cwd=cli.cwd,
        env=_clean_env(cli.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    holder = Holder(proc)
    try:
        assert proc.stderr is not None
        deadline, line = time.monotonic() + 30, ""
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            holder.stderr += line
            if not line or line.startswith("applying"):
                break
        assert line.startswith("applying"), f"the lock holder never started:\n{holder.stderr}"
        yield holder
    finally:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        holder.stdout, holder.stderr = out, holder.stderr + err


def on_a_terminal(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    python: tuple[str, ...] = ("-m", "sqlmig"),
) -> tuple[int, str]:
    """Run `python -m sqlmig ARGS` (or `python PYTHON ARGS`) with stdout and stderr on one
    pseudo-terminal: (exit, output)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_")}
    base = {k: v for k, v in base.items() if k not in ("DATABASE_URL", "NO_COLOR")}
    base["TERM"] = "xterm"
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, *python, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env={**base, **(env or {})},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")

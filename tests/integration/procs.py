"""Real `sqlmig` OS processes for the concurrency tests: start, watch stderr, gate, kill, reap.

A `Runner` is one `python -m sqlmig ...` process whose stdout and stderr are read by threads as
they come, so a test can wait for a line ("applying 0003_slow") while the process still runs.

With `gated=True` the process first imports everything `sqlmig up` needs, says it is ready on
stderr, and then blocks reading one byte from stdin; `release()` sends that byte. Releasing
several gated runners back to back makes them reach the migration lock within a millisecond or
so of each other, instead of being spread over the second that ten interpreter start-ups take.
The gated process then runs exactly what `python -m sqlmig` runs: `sqlmig.cli.main()`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

from tests import conftest

ROOT = Path(__file__).resolve().parent.parent.parent
READY = "sqlmig-test: ready"

_GATED = f"""
import sys
import sqlmig.cli, sqlmig.migrator, sqlmig.drivers.sqlite, sqlmig.drivers.postgres  # noqa
print({READY!r}, file=sys.stderr, flush=True)
if sys.stdin.read(1) != "g":
    sys.exit("sqlmig-test: released without the go byte")
sys.argv = ["sqlmig", *sys.argv[1:]]
sqlmig.cli.main()
"""


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `tests.conftest.sqlmig` uses: no SQLMIG_* or DATABASE_URL leaking in."""
    return conftest.clean_env(extra)


@dataclass(frozen=True)
class Finished:
    """How a runner ended."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float  # from start to exit, as seen by the test


class Runner:
    """One `sqlmig` process, started at construction."""

    def __init__(self, *args: str, gated: bool = False, env: dict[str, str] | None = None) -> None:
        command = (
            [sys.executable, "-c", _GATED, *args]
            if gated
            else [sys.executable, "-m", "sqlmig", *args]
        )
        self.args = args
        self.gated = gated
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if gated else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(env),
            cwd=ROOT,
        )
        self._lock = threading.Lock()
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: IO[str] | None, sink: list[str]) -> None:
        assert stream is not None
        for line in stream:
            with self._lock:
                sink.append(line)
        stream.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stderr(self) -> str:
        with self._lock:
            return "".join(self._err)

    @property
    def stdout(self) -> str:
        with self._lock:
            return "".join(self._out)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_stderr(self, text: str, timeout: float) -> None:
        """Block until `text` appears on stderr; fail if the process exits or time runs out."""
        wait_until(
            lambda: text in self.stderr,
            timeout,
            f"{text!r} on the stderr of {self.describe()}",
            alive=self,
        )

    def release(self) -> None:
        """Let a gated runner go on (see the module docstring)."""
        assert self.gated and self.proc.stdin is not None
        self.proc.stdin.write("g")
        self.proc.stdin.close()

    def kill(self) -> None:
        """SIGKILL: no cleanup code of sqlmig runs; the OS closes its files and sockets."""
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)

    def finish(self, timeout: float) -> Finished:
        """Wait for the exit (killing the process if it overstays) and collect its output."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(
                f"{self.describe()} did not finish within {timeout:g} s; stderr so far:\n"
                f"{self.stderr}"
            ) from None
        seconds = time.monotonic() - self.started
        for reader in self._readers:
            reader.join(timeout=10)
        return Finished(self.proc.returncode, self.stdout, self.stderr, seconds)

    def describe(self) -> str:
        return f"sqlmig pid {self.proc.pid} ({' '.join(self.args)})"


def release_all(runners: list[Runner], timeout: float = 30) -> None:
    """Wait until every gated runner is ready, then release them all back to back."""
    for runner in runners:
        runner.wait_for_stderr(READY, timeout)
    for runner in runners:
        runner.release()


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    alive: Runner | None = None,
    interval: float = 0.02,
) -> None:
    """Poll `predicate` until true; fail after `timeout` s, or at once if `alive` has exited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if alive is not None and not alive.running():
            time.sleep(0.1)  # let the reader threads catch the last lines
            if predicate():
                return
            raise AssertionError(
                f"{alive.describe()} exited with {alive.proc.returncode} while waiting for "
                f"{what}; stderr:\n{alive.stderr}\nstdout:\n{alive.stdout}"
            )
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


@cache
def _sqlite_rows_per_second() -> float:
    """How many rows a recursive CTE counts per second with this Python's SQLite."""
    conn = sqlite3.connect(":memory:")
    try:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            conn.execute(count_to(1_000_000)).fetchone()
            best = min(best, time.perf_counter() - start)
    finally:
        conn.close()
    return 1_000_000 / best


def count_to(n: int) -> str:
    """A statement that makes SQLite count to n, one row at a time (SQLite has no sleep())."""
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
        "SELECT count(*) FROM c"
    )


def sqlite_busy_statement(seconds: float) -> str:
    """A statement that keeps SQLite busy for about `seconds` (at least; measured, not guessed).

    The rate is measured on an idle CPU at its best; a loaded machine only makes it slower,
    which is the safe direction for tests that need the statement to be slow.
    """
    return count_to(int(_sqlite_rows_per_second() * seconds))

"""Run the sqlmig CLI in a process forked from a warm interpreter instead of a fresh `python -m`.

Most of the suite's time went to starting Python and importing sqlmig and its drivers (~0.3 s of
CPU per invocation, thousands of invocations). A small server process (`python -m
tests.forkrun`), started once per pytest process, imports them once; each `sqlmig(...)` call then
forks a child from it that runs the real `sqlmig.cli.main` with the test's arguments, environment
and working directory, stdin on /dev/null and stdout/stderr in files, and exits with the code the
real command would (a signal's death shows as -N, as with subprocess). The child is a real OS
process (its own pid and connections, killed on timeout) against the real databases.

What a fork cannot reproduce is what Python or a preloaded module reads once at start-up: the
locale, PYTHON* settings, and module-level environment reads. So a call forks only when its
environment differs from the server's in keys read at run time (SQLMIG_*, DATABASE_URL, PG*,
MYSQL*); any other difference (LANG, TERM, NO_COLOR, FORCE_COLOR, PYTHON*...) runs a fresh
interpreter, as SQLMIG_TEST_EXEC=1 does for every call. What start-up itself imports and how fast
it is are tested with explicit fresh processes (test_help, test_colour, schema/test_cli, bench).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# Imported once in the server; a child imports anything else itself, as a fresh process would.
# Only modules that read nothing from the environment when imported (checked: sqlmig reads it at
# run time; psycopg reads PSYCOPG_WAIT_FUNC, which no test sets). rich is left out on purpose.
PRELOAD = (
    *("sqlmig.cli.app", "sqlmig.cli.core", "sqlmig.cli.admin", "sqlmig.cli.tools"),
    *("sqlmig.migrator", "sqlmig.drivers.postgres", "sqlmig.drivers.mysql"),
    "sqlmig.drivers.sqlite",
    *("psycopg", "pymysql", "sqlite3", "sqlglot", "sqlglot.dialects.postgres"),
    *("sqlglot.dialects.mysql", "sqlglot.dialects.sqlite", "sqlmig.lint.engine"),
    *("sqlmig.schema.commands", "sqlmig.transpile.command"),
)
RUNTIME_KEYS = ("SQLMIG_", "DATABASE_URL", "PG", "MYSQL")
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- in the forked child


def _become(args: list[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """Become `python -m sqlmig ARGS` in cwd with env; never returns."""
    import traceback

    code = 1
    try:
        for fd, path in ((1, out), (2, err)):
            target = os.open(path, os.O_WRONLY | os.O_TRUNC)
            os.dup2(target, fd)
            os.close(target)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        import sqlmig

        sys.argv = [str(Path(sqlmig.__file__).with_name("__main__.py")), *args]
        sys.path[0] = cwd
        from sqlmig.cli import main

        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 130
    except BaseException:
        traceback.print_exc()
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code & 0xFF)


# ---------------------------------------------------------------- the server


def _serve() -> None:
    """Read one JSON request per line on stdin; fork a child for each; report its pid and exit."""
    for name in PRELOAD:
        __import__(name)
    atexit._clear()  # nothing of the server's runs in its children
    import selectors

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    requests, replies = sys.stdin.fileno(), sys.stdout.buffer
    ids: dict[int, str] = {}
    pending = b""
    sel = selectors.DefaultSelector()
    sel.register(requests, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)

    def reply(*fields: object) -> None:
        replies.write((" ".join(map(str, fields)) + "\n").encode())
        replies.flush()

    while True:
        lines: list[bytes] = []
        for key, _ in sel.select():
            if key.fileobj == wake_r:
                os.read(wake_r, 4096)
                continue
            chunk = os.read(requests, 1 << 20)
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            req = json.loads(line)
            pid = os.fork()
            if pid == 0:
                sel.close()
                signal.set_wakeup_fd(-1)
                os.close(wake_r)
                os.close(wake_w)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _become(req["args"], req["env"], req["cwd"], req["out"], req["err"])
            ids[pid] = req["id"]
            reply("pid", req["id"], pid)
        while ids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reply("exit", ids.pop(pid), os.waitstatus_to_exitcode(status))


# ---------------------------------------------------------------- in pytest


class _Client:
    def __init__(self, base_env: dict[str, str]) -> None:
        self.base_env = base_env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.forkrun"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=base_env,
            cwd=ROOT,
        )
        self.lock = threading.Lock()
        self.done = threading.Condition()
        self.pids: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.counter = 0
        threading.Thread(target=self._read, daemon=True).start()
        atexit.register(self.close)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, ident, value = line.decode().split()
            with self.done:
                (self.pids if kind == "pid" else self.codes)[ident] = int(value)
                self.done.notify_all()
        with self.done:  # the server is gone: no more replies
            self.done.notify_all()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(10)

    def run(self, args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple:
        with tempfile.TemporaryDirectory(prefix="sqlmig-run-") as tmp:
            out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
            Path(out).touch()
            Path(err).touch()
            with self.lock:
                self.counter += 1
                ident = str(self.counter)
                request = {"id": ident, "args": args, "env": env, "cwd": str(cwd)}
                request.update(out=out, err=err)
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
            with self.done:
                finished = self.done.wait_for(lambda: ident in self.codes or self._dead(), timeout)
                if self._dead() and ident not in self.codes:
                    raise RuntimeError("tests/forkrun.py: the fork server died")
                if not finished:
                    self.done.wait_for(lambda: ident in self.pids, 10)
                    os.kill(self.pids[ident], signal.SIGKILL)
                    self.done.wait_for(lambda: ident in self.codes, 10)
                code = self.codes.pop(ident, None)
                self.pids.pop(ident, None)
            return (None if not finished else code), _read(out), _read(err)

    def _dead(self) -> bool:
        return self.proc.poll() is not None


_client: _Client | None = None
_starting = threading.Lock()
# Set by pytest for each test; read by nothing else
IGNORED = ("PYTEST_CURRENT_TEST",)


def _faithful(env: dict[str, str], server_env: dict[str, str]) -> bool:
    """Whether a child forked from a server started with server_env behaves as a fresh process
    started with env: they differ only in what is read at run time."""
    changed = set(env) ^ set(server_env)
    changed |= {k for k in env if k in server_env and env[k] != server_env[k]}
    return all(k.startswith(RUNTIME_KEYS) or k in IGNORED for k in changed)


def _server(base_env: dict[str, str]) -> _Client:
    global _client
    with _starting:
        if _client is None or _client._dead() or not _faithful(base_env, _client.base_env):
            if _client is not None:
                _client.close()
            _client = _Client(base_env)
        return _client


def run(
    args: list[str], env: dict[str, str], base_env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m sqlmig ARGS` with env in cwd: forked when that is faithful, else exec'd."""
    cmd = [sys.executable, "-m", "sqlmig", *args]
    if os.environ.get("SQLMIG_TEST_EXEC") == "1" or not _faithful(env, base_env):
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
        )
    code, out, err = _server(base_env).run(args, env, cwd, timeout)
    if code is None:
        raise subprocess.TimeoutExpired(cmd, timeout, out, err)
    return subprocess.CompletedProcess(cmd, code, out, err)


def _read(path: str) -> str:
    # as subprocess.run(text=True) decodes: the locale's encoding, universal newlines
    with open(path, encoding=None, newline=None) as f:
        return f.read()


if __name__ == "__main__":
    _serve()

"""Run fleet targets in forked worker processes, at most `parallel` at a time.

One process per running target: a migration may change any session state, load extensions
or leave the driver's module state changed, and none of it can reach another target. The
workers are forked from the parent, which has already imported sqlmig and the drivers, so a
worker starts in about a millisecond rather than the ~150 ms of a new interpreter. Each worker
gets its own process group: Ctrl-C reaches the parent alone, which passes one SIGINT to each
running worker (a single `up` handles it: rolls back, releases the lock) and starts no more.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .targets import Target

Work = Callable[[Target], int]  # runs in the worker; returns its exit code
OnLine = Callable[[Target, str], None]  # a line the worker wrote on stderr


@dataclass
class Finished:
    """A worker that ended: its exit code (1 if a signal killed it) and its stdout."""

    target: Target
    code: int
    output: bytes
    seconds: float
    killed_by: int | None = None


@dataclass
class _Running:
    target: Target
    started: float
    fds: set[int]
    out: list[bytes] = field(default_factory=list)
    err: bytes = b""


class Pool:
    """Forks a worker per target, streams their stderr lines, collects their stdout."""

    def __init__(self, work: Work, *, parallel: int, on_line: OnLine) -> None:
        self.work = work
        self.parallel = max(1, parallel)
        self.on_line = on_line
        self.running: dict[int, _Running] = {}
        self.by_fd: dict[int, tuple[int, bool]] = {}  # fd -> (pid, is_stderr)
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.interrupted: KeyboardInterrupt | None = None

    def run(self, targets: Iterator[Target], on_done: Callable[[Finished], bool]) -> None:
        """Run targets until they run out; `on_done` returning True stops new starts (the
        rest stay in `targets`). Ctrl-C/SIGTERM: the workers get SIGINT, are waited for,
        and `interrupted` is set; a second one sends SIGTERM."""
        while True:
            try:
                self._loop(targets, on_done)
                return
            except KeyboardInterrupt as exc:
                self.stopping = True
                first = self.interrupted is None
                self.interrupted = self.interrupted or exc
                self._signal_all(signal.SIGINT if first else signal.SIGTERM)
            except BaseException:  # a bug in the parent: stop the workers, leave none behind
                self._signal_all(signal.SIGINT)
                for pid in list(self.running):
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
                raise

    def _loop(self, targets: Iterator[Target], on_done: Callable[[Finished], bool]) -> None:
        exhausted = False
        while True:
            while not (self.stopping or exhausted) and len(self.running) < self.parallel:
                target = next(targets, None)
                if target is None:
                    exhausted = True
                else:
                    with signals_held():  # a Ctrl-C now would leave a worker untracked
                        self._spawn(target)
            if not self.running:
                return
            for key, _mask in self.selector.select(timeout=1.0):
                self._read(key.fd)
            for pid in [p for p, r in self.running.items() if not r.fds]:
                with signals_held():  # ... or a finished target without its row
                    if on_done(self._reap(pid)):
                        self.stopping = True

    def _spawn(self, target: Target) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(out_r)
            os.close(err_r)
            self._worker(target, out_w, err_w)
        os.close(out_w)
        os.close(err_w)
        self.running[pid] = _Running(target, time.monotonic(), {out_r, err_r})
        for fd, is_err in ((out_r, False), (err_r, True)):
            self.by_fd[fd] = (pid, is_err)
            self.selector.register(fd, selectors.EVENT_READ)

    def _worker(self, target: Target, out_w: int, err_w: int) -> None:
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, set())  # held by the parent: let go
            # The parent stops a worker with SIGINT, also when sqlmig itself started with
            # SIGINT ignored (a background job of a script): it must raise here.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.setpgid(0, 0)  # the terminal's Ctrl-C goes to the parent, which passes it on
            for fd in self.by_fd:  # the other workers' pipes are not this one's business
                os.close(fd)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.close(out_w)
            os.close(err_w)
            code = self.work(target)
        except KeyboardInterrupt:
            code = 130
        except BaseException as exc:  # never let a worker return into the parent's loop
            code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 1
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # the pipe may be gone; the code stays
                    stream.flush()
            os._exit(code)

    def _read(self, fd: int) -> None:
        pid, is_err = self.by_fd[fd]
        state = self.running[pid]
        chunk = os.read(fd, 65536)
        if not chunk:
            self.selector.unregister(fd)
            os.close(fd)
            del self.by_fd[fd]
            state.fds.discard(fd)
            if is_err and state.err:
                self.on_line(state.target, state.err.decode("utf-8", "replace"))
                state.err = b""
            return
        if not is_err:
            state.out.append(chunk)
            return
        *lines, state.err = (state.err + chunk).split(b"\n")
        for line in lines:
            self.on_line(state.target, line.decode("utf-8", "replace"))

    def _reap(self, pid: int) -> Finished:
        state = self.running.pop(pid)
        _pid, status = os.waitpid(pid, 0)
        seconds = time.monotonic() - state.started
        killed = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
        return Finished(state.target, code, b"".join(state.out), seconds, killed)

    def _signal_all(self, signum: int) -> None:
        for pid in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)


def take_pending() -> bool | None:
    """Inside `signals_held`: consume a waiting SIGINT/SIGTERM. None: none came; True:
    SIGTERM came (it wins), False: SIGINT."""
    waiting = signal.sigpending() & {signal.SIGINT, signal.SIGTERM}
    for signum in waiting:
        signal.sigtimedwait({signum}, 0)
    return None if not waiting else signal.SIGTERM in waiting


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (then they raise as usual)."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)

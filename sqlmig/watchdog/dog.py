"""The watchdog thread: while a migration's statement runs, it asks its own connection every
INTERVAL s which sessions that statement keeps waiting; once one has waited longer than the
limit, it cancels the statement (the step then rolls back, and is retried or fails)."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from ..errors import SqlmigError
from ..events import Event, Notify
from .model import Blocked, Cancel

INTERVAL = 0.25  # seconds between polls: a cancel comes at most this late after the limit
# dialect -> the module (in this package) and class that read blocked sessions and cancel
PROBES = {"postgres": ("pg", "PgProbe"), "mysql": ("mysql", "MysqlProbe")}
BLOCKING_CANCELLED = "blocking_cancelled"  # the event kind, for log collectors
NOT_SQLITE = (
    "--max-blocking does not apply to SQLite: a database file has one writer, and the "
    "migration holds its write lock until it commits; other writers wait up to their own "
    "busy_timeout (readers too, unless journal_mode=WAL). Nothing will be cancelled"
)


class Probe(Protocol):
    CANCELLED: tuple[str, ...]  # the sqlstate (or MySQL error number) of a cancelled statement

    def own_id(self, driver: Any) -> int: ...

    def blocked(self, own: int, since: float) -> tuple[list[Blocked], Any, bool]: ...

    def cancel(self, own: int, handle: Any) -> bool: ...

    def close(self) -> None: ...


def start(driver: Any, *, limit: float, notify: Notify) -> Watchdog | None:
    """A running watchdog for the driver's migration connection; None (said) for SQLite."""
    found = PROBES.get(driver.dialect)
    if found is None:
        notify(Event("max_blocking_ignored", NOT_SQLITE, {"dialect": driver.dialect}, "warning"))
        return None
    module, name = found
    try:
        probe = getattr(importlib.import_module(f".{module}", __package__), name)(driver.url)
    except SqlmigError as exc:  # before any migration ran: say whose connection it was
        exc.message = f"--max-blocking: the watchdog's own connection failed: {exc.message}"
        exc.hint = (f"{exc.hint}; " if exc.hint else "") + (
            "nothing was applied. The watchdog needs a third connection beside the migration's "
            "and the lock's (a role's CONNECTION LIMIT, max_connections)"
        )
        raise
    message = f"watchdog on: a statement that blocks other sessions over {limit:g} s is cancelled"
    notify(Event("watchdog_started", message, {"max_blocking_s": limit}, "debug"))
    return Watchdog(probe, driver, limit=limit, notify=notify)


class Watchdog:
    """Armed only while a migration statement runs (`watching`); one cancel per arming."""

    def __init__(
        self, probe: Probe, driver: Any, *, limit: float, notify: Notify, interval: float = INTERVAL
    ) -> None:
        self.probe = probe
        self.driver = driver
        self.limit = limit
        self.notify = notify
        self.interval = interval
        self._lock = threading.Lock()  # a cancel is never sent after `watching` has ended
        self._armed: tuple[int, float] | None = None  # (migration connection id, file start)
        self._fired: Cancel | None = None
        self._trouble: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sqlmig-watchdog", daemon=True)
        self._thread.start()

    @contextmanager
    def watching(self, since: float | None = None) -> Iterator[None]:
        """Watch the migration connection while the body runs a statement (or a file sent as
        one query). `since`: when the file began (time.monotonic()), for MySQL's table waits."""
        own = self.probe.own_id(self.driver)
        with self._lock:
            self._armed = (own, time.monotonic() if since is None else since)
            self._fired = None
        try:
            yield
        finally:
            with self._lock:
                self._armed = None

    def cancelled(self, exc: BaseException) -> Cancel | None:
        """The watchdog's cancel behind a statement's failure (not a statement_timeout's)."""
        if str(getattr(exc, "sqlstate", None)) in self.probe.CANCELLED:
            return self._fired
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.probe.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                armed, fired = self._armed, self._fired
            if armed is None or fired is not None:
                continue
            try:
                self._poll(*armed)
            except Exception as exc:  # never take the run down: say so, try again next poll
                self._warn(exc)
            else:
                self._trouble = None

    def _poll(self, own: int, start: float) -> None:
        sessions, handle, queued = self.probe.blocked(own, time.monotonic() - start)
        if not any(s.waited >= self.limit for s in sessions):
            return
        with self._lock:
            if self._armed != (own, start) or self._fired is not None:
                return  # the statement ended meanwhile: nothing to cancel
            if self.probe.cancel(own, handle):
                self._fired = Cancel(tuple(sessions), self.limit, queued)

    def _warn(self, exc: Exception) -> None:
        from ..urls import scrub

        text = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                     self.driver.url.raw)  # fmt: skip
        if text == self._trouble:
            return  # said once per outage
        self._trouble = text
        message = (
            f"watchdog: cannot read the sessions the migration blocks ({text}); --max-blocking "
            "is not enforced until it can (it tries again)"
        )
        self.notify(Event("watchdog_trouble", message, {"error": text}, "warning"))

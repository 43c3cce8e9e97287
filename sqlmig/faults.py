"""Fault points for the reliability tests: crash, hang or sleep at a named point. TESTS ONLY.

Enabled only by the SQLMIG_TEST_FAULT environment variable (read by config.py, which hands the
text to `Faults.parse`); unset, every `hit()` is one attribute test and nothing else. The spec
is a comma-separated list of `point[:version-or-index]:action`, e.g.

    after_lock:sleep=5          sleep 5 s once the migration lock is held
    after_statement:2:crash     SIGKILL itself after statement 2 of a no-transaction file
    before_history:hang         hang (until a signal) before queueing a history row
    before_commit:crash         SIGKILL itself right before COMMIT is sent
    after_migration:1:hang      hang after migration 1 committed, before the next one starts
    after_history_read:sleep=3  sleep 3 s once `up` has read the history (a dry run: no lock)

Points: after_lock, after_history_read, before_migration, before_history, before_commit,
after_statement, after_migration. The middle number, when given, is the version (or, for
after_statement, the 1-based statement index) the fault applies to. Each reached fault says
so on stderr first ("sqlmig-test-fault: <point>"), so a test can wait for it. Never set this in
production.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

from .errors import UsageError

POINTS = frozenset(
    {
        "after_lock",
        "after_history_read",
        "before_migration",
        "before_history",
        "before_commit",
        "after_statement",
        "after_migration",
    }
)
REACHED = "sqlmig-test-fault:"


@dataclass(frozen=True)
class Fault:
    point: str
    which: int | None  # a version, or a statement index; None = every time
    action: str  # crash | hang | sleep
    seconds: float = 0.0


class Faults:
    """The parsed SQLMIG_TEST_FAULT; empty (and free) when the variable is unset."""

    def __init__(self, faults: tuple[Fault, ...] = ()) -> None:
        self.faults = faults

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        if not spec:
            return NONE
        return cls(tuple(_parse_one(item.strip()) for item in spec.split(",") if item.strip()))

    def hit(self, point: str, which: int | None = None) -> None:
        """Crash, hang or sleep if a fault is set for this point (and version/index)."""
        if not self.faults:
            return
        for fault in self.faults:
            if fault.point == point and fault.which in (None, which):
                _act(fault, which)


NONE = Faults()


def _parse_one(item: str) -> Fault:
    parts = item.split(":")
    if len(parts) not in (2, 3) or parts[0] not in POINTS:
        raise UsageError(
            f"SQLMIG_TEST_FAULT: bad fault {item!r}",
            hint="write point[:n]:action, e.g. after_lock:sleep=5; points: "
            + ", ".join(sorted(POINTS)),
        )
    which = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
    action, _, value = parts[-1].partition("=")
    if action not in ("crash", "hang", "sleep") or (action == "sleep" and not value):
        raise UsageError(f"SQLMIG_TEST_FAULT: bad action in {item!r}", hint="crash, hang, sleep=N")
    return Fault(parts[0], which, action, float(value or 0))


def _act(fault: Fault, which: int | None) -> None:
    where = fault.point if which is None else f"{fault.point}:{which}"
    print(f"{REACHED} {where} {fault.action}", file=sys.stderr, flush=True)
    if fault.action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)  # like kill -9: no cleanup code runs
    elif fault.action == "hang":
        while True:
            time.sleep(3600)
    else:
        time.sleep(fault.seconds)

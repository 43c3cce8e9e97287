"""`sqlmig verify`: on a scratch database, check that each down undoes its up and that each up
can run again after its down."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass

from ..errors import SqlmigError
from ..events import CHECK_STARTED, MIGRATION_CHECKED, PLAN, Event, Notify
from ..files import Migration
from .build import Builder
from .compare import REPEAT, VERIFY, compare, describe
from .model import Snapshot


@dataclass(frozen=True)
class Problem:
    migration: str
    problem: str  # "up failed" | "down failed" | "down does not restore the schema" | ...
    details: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        return [f"{self.migration}: {self.problem}", *(f"  - {d}" for d in self.details)]


@dataclass(frozen=True)
class Outcome:
    problems: tuple[Problem, ...]
    last: Snapshot | None = None  # the schema it left, when known: the next one's "before"
    fatal: bool = False  # the scratch database is out of step: go on from a fresh one
    stop: bool = False  # the up itself failed: later migrations cannot be checked


def check(b: Builder, m: Migration, before: Snapshot | None = None) -> Outcome:
    """snapshot, up, snapshot, down, snapshot, up, snapshot: compare what must be equal."""
    before = before or b.snapshot()
    failed = _attempt(lambda: b.up(m), m, "up failed")
    if failed:
        return Outcome((failed,), stop=True)
    after = b.snapshot()
    if m.down is None:
        return Outcome((), after)
    failed = _attempt(lambda: b.down(m), m, "down failed")
    if failed:
        return Outcome((failed,), after, fatal=not m.down.transactional)
    undone = _differences(before, b.snapshot(same=True))
    if undone:  # the second up would run on the wrong schema: it proves nothing more
        lines = _lines(undone, VERIFY)
        return Outcome((Problem(m.label, "down does not restore the schema", lines),), fatal=True)
    failed = _attempt(lambda: b.up(m), m, "up is not repeatable: it failed after its down")
    if failed:
        return Outcome((failed,), fatal=True)
    last = b.snapshot(same=True)
    again = _differences(after, last)
    if again:
        problem = "up is not repeatable: a second up gives another schema"
        return Outcome((Problem(m.label, problem, _lines(again, REPEAT)),), fatal=True)
    return Outcome((), last)


def _differences(expected: Snapshot, actual: Snapshot) -> list:
    """compare(), without flattening two snapshots that are equal values (the usual case)."""
    return [] if expected == actual else compare(expected, actual)


def _attempt(step: Callable[[], None], m: Migration, problem: str) -> Problem | None:
    try:
        step()
    except SqlmigError as exc:
        return Problem(m.label, problem, (exc.message,))
    return None


def _lines(diffs: list, phrases: dict[str, str]) -> tuple[str, ...]:
    return tuple(describe(diffs, phrases))


def run(
    fresh: Callable[[], AbstractContextManager[Builder]],
    files: list[Migration],
    *,
    start: int | None,
    notify: Notify,
) -> tuple[list[Problem], list[str]]:
    """Check every migration from `start` on; return the problems and notes.

    After a problem that leaves the scratch database out of step, a fresh one is built (the
    earlier ups replayed) and checking goes on, so one run reports every broken migration.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    position = 0
    count = len([m for m in files if start is None or m.version >= start])
    notify(Event(PLAN, f"{count} to check", {"pending": count}, "debug"))
    while position < len(files):
        with fresh() as b:
            for m in files[:position]:
                b.up(m)
            position = _walk(b, files, position, start, problems, notes, notify)
    return problems, notes


def _walk(
    b: Builder,
    files: list[Migration],
    position: int,
    start: int | None,
    problems: list[Problem],
    notes: list[str],
    notify: Notify,
) -> int:
    """Check files from `position`; return where a fresh database must resume (or the end)."""
    last = None
    for i in range(position, len(files)):
        m = files[i]
        if start is not None and m.version < start:
            b.up(m)
            continue
        notify(Event(CHECK_STARTED, f"checking {m.label}", {"label": m.label}, "debug"))
        outcome = check(b, m, last)
        last = outcome.last
        problems += outcome.problems
        if m.down is None:
            notes.append(f"{m.label}: no down file (irreversible); only its up was checked")
        ok = not outcome.problems
        fields = {"label": m.label, "ok": ok}
        notify(Event(MIGRATION_CHECKED, f"{'ok' if ok else 'FAIL'}   {m.label}", fields))
        if outcome.stop:
            rest = [x.label for x in files[i + 1 :]]
            if rest:
                notes.append(f"its up failed, so these were not checked: {', '.join(rest)}")
            return len(files)
        if outcome.fatal:
            return i + 1
    return len(files)


def verdict(files: list[Migration], start: int | None, problems: list[Problem]) -> str:
    """The last line: how many were checked, how many downs could be, and the outcome."""
    todo = [m for m in files if start is None or m.version >= start]
    downs = sum(1 for m in todo if m.down is not None)
    line = f"verify: {len(todo)} migration(s) checked"
    if todo and not downs:
        line += "; none has a down file, so no down was checked (only that each up runs)"
    elif downs < len(todo):
        line += f"; {downs} with a down file, {len(todo) - downs} without (listed above)"
    outcome = f"{len(problems)} problem(s)" if problems else "every down undoes its up"
    return f"{line}; {outcome}" if downs or problems else line


def as_entries(problems: list[Problem]) -> list[dict]:
    return [asdict(p) for p in problems]

"""Progress events: what a run is doing, as values that text, JSON or terminal sinks render."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

# The stable `kind`s. A log collector keys on these; the message is for humans and may change.
WAIT_RETRY = "wait_retry"
DB_READY = "db_ready"
DATABASE = "database"  # up/down/redo: the target, redacted, and its server, said first
LOCK_WAITING = "lock_waiting"
LOCK_ACQUIRED = "lock_acquired"
HISTORY_UPGRADED = "history_upgraded"  # a 0.1.0 history table took 38-digit versions
PLAN = "plan"
FUTURE_MIGRATIONS = "future_migrations"  # up: applied versions newer than every file
MIGRATION_STARTED = "migration_started"
MIGRATION_APPLIED = "migration_applied"
MIGRATION_FAILED = "migration_failed"
REVERT_STARTED = "revert_started"
MIGRATION_REVERTED = "migration_reverted"
CHECK_STARTED = "check_started"  # verify
MIGRATION_CHECKED = "migration_checked"
ERROR = "error"


@dataclass(frozen=True)
class Event:
    """One thing that happened: a stable kind, a line for humans, machine-readable fields.

    level: "info" is printed as text; "debug" only with --verbose; "error" is left to the
    final error message in text mode (so it is not said twice) but always logged as JSON.
    """

    kind: str
    message: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    level: str = "info"


Notify = Callable[[Event], None]
Clean = Callable[[str], str]  # removes the URL's password from a text


def as_event(item: Event | str) -> Event:
    """Accept a plain message too, from code that predates events."""
    return item if isinstance(item, Event) else Event("message", item)


def text_sink(
    *, clean: Clean, verbose: bool, out: TextIO | None = None, colour: bool = False
) -> Notify:
    """Plain lines on stderr: the human default, and what a non-terminal gets; with `colour`
    (a terminal), warnings in yellow."""

    def notify(item: Event | str) -> None:
        event = as_event(item)
        if event.level == "error" or (event.level == "debug" and not verbose):
            return
        message = clean(event.message)
        if colour and event.level == "warning":
            from .colour import YELLOW, paint

            message = paint(message, YELLOW, True)
        print(message, file=out or sys.stderr, flush=True)

    return notify


def json_record(event: Event, clean: Clean) -> dict[str, Any]:
    """The JSON object of one event: time, level, event, message, then its fields."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record: dict[str, Any] = {"time": now, "level": event.level, "event": event.kind}
    record["message"] = clean(event.message)
    for key, value in event.fields.items():
        if key == "version" and isinstance(value, int):  # a string, as in --json (results.py)
            value = str(value)
        record.setdefault(key, clean(value) if isinstance(value, str) else value)
    return record


def json_sink(*, clean: Clean, out: TextIO | None = None) -> Notify:
    """One JSON object per line on stderr, for log collectors (`--log-format json`)."""
    import json

    def notify(item: Event | str) -> None:
        line = json.dumps(json_record(as_event(item), clean), default=str)
        print(line, file=out or sys.stderr, flush=True)

    return notify

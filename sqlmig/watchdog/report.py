"""What a cancel says: the event, the audit-log detail and the error, naming the migration, the
statement's file:line, and the sessions it kept waiting (never their queries beyond a word)."""

from __future__ import annotations

from ..errors import MigrationFailed
from ..events import Event
from ..step_base import Target, event_of
from .dog import BLOCKING_CANCELLED
from .model import Cancel

ROLLED_BACK = {
    "up": "nothing of it was applied",
    "down": "nothing of the down ran: the migration stays applied",
}
NEXT_STEP = (
    "run it at a quieter time; make the statement hold its lock for less time (CREATE INDEX "
    "CONCURRENTLY, ADD CONSTRAINT ... NOT VALID then VALIDATE CONSTRAINT, backfills in "
    "batches); --statement-lock-timeout when it queued behind another session's lock; or raise "
    "--max-blocking or --retries"
)


def detail(error: str, cancel: Cancel) -> str:
    """`file:line:col: canceling statement ...` and who was waiting: the audit log's detail."""
    return f"{error}\n  cancelled by the watchdog: {cancel.headline()}: {cancel.describe()}"


def event(t: Target, where: str, cancel: Cancel) -> Event:
    """One `blocking_cancelled` warning per cancel, with the sessions as fields."""
    message = f"{t.label}: cancelled at {where}: {cancel.headline()} ({cancel.describe()})"
    sessions = [s.fields() for s in cancel.sessions]
    return event_of(
        BLOCKING_CANCELLED, message, t, level="warning", where=where, sessions=sessions,
        max_blocking_s=cancel.limit, queued=cancel.queued,
    )  # fmt: skip


def failure(t: Target, error: str, cancel: Cancel) -> MigrationFailed:
    """A migration in a transaction, cancelled: rolled back, nothing of it applied."""
    found = MigrationFailed(
        f"{t.label} ({t.direction}) was cancelled and rolled back: {cancel.headline()}:\n"
        f"{error}\n  blocked: {cancel.describe()}",
        hint=f"{ROLLED_BACK[t.direction]}; {NEXT_STEP}",
    )
    found.blocking = cancel  # type: ignore[attr-defined]  # _retrying tries it again
    return found


def stepwise(t: Target, i: int, total: int, error: str, cancel: Cancel) -> str:
    """A statement run on its own (no-transaction file, MySQL), cancelled and not retried: it
    changed nothing, the statements before it stay (the hint says how many)."""
    return (
        f"{t.label} ({t.direction}) was cancelled at statement {i + 1} of {total}, outside a "
        f"transaction: {cancel.headline()}:\n{error}\n  blocked: {cancel.describe()}"
    )

"""What every step shares: the target, the events, where in a file, the failure log."""

from __future__ import annotations

import re
import time
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import placeholders
from .drivers.base import Driver, ScriptError
from .errors import MigrationFailed, MigrationFileError
from .events import MIGRATION_APPLIED, MIGRATION_FAILED, Event, Notify
from .faults import NONE, Faults
from .files import Migration, SqlFile
from .history import FAILED, REVERTING, History
from .orphans import OrphanCheck
from .plan import settle_hint
from .results import Step
from .sqltext import SplitError, Statement, line_col, noise_end

if TYPE_CHECKING:
    from .callbacks import Hooks
    from .watchdog.dog import Watchdog

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired
# a statement gave up waiting for a lock and changed nothing: PostgreSQL, MySQL/MariaDB
LOCK_TIMEOUTS = (LOCK_NOT_AVAILABLE, "1205")


@dataclass(frozen=True)
class Target:
    """What a step works on: the version, its names, and the SQL that runs."""

    version: int
    name: str
    label: str
    sql: SqlFile
    direction: str  # "up" | "down"


class StepBase:
    """The driver, history and settings a step works with (the caller holds the lock)."""

    hooks: Hooks | None = None  # callbacks (callbacks.py): `up` sets them, other commands not
    # --max-blocking (watchdog/): set by up, down and redo when asked for; imported only then
    watchdog: Watchdog | None = None

    def __init__(
        self,
        driver: Driver,
        history: History,
        *,
        by: str,
        notify: Notify,
        faults: Faults = NONE,
        retries: int = 0,
        orphans: OrphanCheck | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.driver = driver
        self.history = history
        self.by = by
        self.notify = notify
        self.faults = faults
        self.retries = retries
        # one per run, shared by Runner and its Stepwise: the orphans known before each step
        self.orphans = orphans or OrphanCheck(driver)
        self.hooks = hooks

    def history_event(
        self,
        event: str,
        version: int,
        name: str,
        checksum: str | None,
        ms: int,
        detail: str | None = None,
    ) -> tuple:
        return self.history.event(
            event, version=version, name=name, checksum=checksum, duration_ms=ms, by=self.by,
            detail=detail,
        )  # fmt: skip

    def mark_failed(self, t: Target, done: int, error: str) -> None:
        """A failed row; a down's says so (REVERTING), so that `repair` puts it back to applied
        (its up stays applied) instead of making it pending, to be applied a second time."""
        stored = f"{REVERTING}{error}" if t.direction == "down" else error
        self.driver.write(
            self.history.set_status(
                t.version, FAILED, duration_ms=None, statements_done=done, error=stored
            ),
            self.history.confirm_status(t.version, FAILED),
        )
        self.log_failure(t, error)

    def watching(self, since: float | None = None) -> AbstractContextManager[None]:
        """The watchdog watches the migration's statement while the body runs it (if on)."""
        return nullcontext() if self.watchdog is None else self.watchdog.watching(since)

    def log_failure(self, t: Target, detail: str, *, outcome: str = "failed") -> None:
        if outcome == "failed":  # a cancel has its own event (watchdog/report.py)
            self.notify(
                event_of(MIGRATION_FAILED, f"{t.label} failed", t, level="error", error=detail)
            )
        with suppress(Exception):  # the log is best effort; the failure itself is raised
            self.driver.write(
                self.history.event(
                    t.direction,
                    version=t.version,
                    name=t.name,
                    checksum=t.sql.checksum,
                    duration_ms=None,
                    outcome=outcome,
                    detail=detail,
                    by=self.by,
                )
            )


def each(step: StepBase, point: str, label: str, *, atomic: bool) -> None:
    """The run's beforeEachMigrate / afterEachMigrate callbacks of one file, if any."""
    if step.hooks is not None:
        step.hooks.each(point, label, atomic=atomic)


def ms_since(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


def lock_timeout_failure(t: Target, error: str) -> MigrationFailed:
    """A statement waited longer than statement_lock_timeout for a table lock: rolled back."""
    failure = MigrationFailed(
        f"{t.label} ({t.direction}) gave up waiting for a table lock (statement_lock_timeout) and "
        f"was rolled back:\n{error}",
        hint="another session holds a conflicting lock (a long query or an open transaction; see "
        "pg_stat_activity); run again when it is gone, pass --retries N, or raise "
        "--statement-lock-timeout",
    )
    failure.lock_timeout = True  # type: ignore[attr-defined]
    return failure


def event_of(kind: str, message: str, of: Target | Migration | Step, **fields: Any) -> Event:
    """An event about one migration; `level` may be among the keywords."""
    level = fields.pop("level", "info")
    about = {"version": of.version, "name": of.name, "label": of.label}
    if isinstance(of, Target | Step):
        about["direction"] = of.direction
    message = message or f"{kind.replace('_', ' ')}: {of.label}"
    return Event(kind, message, {**about, **fields}, level)


def applied_event(t: Target, ms: int | None, *, empty: bool = False) -> Event:
    """`applied 0003_add_index (41 ms)`; a file of comments only says `0 statements`."""
    if empty:
        message = f"applied {t.label} (0 statements: the file holds only comments; {ms} ms)"
        return event_of(MIGRATION_APPLIED, message, t, duration_ms=ms, statements=0)
    return event_of(MIGRATION_APPLIED, f"applied {t.label} ({ms} ms)", t, duration_ms=ms)


def no_statements(driver: Driver, sql: SqlFile) -> bool:
    """A file of comments (and stray `;`) only, such as a `sqlmig new` template never filled
    in: a cheap look at the text, confirmed by the dialect's own splitter (MySQL's `/*! */`
    runs), so that a long file costs nothing."""
    pos = 0
    while pos < len(sql.text):
        pos = noise_end(sql.text, pos)
        if pos < len(sql.text) and sql.text[pos] != ";":
            return False
        pos += 1
    try:
        return not driver.split(sql.text)
    except SplitError:
        return False


def split(driver: Driver, sql: SqlFile) -> list[Statement]:
    """The statements of a no-transaction file, or an error naming it before anything runs."""
    try:
        return driver.split(sql.text)
    except SplitError as exc:
        raise MigrationFileError(
            f"{sql.path}: cannot split into statements: {exc}{placeholders.filled_in(sql)}",
            hint="look for an unterminated string, quoted name, comment or $$ body",
        ) from None


def where(sql: SqlFile, offset: int | None) -> str:
    if offset is None:
        return str(sql.path)
    line, col = line_col(sql.text, min(offset, len(sql.text)))
    return f"{sql.path}:{line}:{col}"


# COMMIT AND CHAIN / ROLLBACK AND CHAIN end the file's transaction and begin the next at once
CHAIN = re.compile(
    r"(COMMIT|END|ROLLBACK|ABORT)\b(?:\s+(?:WORK|TRANSACTION))?\s+AND\s+CHAIN\b", re.I
)


def file_offset(stmt: Statement, offset: int | None) -> int:
    """A driver's offset inside the statement's text (which begins with the comments before
    the statement) as an offset in the file."""
    if offset is None:
        return stmt.offset
    if stmt.start is not None:
        return stmt.start + offset
    return stmt.offset - noise_end(stmt.text) + offset


def what_stays(
    stayed: int,
    opened: int | None,
    failed: int,
    left: list[str],
    direction: str = "up",
    version: int | str = "VERSION",
) -> str:
    said = f"{stayed} statement(s) ran and stay applied"
    if opened is not None:
        said += (
            f"; statements {opened + 1} to {failed + 1} ran in the file's own transaction and "
            "were rolled back"
        )
    if left:
        drops = "; ".join(f"DROP INDEX CONCURRENTLY {name}" for name in left)
        said += (
            f"; the database has INVALID index(es) {', '.join(left)} (a failed CREATE INDEX "
            f"CONCURRENTLY leaves one; IF NOT EXISTS would then skip it): {drops}"
        )
    return f"{said}; {settle_hint(direction, version)}"


def extra(exc: ScriptError) -> str:
    parts = [
        f"\n  detail: {exc.detail}" if exc.detail else "",
        f"\n  server hint: {exc.hint}" if exc.hint else "",
    ]
    return "".join(parts)

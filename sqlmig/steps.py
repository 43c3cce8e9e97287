"""Running one migration step on an open connection: in a transaction, or statement by statement."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from .drivers.base import CommitLost, Driver, ScriptError, TransactionEnded
from .errors import (
    ConnectError,
    HistoryError,
    LockLost,
    MigrationFailed,
    MigrationFileError,
    SqlmigError,
    UsageError,
)
from .events import (
    MIGRATION_APPLIED,
    MIGRATION_FAILED,
    MIGRATION_REVERTED,
    MIGRATION_STARTED,
    REVERT_STARTED,
    Event,
    Notify,
)
from .faults import NONE, Faults
from .files import Migration, SqlFile
from .history import APPLIED, FAILED, RUNNING, AppliedRow, History, now
from .plan import DownStep
from .results import Step
from .sqltext import _LEADING_NOISE, SplitError, Statement, line_col

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


def _ms(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


class Runner:
    """Applies and reverts migrations through one driver; the caller holds the lock."""

    def __init__(
        self,
        driver: Driver,
        history: History,
        *,
        by: str,
        notify: Notify,
        faults: Faults = NONE,
        retries: int = 0,
    ) -> None:
        self.driver = driver
        self.history = history
        self.by = by
        self.notify = notify
        self.faults = faults
        self.retries = retries
        self.committed_early: list[str] = []

    # -- up -------------------------------------------------------------------------------------

    def apply(self, m: Migration, *, durable: bool = True) -> Step:
        """Apply one migration: its SQL and its history row commit together.

        durable=False: the commit does not wait for the disk; the caller makes a later commit
        durable (the last migration of a run), which flushes this one too.
        """
        target = Target(m.version, m.name, m.label, m.up, "up")
        self.faults.hit("before_migration", m.version)
        if not self._atomic(m.up):
            step = self._apply_statements(m, target)
        else:
            step = self._retrying(target, lambda: self._apply_once(m, target, durable))
        self.faults.hit("after_migration", m.version)
        return step

    def _apply_once(self, m: Migration, target: Target, durable: bool) -> Step:
        self.notify(_event(MIGRATION_STARTED, f"applying {m.label}", target))
        start = time.perf_counter()
        self.driver.begin(durable=durable)
        try:
            self.driver.run_script(m.up.text)
            self.faults.hit("before_history", m.version)
            self.record_up(m, _ms(start))
            self.faults.hit("before_commit", m.version)
            self.driver.commit()
        except CommitLost as exc:
            raise self._commit_lost(target, exc) from None
        except BaseException as exc:
            self.driver.rollback()
            raise self._failure(target, exc) from None
        step = Step(m.version, m.name, m.label, "up", _ms(start))
        self.notify(_applied(target, step.duration_ms))
        return step

    def _retrying(self, t: Target, attempt: Callable[[], Step]) -> Step:
        """Run a transactional step; on a statement_lock_timeout failure (all rolled back), try
        again up to `retries` times, waiting 1, 2, 4 ... s (at most 30) in between."""
        for n in range(self.retries + 1):
            try:
                return attempt()
            except MigrationFailed as exc:
                if not getattr(exc, "lock_timeout", False) or n == self.retries:
                    raise
                delay = min(2.0**n, 30.0)
                message = f"{t.label}: lock timeout; retry {n + 1} of {self.retries} in {delay:g} s"
                self.notify(_event("migration_retry", message, t, level="warning", attempt=n + 1))
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _commit_lost(self, t: Target, exc: CommitLost) -> ConnectError:
        """The connection dropped after COMMIT was sent: reconnect and let the history say
        whether the step committed, then report exactly that (exit 6 either way)."""
        try:
            self.driver.settle()
            rows = self.history.read() or []
        except SqlmigError as again:
            return ConnectError(
                f"{exc.message}\nwhether {t.label} ({t.direction}) was committed is unknown: "
                f"reconnecting failed: {again.message}",
                hint=f"once the database is reachable, `sqlmig status` shows whether {t.label} "
                "is applied; it was either wholly committed or not at all",
            )
        row = next((r for r in rows if r.version == t.version), None)
        done = (row is not None and row.status == APPLIED) == (t.direction == "up")
        outcome = (
            f"{t.label} ({t.direction}) WAS committed: the history shows it"
            if done
            else f"{t.label} ({t.direction}) was NOT committed: the server rolled it back, "
            "nothing of it is applied"
        )
        return ConnectError(
            f"{exc.message}\nreconnected and read the history: {outcome}",
            hint="run the command again to continue",
        )

    def apply_all(self, todo: list[Migration]) -> list[Step]:
        """Apply every migration in one transaction: all or none."""
        blocking = [m.label for m in todo if not self._atomic(m.up)]
        if blocking:
            raise UsageError(
                "--single-transaction needs files that can run in one transaction; these cannot: "
                f"{', '.join(blocking)} (a no-transaction directive, or MySQL, where DDL commits "
                "by itself)",
                hint="apply without --single-transaction",
            )
        steps: list[Step] = []
        self.driver.begin(checking=True)
        current = todo[0]
        try:
            for current in todo:
                self.notify(_event(MIGRATION_STARTED, f"applying {current.label}", current))
                start = time.perf_counter()
                self.driver.run_script(current.up.text)
                self.record_up(current, _ms(start))
                steps.append(Step(current.version, current.name, current.label, "up", _ms(start)))
            self.driver.commit()
        except BaseException as exc:
            self.driver.rollback()
            target = Target(current.version, current.name, current.label, current.up, "up")
            if isinstance(exc, TransactionEnded) and exc.committed:
                # the file's COMMIT committed the files before it too: record them as applied
                self._record_committed(todo[: todo.index(current)], steps)
            error = self._failure(target, exc)
            if isinstance(error, MigrationFailed) and not isinstance(exc, TransactionEnded):
                error.message += f"\n(--single-transaction: none of the {len(todo)} migrations ran)"
            elif isinstance(error, MigrationFailed) and self.committed_early:
                error.message += (
                    f"\n(--single-transaction: its COMMIT also committed "
                    f"{', '.join(self.committed_early)}, now recorded as applied)"
                )
            raise error from None
        for step in steps:  # logged for collectors; a terminal gets the one line below
            self.notify(_event(MIGRATION_APPLIED, "", step, level="debug"))
        self.notify(Event("committed", f"applied {len(steps)} migration(s) in one transaction"))
        return steps

    def _record_committed(self, done: list[Migration], steps: list[Step]) -> None:
        """Record migrations that a later file's own COMMIT committed (--single-transaction)."""
        if not done:
            return
        took = {s.version: s.duration_ms or 0 for s in steps}
        recorded = {r.version for r in self.history.read() or []}  # SQLite: already committed
        writes = []
        for m in (m for m in done if m.version not in recorded):
            down = m.down
            row = AppliedRow(
                m.version, m.name, m.up.checksum, down.text if down else None,
                down.checksum if down else None, APPLIED, now(), self.by, took.get(m.version),
                None, None,
            )  # fmt: skip
            ms = took.get(m.version, 0)
            writes += [
                self.history.insert(row),
                self._event("up", m.version, m.name, m.up.checksum, ms),
                self.history.confirm(m.version, APPLIED, m.up.checksum),
            ]
        if writes:
            self.driver.write(*writes, reset=True)
        self.committed_early = [m.label for m in done]

    def record_up(self, m: Migration, ms: int, *, event: str = "up") -> None:
        """Queue the history row and log event of an applied migration."""
        down = m.down
        row = AppliedRow(
            m.version, m.name, m.up.checksum, down.text if down else None,
            down.checksum if down else None, APPLIED, now(), self.by, ms, None, None,
        )  # fmt: skip
        self.driver.record(*self.history.insert(row))
        self.driver.record(*self._event(event, m.version, m.name, m.up.checksum, ms))
        self.driver.record(*self.history.confirm(m.version, APPLIED, m.up.checksum))

    def _apply_statements(self, m: Migration, target: Target) -> Step:
        """A no-transaction file: a `running` row first, then each statement in autocommit."""
        statements = _split(self.driver, m.up)
        self.notify(
            _event(
                MIGRATION_STARTED,
                f"applying {m.label} ({len(statements)} statements, no transaction)",
                target,
                statements=len(statements),
            )
        )
        start = time.perf_counter()
        down = m.down
        row = AppliedRow(
            m.version, m.name, m.up.checksum, down.text if down else None,
            down.checksum if down else None, RUNNING, now(), self.by, None, 0, None,
        )  # fmt: skip
        self.driver.write(self.history.insert(row))
        self._run_statements(target, statements)
        ms = _ms(start)
        self.driver.write(
            self.history.set_status(
                m.version, APPLIED, duration_ms=ms, statements_done=len(statements), error=None
            ),
            self._event("up", m.version, m.name, m.up.checksum, ms),
            self.history.confirm(m.version, APPLIED, m.up.checksum),
            reset=True,
        )
        self.notify(_applied(target, ms))
        return Step(m.version, m.name, m.label, "up", ms, transactional=False)

    # -- down -----------------------------------------------------------------------------------

    def revert(self, s: DownStep) -> Step:
        """Revert one migration: its down SQL and the removal of its row commit together."""
        row = s.row
        target = Target(row.version, row.name, s.label, s.sql, "down")
        self.notify(_event(REVERT_STARTED, f"reverting {s.label}", target))
        start = time.perf_counter()
        if self._atomic(s.sql):
            self._retrying(target, lambda: self._revert_once(s, target, start))
        else:
            statements = _split(self.driver, s.sql)
            self.driver.write(
                self.history.set_status(
                    row.version, RUNNING, duration_ms=None, statements_done=0, error="reverting"
                )
            )
            self._run_statements(target, statements)
            self.driver.write(
                self.history.delete(row.version), self._down_event(row, _ms(start)), reset=True
            )
        ms = _ms(start)
        self.notify(
            _event(MIGRATION_REVERTED, f"reverted {s.label} ({ms} ms)", target, duration_ms=ms)
        )
        return Step(row.version, row.name, s.label, "down", ms, s.sql.transactional)

    def _revert_once(self, s: DownStep, target: Target, start: float) -> Step:
        self.driver.begin()
        try:
            self.driver.run_script(s.sql.text)
            self.faults.hit("before_history", s.row.version)
            self.driver.record(*self.history.delete(s.row.version))
            self.driver.record(*self._down_event(s.row, _ms(start)))
            self.faults.hit("before_commit", s.row.version)
            self.driver.commit()
        except CommitLost as exc:
            raise self._commit_lost(target, exc) from None
        except BaseException as exc:
            self.driver.rollback()
            raise self._failure(target, exc) from None
        return Step(s.row.version, s.row.name, s.label, "down", _ms(start))

    def _down_event(self, row: AppliedRow, ms: int) -> tuple:
        return self._event("down", row.version, row.name, row.checksum, ms)

    def _atomic(self, sql: SqlFile) -> bool:
        """Whether the file runs in one transaction: not where DDL commits by itself (MySQL)."""
        return sql.transactional and self.driver.ATOMIC_DDL

    # -- shared ---------------------------------------------------------------------------------

    def _event(self, event: str, version: int, name: str, checksum: str | None, ms: int) -> tuple:
        return self.history.event(
            event, version=version, name=name, checksum=checksum, duration_ms=ms, by=self.by
        )

    def _run_statements(self, t: Target, statements: list[Statement]) -> None:
        """Run each statement in autocommit, counting progress in the history row.

        A file may open a transaction of its own (BEGIN ... COMMIT): its statements count as
        done only when it ends, and one never ended is rolled back and reported. `done` is how
        many statements are committed; `opened` the index of the statement that began the
        transaction open now (a COMMIT AND CHAIN ends one and begins the next at once).
        """
        opened: int | None = None
        done = 0
        for i, stmt in enumerate(statements):
            try:
                self._statement(t, stmt, inside=opened is not None)
            except ScriptError as exc:
                stayed = i if opened is None else done
                raise self._statement_failed(t, statements, i, exc, opened, stayed) from None
            except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say where it stopped
                stayed = i if opened is None else done
                exc.note = self._interrupted(t, statements, i, stayed)  # type: ignore[attr-defined]
                raise
            if self.driver.in_transaction():
                chain = _CHAIN.match(stmt.text, _noise(stmt.text))
                if opened is None:
                    opened, done = i, i
                elif chain:  # the file's transaction ended here, and a new one began
                    opened, done = i, (i + 1 if chain.group(1).upper() != "ROLLBACK" else done)
                continue
            opened, done = None, i + 1
            self._progress(t, statements, done)
            self.faults.hit("after_statement", i + 1)
        if opened is not None:
            raise self._never_ended(t, statements, opened, done)

    def _progress(self, t: Target, statements: list[Statement], done: int) -> None:
        """Count a statement as done in the history row, behind the lock proof."""
        try:
            self.driver.write(
                self.history.set_status(
                    t.version, RUNNING, duration_ms=None, statements_done=done, error=None
                )
            )
        except LockLost as exc:
            exc.message += (
                f"\n{t.label} ({t.direction}): {done} of {len(statements)} statement(s) ran "
                "and stay applied; its history row still says running"
            )
            exc.hint = (
                "check the database, then `sqlmig repair` (clears the running row) and "
                "finish the migration by hand or run it again"
            )
            raise

    def _statement(self, t: Target, stmt: Statement, *, inside: bool) -> None:
        """One statement; a lock timeout (nothing changed) is retried like a transactional file,
        unless it ran inside the file's own transaction."""
        for n in range(self.retries + 1):
            try:
                if stmt.copy_data is None:
                    self.driver.run_statement(stmt.text)
                else:  # pg_dump's COPY ... FROM stdin and its data (PostgreSQL only)
                    self.driver.run_statement(stmt.text, copy_data=stmt.copy_data)  # type: ignore[call-arg]
                return
            except ScriptError as exc:
                if exc.sqlstate not in LOCK_TIMEOUTS or inside or n == self.retries:
                    raise
                delay = min(2.0**n, 30.0)
                message = f"{t.label}: lock timeout; retry {n + 1} of {self.retries} in {delay:g} s"
                self.notify(_event("migration_retry", message, t, level="warning", attempt=n + 1))
                time.sleep(delay)

    def _statement_failed(
        self,
        t: Target,
        statements: list[Statement],
        i: int,
        exc: ScriptError,
        opened: int | None,
        stayed: int,
    ) -> MigrationFailed:
        """Record a failed statement and say exactly what stays applied."""
        stmt = statements[i]
        if opened is not None or self.driver.in_transaction():
            self.driver.rollback()
        error = f"{_where(t.sql, _file_offset(stmt, exc.offset))}: {exc.message}"
        self._mark_failed(t, stayed, error)
        left = self.driver.invalid_indexes()
        return MigrationFailed(
            f"{t.label} ({t.direction}) failed at statement {i + 1} of {len(statements)}, "
            f"outside a transaction:\n{error}" + _extra(exc),
            hint=_what_stays(stayed, None if opened is None else stayed, i, left),
        )

    def _interrupted(self, t: Target, statements: list[Statement], i: int, stayed: int) -> str:
        error = (
            f"{_where(t.sql, statements[i].offset)}: interrupted during statement {i + 1}; "
            f"{stayed} statement(s) ran and stay applied"
        )
        with suppress(Exception):
            if self.driver.in_transaction():
                self.driver.rollback()
            self._mark_failed(t, stayed, error)
        return f"interrupted: {t.label} ({t.direction}) stopped at {error}"

    def _never_ended(
        self, t: Target, statements: list[Statement], opened: int, done: int
    ) -> MigrationFailed:
        self.driver.rollback()
        error = (
            f"{_where(t.sql, statements[opened].offset)}: the file began a transaction here "
            "and never ended it (no COMMIT); sqlmig rolled it back"
        )
        self._mark_failed(t, done, error)
        return MigrationFailed(
            f"{t.label} ({t.direction}) did not finish: {error}",
            hint=f"{done} statement(s) before it ran and stay applied; statements "
            f"{done + 1} to {len(statements)} were rolled back. End the transaction in the "
            "file (COMMIT), fix the database if needed, then run `sqlmig repair`",
        )

    def _mark_failed(self, t: Target, done: int, error: str) -> None:
        self.driver.write(
            self.history.set_status(
                t.version, FAILED, duration_ms=None, statements_done=done, error=error
            )
        )
        self._log_failure(t, error)

    def _failure(self, t: Target, exc: BaseException) -> BaseException:
        """Turn an exception during a transactional step into the error to raise."""
        if isinstance(exc, TransactionEnded):
            return self._ended(t)
        if isinstance(exc, KeyboardInterrupt):
            exc.note = f"interrupted; {t.label} ({t.direction}) was rolled back"  # type: ignore[attr-defined]
        if not isinstance(exc, ScriptError):
            reason = exc.message if isinstance(exc, SqlmigError) else type(exc).__name__
            self.notify(_event(MIGRATION_FAILED, "", t, level="error", error=reason))
            # logged (where the connection still works) for the audit trail; being a durable
            # write, it also makes the run's earlier non-durable commits durable
            self._log_failure(t, f"interrupted: {reason}")
            if type(exc) is HistoryError:  # recording it failed: the step rolled back with it
                exc.message = f"{t.label} ({t.direction}) was rolled back: {exc.message}"
            return exc
        error = f"{_where(t.sql, exc.offset)}: {exc.message}"
        self._log_failure(t, error)
        if exc.sqlstate == LOCK_NOT_AVAILABLE:
            return _lock_timeout_failure(t, error)
        return MigrationFailed(
            f"{t.label} ({t.direction}) failed and was rolled back:\n{error}" + _extra(exc),
            hint="fix the file and run the command again; nothing of it was applied",
        )

    def _ended(self, t: Target) -> MigrationFailed:
        """The file's own COMMIT/ROLLBACK ended our transaction: record the unknown state."""
        error = (
            f"{t.sql.path}: the file's own COMMIT, ROLLBACK or END ended sqlmig's transaction; "
            "part of it may be committed"
        )
        if t.direction == "up":
            row = AppliedRow(
                t.version, t.name, t.sql.checksum, None, None, FAILED, now(), self.by,
                None, None, error,
            )  # fmt: skip
            self.driver.write(self.history.insert(row), reset=True)
        else:
            self.driver.write(
                self.history.set_status(
                    t.version, FAILED, duration_ms=None, statements_done=None, error=error
                ),
                reset=True,
            )
        self._log_failure(t, error)
        return MigrationFailed(
            f"{t.label} ({t.direction}): {error}",
            hint="remove transaction control from the file (sqlmig wraps it in a transaction), "
            "check the database, then `sqlmig repair`",
        )

    def _log_failure(self, t: Target, detail: str) -> None:
        self.notify(_event(MIGRATION_FAILED, f"{t.label} failed", t, level="error", error=detail))
        with suppress(Exception):  # the log is best effort; the failure itself is raised
            self.driver.write(
                self.history.event(
                    t.direction,
                    version=t.version,
                    name=t.name,
                    checksum=t.sql.checksum,
                    duration_ms=None,
                    outcome="failed",
                    detail=detail,
                    by=self.by,
                )
            )


def _lock_timeout_failure(t: Target, error: str) -> MigrationFailed:
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


def _event(kind: str, message: str, of: Target | Migration | Step, **fields: Any) -> Event:
    """An event about one migration; `level` may be among the keywords."""
    level = fields.pop("level", "info")
    about = {"version": of.version, "name": of.name, "label": of.label}
    if isinstance(of, Target | Step):
        about["direction"] = of.direction
    message = message or f"{kind.replace('_', ' ')}: {of.label}"
    return Event(kind, message, {**about, **fields}, level)


def _applied(t: Target, ms: int | None) -> Event:
    return _event(MIGRATION_APPLIED, f"applied {t.label} ({ms} ms)", t, duration_ms=ms)


def _split(driver: Driver, sql: SqlFile) -> list[Statement]:
    """The statements of a no-transaction file, or an error naming it before anything runs."""
    try:
        return driver.split(sql.text)
    except SplitError as exc:
        raise MigrationFileError(
            f"{sql.path}: cannot split into statements: {exc}",
            hint="look for an unterminated string, quoted name, comment or $$ body",
        ) from None


def _where(sql: SqlFile, offset: int | None) -> str:
    if offset is None:
        return str(sql.path)
    line, col = line_col(sql.text, min(offset, len(sql.text)))
    return f"{sql.path}:{line}:{col}"


# COMMIT AND CHAIN / ROLLBACK AND CHAIN end the file's transaction and begin the next at once
_CHAIN = re.compile(
    r"(COMMIT|END|ROLLBACK|ABORT)\b(?:\s+(?:WORK|TRANSACTION))?\s+AND\s+CHAIN\b", re.I
)


def _noise(text: str) -> int:
    match = _LEADING_NOISE.match(text)
    return match.end() if match else 0


def _file_offset(stmt: Statement, offset: int | None) -> int:
    """A driver's offset inside the statement's text (which begins with the comments before
    the statement) as an offset in the file."""
    if offset is None:
        return stmt.offset
    if stmt.start is not None:
        return stmt.start + offset
    leading = _LEADING_NOISE.match(stmt.text)
    return stmt.offset - (leading.end() if leading else 0) + offset


def _what_stays(stayed: int, opened: int | None, failed: int, left: list[str]) -> str:
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
    return said + "; fix the database by hand, then run `sqlmig repair`"


def _extra(exc: ScriptError) -> str:
    parts = [
        f"\n  detail: {exc.detail}" if exc.detail else "",
        f"\n  server hint: {exc.hint}" if exc.hint else "",
    ]
    return "".join(parts)

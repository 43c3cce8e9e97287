"""Running one migration step on an open connection: in a transaction, or statement by statement
(stepwise.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property

from .callback_names import AFTER_EACH, BEFORE_EACH
from .drivers.base import CommitLost, ScriptError, TransactionEnded
from .errors import ConnectError, HistoryError, MigrationFailed, SqlmigError, UsageError
from .events import (
    MIGRATION_FAILED,
    MIGRATION_REVERTED,
    MIGRATION_STARTED,
    REVERT_STARTED,
    Event,
)
from .files import Migration, SqlFile
from .history import APPLIED, FAILED, AppliedRow, now
from .orphans import checked
from .orphans import failure as orphan_failure
from .placeholders import detail
from .plan import DownStep, settle_hint
from .results import Step
from .step_base import (
    LOCK_NOT_AVAILABLE,
    REVERTING,
    StepBase,
    Target,
    applied_event,
    each,
    event_of,
    extra,
    lock_timeout_failure,
    ms_since,
    no_statements,
    where,
)
from .stepwise import Stepwise


class Runner(StepBase):
    """Applies and reverts migrations through one driver; the caller holds the lock."""

    committed_early: tuple[str, ...] = ()  # files a later file's own COMMIT committed

    @cached_property
    def stepwise(self) -> Stepwise:
        """The statement-by-statement path, on the same driver, history and settings."""
        stepwise = Stepwise(
            self.driver,
            self.history,
            by=self.by,
            notify=self.notify,
            faults=self.faults,
            retries=self.retries,
            orphans=self.orphans,
            hooks=self.hooks,
        )
        stepwise.watchdog = self.watchdog
        return stepwise

    def apply(self, m: Migration, *, durable: bool = True) -> Step:
        """Apply one migration: its SQL and its history row commit together.

        durable=False: the commit does not wait for the disk; the caller makes a later commit
        durable (the last migration of a run), which flushes this one too.
        """
        target = Target(m.version, m.name, m.label, m.up, "up")
        self.faults.hit("before_migration", m.version)
        if not self._atomic(m.up):
            step = self.stepwise.apply(m, target)
        else:
            step = self._retrying(target, lambda: self._apply_once(m, target, durable))
        self.faults.hit("after_migration", m.version)
        return step

    def _apply_once(self, m: Migration, target: Target, durable: bool) -> Step:
        self.notify(event_of(MIGRATION_STARTED, f"applying {m.label}", target))
        start = time.perf_counter()
        self.driver.begin(durable=durable)
        try:
            self.orphans.before()  # inside the transaction: no other writer in between
            each(self, BEFORE_EACH, m.label, atomic=True)  # callbacks
            with self.watching():
                self.driver.run_script(m.up.text)
            self._check_orphans(m.up)
            each(self, AFTER_EACH, m.label, atomic=True)
            self.faults.hit("before_history", m.version)
            self.record_up(m, ms_since(start))
            self.faults.hit("before_commit", m.version)
            self.driver.commit()
        except CommitLost as exc:
            raise self._commit_lost(target, exc) from None
        except BaseException as exc:
            self.driver.rollback()
            raise self._failure(target, exc) from None
        step = Step(m.version, m.name, m.label, "up", ms_since(start))
        self.notify(applied_event(target, step.duration_ms, empty=no_statements(self.driver, m.up)))
        return step

    def _retrying(self, t: Target, attempt: Callable[[], Step]) -> Step:
        """Run a transactional step; on a statement_lock_timeout failure or a --max-blocking
        cancel (all rolled back), try again up to `retries` times in all, waiting 1, 2, 4 ... s
        (at most 30) in between."""
        for n in range(self.retries + 1):
            try:
                return attempt()
            except MigrationFailed as exc:
                blocking = getattr(exc, "blocking", None) is not None
                if not (getattr(exc, "lock_timeout", False) or blocking) or n == self.retries:
                    if blocking and n:
                        exc.message += f"\n  (cancelled on each of its {n + 1} attempts)"
                    raise
                delay = min(2.0**n, 30.0)
                why = "cancelled (--max-blocking)" if blocking else "lock timeout"
                message = f"{t.label}: {why}; retry {n + 1} of {self.retries} in {delay:g} s"
                self.notify(event_of("migration_retry", message, t, level="warning", attempt=n + 1))
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
            self.orphans.before()
            for current in todo:
                self.notify(event_of(MIGRATION_STARTED, f"applying {current.label}", current))
                start = time.perf_counter()
                each(self, BEFORE_EACH, current.label, atomic=True)  # callbacks
                with self.watching():
                    self.driver.run_script(current.up.text)
                # each file's orphans are its own, as when the files run one transaction each
                self._check_orphans(current.up)
                each(self, AFTER_EACH, current.label, atomic=True)
                self.record_up(current, ms_since(start))
                if current is not todo[-1]:
                    self.driver.between()  # the next file starts in the run's session
                steps.append(
                    Step(current.version, current.name, current.label, "up", ms_since(start))
                )
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
        for step, m in zip(steps, todo, strict=True):  # committed now: a line each, as one by one
            t = Target(m.version, m.name, m.label, m.up, "up")
            self.notify(applied_event(t, step.duration_ms, empty=no_statements(self.driver, m.up)))
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
                self.history_event("up", m.version, m.name, m.up.checksum, ms, detail(m.up)),
                self.history.confirm(m.version, APPLIED, m.up.checksum),
            ]
        if writes:
            self.driver.write(*writes, reset=True)
        self.committed_early = tuple(m.label for m in done)

    def record_up(self, m: Migration, ms: int, *, event: str = "up") -> None:
        """Queue the history row and log event of an applied migration."""
        down = m.down
        row = AppliedRow(
            m.version, m.name, m.up.checksum, down.text if down else None,
            down.checksum if down else None, APPLIED, now(), self.by, ms, None, None,
        )  # fmt: skip
        self.driver.record(*self.history.insert(row))
        said = detail(m.up)  # which ${name} values it ran with (secrets as ***)
        self.driver.record(*self.history_event(event, m.version, m.name, m.up.checksum, ms, said))
        self.driver.record(*self.history.confirm(m.version, APPLIED, m.up.checksum))

    def revert(self, s: DownStep) -> Step:
        """Revert one migration: its down SQL and the removal of its row commit together."""
        row = s.row
        target = Target(row.version, row.name, s.label, s.sql, "down")
        self.notify(event_of(REVERT_STARTED, f"reverting {s.label}", target))
        start = time.perf_counter()
        if self._atomic(s.sql):
            self._retrying(target, lambda: self._revert_once(s, target, start))
        else:
            self.stepwise.revert(s, target, start)
        ms = ms_since(start)
        self.notify(
            event_of(MIGRATION_REVERTED, f"reverted {s.label} ({ms} ms)", target, duration_ms=ms)
        )
        return Step(row.version, row.name, s.label, "down", ms, s.sql.transactional)

    def _revert_once(self, s: DownStep, target: Target, start: float) -> Step:
        self.driver.begin()
        try:
            self.orphans.before()
            with self.watching():
                self.driver.run_script(s.sql.text)
            self._check_orphans(s.sql)
            self.faults.hit("before_history", s.row.version)
            self.driver.record(*self.history.delete(s.row.version))
            self.driver.record(*self.history.confirm_gone(s.row.version))
            self.driver.record(*self._down_event(s.row, ms_since(start), s.sql))
            self.faults.hit("before_commit", s.row.version)
            self.driver.commit()
        except CommitLost as exc:
            raise self._commit_lost(target, exc) from None
        except BaseException as exc:
            self.driver.rollback()
            raise self._failure(target, exc) from None
        return Step(s.row.version, s.row.name, s.label, "down", ms_since(start))

    def _check_orphans(self, sql: SqlFile) -> None:
        """Fail the step, like the statement that broke the key would elsewhere, when it left
        rows without a parent that were not there before it (SQLite)."""
        found = self.orphans.after()
        if found and not checked(sql):
            self.orphans.accept()
        elif found:
            raise ScriptError(orphan_failure(found), sqlstate="SQLITE_CONSTRAINT_FOREIGNKEY")

    def _down_event(self, row: AppliedRow, ms: int, sql: SqlFile | None = None) -> tuple:
        said = detail(sql) if sql is not None else None  # the ${name} values it ran with
        return self.history_event("down", row.version, row.name, row.checksum, ms, said)

    def _atomic(self, sql: SqlFile) -> bool:
        """Whether the file runs in one transaction: not where DDL commits by itself (MySQL)."""
        return sql.transactional and self.driver.ATOMIC_DDL

    def _failure(self, t: Target, exc: BaseException) -> BaseException:
        """Turn an exception during a transactional step into the error to raise."""
        if isinstance(exc, TransactionEnded):
            return self._ended(t, getattr(exc, "callback", None))
        if isinstance(exc, KeyboardInterrupt):
            exc.note = f"interrupted; {t.label} ({t.direction}) was rolled back"  # type: ignore[attr-defined]
        if not isinstance(exc, ScriptError):
            reason = exc.message if isinstance(exc, SqlmigError) else type(exc).__name__
            self.notify(event_of(MIGRATION_FAILED, "", t, level="error", error=reason))
            # logged (where the connection still works) for the audit trail; being a durable
            # write, it also makes the run's earlier non-durable commits durable
            self.log_failure(t, f"interrupted: {reason}")
            if type(exc) is HistoryError:  # recording it failed: the step rolled back with it
                exc.message = f"{t.label} ({t.direction}) was rolled back: {exc.message}"
            return exc
        located = getattr(exc, "located", False)  # a callback's error names its own file
        error = exc.message if located else f"{where(t.sql, exc.offset)}: {exc.message}"
        cancel = self.watchdog.cancelled(exc) if self.watchdog is not None else None
        if cancel is not None:
            from .watchdog import report  # only with --max-blocking

            self.notify(report.event(t, where(t.sql, exc.offset), cancel))
            self.log_failure(t, report.detail(error, cancel), outcome="cancelled")
            return report.failure(t, error, cancel)
        self.log_failure(t, error)
        if exc.sqlstate == LOCK_NOT_AVAILABLE:
            return lock_timeout_failure(t, error)
        fix = "the callback (or pass --no-callbacks)" if located else "the file"
        return MigrationFailed(
            f"{t.label} ({t.direction}) failed and was rolled back:\n{error}" + extra(exc),
            hint=f"fix {fix} and run the command again; nothing of it was applied",
        )

    def _ended(self, t: Target, callback: str | None = None) -> MigrationFailed:
        """The file's own COMMIT/ROLLBACK (or a callback's, run in its transaction) ended our
        transaction: record the unknown state."""
        error = (
            f"{callback or t.sql.path}: the file's own COMMIT, ROLLBACK or END ended sqlmig's "
            "transaction; part of it may be committed"
        )
        if callback:
            error += f" (a callback of {t.label}, run inside its transaction)"
        if t.direction == "up":
            row = AppliedRow(
                t.version, t.name, t.sql.checksum, None, None, FAILED, now(), self.by,
                None, None, error,
            )  # fmt: skip
            self.driver.write(self.history.insert(row), reset=True)
        else:
            self.driver.write(
                self.history.set_status(
                    t.version, FAILED, duration_ms=None, statements_done=None,
                    error=REVERTING + error,
                ),
                reset=True,
            )  # fmt: skip
        self.log_failure(t, error)
        return MigrationFailed(
            f"{t.label} ({t.direction}): {error}",
            hint="remove transaction control from the file (sqlmig wraps it in a transaction) "
            f"and check the database; then {settle_hint(t.direction, t.version)}",
        )

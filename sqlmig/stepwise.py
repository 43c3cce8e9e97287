"""A file run statement by statement in autocommit: `-- sqlmig:no-transaction` files, and every
file on MySQL, where DDL commits by itself. A `running` row counts the statements done."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from .callback_names import AFTER_EACH, BEFORE_EACH
from .drivers.base import ScriptError
from .errors import HistoryError, LockLost, MigrationFailed
from .events import MIGRATION_STARTED
from .files import Migration
from .history import APPLIED, RUNNING, AppliedRow, now
from .orphans import checked
from .orphans import failure as orphan_failure
from .placeholders import detail
from .plan import DownStep, settle_hint
from .results import Step
from .sqltext import Statement, noise_end
from .step_base import (
    CHAIN,
    LOCK_TIMEOUTS,
    REVERTING,
    StepBase,
    Target,
    applied_event,
    each,
    event_of,
    extra,
    file_offset,
    ms_since,
    split,
    what_stays,
    where,
)

# MySQL's LOCK TABLES holds its tables across statements until UNLOCK TABLES (or a transaction
# begins or ends): a later statement cancelled for blocking is then not the cause, so it is not
# retried alone
LOCK_TABLES = re.compile(r"LOCK\s+TABLES?\b", re.I)
RELEASES = re.compile(r"(UNLOCK\s+TABLES?|BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\b", re.I)


class Stepwise(StepBase):
    """Applies or reverts one file statement by statement."""

    def apply(self, m: Migration, target: Target) -> Step:
        """A no-transaction file: a `running` row first, then each statement in autocommit."""
        statements = split(self.driver, m.up)
        self.notify(
            event_of(
                MIGRATION_STARTED,
                f"applying {m.label} ({len(statements)} statements, no transaction)",
                target,
                statements=len(statements),
            )
        )
        start = time.perf_counter()
        self._callback(BEFORE_EACH, target, None)
        self.orphans.before()
        down = m.down
        row = AppliedRow(
            m.version, m.name, m.up.checksum, down.text if down else None,
            down.checksum if down else None, RUNNING, now(), self.by, None, 0, None,
        )  # fmt: skip
        self.driver.write(self.history.insert(row), self.history.confirm_status(m.version, RUNNING))
        self.run(target, statements)
        self._check_orphans(target, len(statements))
        self._callback(AFTER_EACH, target, len(statements))
        ms = ms_since(start)
        with self._saying_what_stays(target, len(statements), len(statements)):
            self.driver.write(
                self.history.set_status(
                    m.version, APPLIED, duration_ms=ms, statements_done=len(statements), error=None
                ),
                self.history_event("up", m.version, m.name, m.up.checksum, ms, detail(m.up)),
                self.history.confirm(m.version, APPLIED, m.up.checksum),
                reset=True,
            )
        self.notify(applied_event(target, ms, empty=not statements))
        return Step(m.version, m.name, m.label, "up", ms, transactional=False)

    def _callback(self, point: str, t: Target, total: int | None) -> None:
        """beforeEachMigrate (total None: before the `running` row, nothing of the file ran)
        or afterEachMigrate (after its statements: they stay, and the row says failed)."""
        try:
            each(self, point, t.label, atomic=False)
        except ScriptError as exc:
            if total is None:
                raise MigrationFailed(
                    f"{t.label} ({t.direction}) was not applied: its {point} callback failed:\n"
                    f"{exc.message}",
                    hint="fix the callback (or pass --no-callbacks) and run the command again",
                ) from None
            self.mark_failed(t, total, exc.message)
            raise MigrationFailed(
                f"{t.label} ({t.direction}): its {point} callback failed after its statements "
                f"ran (no transaction: {self.driver.dialect} DDL commits by itself, or a "
                f"no-transaction file):\n{exc.message}",
                hint=what_stays(total, None, total - 1, [], t.direction, t.version),
            ) from None

    def revert(self, s: DownStep, target: Target, start: float) -> None:
        """A down file statement by statement: the row says `running` until it is removed."""
        row = s.row
        statements = split(self.driver, s.sql)
        self.orphans.before()
        self.driver.write(
            self.history.set_status(
                row.version, RUNNING, duration_ms=None, statements_done=0, error=REVERTING
            ),
            self.history.confirm_status(row.version, RUNNING),
        )
        self.run(target, statements)
        self._check_orphans(target, len(statements))
        down = self.history_event(
            "down", row.version, row.name, row.checksum, ms_since(start), detail(s.sql)
        )
        with self._saying_what_stays(target, len(statements), len(statements)):
            self.driver.write(
                self.history.delete(row.version),
                down,
                self.history.confirm_gone(row.version),
                reset=True,
            )

    def run(self, t: Target, statements: list[Statement]) -> None:
        """Run each statement in autocommit, counting progress in the history row.

        A file may open a transaction of its own (BEGIN ... COMMIT): its statements count as
        done only when it ends, and one never ended is rolled back and reported. `done` is how
        many statements are committed; `opened` the index of the statement that began the
        transaction open now (a COMMIT AND CHAIN ends one and begins the next at once).
        """
        opened: int | None = None
        done = 0
        locked = False  # a LOCK TABLES of the file's holds (MySQL)
        since = time.monotonic()
        for i, stmt in enumerate(statements):
            try:
                within = "transaction" if opened is not None else "LOCK TABLES" if locked else ""
                self._statement(t, stmt, inside=within, since=since)
            except ScriptError as exc:
                stayed = i if opened is None else done
                raise self._statement_failed(t, statements, i, exc, opened, stayed) from None
            except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say where it stopped
                stayed = i if opened is None else done
                exc.note = self._interrupted(t, statements, i, stayed)  # type: ignore[attr-defined]
                raise
            locked = _table_locks(stmt.text, locked)
            if self.driver.in_transaction():
                chain = CHAIN.match(stmt.text, noise_end(stmt.text))
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

    def _check_orphans(self, t: Target, total: int) -> None:
        """After the last statement, before the row says done: rows left without a parent that
        were not there before (SQLite) fail the file; its statements stay applied."""
        found = self.orphans.after()
        if not found:
            return
        if not checked(t.sql):
            self.orphans.accept()
            return
        error = f"{t.sql.path}: {orphan_failure(found)}"
        self.mark_failed(t, total, error)
        raise MigrationFailed(
            f"{t.label} ({t.direction}) left rows without a parent, outside a transaction:\n"
            f"{error}",
            hint=_orphans_hint(total, t.direction, t.version),
        )

    def _progress(self, t: Target, statements: list[Statement], done: int) -> None:
        """Count a statement as done in the history row, behind the lock proof."""
        with self._saying_what_stays(t, done, len(statements)):
            self.driver.write(
                self.history.set_status(
                    t.version,
                    RUNNING,
                    duration_ms=None,
                    statements_done=done,
                    error=REVERTING if t.direction == "down" else None,
                ),
                self.history.confirm_status(t.version, RUNNING),
            )

    @contextmanager
    def _saying_what_stays(self, t: Target, done: int, total: int) -> Iterator[None]:
        """A history write that failed after statements ran (the lock was lost, or the file
        dropped, renamed or revoked the history table): say what stays applied."""
        try:
            yield
        except (LockLost, HistoryError) as exc:
            exc.message += (
                f"\n{t.label} ({t.direction}): {done} of {total} statement(s) ran and stay "
                "applied; its history row could not be updated and may still say running"
            )
            exc.hint = "check the database and the history table; then " + (
                settle_hint(t.direction, t.version)
                if done < total
                else f"record that all of it ran with `sqlmig mark {t.version} "
                f"--{'applied' if t.direction == 'up' else 'pending'}`"
            )
            raise

    def _statement(self, t: Target, stmt: Statement, *, inside: str, since: float) -> None:
        """One statement; a lock timeout or a --max-blocking cancel (the statement changed
        nothing) is retried like a transactional file, unless it ran inside the file's own
        transaction or LOCK TABLES, or a cancelled index build left an INVALID index."""
        for n in range(self.retries + 1):
            invalid = self._invalid_before(stmt)
            try:
                with self.watching(since):
                    if stmt.copy_data is None:
                        self.driver.run_statement(stmt.text)
                    else:  # pg_dump's COPY ... FROM stdin and its data (PostgreSQL only)
                        self.driver.run_statement(stmt.text, copy_data=stmt.copy_data)  # type: ignore[call-arg]
                return
            except ScriptError as exc:
                cancel = self._cancelled(t, stmt, exc, invalid)
                left = getattr(exc, "left_invalid", [])
                retry = exc.sqlstate in LOCK_TIMEOUTS or (cancel and not left)
                if not retry or inside or n == self.retries:
                    if cancel:
                        exc.not_retried = _not_retried(inside, left, n)  # type: ignore[attr-defined]
                    raise
                delay = min(2.0**n, 30.0)
                why = "cancelled (--max-blocking)" if cancel else "lock timeout"
                message = f"{t.label}: {why}; retry {n + 1} of {self.retries} in {delay:g} s"
                self.notify(event_of("migration_retry", message, t, level="warning", attempt=n + 1))
                time.sleep(delay)

    def _invalid_before(self, stmt: Statement) -> set[str] | None:
        """The INVALID indexes before a CONCURRENTLY statement that the watchdog may cancel."""
        if self.watchdog is None or "CONCURRENTLY" not in stmt.text.upper():
            return None
        return set(self.driver.invalid_indexes())

    def _cancelled(
        self, t: Target, stmt: Statement, exc: ScriptError, invalid: set[str] | None
    ) -> bool:
        """Whether the watchdog cancelled the statement; if so the event and the audit log say
        whom it blocked, and the error carries it (exc.blocking, exc.left_invalid)."""
        cancel = self.watchdog.cancelled(exc) if self.watchdog is not None else None
        if cancel is None:
            return False
        from .watchdog import report  # only with --max-blocking

        at = where(t.sql, file_offset(stmt, exc.offset))
        exc.blocking = cancel  # type: ignore[attr-defined]
        if invalid is not None:
            exc.left_invalid = sorted(set(self.driver.invalid_indexes()) - invalid)  # type: ignore[attr-defined]
        self.notify(report.event(t, at, cancel))
        self.log_failure(t, report.detail(f"{at}: {exc.message}", cancel), outcome="cancelled")
        return True

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
        error = f"{where(t.sql, file_offset(stmt, exc.offset))}: {exc.message}"
        cancel = getattr(exc, "blocking", None)
        if cancel is not None:
            from .watchdog import report  # only with --max-blocking

            self.mark_failed(t, stayed, report.detail(error, cancel))
            why = getattr(exc, "not_retried", "")
            message = report.stepwise(t, i, len(statements), error, cancel)
            message += f"\n  ({why})" if why else ""
        else:
            self.mark_failed(t, stayed, error)
            message = (
                f"{t.label} ({t.direction}) failed at statement {i + 1} of {len(statements)}, "
                f"outside a transaction:\n{error}" + extra(exc)
            )
        left = self.driver.invalid_indexes()
        hint = what_stays(
            stayed, None if opened is None else stayed, i, left, t.direction, t.version
        )
        if cancel is not None:
            hint += f"; so that it does not block again: {report.NEXT_STEP}"
        return MigrationFailed(message, hint=hint)

    def _interrupted(self, t: Target, statements: list[Statement], i: int, stayed: int) -> str:
        error = (
            f"{where(t.sql, statements[i].offset)}: interrupted during statement {i + 1}; "
            f"{stayed} statement(s) ran and stay applied"
        )
        with suppress(Exception):
            if self.driver.in_transaction():
                self.driver.rollback()
            self.mark_failed(t, stayed, error)
        return f"interrupted: {t.label} ({t.direction}) stopped at {error}"

    def _never_ended(
        self, t: Target, statements: list[Statement], opened: int, done: int
    ) -> MigrationFailed:
        self.driver.rollback()
        error = (
            f"{where(t.sql, statements[opened].offset)}: the file began a transaction here "
            "and never ended it (no COMMIT); sqlmig rolled it back"
        )
        self.mark_failed(t, done, error)
        return MigrationFailed(
            f"{t.label} ({t.direction}) did not finish: {error}",
            hint=f"{done} statement(s) before it ran and stay applied; statements "
            f"{done + 1} to {len(statements)} were rolled back. End the transaction in the "
            f"file (COMMIT); then {settle_hint(t.direction, t.version)}",
        )


def _not_retried(inside: str, left: list[str], n: int) -> str:
    """Why a statement the watchdog cancelled is not tried again."""
    if left:
        return (
            f"not retried: the cancelled build left INVALID index(es) {', '.join(left)}, which a "
            "second try would trip over (or, with IF NOT EXISTS, keep)"
        )
    if inside == "transaction":
        return (
            "not retried alone: it ran inside the file's own transaction, whose locks are the "
            "transaction's, not this statement's; the transaction was rolled back"
        )
    if inside:
        return (
            "not retried alone: it ran under the file's LOCK TABLES, whose locks are the "
            "file's, not this statement's; they end with the session"
        )
    return f"cancelled on each of its {n + 1} attempts" if n else "pass --retries N to try again"


def _table_locks(text: str, held: bool) -> bool:
    """Whether LOCK TABLES holds after this statement (MySQL): from it until a release."""
    start = noise_end(text)
    if LOCK_TABLES.match(text, start):
        return True
    return held and not RELEASES.match(text, start)


def _orphans_hint(total: int, direction: str, version: int) -> str:
    """What to do after a no-transaction file whose every statement ran left orphans: the file
    is done, so fixing the rows and recording it is the way on (repair would run it again)."""
    fix = "give those rows a parent or delete them"
    if direction == "down":
        return (
            f"all {total} statement(s) of the down ran and stay applied; {fix}, then record the "
            f"down as done with `sqlmig mark {version} --pending`"
        )
    return (
        f"all {total} statement(s) ran and stay applied; {fix}, then record the migration as "
        f"applied with `sqlmig mark {version} --applied`; if the orphans are wanted, say so in "
        "the file with -- sqlmig:no-foreign-key-check"
    )

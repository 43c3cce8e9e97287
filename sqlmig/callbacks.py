"""Callbacks: SQL files in `<dir>/callbacks/` that `up` runs at fixed points of a run.

`beforeMigrate` before the first migration, `beforeEachMigrate` / `afterEachMigrate` inside each
migration's (and each repeatable's) transaction, `afterMigrate` after the last one,
`afterMigrateError` after a failed run: Flyway's names. Several files per point run in name order
(`afterMigrate.sql`, `afterMigrate__grants.sql`, ...). Not versioned, not checked for drift;
every run of one is an event of the audit log (`callback`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from . import placeholders
from .callback_names import (
    AFTER,
    AFTER_ERROR,
    BEFORE,
    FOLDER,
    NAME,
    POINTS,
    is_callback,
)
from .drivers.base import Driver, ScriptError, TransactionEnded
from .errors import ConnectError, LockLost, MigrationFailed, MigrationFileError, SqlmigError
from .events import Event, Notify
from .files import SqlFile, read_sql_file
from .history import History
from .sqltext import SplitError, line_col
from .step_base import file_offset

EVENT = "callback"  # the audit log's event


class CallbackError(ScriptError):
    """A callback's statement failed; the message already names the callback file:line:col."""

    located = True


@dataclass(frozen=True)
class Callbacks:
    """The callback files of a folder, by point, each point's in name order."""

    by_point: dict[str, tuple[SqlFile, ...]] = field(default_factory=dict)

    def of(self, point: str) -> tuple[SqlFile, ...]:
        return self.by_point.get(point, ())

    def __bool__(self) -> bool:
        return any(self.by_point.values())


NONE = Callbacks()


def discover(folder: Path, *, beside: bool = False) -> Callbacks:
    """`<folder>/callbacks/*.sql`, read before connecting; a name that is no point is an error.
    beside: also the callbacks among the migrations (where a Flyway folder keeps them)."""
    home = folder / FOLDER
    paths = (
        sorted(p for p in home.iterdir() if p.name.lower().endswith(".sql"))
        if (home.is_dir())
        else []
    )
    _refuse_nested(home)
    if beside and folder.is_dir():
        paths += sorted(p for p in folder.iterdir() if is_callback(p.name))
    if not paths:
        return NONE
    found: dict[str, list[SqlFile]] = {}
    for path in sorted(paths, key=lambda p: p.name):
        match = NAME.match(path.name)
        if match is None or match["point"] not in POINTS:
            raise MigrationFileError(
                f"{path}: not a callback name",
                hint=f"name callbacks POINT.sql or POINT__description.sql, POINT one of "
                f"{', '.join(POINTS)} (as Flyway names them)",
            )
        found.setdefault(match["point"], []).append(read_sql_file(path))
    return Callbacks({p: tuple(files) for p, files in found.items()})


def _refuse_nested(home: Path) -> None:
    """A .sql file in a subfolder of callbacks/ would never run, without a word (Flyway reads
    its locations' subfolders): refused, naming it."""
    nested = sorted(
        p
        for p in (home.rglob("*") if home.is_dir() else ())
        if p.parent != home
        and p.name.lower().endswith(".sql")
        and not any(part.startswith(".") for part in p.relative_to(home).parts)
    )
    if nested:
        raise MigrationFileError(
            f"{nested[0]}: a callback in a subfolder of {home}, which sqlmig does not read "
            f"({len(nested)} such file(s)): it would never run",
            hint=f"move it into {home} itself, or out of the migrations folder",
        )


def run_sql(driver: Driver, sql: SqlFile, *, atomic: bool) -> None:
    """A file's SQL on the open connection: in the current transaction (atomic) or statement
    by statement in autocommit (MySQL, no-transaction files). Errors name the file:line:col."""
    try:
        if atomic:
            driver.run_script(sql.text)
            return
        for stmt in driver.split(sql.text):
            try:
                driver.run_statement(stmt.text)
            except ScriptError as exc:
                at = file_offset(stmt, exc.offset)  # its text begins with comments
                raise CallbackError(_located(sql, at, exc)) from None
    except CallbackError:
        raise
    except ScriptError as exc:
        raise CallbackError(_located(sql, exc.offset, exc), sqlstate=exc.sqlstate) from None
    except SplitError as exc:
        raise CallbackError(
            f"{sql.path}: cannot split into statements: {exc}{placeholders.filled_in(sql)}"
        ) from None


def _located(sql: SqlFile, offset: int | None, exc: ScriptError) -> str:
    if offset is None:
        return f"{sql.path}: {exc.message}"
    line, col = line_col(sql.text, min(offset, len(sql.text)))
    return f"{sql.path}:{line}:{col}: {exc.message}"


class Hooks:
    """Runs one run's callbacks on its connection and logs each; the caller holds the lock."""

    def __init__(
        self, callbacks: Callbacks, driver: Driver, history: History, *, by: str, notify: Notify
    ) -> None:
        self.callbacks = callbacks
        self.driver = driver
        self.history = history
        self.by = by
        self.notify = notify

    def each(self, point: str, label: str, *, atomic: bool) -> None:
        """beforeEachMigrate / afterEachMigrate of the file `label`: in its transaction when
        atomic (the log event commits with it), else in autocommit before/after its
        statements. A failure raises CallbackError (the file's step fails with it)."""
        for sql in self.callbacks.of(point):
            start = time.perf_counter()
            try:
                run_sql(self.driver, sql, atomic=atomic)
            except TransactionEnded as exc:
                exc.callback = str(sql.path)  # type: ignore[attr-defined]  # the culprit
                raise
            write = self._event(sql, point, label, start)
            if atomic:
                self.driver.record(*write)
            else:
                self.driver.write(write)

    def alone(self, point: str) -> None:
        """beforeMigrate / afterMigrate / afterMigrateError: each file in a transaction of its
        own (statement by statement where DDL commits by itself), with its log event."""
        for sql in self.callbacks.of(point):
            self.notify(Event("callback_started", f"running callback {sql.path.name}",
                              {"point": point, "file": str(sql.path)}, "debug"))  # fmt: skip
            start = time.perf_counter()
            atomic = sql.transactional and self.driver.ATOMIC_DDL
            try:
                if atomic:
                    self.driver.begin()
                run_sql(self.driver, sql, atomic=atomic)
                if atomic:
                    self.driver.record(*self._event(sql, point, None, start))
                    self.driver.commit()
                else:
                    self.driver.write(self._event(sql, point, None, start), reset=True)
            except ScriptError as exc:
                if atomic:
                    self.driver.rollback()
                raise self._failed(sql, point, exc, rolled_back=atomic) from None
            except TransactionEnded as exc:  # the file's own COMMIT, ROLLBACK or END
                with suppress(Exception):
                    self.driver.rollback()
                raise self._ended(sql, point, exc) from None
            except BaseException:
                if atomic:
                    with suppress(Exception):
                        self.driver.rollback()
                raise
            ms = int((time.perf_counter() - start) * 1000)
            fields = {"point": point, "file": str(sql.path), "duration_ms": ms}
            self.notify(Event("callback_ran", f"ran callback {sql.path.name} ({ms} ms)", fields))

    def _event(self, sql: SqlFile, point: str, label: str | None, start: float) -> tuple:
        ms = int((time.perf_counter() - start) * 1000)
        detail = point if label is None else f"{point} of {label}"
        return self.history.event(EVENT, version=None, name=sql.path.name, checksum=sql.checksum,
                                  duration_ms=ms, detail=detail, by=self.by)  # fmt: skip

    def _failed(
        self, sql: SqlFile, point: str, exc: ScriptError, *, rolled_back: bool, what: str = ""
    ) -> MigrationFailed:
        with suppress(Exception):  # the log is best effort; the failure itself is raised
            self.driver.write(self.history.event(
                EVENT, version=None, name=sql.path.name, checksum=sql.checksum,
                duration_ms=None, outcome="failed", detail=f"{point}: {exc.message}", by=self.by,
            ), reset=True)  # fmt: skip  # reset: the session as the run began
        what = what or (
            "was rolled back" if rolled_back else "stopped (its statements before it stay)"
        )
        return MigrationFailed(
            f"callback {sql.path.name} ({point}) failed and {what}:\n{exc.message}",
            hint=_HINTS[point],
        )

    def _ended(self, sql: SqlFile, point: str, exc: TransactionEnded) -> MigrationFailed:
        said = {True: "part or all of it is committed", False: "what ran before it was rolled "
                "back, what ran after it may be committed"}.get(exc.committed,
                "part of it may be committed")  # fmt: skip
        failed = ScriptError(f"its own COMMIT, ROLLBACK or END ended sqlmig's transaction: {said}")
        return self._failed(sql, point, failed, rolled_back=False, what="stopped")

    @contextmanager
    def around(self) -> Iterator[None]:
        """beforeMigrate, the body, afterMigrate; afterMigrateError when any of them failed
        (its own failure is said, the first error is raised)."""
        try:
            self.alone(BEFORE)
            yield
            self.alone(AFTER)
        except BaseException as exc:
            gone = isinstance(exc, ConnectError | LockLost)  # no session, or not ours alone
            if isinstance(exc, SqlmigError) and gone and self.callbacks.of(AFTER_ERROR):
                exc.message += (
                    "\n(afterMigrateError was not run: the connection or the lock is gone)"
                )
            elif isinstance(exc, Exception) and self.callbacks.of(AFTER_ERROR):
                self._after_error(exc)
            raise

    def _after_error(self, exc: Exception) -> None:
        with suppress(Exception):  # a failed file may have left its session elsewhere (USE)
            self.driver.write(reset=True)
        try:
            self.alone(AFTER_ERROR)
        except Exception as again:  # said; the run's own error is raised
            said = again.message if isinstance(again, SqlmigError) else repr(again)
            if isinstance(exc, SqlmigError):
                exc.message += f"\nthen the afterMigrateError callback failed too: {said}"


_HINTS = {
    BEFORE: "nothing was applied; fix the callback (or pass --no-callbacks) and run up again",
    AFTER: "the migrations this run applied, if any, stay applied (`sqlmig status` shows "
    "them); fix the callback, or pass --no-callbacks, and run up again (afterMigrate runs on "
    "every up, also one with nothing to apply)",
    AFTER_ERROR: "fix the callback; the run had failed before it",
}

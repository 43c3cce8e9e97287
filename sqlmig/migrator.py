"""The Migrator: one method per command that touches a database; returns Result values."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict

from . import plan
from .config import Config
from .drivers import connect
from .drivers.base import Driver
from .errors import MigrationFileError, SqlmigError, UsageError
from .events import LOCK_ACQUIRED, LOCK_WAITING, PLAN, Event, Notify
from .faults import Faults
from .files import Migration, SqlFile, discover
from .history import APPLIED, RUNNING, AppliedRow, History, actor
from .results import Result, StatusRow, Step
from .step_base import REVERTING
from .steps import Runner
from .urls import parse_url


class Migrator:
    """Applies and reverts migrations for one Config. Files are read before any connection."""

    def __init__(self, config: Config, *, notify: Notify | None = None) -> None:
        self.config = config
        self.notify: Notify = notify or (lambda _msg: None)
        self.by = actor()
        self.faults = Faults.parse(config.faults)

    # -- plumbing ---------------------------------------------------------------------------

    def files(self) -> list[Migration]:
        found = discover(self.config.dir)
        source, url = getattr(self.config, "source_dialect", None), self.config.url
        if source and url and parse_url(url).driver != source:
            from .transpile.runtime import for_target  # sqlglot: only for a cross-dialect run

            return for_target(found, source=source, target=parse_url(url).driver)
        return found

    @contextmanager
    def session(self, *, locked: bool) -> Iterator[tuple[Driver, History]]:
        url = parse_url(self.config.require_url())
        driver = connect(
            url, table=self.config.table, statement_lock_timeout=self.config.statement_lock_timeout
        )
        try:
            history = History(driver, self.config.table)
            if locked:
                start, waited = time.perf_counter(), list[str]()
                with driver.lock(self.config.lock_timeout, self._on_lock_wait(waited)):
                    self.notify(_lock_acquired(start, waited))
                    self.faults.hit("after_lock")
                    yield driver, history
            else:
                yield driver, history
        finally:
            driver.close()

    def _on_lock_wait(self, waited: list[str]) -> Callable[[str], None]:
        def on_wait(message: str) -> None:
            waited.append(message)
            fields = {"lock_timeout_s": self.config.lock_timeout}
            self.notify(Event(LOCK_WAITING, message, fields, level="warning"))

        return on_wait

    def _runner(self, driver: Driver, history: History) -> Runner:
        return Runner(
            driver,
            history,
            by=self.by,
            notify=self.notify,
            faults=self.faults,
            retries=self.config.retries,
        )

    # -- up ---------------------------------------------------------------------------------

    def up(
        self,
        *,
        to: int | None = None,
        steps: int | None = None,
        dry_run: bool = False,
        single_transaction: bool = False,
        allow_drift: bool = False,
        allow_out_of_order: bool | None = None,
        wait: float | None = None,
    ) -> Result:
        files = self.files()
        ooo = self.config.allow_out_of_order if allow_out_of_order is None else allow_out_of_order
        if wait is not None:
            self.wait(timeout=wait)
        with self.session(locked=not dry_run) as (driver, history):
            rows = history.read()
            todo = self._plan_up(
                files,
                rows or [],
                to=to,
                steps=steps,
                allow_drift=allow_drift,
                allow_out_of_order=ooo,
            )
            if dry_run or not todo:
                return Result(
                    "up",
                    dry_run=dry_run,
                    current=_current(rows or [], files),
                    steps=[_planned(m.version, m.name, m.label, "up", m.up, dry_run) for m in todo],
                )
            plan.refuse_client_commands([m.up for m in todo], driver.dialect)
            if rows is None:
                history.ensure()
            self.notify(Event(PLAN, f"{len(todo)} to apply", {"pending": len(todo)}, "debug"))
            runner = self._runner(driver, history)
            done = (
                runner.apply_all(todo)
                if single_transaction
                # only the last commit waits for the disk: the log is flushed in order
                else [runner.apply(m, durable=m is todo[-1]) for m in todo]
            )
            return Result("up", steps=done, current=todo[-1].label)

    def _plan_up(
        self,
        files: list[Migration],
        rows: list[AppliedRow],
        *,
        to: int | None,
        steps: int | None,
        allow_drift: bool,
        allow_out_of_order: bool,
    ) -> list[Migration]:
        plan.check_failed(rows, plan.by_version(files))
        drifted = plan.drift(files, rows)
        if drifted and not allow_drift:
            raise plan.drift_error(drifted)
        todo = plan.select_up(plan.pending(files, rows), to=to, steps=steps)
        early = plan.out_of_order(todo, rows)
        if early and not allow_out_of_order:
            names = ", ".join(m.label for m in early)
            raise UsageError(
                f"pending migration(s) numbered below the newest applied one: {names}",
                hint="renumber them after the newest applied migration, or pass "
                "--allow-out-of-order if applying them now is safe",
            )
        return todo

    # -- down / redo ------------------------------------------------------------------------

    def down(
        self,
        *,
        steps: int | None = None,
        to: int | None = None,
        all_: bool = False,
        dry_run: bool = False,
        allow_drift: bool = False,
    ) -> Result:
        files = plan.by_version(self.files())
        with self.session(locked=not dry_run) as (driver, history):
            rows = history.read() or []
            plan.check_failed(rows, files)
            todo = [
                plan.down_step(r, files.get(r.version), allow_drift=allow_drift, files=files)
                for r in plan.select_down(rows, to=to, steps=steps, all_=all_)
            ]
            if dry_run or not todo:
                return Result(
                    "down",
                    dry_run=dry_run,
                    current=_current(rows, files),
                    steps=[
                        _planned(s.row.version, s.row.name, s.label, "down", s.sql, dry_run)
                        for s in todo
                    ],
                )
            plan.refuse_client_commands([s.sql for s in todo], driver.dialect)
            self.notify(Event(PLAN, f"{len(todo)} to revert", {"pending": len(todo)}, "debug"))
            runner = self._runner(driver, history)
            done = [runner.revert(s) for s in todo]
            left = [r for r in rows if r.version not in {s.version for s in done}]
            return Result("down", steps=done, current=_current(left, files))

    def redo(self, *, allow_drift: bool = False) -> Result:
        """Revert the newest applied migration and apply it again, under one lock."""
        files = plan.by_version(self.files())
        with self.session(locked=True) as (driver, history):
            rows = history.read() or []
            plan.check_failed(rows, files)
            newest = plan.select_down(rows, to=None, steps=1, all_=False)
            if not newest:
                raise UsageError(
                    "nothing to redo: no migration is applied", hint="run `sqlmig up` first"
                )
            m = files.get(newest[0].version)
            if m is None or (m.up.checksum != newest[0].checksum and not allow_drift):
                raise plan.drift_error(plan.drift(list(files.values()), newest))
            self.notify(Event(PLAN, "1 to revert and apply again", {"pending": 2}, "debug"))
            runner = self._runner(driver, history)
            back = runner.revert(plan.down_step(newest[0], m, allow_drift=allow_drift))
            forth = runner.apply(m)
            return Result("redo", steps=[back, forth], current=m.label)

    # -- read-only commands -----------------------------------------------------------------

    def wait(self, *, timeout: float, allow_standby: bool = False) -> Result:
        """Wait until the database accepts connections (and is a primary, unless allowed)."""
        from .wait import wait_for

        return wait_for(
            self.config, timeout=timeout, allow_standby=allow_standby, notify=self.notify
        )

    def status(self) -> Result:
        files = self.files()
        with self.session(locked=False) as (driver, history):
            rows = history.read() or []
            busy = _live_run(driver, rows)
            invalid = driver.invalid_indexes()
        status_rows = _status_rows(files, rows, busy)
        notes = [_invalid_note(invalid)] if invalid else []
        return Result("status", rows=status_rows, current=_current(rows, files), messages=notes)

    def current(self) -> Result:
        files = self.files()
        with self.session(locked=False) as (_driver, history):
            rows = history.read() or []
        return Result("current", current=_current(rows, files))

    def history(self) -> Result:
        try:
            known = plan.by_version(self.files())
        except MigrationFileError:  # the audit log does not depend on the folder
            known = {}
        with self.session(locked=False) as (_driver, history):
            entries = [asdict(e) for e in history.read_log()]
        for e in entries:
            named = e["version"] is not None and e["name"] is not None
            e["label"] = _label(e["version"], e["name"], known) if named else None
        return Result("history", entries=entries)

    def validate(self) -> Result:
        files = self.files()
        with self.session(locked=False) as (driver, history):
            rows = history.read() or []
            busy = _live_run(driver, rows)
            invalid = driver.invalid_indexes()
        live = [r for r in rows if busy and r.status == RUNNING]
        known = plan.by_version(files)
        plan.check_failed([r for r in rows if r not in live], known)
        drifted = plan.drift(files, rows)
        if drifted:
            raise plan.drift_error(drifted)
        if invalid:
            raise SqlmigError(
                _invalid_note(invalid),
                hint="drop each with DROP INDEX CONCURRENTLY and build it again (the migration "
                "that made it, run again, would skip it with IF NOT EXISTS)",
            )
        early = plan.out_of_order(plan.pending(files, rows), rows)
        notes = [f"{plan.row_label(r, known)} is being applied now by {busy}" for r in live]
        notes += [
            f"{m.label} is pending but numbered below the newest applied migration" for m in early
        ]
        return Result(
            "validate", messages=notes or ["files and history agree"], current=_current(rows, files)
        )

    # -- repair / baseline ------------------------------------------------------------------

    def repair(self) -> Result:
        files = plan.by_version(self.files())
        notes: list[str] = []
        with self.session(locked=True) as (driver, history):
            rows = history.read() or []
            # which direction failed, from the log's structured `event` (up / down), never
            # from an error text a folder's name could imitate
            failed_as = {e.version: e.event for e in history.read_log() if e.outcome == "failed"}
            driver.begin()
            try:
                for row in rows:
                    down = failed_as.get(row.version) == "down" or (
                        row.status == RUNNING and row.error == REVERTING
                    )
                    m = files.get(row.version)
                    notes += (
                        self._repair_down(driver, history, row, m)
                        if down and row.status != APPLIED
                        else self._repair_row(driver, history, row, m)
                    )
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
        return Result("repair", messages=notes or ["nothing to repair"])

    def _repair_row(
        self, driver: Driver, history: History, row: AppliedRow, m: Migration | None
    ) -> list[str]:
        if row.status != APPLIED:
            driver.record(*history.delete(row.version))
            driver.record(*history.confirm_gone(row.version))
            driver.record(*self._repair_event(history, row, f"cleared {row.status} state"))
            return [f"cleared the {row.status} state of {_row_label(row, m)}; it is pending again"]
        if m is None:
            return [f"{_row_label(row, m)} has no file; left as it is"]
        down = m.down
        down_sum = down.checksum if down else row.down_checksum
        if m.up.checksum == row.checksum and down_sum == row.down_checksum:
            return []
        driver.record(
            *history.set_checksums(
                row.version, m.up.checksum, down.text if down else row.down_sql, down_sum
            )
        )
        detail = f"checksum {row.checksum} -> {m.up.checksum}"
        driver.record(*self._repair_event(history, row, detail, m.up.checksum))
        return [f"re-recorded the checksums of {m.label}"]

    def _repair_down(
        self, driver: Driver, history: History, row: AppliedRow, m: Migration | None
    ) -> list[str]:
        """A down that failed or was interrupted. Its up is applied: unless every statement of
        the down ran, the row goes back to applied (making it pending would apply the up a
        second time); when all of them ran, the down is done and the row goes."""
        ran = row.statements_done or 0
        total = _count_statements(driver, row.down_sql or (m.down.text if m and m.down else ""))
        if total and ran >= total:
            driver.record(*history.delete(row.version))
            driver.record(*history.confirm_gone(row.version))
            detail = f"a down whose {ran} statement(s) all ran: pending again"
            note = (
                f"{_row_label(row, m)}: all {total} statement(s) of its down ran before "
                "it stopped; the migration is pending again"
            )
        else:
            driver.record(
                *history.set_status(
                    row.version, APPLIED, duration_ms=row.duration_ms, statements_done=None,
                    error=None,
                )
            )  # fmt: skip
            driver.record(*history.confirm_status(row.version, APPLIED))
            detail = f"a down that did not finish ({ran} of {total or '?'} ran): applied again"
            note = (
                f"{_row_label(row, m)}: its down did not finish ({ran} of "
                f"{total or '?'} statement(s) ran); marked applied again, since its up is "
                "applied. If those statements changed anything, undo them by hand or run "
                "`sqlmig down` again"
            )
        driver.record(*self._repair_event(history, row, detail))
        return [note]

    def _repair_event(
        self, history: History, row: AppliedRow, detail: str, checksum: str | None = None
    ) -> tuple:
        """The log entry of one repaired row."""
        return history.event(
            "repair",
            version=row.version,
            name=row.name,
            checksum=checksum or row.checksum,
            duration_ms=None,
            detail=detail,
            by=self.by,
        )

    def baseline(self, version: int) -> Result:
        files = [m for m in self.files() if m.version <= version]
        if not files:
            raise UsageError(
                f"no migration file is numbered {version} or below",
                hint="pass the version of the newest migration already in the database",
            )
        with self.session(locked=True) as (driver, history):
            rows = history.read()
            if rows:
                raise UsageError(
                    f"the history table already has {len(rows)} row(s)",
                    hint="baseline adopts a database with no sqlmig history",
                )
            history.ensure()
            runner = self._runner(driver, history)
            driver.begin()
            try:
                for m in files:
                    runner.record_up(m, 0, event="baseline")
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
        steps = [Step(m.version, m.name, m.label, "baseline") for m in files]
        return Result("baseline", steps=steps, current=files[-1].label)


def _count_statements(driver: Driver, sql: str) -> int:
    """How many statements a down file has, as it is run statement by statement (0: unknown)."""
    from .sqltext import SplitError

    try:
        return len(driver.split(sql))
    except SplitError:
        return 0


def _lock_acquired(start: float, waited: list[str]) -> Event:
    """Said when the lock had to be waited for; logged as debug otherwise."""
    ms = int((time.perf_counter() - start) * 1000)
    message = f"acquired the migration lock after {ms} ms"
    return Event(LOCK_ACQUIRED, message, {"waited_ms": ms}, "info" if waited else "debug")


def _planned(
    version: int, name: str, label: str, direction: str, sql: SqlFile, with_sql: bool
) -> Step:
    return Step(
        version, name, label, direction, None, sql.transactional, sql.text if with_sql else None
    )


def _label(version: int, name: str, files: dict[int, Migration]) -> str:
    return plan.label_of(version, name, files)


def _row_label(row: AppliedRow, m: Migration | None) -> str:
    return plan.label_of(row.version, row.name, {m.version: m} if m else {})


def _current(rows: list[AppliedRow], files: list[Migration] | dict[int, Migration]) -> str | None:
    known = files if isinstance(files, dict) else plan.by_version(files)
    applied = [r for r in rows if r.status == APPLIED]
    if not applied:
        return None
    newest = max(applied, key=lambda r: r.version)
    return _label(newest.version, newest.name, known)


APPLYING = "applying"  # a `running` row while its run still holds the lock


def _invalid_note(names: list[str]) -> str:
    """What a failed CREATE INDEX CONCURRENTLY leaves behind: the index exists, unused."""
    return (
        f"INVALID index(es) in the database (a failed CREATE INDEX CONCURRENTLY leaves one; "
        f"queries do not use it): {', '.join(names)}"
    )


def _live_run(driver: Driver, rows: list[AppliedRow]) -> str | None:
    """Who is applying a `running` row now (the lock's holder), or None: no row is running, or
    nobody holds the lock, so a crash left it."""
    if not any(r.status == RUNNING for r in rows):
        return None
    return driver.lock_holder()


def _status_rows(
    files: list[Migration], rows: list[AppliedRow], busy: str | None = None
) -> list[StatusRow]:
    drifted = {d.version: d for d in plan.drift(files, rows)}
    recorded = {r.version: r for r in rows}
    known = plan.by_version(files)
    out: list[StatusRow] = []
    for version in sorted(set(recorded) | set(known)):
        row = recorded.get(version)
        if row is None:
            m = known[version]
            out.append(StatusRow(version, m.name, m.label, "pending"))
            continue
        state = row.status
        if state == APPLIED and version in drifted:
            state = drifted[version].kind
        detail = drifted[version].describe() if version in drifted else row.error
        if state == RUNNING and busy:
            state, detail = APPLYING, f"being applied now by {busy}"
        label = _label(version, row.name, known)
        out.append(
            StatusRow(
                version,
                row.name,
                label,
                state,
                row.applied_at,
                row.applied_by,
                row.duration_ms,
                detail,
            )
        )
    return out

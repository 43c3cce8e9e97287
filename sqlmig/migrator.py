"""The Migrator: one method per command that touches a database; returns Result values."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from . import emptyfolder, future, phases, placeholders, plan, popxgroups, repeatables
from .callbacks import EVENT as CALLBACK
from .chain import require_whole_apply, require_whole_revert, resolve
from .config import Config
from .drivers import connect
from .drivers.base import Driver
from .errors import MigrationFileError, SqlmigError, UsageError
from .events import DATABASE, HISTORY_UPGRADED, LOCK_ACQUIRED, LOCK_WAITING, PLAN, Event, Notify
from .faults import Faults
from .files import Migration, SqlFile
from .formats import discover, format_detected
from .history import APPLIED, RUNNING, AppliedRow, History, actor
from .results import Result, StatusRow, Step
from .steps import Runner
from .up_extras import Extras
from .urls import parse_url, with_session

if TYPE_CHECKING:
    from .adopt import Adoption
    from .watchdog.dog import Watchdog


class Migrator:
    """Applies and reverts migrations for one Config. Files are read before any connection."""

    def __init__(self, config: Config, *, notify: Notify | None = None) -> None:
        self.config = config
        self.vars = placeholders.from_config(config)  # ${name} values; secrets are masked
        self.notify: Notify = placeholders.masked_notify(notify or (lambda _msg: None), self.vars)
        self.listened = notify is not None  # else (--quiet, --json) warnings stay in the result
        self.held: list[str] = []  # those warnings, for the result's messages
        self.by = actor()
        self.faults = Faults.parse(config.faults)
        self._said_format = False
        self._dog: Watchdog | None = None  # --max-blocking: one per session, started on demand
        self.groups: list[popxgroups.Group] = []  # popx version groups, read by files()

    # -- plumbing ---------------------------------------------------------------------------

    def files(self) -> list[Migration]:
        source, url = getattr(self.config, "source_dialect", None), self.config.url
        driver = parse_url(url).driver if url else None
        read = discover(self.config.dir, self.config.dir_format, dialect=driver)
        found = read.migrations
        self.groups = popxgroups.of(found, read.format)
        if not found:
            emptyfolder.require_new(self.config.dir)  # else a new folder: nothing to do yet
        if read.detected and not self._said_format:  # said once per command
            self._said_format = True
            self.notify(format_detected(self.config.dir, read.format))
        if source and url and parse_url(url).driver != source:
            from .transpile.runtime import for_target  # sqlglot: only for a cross-dialect run

            return for_target(found, source=source, target=parse_url(url).driver)
        return found

    def _new_folder(self, files: list[Migration]) -> list[str]:
        """The note for a folder that holds no migration yet (files() refused any other)."""
        return [emptyfolder.note(self.config.dir)] if not files else []

    @contextmanager
    def session(self, *, locked: bool, announce: bool = False) -> Iterator[tuple[Driver, History]]:
        """Connect (and take the lock). A session without the lock changes nothing, so it
        creates no SQLite file either. announce: say first which database this is."""
        raw = self.config.require_url()
        url = parse_url(with_session(raw, getattr(self.config, "mysql_session", ())))
        driver = connect(
            url,
            table=self.config.table,
            statement_lock_timeout=self.config.statement_lock_timeout,
            create=locked,
        )
        try:
            if announce:
                self.notify(_database(url.redacted, driver.about()))
            history = History(driver, self.config.table)
            history.scrub = self.vars.mask  # no secret placeholder value is stored
            if locked:
                start, waited = time.perf_counter(), list[str]()
                with driver.lock(self.config.lock_timeout, self._on_lock_wait(waited)):
                    self.notify(_lock_acquired(start, waited))
                    self.faults.hit("after_lock")
                    self._upgrade(history)
                    yield driver, history
            else:
                yield driver, history
        finally:
            if self._dog is not None:
                self._dog.close()
                self._dog = None
            driver.close()

    def _upgrade(self, history: History) -> None:
        """A history of 0.1.0 (64-bit versions) takes 38-digit ones, under the lock, once."""
        names = history.upgrade(by=self.by)
        if names:
            message = f"upgraded the history table ({', '.join(names)}) to 38-digit versions"
            self.notify(Event(HISTORY_UPGRADED, message, {"tables": names}))

    def _on_lock_wait(self, waited: list[str]) -> Callable[[str], None]:
        def on_wait(message: str) -> None:
            waited.append(message)
            fields = {"lock_timeout_s": self.config.lock_timeout}
            self.notify(Event(LOCK_WAITING, message, fields, level="warning"))

        return on_wait

    def _runner(self, driver: Driver, history: History, *, watch: bool = False) -> Runner:
        """watch: up, down and redo, which run migrations' SQL: --max-blocking applies."""
        runner = Runner(
            driver,
            history,
            by=self.by,
            notify=self.notify,
            faults=self.faults,
            retries=self.config.retries,
        )
        limit = self.config.max_blocking
        if watch and limit:
            if self._dog is None:
                from .watchdog.dog import start  # a thread and a connection, only when asked

                self._dog = start(driver, limit=limit, notify=self.notify)
            runner.watchdog = self._dog
        return runner

    # -- up ---------------------------------------------------------------------------------

    @placeholders.masks_errors
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
        allow_non_empty: bool = False,
        strict: bool | None = None,
        phase: str | None = None,
        callbacks: bool = True,
    ) -> Result:
        # ${name} filled in before connecting (a dry run shows secrets as ***)
        files = placeholders.apply_up(self.files(), self.vars, masked=dry_run)
        extras = Extras.read(self.config, callbacks=callbacks)  # repeatables, callbacks
        extras = extras.filled(self.vars, masked=dry_run)
        ooo = self.config.allow_out_of_order if allow_out_of_order is None else allow_out_of_order
        if wait is not None:
            self.wait(timeout=wait)
        with self.session(locked=not dry_run, announce=True) as (driver, history):
            rows = history.read()
            self.faults.hit("after_history_read")
            chain = resolve(files, rows)
            chain.require_whole()
            files = chain.files
            if to is not None:
                require_whole_apply(files, rows or [], to)
            todo = self._plan_up(
                files,
                rows or [],
                to=to,
                steps=steps,
                allow_drift=allow_drift,
                allow_out_of_order=ooo,
                strict=self.config.strict if strict is None else strict,
                covered=chain.covered,
                phase=phase,
            )
            self.held += phases.left(plan.pending(files, rows or []), todo, phase)
            self.held += popxgroups.stops_inside(self.groups, rows or [], todo)
            # repeatables: on a whole `up` (not --to/--steps, not the pre-deploy phase: a view
            # may need what a post-deploy migration changes)
            whole = to is None and steps is None and phase != phases.PRE
            again = extras.pending(history, whole=whole)
            self.held += [] if whole else extras.waiting(history)
            busy = bool(todo or again)
            runs = busy or bool(extras.callbacks)  # callbacks run on every up
            if rows is None and runs and not (allow_non_empty or self.config.allow_non_empty):
                self._refuse_not_empty(driver, history)
            if dry_run or not runs:
                return Result(
                    "up",
                    dry_run=dry_run,
                    current=_current(rows or [], files),
                    steps=[_planned(m.version, m.name, m.label, "up", m.up, dry_run) for m in todo]
                    + extras.planned(again, dry_run=dry_run),
                    messages=self.held + _absent(driver) + self._new_folder(files)
                    + extras.notes(dry_run=dry_run),
                )  # fmt: skip
            plan.refuse_client_commands([m.up for m in todo] + [r.sql for r in again],
                                        driver.dialect)  # fmt: skip
            if rows is None:
                history.ensure()
            total = len(todo) + len(again)
            self.notify(Event(PLAN, f"{total} to apply", {"pending": total}, "debug"))
            runner = self._runner(driver, history, watch=True)
            with extras.around(runner):  # callbacks before and after the run
                done = (
                    []
                    if not todo
                    else runner.apply_all(todo)
                    if single_transaction
                    # only the last commit waits for the disk: the log is flushed in order
                    else [runner.apply(m, durable=m is todo[-1] and not again) for m in todo]
                )
                done += extras.apply(runner, again)
            # applied out of order (below future migrations): the newest applied one stays
            newest = max((r.version for r in rows or [] if r.status == APPLIED), default=0)
            last = todo[-1] if todo else None
            now = last.label if last and last.version > newest else _current(rows or [], files)
            return Result("up", steps=done, current=now, messages=self.held)

    def _refuse_not_empty(self, driver: Driver, history: History) -> None:
        """No history yet: the database must hold nothing but what sqlmig may create, both
        where the history goes and where the migrations' unqualified names land (the URL's
        database or the connection's schema, when --table SCHEMA.TABLE names another)."""
        if history.home is None:
            return  # no schema to look in: History.ensure says so
        if history.names[0] in driver.tables(history.home):
            return  # made since it was read: a dry run (no lock) beside another runner's up
        own = getattr(driver, "home", None)
        for place in dict.fromkeys([history.home, *([own] if own else [])]):
            ours = history.names if place == history.home else ()
            found = [t for t in driver.tables(place) if t not in ours]
            # another migration set's sqlmig history (its own --table) in the same place:
            # sqlmig manages this schema, and those tables are that set's (several sets may
            # share one). Its log is not required: that set's runner creates it just after.
            if not any(_is_history(driver, place, t) for t in _history_like(found)):
                plan.refuse_not_empty(
                    f"{driver.url.redacted} ({place})", found, _tools(driver, place, found)
                )

    def _plan_up(
        self,
        files: list[Migration],
        rows: list[AppliedRow],
        *,
        to: int | None,
        steps: int | None,
        allow_drift: bool,
        allow_out_of_order: bool,
        strict: bool = False,
        covered: Collection[int] = (),
        phase: str | None = None,
    ) -> list[Migration]:
        plan.check_failed(rows, plan.by_version(files))
        # rows a skipped squash covers, whose files were removed, are history, not drift
        known, ahead = future.split(files, [r for r in rows if r.version not in covered])
        drifted = plan.drift(files, known)
        if drifted and not allow_drift:
            raise plan.drift_error(drifted)
        if ahead:
            self.held += future.warn_or_refuse(
                ahead, files, self.config.dir, strict=strict,
                notify=self.notify if self.listened else None,
            )  # fmt: skip
        pending = plan.pending(files, rows)
        todo = plan.select_up(phases.select(pending, phase), to=to, steps=steps)
        phases.require_pre_first(pending, todo, phase)  # up --phase post
        # a post-deploy migration that `up --phase pre` left pending is not out of order
        early = phases.early(plan.out_of_order(todo, rows), rows, plan.by_version(files))
        if early and not allow_out_of_order:
            names = ", ".join(m.label for m in early)
            raise UsageError(
                f"pending migration(s) numbered below the newest applied one: {names}",
                hint="renumber them after the newest applied migration, or pass "
                "--allow-out-of-order if applying them now is safe",
            )
        return todo

    # -- down / redo ------------------------------------------------------------------------

    @placeholders.masks_errors
    def down(
        self,
        *,
        steps: int | None = None,
        to: int | None = None,
        all_: bool = False,
        dry_run: bool = False,
        allow_drift: bool = False,
        confirm: Callable[[list[str], str], bool] | None = None,
    ) -> Result:
        """Revert the newest applied migration, or those --steps, --to or --all choose. With
        `confirm`, a revert of more than one migration (or --all) first asks
        confirm(labels newest first, redacted URL), before the lock is taken (other runners are
        not held while a person reads); False reverts nothing. Under the lock the list must be
        the one confirmed, else nothing is reverted."""
        plan.check_down_flags(to=to, steps=steps, all_=all_)
        found = self.files()
        placeholders.check_downs(found, self.vars)  # before connecting
        files = plan.by_version(found)

        def steps_of(rows: list[AppliedRow]) -> list[plan.DownStep]:
            nonlocal files
            files = plan.by_version(resolve(found, rows).files)
            plan.check_failed(rows, files)
            reverting = plan.select_down(rows, to=to, steps=steps, all_=all_)
            popxgroups.refuse_split(
                self.groups,
                [r.version for r in rows],
                [r.version for r in reverting],
                to=to,
                steps=steps,
            )
            if to is not None:
                require_whole_revert(reverting, files, to)
            return [
                self._filled(
                    plan.down_step(r, files.get(r.version), allow_drift=allow_drift, files=files),
                    masked=dry_run,
                )
                for r in reverting
            ]

        def needs_asking(todo: list[plan.DownStep] | list[str]) -> bool:
            return confirm is not None and not dry_run and (all_ or len(todo) > 1)

        confirmed: list[str] | None = None
        announce = True
        if confirm is not None and not dry_run and (all_ or (steps or 1) > 1 or to is not None):
            with self.session(locked=False, announce=True) as (driver, history):
                asked = [s.label for s in steps_of(history.read() or [])]
                if asked and needs_asking(asked):
                    if not confirm(asked, driver.url.redacted):
                        raise UsageError(
                            "not confirmed: nothing was reverted",
                            hint="run it again and answer y, or pass --yes",
                        )
                    confirmed = asked
            announce = False
        with self.session(locked=not dry_run, announce=announce) as (driver, history):
            rows = history.read() or []
            todo = steps_of(rows)
            if dry_run or not todo:
                return Result(
                    "down",
                    dry_run=dry_run,
                    current=_current(rows, files),
                    steps=[
                        _planned(s.row.version, s.row.name, s.label, "down", s.sql, dry_run)
                        for s in todo
                    ],
                    messages=_absent(driver),
                )
            plan.refuse_client_commands([s.sql for s in todo], driver.dialect)
            self.notify(Event(PLAN, f"{len(todo)} to revert", {"pending": len(todo)}, "debug"))
            labels = [s.label for s in todo]
            if needs_asking(todo) and labels != confirmed:
                raise UsageError(
                    "the migrations to revert changed while you answered (another runner applied "
                    "or reverted some): nothing was reverted",
                    hint="run it again to see the new list",
                )
            runner = self._runner(driver, history, watch=True)
            done = [runner.revert(s) for s in todo]
            left = [r for r in rows if r.version not in {s.version for s in done}]
            said = [future.stored(s.label, self.config.dir) for s in todo if s.stored]
            return Result("down", steps=done, current=_current(left, files), messages=said)

    def _filled(self, step: plan.DownStep, *, masked: bool = False) -> plan.DownStep:
        """A down step with its ${name} placeholders filled in (also stored down SQL's)."""
        return replace(step, sql=placeholders.apply_one(step.sql, self.vars, masked=masked))

    @placeholders.masks_errors
    def redo(self, *, allow_drift: bool = False) -> Result:
        """Revert the newest applied migration and apply it again, under one lock."""
        found = placeholders.apply_up(self.files(), self.vars)
        placeholders.check_downs(found, self.vars)
        with self.session(locked=True, announce=True) as (driver, history):
            rows = history.read() or []
            files = plan.by_version(resolve(found, rows).files)
            plan.check_failed(rows, files)
            newest = plan.select_down(rows, to=None, steps=1, all_=False)
            if not newest:
                raise UsageError(
                    "nothing to redo: no migration is applied", hint="run `sqlmig up` first"
                )
            popxgroups.refuse_redo(self.groups, rows, newest[0])
            m = files.get(newest[0].version)
            if m is None and future.split(list(files.values()), newest)[1]:
                raise future.no_redo(newest[0], files, self.config.dir)
            if m is None or (m.up.checksum != newest[0].checksum and not allow_drift):
                raise plan.drift_error(plan.drift(list(files.values()), newest))
            self.notify(Event(PLAN, "1 to revert and apply again", {"pending": 2}, "debug"))
            runner = self._runner(driver, history, watch=True)
            back = runner.revert(
                self._filled(plan.down_step(newest[0], m, allow_drift=allow_drift))
            )
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
        from .chain import notes as chain_notes
        from .chain import shown

        found = self.files()
        extras = Extras.read(self.config, callbacks=False)
        with self.session(locked=False) as (driver, history):
            rows = history.read() or []
            again, gone = repeatables.status_rows(extras.repeatables, history)
            chain = resolve(found, rows)
            files = chain.files
            busy = _live_run(driver, rows, pending=bool(plan.pending(files, rows)))
            flight = driver.in_flight() if busy else None
            invalid = driver.invalid_indexes()
        status_rows = _in_flight(
            _status_rows(files, rows, busy, folder=self.config.dir), busy, flight, files
        )
        status_rows = phases.rows(shown(status_rows, chain), files) + again  # pre / post-deploy
        notes = [_invalid_note(invalid)] if invalid else []
        notes += phases.notes(status_rows)
        notes += gone
        notes += chain_notes(chain)
        notes += [_run_note(status_rows, busy)] if busy else []
        notes += _absent(driver) + self._new_folder(files)
        return Result(
            "status",
            rows=status_rows,
            current=_current(rows, files),
            messages=notes,
            lock_holder=busy,
        )

    def current(self) -> Result:
        files = self.files()
        with self.session(locked=False) as (_driver, history):
            rows = history.read() or []
        return Result("current", current=_current(rows, resolve(files, rows).files))

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
            if e["version"] is None and e["event"] in (repeatables.EVENT, CALLBACK):
                e["label"] = e["name"]  # a repeatable's label, a callback's file name
            if e["event"] == repeatables.EVENT and e["outcome"] == "ok":
                e["detail"] = None  # the SQL as applied (for status --schema): not shown
        return Result("history", entries=entries)

    def validate(self, *, strict: bool | None = None) -> Result:
        found = self.files()
        with self.session(locked=False) as (driver, history):
            rows = history.read() or []
            busy = _live_run(driver, rows)
            invalid = driver.invalid_indexes()
        chain = resolve(found, rows)
        files = chain.files
        live = [r for r in rows if busy and r.status == RUNNING]
        known = plan.by_version(files)
        plan.check_failed([r for r in rows if r not in live], known)
        chain.require_whole()
        mine, ahead = future.split(files, chain.rows(rows))
        drifted = plan.drift(files, mine) + plan.down_drift(files, mine)
        if drifted:
            raise plan.drift_error(drifted, allow_drift=False)
        if ahead and (self.config.strict if strict is None else strict):
            raise future.refuse(ahead, known, self.config.dir)
        if invalid:
            raise SqlmigError(
                _invalid_note(invalid),
                hint="drop each with DROP INDEX CONCURRENTLY and build it again (the migration "
                "that made it, run again, would skip it with IF NOT EXISTS)",
            )
        early = phases.early(plan.out_of_order(plan.pending(files, rows), rows), rows, known)
        notes = [f"{plan.row_label(r, known)} is being applied now by {busy}" for r in live]
        notes += [future.note(ahead, known, self.config.dir)] if ahead else []
        notes += _absent(driver) + self._new_folder(files)
        notes += [
            f"{m.label} is pending but numbered below the newest applied migration" for m in early
        ]
        return Result(
            "validate", messages=notes or ["files and history agree"], current=_current(rows, files)
        )

    # -- repair / baseline ------------------------------------------------------------------

    def repair(self, *, dry_run: bool = False) -> Result:
        """After review: record edited and renamed files as they are now, settle stopped rows.
        A dry run takes no lock and changes nothing; it says what repair would do."""
        from .repairs import Repairer, apply

        found = self.files()
        with self.session(locked=not dry_run) as (driver, history):
            rows = history.read() or []
            chain = resolve(found, rows)
            files = plan.by_version(chain.files)
            fixes = Repairer(driver, history, self.by).plan(chain.rows(rows), files)
            notes = [f.todo if dry_run else f.done for f in fixes]
            busy = _live_run(driver, rows) if dry_run else None
            if busy:
                notes.append(f"a run by {busy} holds the migration lock now: its `running` row "
                             "is in progress, and repair waits for the lock")  # fmt: skip
            if not dry_run:
                apply(driver, fixes)
        ok = not any(f.left for f in fixes)
        return Result("repair", ok=ok, dry_run=dry_run, messages=notes or ["nothing to repair"])

    def mark(self, versions: list[int], *, applied: bool, reason: str | None = None) -> Result:
        """Record that migrations were applied (`applied`) or reverted by hand, without
        running anything; under the lock, in the audit log with who and why."""
        from .repairs import Marker, apply

        found = self.files()
        direction = "applied" if applied else "pending"
        with self.session(locked=True) as (driver, history):
            rows = history.read()
            files = plan.by_version(resolve(found, rows).files)
            fixes = Marker(history, self.by, reason).plan(
                versions, rows or [], files, applied=applied
            )
            steps = [
                Step(f.version, *_names(f.version, rows or [], files), direction)
                for f in fixes
                if f.writes
            ]
            if rows is None and steps:
                history.ensure()
            apply(driver, fixes)
            rows = history.read() or []
        return Result(
            "mark", steps=steps, current=_current(rows, files), messages=[f.done for f in fixes]
        )

    def baseline(self, version: int) -> Result:
        from .chain import upto

        files = upto(self.files(), version)
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

    def adopt(
        self, *, tool: str | None = None, table: str | None = None, dry_run: bool = False
    ) -> Result:
        """Record what another tool's history table says it applied as applied, running
        nothing; under the lock, in one transaction, with an audit-log entry. A dry run takes
        no lock and writes nothing."""
        from . import adopt as adopting
        from .repairs import apply

        files = self.files()
        with self.session(locked=not dry_run) as (driver, history):
            if history.home is None:
                history.ensure()  # raises: no schema or database to look in
            rows = history.read()
            try:
                own = getattr(driver, "home", None)  # where unqualified names land
                places = list(dict.fromkeys([str(history.home), *([own] if own else [])]))
                adoption = adopting.find(driver, places, files, tool, table)
            except SqlmigError:
                if rows:  # what the user must know first: sqlmig already keeps this history
                    raise adopting.has_history(history.table, rows) from None
                raise
            if rows:
                if not adopting.covered(rows, adoption):
                    raise adopting.has_history(history.table, rows)
                said = [adopting.already(adoption)]
                return Result("adopt", current=_current(rows, files), messages=said)
            said = adopting.lines(adoption, dry_run=dry_run)
            if dry_run:
                return _adopted(adoption, said + _absent(driver), dry_run=True)
            if rows is None:
                history.ensure()
            apply(driver, adopting.fixes(history, adoption, self.by))
        return _adopted(adoption, said)


def _adopted(adoption: Adoption, said: list[str], *, dry_run: bool = False) -> Result:
    steps = [Step(m.version, m.name, m.label, "adopt") for m, _v in adoption.found]
    current = adoption.found[-1][0].label if adoption.found else None
    return Result("adopt", dry_run=dry_run, steps=steps, current=current, messages=said)


def _tools(driver: Driver, place: str, found: list[str]) -> tuple[str, ...]:
    """The other tools whose history table is among `found` (`adopt --from` reads them)."""
    from . import others

    if not any(t.lower() in others.TABLES for t in found):
        return ()
    return tuple(dict.fromkeys(tool.name for tool, _table in others.present(driver, place, found)))


def _history_like(found: list[str]) -> list[str]:
    """Tables worth reading as another set's history: those with their `_log`, or, in a place
    holding a few tables, each (a runner makes its log just after its history). A legacy
    database's many tables are not each queried (nor waited on, if another session locks one)."""
    return found if len(found) <= plan.SHOWN_TABLES else [t for t in found if f"{t}_log" in found]


def _is_history(driver: Driver, home: str, table: str) -> bool:
    """Whether `home.table` reads as a sqlmig history table (its columns are sqlmig's)."""
    try:
        return History(driver, f"{home}.{table}").read() is not None
    except SqlmigError:
        return False


def _absent(driver: Driver) -> list[str]:
    """The note of a read-only command on a SQLite file that does not exist (it is not made)."""
    return [driver.absent] if driver.absent else []


def _database(url: str, about: str) -> Event:
    """`Database: postgresql://app:***@db:5432/app (PostgreSQL 15.20)`, as Flyway says it."""
    return Event(DATABASE, f"Database: {url} ({about})", {"url": url, "server": about})


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


def _names(version: int, rows: list[AppliedRow], files: dict[int, Migration]) -> tuple[str, str]:
    """The name and label of a version, from its file or else its row."""
    m = files.get(version)
    if m is not None:
        return m.name, m.label
    name = next((r.name for r in rows if r.version == version), "")
    return name, plan.label_of(version, name, files)


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


def _live_run(driver: Driver, rows: list[AppliedRow], *, pending: bool = False) -> str | None:
    """Who holds the lock now, asked when it matters: a `running` row (being applied by that
    holder, else a crash's remnant) or, for status, a pending migration (a transactional one
    in flight is invisible until it commits). None: nobody, or not asked."""
    if not pending and not any(r.status == RUNNING for r in rows):
        return None
    return driver.lock_holder()


def _in_flight(
    rows: list[StatusRow],
    busy: str | None,
    flight: tuple[str, str] | None,
    files: list[Migration],
) -> list[StatusRow]:
    """While a run holds the lock and no row of it says `applying`: the pending migration
    whose SQL the holder's transaction is running (PostgreSQL shows it) is `applying`; else
    the next pending one, the one `up` would be applying, says that it may be."""
    if not busy or any(r.state == APPLYING for r in rows):
        return rows
    pending = [r for r in rows if r.state == "pending"]
    known = plan.by_version(files)
    running = [r for r in pending if flight and _runs(known.get(r.version), flight[1])]
    if flight and len(running) == 1:
        detail = f"being applied now, in a transaction open since {flight[0]}, by {busy}"
        return [replace(r, state=APPLYING, detail=detail) if r is running[0] else r for r in rows]
    nxt = pending[0] if pending else None
    detail = f"may be being applied now (in one transaction, not yet committed) by {busy}"
    return [replace(r, detail=detail) if r is nxt else r for r in rows]


def _runs(m: Migration | None, query: str) -> bool:
    """Whether the SQL the server shows (truncated at track_activity_query_size) is the file's:
    its start, up to 200 characters, appears in it."""
    text = m.up.text.strip()[:200] if m else ""
    return bool(text) and text in query


def _run_note(rows: list[StatusRow], busy: str) -> str:
    """What status says while another run holds the migration lock."""
    note = f"a run is in progress: the migration lock is held by {busy}"
    applying = [r.label for r in rows if r.state == APPLYING]
    pending = sum(r.state == "pending" for r in rows)
    if applying:
        note += f"; it is applying {', '.join(applying)}"
    if pending and applying:
        return note + f"; {pending} pending migration(s) may follow in the same run"
    if pending:
        return note + (
            f"; {pending} pending migration(s) may be being applied by it (a migration in a "
            "transaction shows as applied only once it commits)"
        )
    return note


def _status_rows(
    files: list[Migration], rows: list[AppliedRow], busy: str | None = None, *, folder: object = ""
) -> list[StatusRow]:
    # an edited up file says more than an edited down file of the same migration
    mine, ahead = future.split(files, rows)
    drifted = {d.version: d for d in plan.down_drift(files, mine) + plan.drift(files, mine)}
    later = {r.version for r in ahead}
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
        if state == APPLIED and version in later:
            state, detail = future.FUTURE, future.detail(row, folder)
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

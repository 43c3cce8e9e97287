"""Repeatable migrations: `R__<name>.sql` files with no version, applied by `up` after the
versioned ones whenever their checksum is not the one last applied, in name order.

Each run is an event of the audit log (`repeatable`, the file's label as its name, its checksum),
written in the file's own transaction: the log's newest `ok` event of a name is what is applied.
The history table itself is untouched, so older history tables (and older sqlmig builds) read
as before."""

from __future__ import annotations

import re
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .drivers.base import CommitLost, Driver, ScriptError, TransactionEnded
from .errors import ConnectError, MigrationFailed, MigrationFileError, SqlmigError
from .events import MIGRATION_APPLIED, MIGRATION_STARTED, Event
from .files import SqlFile, directives, read_sql_file
from .history import History
from .phases import POST
from .results import StatusRow, Step
from .step_base import file_offset, split, where

if TYPE_CHECKING:
    from .steps import Runner

# Flyway's name: R__ then a description; sqlmig's layout takes sqlmig's slugs after it.
NAME = re.compile(r"^R__(?P<name>.+)\.sql$")
SLUG = re.compile(r"^[a-z0-9_]+$")
EVENT = "repeatable"
APPLIED, CHANGED, PENDING = "applied", "changed", "pending"


@dataclass(frozen=True)
class Repeatable:
    """One `R__name.sql` file."""

    name: str
    sql: SqlFile

    @property
    def label(self) -> str:
        return f"R__{self.name}"


def discover(folder: Path, *, strict_names: bool = True) -> list[Repeatable]:
    """The folder's R__ files, in name order. strict_names: sqlmig's layout, whose slugs are
    lowercase letters, digits and underscores (Flyway's own folders take any description)."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        match = NAME.match(path.name)
        if match is None:
            continue
        if strict_names and not SLUG.match(match["name"]):
            raise MigrationFileError(
                f"{path}: not a repeatable migration name",
                hint="name repeatable migrations R__slug.sql (lowercase letters, digits and "
                "underscores after R__)",
            )
        sql = read_sql_file(path)
        _refuse_pre_phase(sql)
        found.append(Repeatable(match["name"], sql))
    return found


def _refuse_pre_phase(sql: SqlFile) -> None:
    """`-- sqlmig:phase pre` in a repeatable would be ignored (repeatables wait for a whole
    `up` or the post-deploy phase): refused, as a directive that cannot be kept."""
    if "phase" in directives(sql.text, sql.path) and sql.phase != POST:
        raise MigrationFileError(
            f"{sql.path}: a repeatable migration has no pre-deploy phase: it runs after the "
            "versioned migrations of a whole `sqlmig up` or of `sqlmig up --phase post`",
            hint="remove the `-- sqlmig:phase` line; for SQL the pre-deploy phase needs, write a "
            "versioned migration (`sqlmig new NAME`)",
        )


def applied(history: History) -> dict[str, str]:
    """Label -> the checksum last applied, from the audit log (empty when it does not exist)."""
    return {e.name: e.checksum or "" for e in history.latest_events(EVENT) if e.name}


def applied_sql(history: History) -> dict[str, str]:
    """Label -> the SQL last applied, as its event keeps it (a run of an offline script keeps
    none: not listed)."""
    return {e.name: e.detail for e in history.latest_events(EVENT, detail=True)
            if e.name and e.detail is not None}  # fmt: skip


def pending(found: list[Repeatable], done: dict[str, str]) -> list[Repeatable]:
    """Those never applied or whose file changed since: each is applied again, whole."""
    return [r for r in found if done.get(r.label) != r.sql.checksum]


def state(r: Repeatable, done: dict[str, str]) -> str:
    if r.label not in done:
        return PENDING
    return APPLIED if done[r.label] == r.sql.checksum else CHANGED


def status_rows(found: list[Repeatable], history: History) -> tuple[list[StatusRow], list[str]]:
    """A row per file (`applied`, `changed`, `pending`) and a note per applied file now gone
    (read also when no file is left: the last one deleted is named too)."""
    events = {e.name: e for e in history.latest_events(EVENT) if e.name}
    done = {name: e.checksum or "" for name, e in events.items()}
    rows = []
    for r in found:
        e = events.get(r.label)
        said = state(r, done)
        detail = "edited since it was applied: `up` applies it again" if said == CHANGED else None
        at, by, ms = (e.happened_at, e.actor, e.duration_ms) if e else (None, None, None)
        rows.append(StatusRow(None, r.name, r.label, said, at, by, ms, detail))  # type: ignore[arg-type]
    names = {r.label for r in found}
    gone = [
        f"{name} (repeatable) was applied but its file is gone: what it created stays"
        for name in events
        if name not in names
    ]
    return rows, gone


def planned(r: Repeatable, with_sql: bool) -> Step:
    return Step(None, r.name, r.label, "up", None, r.sql.transactional,  # type: ignore[arg-type]
                r.sql.text if with_sql else None)  # fmt: skip


def apply(runner: Runner, r: Repeatable) -> Step:
    """Apply one repeatable file with its log event: in one transaction where the database
    allows, else statement by statement and the event after its last statement."""
    driver = runner.driver
    fields = {"version": None, "name": r.name, "label": r.label, "direction": "up"}
    runner.notify(Event(MIGRATION_STARTED, f"applying {r.label} (repeatable)", fields))
    atomic = r.sql.transactional and driver.ATOMIC_DDL
    start = time.perf_counter()
    try:
        if atomic:
            driver.begin()
            runner.orphans.before()
        _run(runner, r, atomic=atomic, start=start)
    except CommitLost as exc:
        raise ConnectError(
            f"{exc.message}\nwhether {r.label} was committed is unknown",
            hint=f"`sqlmig status` shows whether {r.label} is applied; `up` applies it again "
            "if not",
        ) from None
    except BaseException as exc:
        if atomic:
            driver.rollback()
        raise _failure(runner, r, exc, atomic=atomic) from None
    ms = int((time.perf_counter() - start) * 1000)
    message = f"applied {r.label} (repeatable, {ms} ms)"
    runner.notify(Event(MIGRATION_APPLIED, message, {**fields, "duration_ms": ms}))
    return Step(None, r.name, r.label, "up", ms, r.sql.transactional)  # type: ignore[arg-type]


def _run(runner: Runner, r: Repeatable, *, atomic: bool, start: float) -> None:
    from .callback_names import AFTER_EACH, BEFORE_EACH

    driver, hooks = runner.driver, runner.hooks
    if hooks is not None:
        hooks.each(BEFORE_EACH, r.label, atomic=atomic)
    _statements(driver, r.sql, atomic=atomic)
    if atomic:
        runner._check_orphans(r.sql)
    if hooks is not None:
        hooks.each(AFTER_EACH, r.label, atomic=atomic)
    write = _event(runner.history, r, runner.by, start)
    if atomic:
        driver.record(*write)
        driver.commit()
    else:
        driver.write(write, reset=True)


def _statements(driver: Driver, sql: SqlFile, *, atomic: bool) -> None:
    """The file's own statements; their errors keep the offset in the file."""
    if atomic:
        driver.run_script(sql.text)
        return
    for stmt in split(driver, sql):
        try:
            driver.run_statement(stmt.text)
        except ScriptError as exc:
            exc.offset = file_offset(stmt, exc.offset)  # the statement's text begins with comments
            raise


# The SQL a log event keeps, at most: a bigger one (a 25 MB file of functions) is logged
# without it, as an offline script's is (`status --schema` builds it as its file is now), since
# MariaDB's max_allowed_packet (16 MB by default) drops the connection on a longer INSERT.
MAX_STORED_SQL = 4 * 1024 * 1024


def _event(history: History, r: Repeatable, by: str, start: float) -> tuple:
    ms = int((time.perf_counter() - start) * 1000)
    # the SQL as applied, so that `status --schema` builds what the database has even after
    # the file is edited (`history` does not print it)
    text = r.sql.text if len(r.sql.text.encode("utf-8")) <= MAX_STORED_SQL else None
    return history.event(EVENT, version=None, name=r.label, checksum=r.sql.checksum,
                         duration_ms=ms, detail=text, by=by)  # fmt: skip


def _failure(runner: Runner, r: Repeatable, exc: BaseException, *, atomic: bool) -> BaseException:
    """The error to raise for a failed repeatable, logged (best effort) as failed."""
    if isinstance(exc, TransactionEnded):
        error = f"{r.sql.path}: the file's own COMMIT, ROLLBACK or END ended sqlmig's transaction"
    elif isinstance(exc, ScriptError):
        error = (
            exc.message
            if getattr(exc, "located", False)
            else (f"{where(r.sql, exc.offset)}: {exc.message}")
        )
    else:
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C, SIGTERM: say what became of it
            exc.note = (  # type: ignore[attr-defined]
                f"interrupted; {r.label} (repeatable) was rolled back: the next `up` applies it"
                if atomic
                else f"interrupted during {r.label} (repeatable, statement by statement): the "
                "statements before stay; the next `up` applies it again, whole"
            )
        return exc  # a lost connection, a history write, Ctrl-C: raised as they are
    with suppress(SqlmigError):  # the log is best effort; the failure itself is raised
        runner.driver.write(runner.history.event(
            EVENT, version=None, name=r.label, checksum=r.sql.checksum, duration_ms=None,
            outcome="failed", detail=error, by=runner.by,
        ), reset=True)  # fmt: skip  # reset: the session as the run began (afterMigrateError)
    runner.notify(Event("migration_failed", f"{r.label} failed", {"label": r.label}, "error"))
    what = (
        "failed: its own COMMIT or ROLLBACK ended the transaction, so what ran before it may be "
        "committed"
        if isinstance(exc, TransactionEnded)
        else "failed and was rolled back"
        if atomic
        else "failed; the statements before the failing one stay applied"
    )
    return MigrationFailed(
        f"{r.label} (repeatable) {what}:\n{error}",
        hint="fix the file and run `sqlmig up` again: it is applied again whole (its checksum "
        "was not recorded); the migrations before it stay applied",
    )

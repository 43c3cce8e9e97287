"""repair and mark: the history changes a user asks for after reviewing or fixing by hand."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .drivers.base import Driver
from .errors import UsageError
from .files import Migration
from .history import APPLIED, REVERTING, RUNNING, AppliedRow, History, now
from .plan import label_of

Write = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Fix:
    """One history row changed (its checked writes and log entry), or left as it is and why.

    `done` is said after the change, `todo` in a dry run; `left`: drift that the command does
    not settle (repair then exits 4)."""

    version: int
    done: str
    todo: str = ""
    writes: tuple[Write, ...] = ()
    left: bool = False


def apply(driver: Driver, fixes: list[Fix]) -> None:
    """Every fix's writes in one transaction: each write is checked to match exactly one row."""
    writes = [w for f in fixes for w in f.writes]
    if not writes:
        return
    driver.begin()
    try:
        for sql, params in writes:
            driver.record(sql, params)
        driver.commit()
    except BaseException:
        driver.rollback()
        raise


# -- repair -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repairer:
    """Plans `sqlmig repair` for the rows of one history, against the files on disk."""

    driver: Driver
    history: History
    by: str

    def plan(self, rows: list[AppliedRow], files: dict[int, Migration]) -> list[Fix]:
        # which direction failed, from the log's structured `event` (up / down), never from an
        # error text a folder's name could imitate
        failed_as = {e.version: e.event for e in self.history.read_log() if e.outcome == "failed"}
        fixes: list[Fix | None] = []
        for row in rows:
            m = files.get(row.version)
            down = failed_as.get(row.version) == "down" or (
                row.status == RUNNING and row.error == REVERTING
            )
            if row.status == APPLIED:
                fixes.append(self._rerecord(row, m))
            elif not down:
                fixes.append(self._clear(row, m))
            else:
                fixes.append(self._down(row, m))
                if not _all_ran(self.driver, row, m):  # applied again: then as any applied row
                    fixes.append(self._rerecord(replace(row, status=APPLIED), m))
        return [f for f in fixes if f is not None]

    def _event(self, row: AppliedRow, detail: str, checksum: str | None = None) -> Write:
        """The log entry of one repaired row."""
        return self.history.event(
            "repair",
            version=row.version,
            name=row.name,
            checksum=checksum or row.checksum,
            duration_ms=None,
            detail=detail,
            by=self.by,
        )

    def _clear(self, row: AppliedRow, m: Migration | None) -> Fix:
        """An up that failed or was interrupted: its row goes, the migration is pending."""
        label = _label(row, m)
        return Fix(
            row.version,
            done=f"cleared the {row.status} state of {label}; it is pending again",
            todo=f"would clear the {row.status} state of {label}; it would be pending again",
            writes=(
                self.history.delete(row.version),
                self.history.confirm_gone(row.version),
                self._event(row, f"cleared {row.status} state"),
            ),
        )

    def _down(self, row: AppliedRow, m: Migration | None) -> Fix:
        """A down that failed or was interrupted. Its up is applied: unless every statement of
        the down ran, the row goes back to applied (making it pending would apply the up a
        second time); when all of them ran, the down is done and the row goes."""
        ran, total = row.statements_done or 0, _down_statements(self.driver, row, m)
        label = _label(row, m)
        if _all_ran(self.driver, row, m):
            return Fix(
                row.version,
                done=f"{label}: all {total} statement(s) of its down ran "
                "before it stopped; the migration is pending again",
                todo=f"{label}: all {total} statement(s) of its down ran "
                "before it stopped; would make the migration pending again",
                writes=(
                    self.history.delete(row.version),
                    self.history.confirm_gone(row.version),
                    self._event(row, f"a down whose {ran} statement(s) all ran: pending again"),
                ),
            )
        counted = f"{ran} of {total or '?'}"
        if row.statements_done is None:  # an offline script's row: the count was not kept
            counted = f"an unrecorded number of its {total or '?'}"
        return Fix(
            row.version,
            done=f"{label}: its down did not finish ({counted} statement(s) "
            "ran); marked applied again, since its up is applied. If those statements changed "
            "anything, undo them by hand or run `sqlmig down` again",
            todo=f"{label}: its down did not finish ({counted} statement(s) "
            "ran); would mark it applied again, since its up is applied",
            writes=(
                self.history.set_status(
                    row.version, APPLIED, duration_ms=row.duration_ms, statements_done=None,
                    error=None,
                ),
                self.history.confirm_status(row.version, APPLIED),
                self._event(row, f"a down that did not finish ({counted} ran): applied again"),
            ),
        )  # fmt: skip

    def _rerecord(self, row: AppliedRow, m: Migration | None) -> Fix | None:
        """An applied row whose file was edited or renamed: record the file as it is now. A new
        name is accepted only for the same content (other content under an applied version's
        number may be another migration that took it)."""
        if m is None:
            return _left(
                row,
                f"{_label(row, m)} is applied but its file is missing; left as it "
                f"is: restore the file, or, if it was reverted by hand, record that with "
                f"`sqlmig mark {row.version} --pending`",
            )
        if m.name != row.name and m.up.checksum != row.checksum:
            return _left(
                row,
                f"{m.up.path} has the version of the applied {_label(row, m)} but "
                "another name and other content; left as it is: if it is another migration, "
                f"renumber it and restore {_label(row, m)}; if it is the same one "
                f"renamed and edited, rename it back to {_label(row, m)} and run "
                "`sqlmig repair` again to accept the edit",
            )
        changes = _changes(row, m)
        if not changes:
            return None
        down = m.down
        down_sql = down.text if down else row.down_sql
        down_sum = down.checksum if down else row.down_checksum
        said = "; ".join(changes)
        return Fix(
            row.version,
            done=f"re-recorded {m.label}: {said}",
            todo=f"would re-record {m.label}: {said}",
            writes=(
                self.history.set_checksums(
                    row.version, m.up.checksum, down_sql, down_sum, name=m.name
                ),
                self.history.confirm(row.version, APPLIED, m.up.checksum),
                self._event(row, said, m.up.checksum),
            ),
        )


def _changes(row: AppliedRow, m: Migration) -> list[str]:
    """What differs between an applied row and its file, in words."""
    found = []
    if m.name != row.name:
        found.append(f"name {row.name} -> {m.name}")
    if m.up.checksum != row.checksum:
        found.append(f"checksum {row.checksum} -> {m.up.checksum}")
    down = m.down
    if down and down.checksum != row.down_checksum:
        was = row.down_checksum or "none stored"
        found.append(f"down SQL {was} -> {down.checksum}")
    return found


def _left(row: AppliedRow, said: str) -> Fix:
    return Fix(row.version, done=said, todo=said, left=True)


def _down_statements(driver: Driver, row: AppliedRow, m: Migration | None) -> int:
    """How many statements a row's down SQL has, as it is run statement by statement (0:
    unknown): the SQL stored with the row, else the down file."""
    from .sqltext import SplitError

    try:
        return len(driver.split(row.down_sql or (m.down.text if m and m.down else "")))
    except SplitError:
        return 0


def _all_ran(driver: Driver, row: AppliedRow, m: Migration | None) -> bool:
    """Whether every statement of a stopped down ran (its count is known)."""
    total = _down_statements(driver, row, m)
    return bool(total) and (row.statements_done or 0) >= total


# -- mark -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """Plans `sqlmig mark`: record that migrations were applied or reverted by hand."""

    history: History
    by: str
    reason: str | None

    def plan(
        self,
        versions: list[int],
        rows: list[AppliedRow],
        files: dict[int, Migration],
        *,
        applied: bool,
    ) -> list[Fix]:
        recorded = {r.version: r for r in rows}
        unknown = [v for v in versions if v not in recorded and v not in files]
        if unknown:
            raise UsageError(
                f"no migration file and no history row for version(s) "
                f"{', '.join(map(str, unknown))}; nothing was marked",
                hint="`sqlmig status` lists the versions sqlmig knows",
            )
        newest = max((r.version for r in rows if r.status == APPLIED), default=None)
        fixes = []
        for v in dict.fromkeys(versions):
            row, m = recorded.get(v), files.get(v)
            if applied:
                fixes.append(self._applied(v, row, m))
            else:
                fixes.append(self._pending(v, row, m, newest))
        return fixes

    def _event(
        self, version: int, name: str, checksum: str | None, detail: str, extra: str = ""
    ) -> Write:
        """The log entry: what was marked, the reason given, then what the row held."""
        why = self.reason if self.reason else "none given"
        return self.history.event(
            "mark",
            version=version,
            name=name,
            checksum=checksum,
            duration_ms=None,
            detail=f"{detail}; reason: {why}" + (f"; {extra}" if extra else ""),
            by=self.by,
        )

    def _applied(self, v: int, row: AppliedRow | None, m: Migration | None) -> Fix:
        if row is not None and row.status == APPLIED:
            return Fix(v, done=f"{_label(row, m)} is already applied; nothing changed")
        if m is None:  # a stopped row whose file is gone: it keeps what it recorded
            assert row is not None
            return Fix(
                v,
                done=f"marked {_label(row, m)} applied (it was {row.status}), as recorded",
                writes=(
                    self.history.set_status(
                        v, APPLIED, duration_ms=row.duration_ms, statements_done=None, error=None
                    ),
                    self.history.confirm_status(v, APPLIED),
                    self._event(v, row.name, row.checksum, f"applied by hand (was {row.status})"),
                ),
            )
        was = f" (it was {row.status})" if row else ""
        # with no down file on disk, the down SQL stored with a stopped row is kept
        down_sql, down_sum = (m.down.text, m.down.checksum) if m.down else (None, None)
        if m.down is None and row is not None:
            down_sql, down_sum = row.down_sql, row.down_checksum
        new = AppliedRow(
            v, m.name, m.up.checksum, down_sql, down_sum, APPLIED, now(), self.by, None, None,
            None,
        )  # fmt: skip
        gone = (self.history.delete(v), self.history.confirm_gone(v)) if row else ()
        return Fix(
            v,
            done=f"marked {m.label} applied{was}: its file as it is now, not run",
            writes=(
                *gone,
                self.history.insert(new),
                self.history.confirm(v, APPLIED, m.up.checksum),
                self._event(v, m.name, m.up.checksum, f"applied by hand, not run{was}"),
            ),
        )

    def _pending(
        self, v: int, row: AppliedRow | None, m: Migration | None, newest: int | None
    ) -> Fix:
        if row is None:
            assert m is not None
            return Fix(v, done=f"{m.label} is already pending; nothing changed")
        label = _label(row, m)
        then = "`up` runs it again" if m else "it has no file, so `up` will not run it"
        if m and newest is not None and v < newest:
            then = "`up` runs it again with --allow-out-of-order (newer ones are applied)"
        return Fix(
            v,
            done=f"marked {label} pending (its row was {row.status}): {then}",
            writes=(
                self.history.delete(v),
                self.history.confirm_gone(v),
                self._event(v, row.name, row.checksum, "pending: reverted by hand", _was(row)),
            ),
        )


def _was(row: AppliedRow) -> str:
    """The removed row, kept in the log: when and by whom it was applied, its down SQL."""
    down = "none" if row.down_sql is None else f"\n{row.down_sql}"
    return (
        f"the row was {row.status}, applied at {row.applied_at} by {row.applied_by}; down "
        f"checksum {row.down_checksum or 'none'}; stored down SQL: {down}"
    )


def _label(row: AppliedRow, m: Migration | None) -> str:
    """The row's label as every message writes it (see plan.label_of)."""
    return label_of(row.version, row.name, {m.version: m} if m else {})

"""The history table (one row per applied migration) and its append-only event log.

The SQL is written once here; drivers supply quoting, placeholders and column types.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .drivers.base import Driver, MissingTable
from .errors import HistoryError, SqlmigError, UsageError

COLUMNS = (
    "version, name, checksum, down_sql, down_checksum, status, applied_at, applied_by, "
    "duration_ms, statements_done, error"
)
LOG_COLUMNS = "id, version, name, event, checksum, happened_at, actor, duration_ms, outcome, detail"

CREATE_TABLE = """CREATE TABLE IF NOT EXISTS {table} (
    version {version} PRIMARY KEY,
    name {text} NOT NULL,
    checksum {text} NOT NULL,
    down_sql {text},
    down_checksum {text},
    status {text} NOT NULL,
    applied_at {timestamp} NOT NULL,
    applied_by {text} NOT NULL,
    duration_ms {bigint},
    statements_done {bigint},
    error {text}
)"""
CREATE_LOG = """CREATE TABLE IF NOT EXISTS {log} (
    id {serial} PRIMARY KEY,
    version {version},
    name {text},
    event {text} NOT NULL,
    checksum {text},
    happened_at {timestamp} NOT NULL,
    actor {text} NOT NULL,
    duration_ms {bigint},
    outcome {text} NOT NULL,
    detail {text}
)"""

# The version column's type before versions had 38 digits (sqlmig 0.1.0: bigint, SQLite's
# INTEGER): such tables take TYPES["version"] in place, once, under the lock (History.upgrade).
NARROW_VERSIONS = frozenset({"bigint", "integer"})
UPGRADE = "upgrade"  # the log event of that change

APPLIED, RUNNING, FAILED = "applied", "running", "failed"
# how the error of a failed or interrupted down starts in the history row (see repair)
REVERTING = "reverting: "
UNRESOLVED = {
    "postgres": "current_schema() is NULL (search_path names no schema that exists yet)",
    "mysql": "the URL names no database",
}


@dataclass(frozen=True)
class AppliedRow:
    """A row of the history table."""

    version: int
    name: str
    checksum: str
    down_sql: str | None
    down_checksum: str | None
    status: str
    applied_at: str
    applied_by: str
    duration_ms: int | None
    statements_done: int | None
    error: str | None


@dataclass(frozen=True)
class LogEntry:
    """A row of the event log: every up, down, baseline, repair and mark."""

    id: int
    version: int | None
    name: str | None
    event: str
    checksum: str | None
    happened_at: str
    actor: str
    duration_ms: int | None
    outcome: str
    detail: str | None


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def actor() -> str:
    """user@host of this process, for the applied_by and actor columns."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def _text(value: Any) -> str:
    """A stored time as one ISO 8601 form on every database: UTC, milliseconds, +00:00
    (PostgreSQL returns microseconds, MariaDB a naive DATETIME(3), SQLite the text written)."""
    when = value
    if not isinstance(when, datetime):
        try:
            when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return str(value)  # not a time sqlmig wrote: shown as it is
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # sqlmig writes UTC
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def split_table(table: str, max_bytes: int) -> tuple[str, ...]:
    """`table` or `schema.table` as its parts; refuse names the database would mangle."""
    parts = tuple(table.split("."))
    if len(parts) > 2 or any(not p for p in parts):
        raise UsageError(
            f"bad history table name {table!r}",
            hint="use NAME or SCHEMA.NAME, e.g. --table sqlmig_history",
        )
    for part in parts:
        if "\x00" in part or len((part + "_log").encode()) > max_bytes:
            raise UsageError(
                f"history table name {part!r} is too long or holds a NUL byte",
                hint=f"keep it under {max_bytes - 4} bytes (sqlmig adds _log for the event log)",
            )
    return parts


def _only_home(driver: Driver, parts: tuple[str, ...]) -> tuple[str, ...]:
    """SQLite's `main.TABLE` is TABLE; another schema (temp, an attached database) is refused:
    SQLite cannot create one, and a temp history would vanish with the run."""
    home = str(getattr(driver, "home", ""))
    if parts[0].lower() == home.lower():
        return parts[1:]
    raise UsageError(
        f"history table {'.'.join(parts)!r}: {driver.dialect} keeps it in its {home} database only",
        hint=f"name the table alone: --table {parts[1]}",
    )


class History:
    """Reads and writes the history of one driver's database."""

    def __init__(self, driver: Driver, table: str) -> None:
        self.driver = driver
        # what every stored error and log detail goes through (placeholders: secrets masked)
        self.scrub: Callable[[str], str] = lambda text: text
        parts = split_table(table, driver.MAX_IDENTIFIER_BYTES)
        if len(parts) == 2 and getattr(driver, "ONE_SCHEMA", False):
            parts = _only_home(driver, parts)
        self.schema = driver.quote(parts[0]) if len(parts) == 2 else None
        # Always qualified, with the schema (or database) resolved when sqlmig connected: a
        # migration that changes search_path or the current database cannot move the history.
        self.home = parts[0] if len(parts) == 2 else getattr(driver, "home", None)
        self.unresolved = self.home is None
        if self.home is not None and len(parts) == 1:
            parts = (self.home, parts[0])
        quoted = [driver.quote(p) for p in parts]
        self.names = (parts[-1], parts[-1] + "_log")  # unquoted: the history and its log
        self.table = ".".join(quoted)
        self.log = ".".join([*quoted[:-1], driver.quote(parts[-1] + "_log")])
        self.p = driver.PARAM
        # In statements sent with parameters, a "%s"-style driver reads % in a quoted name as a
        # placeholder: such statements name the tables in this escaped spelling.
        pct = "%%" if self.p == "%s" else "%"
        self._table, self._log = self.table.replace("%", pct), self.log.replace("%", pct)

    def _sql(self, template: str) -> str:
        return template.format(table=self.table, log=self.log, p=self.p, **self.driver.TYPES)

    def ensure(self) -> None:
        """Create the tables (and schema) if they are missing. Callers hold the lock."""
        if self.unresolved:
            raise UsageError(
                f"no schema or database to keep the history table {self.table} in: "
                f"{UNRESOLVED.get(self.driver.dialect, 'none is selected')}",
                hint="name it with --table SCHEMA.TABLE (PostgreSQL) or put the database in "
                "the URL (MySQL: mysql://user@host/DATABASE)",
            )
        if self.schema:
            self.driver.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
        # The log first: the history table's presence is what says "created" (callers run
        # this only when it is missing), so a run stopped between the two (Ctrl-C, a
        # dropped connection; MySQL commits each) comes back here and creates the rest.
        self.driver.execute(self._sql(CREATE_LOG))
        self.driver.execute(self._sql(CREATE_TABLE))

    def read(self) -> list[AppliedRow] | None:
        """Every row, oldest version first; None when the table does not exist yet."""
        if self.unresolved:
            return None  # no schema to hold it: it cannot exist
        try:
            rows = self.driver.query(f"SELECT {COLUMNS} FROM {self.table} ORDER BY version")
        except MissingTable:
            return None
        return [_row(r) for r in rows]

    def read_row(self, version: int) -> AppliedRow | None:
        """The row of one version (None when there is none): one row read, not the whole
        history (verify reads it before each of its downs)."""
        rows = self.driver.query(
            f"SELECT {COLUMNS} FROM {self._table} WHERE version = {self.p}", (self._v(version),)
        )
        return next((_row(r) for r in rows), None)

    def read_log(self) -> list[LogEntry]:
        try:
            rows = self.driver.query(f"SELECT {LOG_COLUMNS} FROM {self.log} ORDER BY id")
        except MissingTable:
            return []
        return [_log_entry(r) for r in rows]

    def latest_events(self, event: str, *, detail: bool = False) -> list[LogEntry]:
        """The newest successful event of one kind per name, oldest first ([] before the log
        exists); detail=False leaves that column out (None): it may hold a file's SQL."""
        if self.unresolved:
            return []
        p, columns = self.p, LOG_COLUMNS if detail else LOG_COLUMNS.replace("detail", "NULL")
        try:
            rows = self.driver.query(
                f"SELECT {columns} FROM {self._log} WHERE id IN (SELECT MAX(id) FROM "
                f"{self._log} WHERE event = {p} AND outcome = {p} GROUP BY name) ORDER BY id",
                (event, "ok"),
            )
        except MissingTable:
            return []
        return [_log_entry(r) for r in rows]

    def _v(self, version: int | None) -> Any:
        """A version as bound: the int, or where the driver stores large ones as text (SQLite
        above 2**63 - 1) its 38 digits, zero-padded so that they sort as numbers."""
        above = self.driver.TEXT_VERSIONS_ABOVE
        if version is None or above is None or version <= above:
            return version
        return f"{version:038d}"

    # -- tables written before versions had 38 digits -----------------------------------------

    def upgrade(self, *, by: str) -> list[str]:
        """Under the lock: tables whose version column is still 0.1.0's bigint take today's
        type, rows kept, and the log says so; a later run finds them done. Returns their names."""
        if self.unresolved:
            return []
        home = str(self.home)
        narrow = [
            i
            for i, name in enumerate(self.names)
            if self.driver.column_type(home, name, "version") in NARROW_VERSIONS
        ]
        for i in narrow:
            self._widen(i)
        names = [self.names[i] for i in narrow]
        if names:
            detail = f"version column of {', '.join(names)} widened to 38 digits"
            self.driver.write(self.event(UPGRADE, version=None, name=None, checksum=None,
                                         duration_ms=None, detail=detail, by=by))  # fmt: skip
        return names

    def _widen(self, which: int) -> None:
        table = (self.table, self.log)[which]
        try:
            alter = self.driver.ALTER_VERSION
            if alter is not None:
                self.driver.execute(alter.format(table=table, **self.driver.TYPES))
            else:
                self._rebuild(which)
        except HistoryError as exc:
            raise HistoryError(
                f"could not upgrade the history table {table} to 38-digit versions: {exc.message}",
                hint="nothing was changed in it; a view, rule or trigger on it can stop the "
                "upgrade: drop it, run the command again, then create it again",
            ) from None

    def _rebuild(self, which: int) -> None:
        """A database that cannot change a column's type (SQLite): a new table, the rows copied,
        the old one dropped and the new one renamed, all in one transaction."""
        name = self.names[which]
        temp = self.driver.quote(name + "_upgrade")
        columns = (COLUMNS, LOG_COLUMNS)[which]
        create = (CREATE_TABLE, CREATE_LOG)[which]
        old = (self.table, self.log)[which]
        self.driver.execute("BEGIN")
        try:
            for sql in (
                f"DROP TABLE IF EXISTS {temp}",
                create.format(table=temp, log=temp, **self.driver.TYPES),
                f"INSERT INTO {temp} ({columns}) SELECT {columns} FROM {old}",
                f"DROP TABLE {old}",
                f"ALTER TABLE {temp} RENAME TO {self.driver.quote(name)}",
            ):
                self.driver.execute(sql)
            self.driver.execute("COMMIT")
        except BaseException:
            with suppress(SqlmigError):  # a lost connection has rolled it back already
                self.driver.execute("ROLLBACK")
            raise

    # Writes go through `record` (inside the migration's transaction) or `execute` (autocommit).

    def insert(self, row: AppliedRow) -> tuple[str, tuple[Any, ...]]:
        marks = ", ".join([self.p] * 11)
        return (
            f"INSERT INTO {self._table} ({COLUMNS}) VALUES ({marks})",
            (
                self._v(row.version),
                row.name,
                row.checksum,
                row.down_sql,
                row.down_checksum,
                row.status,
                row.applied_at,
                row.applied_by,
                row.duration_ms,
                row.statements_done,
                self._scrub(row.error),
            ),
        )

    def set_status(
        self,
        version: int,
        status: str,
        *,
        duration_ms: int | None,
        statements_done: int | None,
        error: str | None,
    ) -> tuple[str, tuple[Any, ...]]:
        p = self.p
        return (
            f"UPDATE {self._table} SET status = {p}, duration_ms = {p}, statements_done = {p}, "
            f"error = {p} WHERE version = {p}",
            (status, duration_ms, statements_done, self._scrub(error), self._v(version)),
        )

    def set_checksums(
        self,
        version: int,
        checksum: str,
        down_sql: str | None,
        down_checksum: str | None,
        *,
        name: str,
    ) -> tuple[str, tuple[Any, ...]]:
        """Record a file as it is now (repair): its name, checksum and down SQL."""
        p = self.p
        return (
            f"UPDATE {self._table} SET name = {p}, checksum = {p}, down_sql = {p}, "
            f"down_checksum = {p} WHERE version = {p}",
            (name, checksum, down_sql, down_checksum, self._v(version)),
        )

    def confirm(self, version: int, status: str, checksum: str) -> tuple[str, tuple[Any, ...]]:
        """A check, sent with the writes it follows: the row is there as written (a trigger or
        rule a migration put on the history table may have changed or removed it)."""
        p = self.p
        return (
            f"SELECT version FROM {self._table} WHERE version = {p} AND status = {p} "
            f"AND checksum = {p}",
            (self._v(version), status, checksum),
        )

    def confirm_status(self, version: int, status: str) -> tuple[str, tuple[Any, ...]]:
        """A check: the row has the status just written (a trigger may have forced another)."""
        p = self.p
        return (
            f"SELECT version FROM {self._table} WHERE version = {p} AND status = {p}",
            (self._v(version), status),
        )

    def confirm_gone(self, version: int) -> tuple[str, tuple[Any, ...]]:
        """A check: one row (the count, 0) when the row is gone, none when something put it
        back (a trigger on the history table)."""
        return (
            f"SELECT COUNT(*) FROM {self._table} WHERE version = {self.p} HAVING COUNT(*) = 0",
            (self._v(version),),
        )

    def delete(self, version: int) -> tuple[str, tuple[Any, ...]]:
        return f"DELETE FROM {self._table} WHERE version = {self.p}", (self._v(version),)

    def event(
        self,
        event: str,
        *,
        version: int | None,
        name: str | None,
        checksum: str | None,
        duration_ms: int | None,
        outcome: str = "ok",
        detail: str | None = None,
        by: str,
    ) -> tuple[str, tuple[Any, ...]]:
        marks = ", ".join([self.p] * 9)
        return (
            f"INSERT INTO {self._log} (version, name, event, checksum, happened_at, actor, "
            f"duration_ms, outcome, detail) VALUES ({marks})",
            (self._v(version), name, event, checksum, now(), by, duration_ms, outcome,
             self._scrub(detail)),
        )  # fmt: skip

    def _scrub(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)


def _log_entry(r: tuple[Any, ...]) -> LogEntry:
    return LogEntry(
        r[0], None if r[1] is None else int(r[1]), r[2], r[3], r[4], _text(r[5]), *r[6:]
    )


def _row(r: tuple[Any, ...]) -> AppliedRow:
    # int(): exact from a Decimal (NUMERIC/DECIMAL) and from SQLite's zero-padded TEXT
    return AppliedRow(int(r[0]), r[1], r[2], r[3], r[4], r[5], _text(r[6]), *r[7:])

"""SQLite through the standard library: statements run one by one inside BEGIN IMMEDIATE."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from ..errors import ConnectError, HistoryError, LockTimeout, UsageError
from ..sqltext import Statement, noise_end, split_sqlite
from ..urls import DatabaseUrl
from .base import MissingTable, Orphans, ScriptError, TransactionEnded, write_missed
from .sqlite_fk import ForeignKeyCheck


class SqliteDriver:
    dialect: ClassVar[str] = "sqlite"
    TYPES: ClassVar[dict[str, str]] = {
        "bigint": "INTEGER",
        "text": "TEXT",
        "timestamp": "TEXT",
        "serial": "INTEGER",
        # No declared type: no affinity, so SQLite stores what it is given unchanged. Versions up
        # to 2**63 - 1 are INTEGERs; above, TEXT of 38 digits, zero-padded (TEXT_VERSIONS_ABOVE):
        # SQLite sorts every TEXT after every INTEGER, and equal-length digit strings in numeric
        # order, so ORDER BY version and max(version) stay right. An INTEGER column would turn
        # the larger ones into REAL (rounded); all-TEXT would sort 10 before 9.
        "version": "",
    }
    ALTER_VERSION: ClassVar[str | None] = None  # no ALTER COLUMN: History rebuilds the table
    TEXT_VERSIONS_ABOVE: ClassVar[int | None] = 2**63 - 1
    PARAM: ClassVar[str] = "?"
    MAX_IDENTIFIER_BYTES: ClassVar[int] = 255
    ATOMIC_DDL: ClassVar[bool] = True  # DDL rolls back with the transaction
    # The history lives in the main database: a TEMP table of the same name, or an attached
    # database, cannot take its place.
    home: ClassVar[str] = "main"
    ONE_SCHEMA: ClassVar[bool] = True  # no CREATE SCHEMA: --table may name main, and only main

    def __init__(
        self,
        conn: sqlite3.Connection,
        url: DatabaseUrl,
        path: str,
        *,
        new: bool = False,
        absent: str | None = None,
    ) -> None:
        self.conn = conn
        self.url = url
        self.path = path
        self.new = new  # the file did not exist: this connection created it
        # create=False and no such file: `conn` is an empty in-memory stand-in, and this says why
        self.absent = absent
        self._pragmas = _read_pragmas(conn)  # the session the run started with
        self._fk = ForeignKeyCheck(conn)
        self._fk_check = _fk_check(url)

    @classmethod
    def connect(
        cls,
        url: DatabaseUrl,
        *,
        table: str,
        statement_lock_timeout: float | None = None,
        create: bool = True,
    ) -> SqliteDriver:
        path = url.sqlite_path
        _fk_check(url)  # a bad option is a usage error, before anything is opened
        new = path != ":memory:" and _not_there(path)
        if new and not create and os.path.isdir(os.path.dirname(os.path.abspath(path))):
            # a command that changes nothing must not create the file (a missing folder is
            # still "cannot open", exit 6: `up` could not create it there either)
            stand_in = sqlite3.connect(":memory:", isolation_level=None)
            where = os.path.abspath(path)
            return cls(stand_in, url, path, absent=ABSENT.format(where=where))
        try:
            # isolation_level=None: sqlite3 never opens or commits a transaction behind our back
            conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
            # foreign_keys stays as SQLite leaves it (off), as when the file is run by `sqlite3`:
            # the table-rebuild recipe for ALTERs SQLite lacks needs it off.
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # fails now if not a database
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise HistoryError(  # it opened: busy is not "cannot connect"
                    f"SQLite database {path!r} stayed locked for 5 s: {exc}", hint=_hint(exc)
                ) from None
            raise ConnectError(
                f"cannot open SQLite database {path!r}: {exc}",
                hint="check that the folder exists and is writable",
            ) from None
        return cls(conn, url, path, new=new)

    @classmethod
    def probe(cls, url: DatabaseUrl, *, timeout: float) -> str | None:
        """One readiness check: the file opens, or its folder (maybe a volume still to come)
        exists to create it in; a check creates nothing."""
        cls.connect(url, table="", create=False).close()
        return None

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def about(self) -> str:
        """`SQLite 3.40.1, /full/path.db`, and whether the file is new or not there yet."""
        if self.path == ":memory:":
            return f"SQLite {sqlite3.sqlite_version}, in memory"
        state = "a new file" if self.new else "no such file yet" if self.absent else ""
        if os.path.isabs(self.path):  # the URL already says where: only what is new about it
            return f"SQLite {sqlite3.sqlite_version}" + (f", {state}" if state else "")
        where = os.path.abspath(self.path)
        return f"SQLite {sqlite3.sqlite_version}, {where}" + (f": {state}" if state else "")

    @contextmanager
    def lock(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """flock() on the database file: exclusive across processes, gone when the process dies.

        SQLite's own locks are fcntl() byte-range locks, which Linux keeps apart from flock().
        """
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if self.path == ":memory:":
            yield
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            _flock(fd, timeout, on_wait, self.path)
            yield
        finally:
            os.close(fd)  # releases the flock

    def lock_holder(self) -> str | None:
        """Who holds the migration lock now, or None: without waiting for it or taking it."""
        if self.path == ":memory:" or self.absent:
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # fails only while a run holds it
            return None
        except BlockingIOError:
            return _flock_holder(fd)
        finally:
            os.close(fd)  # releases the shared lock at once

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if str(exc).startswith("no such table"):
                raise MissingTable(str(exc)) from None
            raise HistoryError(f"SQLite error on {self.path}: {exc}", hint=_hint(exc)) from None
        except sqlite3.Error as exc:
            raise HistoryError(f"SQLite error on {self.path}: {exc}", hint=_hint(exc)) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors():
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._errors():
            self.conn.execute(sql, params)

    def column_type(self, schema: str, table: str, column: str) -> str | None:
        """The declared type of schema.table.column, lower case (`integer`, or `` for none);
        None when there is no such column."""
        sql = "SELECT type FROM pragma_table_info(?, ?) WHERE name = ?"
        rows = self.query(sql, (table, schema, column))
        return str(rows[0][0]).lower() if rows else None

    def still_ours(self) -> bool:
        return self.conn.in_transaction  # run_script stops at the statement that ended it

    def begin(self, *, durable: bool = True, checking: bool = False) -> None:
        with self._errors():
            self.conn.execute("BEGIN IMMEDIATE")

    def run_script(self, text: str) -> None:
        for stmt in split_sqlite(text):
            try:
                with _interruptible(self.conn):
                    self.conn.execute(stmt.text)
            except sqlite3.Error as exc:
                raise ScriptError(
                    str(exc), offset=stmt.offset, sqlstate=getattr(exc, "sqlite_errorname", None)
                ) from None
            if not self.conn.in_transaction:
                words = stmt.text[noise_end(stmt.text) :].split(None, 1)
                raise TransactionEnded(committed=bool(words) and words[0].upper() != "ROLLBACK")

    def record(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A history write inside the migration's transaction: it must change one row."""
        with self._errors():
            if self.conn.execute("PRAGMA query_only").fetchone()[0]:  # the file's: set back
                self.conn.execute("PRAGMA query_only = 0")  # after it (_reset) in any case
            before = self.conn.total_changes
            cur = self.conn.execute(sql, params)
            changed = cur.rowcount if cur.description is None else len(cur.fetchall())
            self._fk.own += self.conn.total_changes - before  # no foreign keys in the history
        if changed != 1:
            raise write_missed(changed, f" in {self.path}")

    def commit(self) -> None:
        with self._errors():
            self.conn.execute("COMMIT")
        self._reset()

    def write(self, *writes: tuple[str, Sequence[Any]], reset: bool = False) -> None:
        """History writes outside a migration's transaction, each checked; reset=True first
        returns the session to the state the run started with (after a file's last statement)."""
        if reset:
            self._reset()
        with self._errors():  # a file's PRAGMA query_only must not stop sqlmig's own writes
            query_only = self.conn.execute("PRAGMA query_only").fetchone()[0]
            if query_only:
                self.conn.execute("PRAGMA query_only = 0")
        own = not self.conn.in_transaction  # one transaction: a failed check leaves nothing
        try:
            if own:
                self.execute("BEGIN IMMEDIATE")
            for sql, params in writes:
                self.record(sql, params)
            if own:
                self.execute("COMMIT")
        except BaseException:
            if own and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            if query_only:
                self.conn.execute("PRAGMA query_only = 1")

    def between(self) -> None:
        """--single-transaction: the next file starts in the session the run started with
        (no database can be attached inside a transaction, so none to detach)."""
        self._reset(detach=False)

    def _reset(self, *, detach: bool = True) -> None:
        """Pragmas back to their values at connect; attached databases and temporary objects
        (which live as long as the connection) gone, as in a new connection."""
        with self._errors():
            # only those that differ: some (synchronous) refuse any change inside a transaction
            for name, value in self._pragmas.items():
                if self.conn.execute(f"PRAGMA {name}").fetchone()[0] != value:
                    self.conn.execute(f"PRAGMA {name} = {value}")
            attached = self.conn.execute(
                "SELECT name FROM pragma_database_list WHERE name NOT IN ('main', 'temp')"
            ).fetchall()
            for (schema,) in attached if detach else ():
                self.conn.execute("DETACH DATABASE " + self.quote(schema))
            for kind, name in self.conn.execute(
                "SELECT type, name FROM temp.sqlite_master WHERE type IN "
                "('view', 'trigger', 'table') ORDER BY type = 'table'"
            ).fetchall():
                self.conn.execute(f"DROP {kind} IF EXISTS temp.{self.quote(name)}")

    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def invalid_indexes(self) -> list[str]:
        return []  # SQLite builds an index in one statement: it exists whole or not at all

    def tables(self, schema: str) -> list[str]:
        """Tables and views in the main database (SQLite's own sqlite_* tables left out)."""
        sql = (
            "SELECT name FROM main.sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        )
        return [r[0] for r in self.query(sql)]

    def in_flight(self) -> tuple[str, str] | None:
        return None  # another connection's statements cannot be seen

    def orphans(self, *, rowids: bool = False) -> list[Orphans]:
        """PRAGMA foreign_key_check of the main database (see sqlite_fk); none with the URL's
        ?foreign_key_check=off (a database too large to scan after each migration)."""
        if not self._fk_check:
            return []
        try:
            return self._fk.orphans(rowids=rowids)
        except sqlite3.Error as exc:
            raise HistoryError(f"SQLite error on {self.path}: {exc}", hint=_hint(exc)) from None

    def rollback(self) -> None:
        self._fk = ForeignKeyCheck(self.conn)  # its last answer may be one rolled back
        if self.conn.in_transaction:
            with self._errors():
                self.conn.execute("ROLLBACK")

    def split(self, text: str) -> list[Statement]:
        return split_sqlite(text)

    def run_statement(self, text: str) -> None:
        try:
            with _interruptible(self.conn):
                self.conn.execute(text)
        except sqlite3.Error as exc:
            raise ScriptError(str(exc), sqlstate=getattr(exc, "sqlite_errorname", None)) from None

    def settle(self) -> None:
        """Nothing to settle: a local file has no lost connections (commit never raises
        CommitLost)."""

    def close(self) -> None:
        self.conn.close()


def _not_there(path: str) -> bool:
    """No such file, for certain: a file that cannot be looked at (a folder without search
    permission) is not "nothing applied" but an error, which opening it then reports."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


# What a command that changes nothing says of a SQLite file that does not exist (it is not made).
ABSENT = "there is no SQLite database at {where} yet (`sqlmig up` creates it); nothing is applied"

# Pragmas a migration may set that change how later SQL behaves; restored after each file.
# (busy_timeout belongs to the lock; journal_mode is a property of the file, not the session.)
PRAGMAS = (
    "foreign_keys",
    "recursive_triggers",
    "legacy_alter_table",
    "ignore_check_constraints",
    "automatic_index",
    "reverse_unordered_selects",
    "trusted_schema",
    "query_only",
    "cell_size_check",
    "secure_delete",
    "synchronous",
    "temp_store",
    "writable_schema",
    "cache_size",
)


def _fk_check(url: DatabaseUrl) -> bool:
    """The URL's ?foreign_key_check=on|off (on by default)."""
    query = dict(parse_qsl(url.raw.partition("?")[2]))
    value = query.get("foreign_key_check", "on").lower()
    if value not in ("on", "off"):
        raise UsageError(
            f"foreign_key_check={value!r} in the SQLite URL {url.redacted}",
            hint="use ?foreign_key_check=on (the default) or ?foreign_key_check=off",
        )
    return value == "on"


def _read_pragmas(conn: sqlite3.Connection) -> dict[str, int]:
    values: dict[str, int] = {}
    for name in PRAGMAS:
        row = conn.execute(f"PRAGMA {name}").fetchone()
        if row is not None and isinstance(row[0], int):
            values[name] = row[0]
    return values


@contextmanager
def _interruptible(conn: sqlite3.Connection) -> Iterator[None]:
    """Let Ctrl-C and SIGTERM stop a long statement within milliseconds, not at its end.

    Python runs signal handlers only between bytecodes, never inside sqlite3_step(): a progress
    handler gives it that chance. sqlite3 then swallows the handler's KeyboardInterrupt (the
    statement fails as "interrupted"); it is caught on its way to sys.unraisablehook (3.11+) or
    sys.excepthook (3.10) and raised again, so the caller rolls back and exits 130 or 143.
    """
    caught: list[BaseException] = []
    hooks = sys.unraisablehook, sys.excepthook

    def unraisable(u: Any) -> None:
        if not isinstance(u.exc_value, KeyboardInterrupt):
            return hooks[0](u)
        caught.append(u.exc_value)

    def excepthook(kind: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, KeyboardInterrupt):
            return hooks[1](kind, value, tb)
        caught.append(value)

    sys.unraisablehook, sys.excepthook = unraisable, excepthook
    sqlite3.enable_callback_tracebacks(True)
    conn.set_progress_handler(_tick, 50_000)
    try:
        yield
    except sqlite3.OperationalError:
        if caught:
            raise caught[0] from None
        raise
    finally:
        conn.set_progress_handler(None, 0)
        sqlite3.enable_callback_tracebacks(False)
        sys.unraisablehook, sys.excepthook = hooks


def _tick() -> int:
    return 0  # entering this function runs pending signal handlers


def _hint(exc: sqlite3.Error) -> str | None:
    text = str(exc)
    if "readonly" in text:
        return "the database file or its folder is read-only; fix the permissions"
    if "disk is full" in text or "disk I/O" in text:
        return "free some disk space; nothing was recorded for the failed step"
    if "locked" in text:
        return "another connection holds a write lock; retry, or raise --lock-timeout"
    return None


def _flock(fd: int, timeout: float, on_wait: Callable[[str], None] | None, path: str) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.01
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _flock_holder(fd)
        if not told and on_wait:
            on_wait(f"waiting for the migration lock on {path}, held by {holder}")
            told = True
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"the migration lock on {path} is held by {holder}; gave up after {timeout:g} s",
                hint=_lock_hint(holder),
            )
        time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
        delay = min(delay * 2, 0.2)


def _lock_hint(holder: str) -> str:
    """The lock timeout's hint, with the holder's pid (from /proc/locks) when it is known."""
    hint = "wait for that run to finish, or raise --lock-timeout"
    if holder.startswith("pid "):
        pid = holder.split()[1]
        hint += f"; if process {pid} is stuck, stop it (kill {pid})"
    return hint


def _flock_holder(fd: int) -> str:
    """Who holds a flock on fd's file, from /proc/locks (Linux); else 'another process'."""
    inode = os.fstat(fd).st_ino
    try:
        with open("/proc/locks") as locks:
            for line in locks:
                fields = line.split()
                if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
                    pid = fields[4]
                    return f"pid {pid} ({_cmdline(pid)}){_since(pid)}"
    except OSError:
        pass
    return "another process"


def _since(pid: str) -> str:
    """When the process started, from /proc (Linux): its start in clock ticks after boot."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return ""
    started = time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    return time.strftime(", since %Y-%m-%d %H:%M:%S UTC", time.gmtime(started))


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "command unknown"

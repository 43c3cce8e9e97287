"""The small interface every database driver implements, and how to add one.

How to add a driver (the conformance suite in tests/integration/test_conformance.py checks each):
1. Give it `dialect`, `TYPES` (column types for the history tables, see history.py), `PARAM`
   (the driver's placeholder, "?" or "%s") and `ATOMIC_DDL`: False where DDL commits by itself
   (MySQL), which makes the Runner run every file statement by statement behind a `running`
   row. Register it in DRIVERS in drivers/__init__.py and its URL schemes in urls.SCHEMES.
   TYPES["version"] holds every integer of up to 38 digits exactly and sorts them as numbers;
   `TEXT_VERSIONS_ABOVE` (None, or the largest version bound as an integer: SQLite's 2**63 - 1)
   and `ALTER_VERSION` (the statement that widens an older history's column, None to rebuild the
   table) with `column_type(schema, table, column)` let History upgrade a 0.1.0 history.
2. `connect()` raises ConnectError (exit 6) with the URL redacted; never read the environment.
   The classmethod `probe(url, timeout=)` (for `sqlmig wait`) connects once, bounded by about
   `timeout` s: None when ready to migrate, the reason when the server answers but is not (a
   PostgreSQL standby), ConnectError when it cannot be reached.
3. `lock(timeout)` is a context manager: exclusive for database + history table, across processes,
   released when the process dies; LockTimeout (exit 3) naming the holder when not had in time.
   `lock_holder()` says who holds it now (None when free), without waiting or taking it, so
   that `status` and `validate` can tell a `running` row of a live run from a crash's remnant.
   `in_flight()` says, where the server shows it, since when and what SQL the holder's
   migration transaction runs (None elsewhere), so that `status` can name the file in flight.
4. `query` reads rows; `execute` runs one statement at once (autocommit).
5. `begin` / `run_script` / `record` / `commit` / `rollback` make one atomic unit: the file's
   statements and the history changes commit together or not at all. A driver may defer sending
   (PostgreSQL sends BEGIN with the script and the history rows with COMMIT: two round trips).
   `run_script` raises ScriptError with the offset of the failing statement where known.
   `begin(durable=False)` may skip the wait for the commit to reach disk (PostgreSQL's
   synchronous_commit = off): the unit is still atomic, and the next durable commit on the same
   server makes it durable too, since the log is flushed in order.
6. `split` returns a file's statements for `-- sqlmig:no-transaction` files, run one by one with
   `run_statement` (autocommit; ScriptError with the offset inside that statement).
7. `commit` raises CommitLost when the connection dropped after COMMIT was sent; `settle()` then
   reconnects and waits until the old session is gone, so the history shows the outcome.
8. Database errors outside a script become SqlmigErrors: MissingTable when the history table is
   not there, ConnectError (exit 6) when the connection is lost, HistoryError (exit 1) otherwise.

The file cannot break the promises (tests/reliability/test_session_isolation.py and
test_lock_proof.py check each driver):
9. `home` is resolved once at connect: the schema or database an unqualified history table
   lives in (None when there is none: History then asks for a qualified --table). sqlmig's
   own statements always name it; the lock's identity comes from it, never from session state
   a migration can change.
10. The lock is proven at every history commit and write: `commit` and `write` fail with
    LockLost (exit 3) when the lock's connection no longer holds it, and nothing more commits.
    The lock's connection keeps the server's idle timeouts from ending it.
11. `record` inside a transaction and `write(*writes, reset=)` outside one (no-transaction
    files) check that every history write changed, and every check (History.confirm) found,
    exactly one row. `commit` and `write(reset=True)` return the session to the state the run
    started with (settings, role, search_path or current database, autocommit, pragmas,
    temporary objects), and restore sqlmig's own settings.
12. `between()` (--single-transaction) returns the session to the run's start inside the one
    transaction, before the next file. `in_transaction()` says whether a transaction the file
    began is open (its statements count when it ends); `still_ours()` whether sqlmig's
    transaction is still the one it began (a file's COMMIT; BEGIN); TransactionEnded carries
    whether what ran before was committed.
13. `invalid_indexes()` names indexes a failed build left behind (PostgreSQL's CONCURRENTLY).
14. `orphans()` counts the rows whose foreign key points at no parent row, by child and parent
    table, where the database does not enforce foreign keys while migrating (SQLite, whose
    `foreign_keys` pragma is off), with the lowest rowid (`rowids=True`: the first five);
    [] where every statement enforces them.
15. `about()` names the server and its version for the `Database:` line of up/down/redo
    (`PostgreSQL 15.20`; SQLite: the file's full path). `connect(create=False)` (commands that
    change nothing) never creates a database: a SQLite file that is not there is opened as an
    empty in-memory stand-in and `absent` says so (None otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import ConnectError, HistoryError
from ..sqltext import Statement
from ..urls import DatabaseUrl


class ScriptError(Exception):
    """A statement of a migration failed: the server's words and where in the file it happened."""

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        detail: str | None = None,
        hint: str | None = None,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.detail = detail
        self.hint = hint
        self.sqlstate = sqlstate


class MissingTable(HistoryError):
    """The history table (or its schema) does not exist yet."""


class CommitLost(ConnectError):
    """The connection dropped after COMMIT was sent: committed or not, only the history knows."""


def write_missed(found: int | None, where: str = "") -> HistoryError:
    """A history write or check matched another number of rows than the one it must."""
    return HistoryError(
        f"a history write or check matched {found} rows instead of 1{where}: a trigger, a rule "
        "or another process changed the history table during the run",
        hint="run `sqlmig status`; look for triggers or rules on the history table",
    )


class TransactionEnded(Exception):
    """The migration's own SQL ended sqlmig's transaction (COMMIT/ROLLBACK/END in the file).

    `committed`: whether what ran before it in the transaction was committed (True), rolled
    back (False), or cannot be told (None)."""

    def __init__(self, committed: bool | None = None) -> None:
        super().__init__("the file ended sqlmig's transaction")
        self.committed = committed


@dataclass(frozen=True)
class Orphans:
    """Rows of `table` whose foreign key points at no row of `parent`; or, with `problem`, a
    key of `table` that cannot be checked at all (SQLite's "foreign key mismatch")."""

    table: str
    parent: str
    count: int
    rowids: tuple[int | None, ...] = ()  # the first few; None for a WITHOUT ROWID table
    problem: str | None = None


class Driver(Protocol):
    dialect: ClassVar[str]
    TYPES: ClassVar[dict[str, str]]
    PARAM: ClassVar[str]
    MAX_IDENTIFIER_BYTES: ClassVar[int]
    ATOMIC_DDL: ClassVar[bool]
    ALTER_VERSION: ClassVar[str | None]
    TEXT_VERSIONS_ABOVE: ClassVar[int | None]
    url: DatabaseUrl
    absent: str | None

    def quote(self, name: str) -> str: ...

    def about(self) -> str: ...

    def lock(
        self, timeout: float, on_wait: Callable[[str], None] | None = None
    ) -> AbstractContextManager[None]: ...

    def lock_holder(self) -> str | None: ...

    def in_flight(self) -> tuple[str, str] | None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def column_type(self, schema: str, table: str, column: str) -> str | None: ...

    home: str | None

    def begin(self, *, durable: bool = True, checking: bool = False) -> None: ...

    def run_script(self, text: str) -> None: ...

    def record(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def write(self, *writes: tuple[str, Sequence[Any]], reset: bool = False) -> None: ...

    def in_transaction(self) -> bool: ...

    def still_ours(self) -> bool: ...

    def between(self) -> None: ...

    def invalid_indexes(self) -> list[str]: ...

    def orphans(self, *, rowids: bool = False) -> list[Orphans]: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def split(self, text: str) -> list[Statement]: ...

    def run_statement(self, text: str) -> None: ...

    def settle(self) -> None: ...

    def close(self) -> None: ...

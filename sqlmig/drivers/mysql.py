"""MySQL and MariaDB through PyMySQL: a GET_LOCK lock, and files run statement by statement.

Every DDL statement commits implicitly in MySQL, so no file can be atomic: the Runner runs each
file like a `-- sqlmig:no-transaction` one, behind a `running` row that counts statements done.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

try:
    import pymysql
    from pymysql.constants import SERVER_STATUS
except ModuleNotFoundError:  # the optional extra is not installed
    pymysql = None  # type: ignore[assignment]

from ..errors import ConnectError, HistoryError, LockLost, LockTimeout, UsageError
from ..sqltext import Statement, split_mysql
from ..urls import DatabaseUrl, scrub
from .base import MissingTable, Orphans, ScriptError, TransactionEnded, write_missed

MAX_LOCK_NAME = 64  # MySQL 8 rejects longer GET_LOCK names
IDLE_FOREVER = 31536000  # the largest wait_timeout the server takes (a year)
COM_RESET_CONNECTION = 0x1F
PARSE_ERROR = 1064
# \s, not \s+, under the *: (\s+)* tried every split of a run of blank lines (a statement after
# 30 of them, as a dbmate or goose down section runs, took minutes)
XA = re.compile(
    r"(?:\s|--[^\n]*\n|#[^\n]*\n|/\*.*?\*/)*XA(?:\s|/\*.*?\*/)+"
    r"(START|BEGIN|END|PREPARE|COMMIT|ROLLBACK)\b(.*)$",
    re.I | re.S,
)
XA_TAIL = re.compile(r"(?:\s+(?:JOIN|RESUME|SUSPEND|FOR\s+MIGRATE|ONE\s+PHASE))*\s*;?\s*$", re.I)
NEAR = re.compile(r"near '(.*)' at line (\d+)$", re.S)
NO_SUCH_TABLE, UNKNOWN_DATABASE = 1146, 1049
CONNECTION_LOST = {2006, 2013, 2014, 2055, 1927}
COLUMN_TYPE = (
    "SELECT DATA_TYPE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND COLUMN_NAME = %s"
)
# Session variables from the URL: `?sql_mode=...` and `?session.NAME=VALUE` for any other.
SESSION_PREFIX = "session."
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
# unknown, bad value, bad type, read-only, global, GLOBAL-only (1229), unknown time zone (1298)
BAD_SETTING = {1193, 1229, 1231, 1232, 1238, 1298, 1621}
HOLDER = (
    "SELECT ID, USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK(%s)"
)


class MysqlDriver:
    dialect: ClassVar[str] = "mysql"
    TYPES: ClassVar[dict[str, str]] = {
        "bigint": "BIGINT",
        "text": "LONGTEXT",
        "timestamp": "VARCHAR(40)",  # ISO 8601 UTC text, as on SQLite: no server time zone games
        "serial": "BIGINT AUTO_INCREMENT",
        "version": "DECIMAL(38,0)",  # PyMySQL reads it as Decimal: History turns it into int
    }
    # how an older history's BIGINT version column takes the type above (in place)
    ALTER_VERSION: ClassVar[str | None] = "ALTER TABLE {table} MODIFY version {version}"
    TEXT_VERSIONS_ABOVE: ClassVar[int | None] = None
    PARAM: ClassVar[str] = "%s"
    MAX_IDENTIFIER_BYTES: ClassVar[int] = 64
    ATOMIC_DDL: ClassVar[bool] = False
    absent: str | None = None  # a missing database is a ConnectError, never opened

    def __init__(self, conn: Any, url: DatabaseUrl, table: str, own: str) -> None:
        self.conn = conn
        self.url = url
        self.table = table
        self.own = own  # sqlmig's own session settings, set again after every reset
        # the database the URL selected: the history's, whatever USE a migration runs
        self.home: str | None = _fetch(conn, "SELECT DATABASE()")[0][0]
        self._lock: tuple[str, int] | None = None  # (GET_LOCK name, the lock connection's id)
        self._xa: str | None = None  # the xid of an XA branch the file began and left open
        self._lock_conn: Any = None  # sqlmig's own writes go here: no file ever runs on it

    @classmethod
    def connect(
        cls,
        url: DatabaseUrl,
        *,
        table: str,
        statement_lock_timeout: float | None = None,
        create: bool = True,  # a server's database is never created (ConnectError names it)
    ) -> MysqlDriver:
        settings = session_settings(url)  # a bad name is a usage error before connecting
        conn = _connect(url)
        own = f"SET NAMES {conn.charset}, autocommit = 1"
        if statement_lock_timeout is not None:  # bounds waits for metadata (DDL) locks
            own += f", lock_wait_timeout = {max(1, math.ceil(statement_lock_timeout))}"
        try:
            for name, value in settings.items():  # one by one: an error names its setting
                _set(conn, name, value)
                own += f", SESSION {name} = {_value(conn, value)}"
            _fetch(conn, own)
            return cls(conn, url, table, own)
        except pymysql.Error as exc:
            conn.close()
            raise _wrap(exc, url.raw) from None

    @classmethod
    def probe(cls, url: DatabaseUrl, *, timeout: float) -> str | None:
        """One readiness check: None when the server answers a query."""
        conn = _connect(url, connect_timeout=max(2, math.ceil(timeout)))
        try:
            _fetch(conn, "SELECT 1")
        except pymysql.Error as exc:
            raise _wrap(exc, url.raw) from None
        finally:
            conn.close()
        return None

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def about(self) -> str:
        """`MariaDB 10.11.19` or `MySQL 8.0.36`, from the server's greeting."""
        info = str(self.conn.get_server_info()).removeprefix("5.5.5-")  # MariaDB < 11's prefix
        number = info.split("-", 1)[0]
        return f"MariaDB {number}" if "mariadb" in info.lower() else f"MySQL {number}"

    # -- lock -----------------------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """GET_LOCK on a dedicated connection: freed by the server when that connection ends."""
        conn = _connect(self.url)
        try:
            name = self._lock_name()
            # the lock connection idles for the whole run: the server must not end it
            _fetch(conn, f"SET SESSION wait_timeout = {IDLE_FOREVER}, "
                         f"interactive_timeout = {IDLE_FOREVER}")  # fmt: skip
            self._acquire(conn, name, timeout, on_wait)
            self._lock = (name, int(conn.thread_id()))
            self._lock_conn = conn
            yield
            with suppress(pymysql.Error):
                _fetch(conn, "SELECT RELEASE_LOCK(%s)", (name,))
        finally:
            self._lock, self._lock_conn = None, None
            conn.close()

    def lock_holder(self) -> str | None:
        """Who holds the migration lock now, or None: without waiting for it or taking it."""
        with self._errors():
            name = self._lock_name()
            if _fetch(self.conn, "SELECT IS_USED_LOCK(%s)", (name,))[0][0] is None:
                return None
            return _holder(self.conn, name)

    def _lock_name(self) -> str:
        return lock_name(self.home or "", self.table)

    def _prove_lock(self) -> None:
        """Before a history write: the lock is still held by the lock connection."""
        if self._lock is None:
            return
        name, ident = self._lock
        holder = _fetch(self.conn, "SELECT IS_USED_LOCK(%s)", (name,))[0][0]
        if holder != ident:
            raise LockLost(
                f"the migration lock was lost: its connection to MySQL (id {ident}) ended or "
                f"let go (now held by {holder or 'nobody'}); nothing more was recorded",
                hint="run `sqlmig status`; another runner may now hold the lock",
            )

    def _acquire(
        self, conn: Any, name: str, timeout: float, on_wait: Callable[[str], None] | None
    ) -> None:
        if _fetch(conn, "SELECT GET_LOCK(%s, 0)", (name,))[0][0] == 1:
            return
        if on_wait:
            on_wait(f"waiting for the migration lock, held by {_holder(conn, name)}")
        # GET_LOCK waits in the server and wakes the moment the holder lets go
        got = _fetch(conn, "SELECT GET_LOCK(%s, %s)", (name, max(timeout, 0)))[0][0]
        if got != 1:
            ident = _fetch(conn, "SELECT IS_USED_LOCK(%s)", (name,))[0][0]
            hint = (
                f"wait for that run to finish, raise --lock-timeout, or, if connection {ident} is "
                f"stuck, end it with KILL {int(ident)}"
                if ident is not None
                else "the holder let go just now: run the command again"
            )
            raise LockTimeout(
                f"the migration lock is held by {_holder(conn, name)}; gave up after {timeout:g} s",
                hint=hint,
            )

    # -- statements -----------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except pymysql.Error as exc:
            code = _code(exc)
            if code in (NO_SUCH_TABLE, UNKNOWN_DATABASE):
                raise MissingTable(_message(exc)) from None
            raise _wrap(exc, self.url.raw) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors():
            return _fetch(self.conn, sql, tuple(params) or None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._errors():
            _fetch(self.conn, sql, tuple(params) or None)

    def column_type(self, schema: str, table: str, column: str) -> str | None:
        """The type of schema.table.column, lower case (`bigint`); None when there is none."""
        rows = self.query(COLUMN_TYPE, (schema, table, column))
        return str(rows[0][0]).lower() if rows else None

    def between(self) -> None:
        """Never called: no file runs in one transaction with another where DDL commits."""

    def still_ours(self) -> bool:
        return self.in_transaction()

    def begin(self, *, durable: bool = True, checking: bool = False) -> None:
        self.execute("START TRANSACTION")

    def run_script(self, text: str) -> None:
        """Only for DML: the Runner never sends DDL this way (ATOMIC_DDL is False)."""
        for stmt in split_mysql(text):
            try:
                self._run(stmt.text)
            except ScriptError as exc:
                exc.offset = stmt.offset
                raise
            if not self.conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
                raise TransactionEnded(committed=None)

    def record(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A history write: it must change exactly one row."""
        with self._errors(), self.conn.cursor() as cur:
            changed = cur.execute(sql, tuple(params) or None)
        if changed != 1:
            raise write_missed(changed)

    def commit(self) -> None:
        with self._errors():
            self._prove_lock()
        self.execute("COMMIT")

    def write(self, *writes: tuple[str, Sequence[Any]], reset: bool = False) -> None:
        """History writes outside a transaction, each checked. While the lock is held they go
        through the lock's own connection, where no migration ever ran: a file's LOCK TABLES,
        read-only session, SET NAMES or autocommit cannot touch them, and the lock is proven
        in the same statement. reset=True first returns the migration connection to the
        state the run started with."""
        if reset:
            with self._errors():
                self._reset()
        if self._lock_conn is None:
            for sql, params in writes:
                self.record(sql, params)
            return
        self._writes_on_lock(writes)

    def _writes_on_lock(self, writes: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """One transaction on the lock connection: the lock proven first, then every write and
        check; a check that fails (a trigger changed the row) leaves none of them."""
        name, ident = self._lock  # type: ignore[misc]
        conn = self._lock_conn
        holder: Any = None
        try:
            _fetch(conn, "START TRANSACTION")
            holder = _fetch(conn, "SELECT IS_USED_LOCK(%s)", (name,))[0][0]
            if holder == ident:
                for sql, params in writes:
                    with conn.cursor() as cur:
                        changed = cur.execute(sql, tuple(params) or None)
                    if changed != 1:
                        raise write_missed(changed)
                _fetch(conn, "COMMIT")
        except pymysql.Error as exc:
            with suppress(pymysql.Error):
                _fetch(conn, "ROLLBACK")
            if _code(exc) not in CONNECTION_LOST:
                raise _wrap(exc, self.url.raw) from None
            holder = None
        except HistoryError:
            with suppress(pymysql.Error):
                _fetch(conn, "ROLLBACK")
            raise
        if holder != ident:
            with suppress(pymysql.Error):
                _fetch(conn, "ROLLBACK")
            raise LockLost(
                f"the migration lock was lost: its connection to MySQL (id {ident}) ended or "
                f"let go (now held by {holder or 'nobody'}); nothing more was recorded",
                hint="run `sqlmig status`; another runner may now hold the lock",
            )

    def _reset(self) -> None:
        """COM_RESET_CONNECTION (session variables, user variables, temporary tables, an open
        transaction, autocommit), then sqlmig's own settings and the URL's database again."""
        self.conn._execute_command(COM_RESET_CONNECTION, b"")  # PyMySQL has no public call
        self.conn._read_ok_packet()
        _fetch(self.conn, self.own)
        if self.home is not None:
            self.conn.select_db(self.home)

    def in_transaction(self) -> bool:
        """A transaction the file opened (LOCK TABLES is no transaction: statements under it
        commit as they run, and sqlmig's writes go through another connection)."""
        in_trans = self.conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS
        return bool(in_trans) or self._xa is not None

    def invalid_indexes(self) -> list[str]:
        return []  # an index build that fails leaves nothing behind

    def tables(self, schema: str) -> list[str]:
        """Tables and views in the database `schema`."""
        sql = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY 1"
        return [r[0] for r in self.query(sql, (schema,))]

    def in_flight(self) -> tuple[str, str] | None:
        return None  # every file has a `running` row: status knows it

    def orphans(self, *, rowids: bool = False) -> list[Orphans]:
        return []  # foreign keys are enforced (unless a file turns foreign_key_checks off)

    def rollback(self) -> None:
        """Roll back what the file left open, an XA branch it began included (ROLLBACK does
        not end one, and a prepared one would keep its locks after sqlmig exits)."""
        if self._xa is not None:
            with suppress(pymysql.Error):
                _fetch(self.conn, f"XA END {self._xa}")
            with suppress(pymysql.Error):
                _fetch(self.conn, f"XA ROLLBACK {self._xa}")
            self._xa = None
        with suppress(pymysql.Error):
            _fetch(self.conn, "ROLLBACK")

    def settle(self) -> None:
        """Reconnect after a lost connection, ending the old session if the server still has
        it, so that whatever it was doing is over before the history is read again."""
        old = self.conn.thread_id()
        with suppress(Exception):
            self.conn.close()
        self.conn = _connect(self.url)
        with suppress(pymysql.Error):
            _fetch(self.conn, f"KILL {int(old)}")

    def split(self, text: str) -> list[Statement]:
        return split_mysql(text)

    def run_statement(self, text: str) -> None:
        self._run(text)
        xa = XA.match(text)
        if xa:  # the file's own XA branch: open from START until COMMIT or ROLLBACK
            verb, xid = xa.group(1).upper(), XA_TAIL.sub("", xa.group(2)).strip()
            self._xa = xid if verb in ("START", "BEGIN") else self._xa
            self._xa = None if verb in ("COMMIT", "ROLLBACK") else self._xa

    def _run(self, text: str) -> None:
        try:
            _fetch(self.conn, text)
        except KeyboardInterrupt:
            self._kill_query()  # PyMySQL cannot cancel: end the statement from a new connection
            raise
        except pymysql.Error as exc:
            if _code(exc) in CONNECTION_LOST:
                raise _wrap(exc, self.url.raw) from None
            message = _message(exc)
            offset = _syntax_offset(text, message) if _code(exc) == PARSE_ERROR else None
            raise ScriptError(message, offset=offset, sqlstate=str(_code(exc))) from None

    def _kill_query(self) -> None:
        """End the running statement from a new connection, which then replaces the old one:
        an interrupted read leaves PyMySQL's connection mid-packet and unusable."""
        with suppress(Exception):
            other = _connect(self.url)
            _fetch(other, f"KILL QUERY {int(self.conn.thread_id())}")
            with suppress(Exception):
                self.conn.close()
            self.conn = other

    def close(self) -> None:
        with suppress(Exception):
            self.conn.close()


def _syntax_offset(text: str, message: str) -> int | None:
    """Where in the statement a syntax error is: the server says "near '<text>' at line N",
    N counted from the start of what was sent."""
    found = NEAR.search(message)
    if not found:
        return None
    line_start = 0
    for _ in range(int(found.group(2)) - 1):
        line_start = text.find("\n", line_start) + 1
        if line_start == 0:
            return None
    near = found.group(1)[:40]
    at = text.find(near, line_start) if near else -1
    return at if at >= 0 else line_start


def _fetch(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _connect(url: DatabaseUrl, connect_timeout: int | None = None, *, server: bool = False) -> Any:
    """A connection to `url`'s database (`server`: to the server only, no database chosen)."""
    if pymysql is None:
        raise UsageError("MySQL/MariaDB support needs PyMySQL", hint="pip install 'sqlmig[mysql]'")
    options = _options(url)
    if server:
        options["database"] = None
    if connect_timeout is not None:
        options["connect_timeout"] = connect_timeout
    try:
        return pymysql.connect(**options)
    except pymysql.Error as exc:
        database = options.get("database")
        hint = (
            f"the server is up, but has no database {database!r}: create it (`sqlmig create`, "
            "or CREATE DATABASE in the mysql client), or fix the URL's database name"
            if _code(exc) == UNKNOWN_DATABASE
            else "check that the server is running and the URL is right "
            "(--url, SQLMIG_URL or DATABASE_URL)"
        )
        raise ConnectError(
            f"cannot connect to {url.redacted}: {scrub(_message(exc), url.raw)}",
            hint=scrub(hint, url.raw),
        ) from None
    except (OSError, ValueError) as exc:
        raise ConnectError(
            f"cannot connect to {url.redacted}: {scrub(str(exc), url.raw)}"
        ) from None


def _options(url: DatabaseUrl) -> dict[str, Any]:
    """PyMySQL's connect() arguments from mysql://user:password@host:port/database?options."""
    parts = urlsplit(url.raw)
    query = dict(parse_qsl(parts.query))
    options: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": url.password or "",
        "database": unquote(parts.path.lstrip("/")) or None,
        "autocommit": True,
        "charset": query.pop("charset", "utf8mb4"),
        "connect_timeout": int(query.pop("connect_timeout", "10")),
        "program_name": f"sqlmig {os.getpid()}@{socket.gethostname()}"[:64],
    }
    if query.pop("unix_socket", None):
        raise UsageError("unix_socket is not supported in the URL yet; use host and port")
    for key in [k for k in query if k == "sql_mode" or k.startswith(SESSION_PREFIX)]:
        del query[key]  # session settings: see session_settings()
    if query:
        raise UsageError(
            f"unknown MySQL URL option(s): {', '.join(sorted(query))}",
            hint="supported: charset, connect_timeout, sql_mode, session.VARIABLE (any session "
            "variable, e.g. session.innodb_lock_wait_timeout=5)",
        )
    return options


def session_settings(url: DatabaseUrl) -> dict[str, str]:
    """The session variables the URL sets (`?sql_mode=...&session.time_zone=%2B00:00`), checked
    for a well-formed name; the server checks the name and value at connect (see _set)."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(url.raw).query, keep_blank_values=True):
        if key != "sql_mode" and not key.startswith(SESSION_PREFIX):
            continue
        name = key.removeprefix(SESSION_PREFIX)
        if not VARIABLE.match(name):
            raise UsageError(
                f"bad MySQL session variable name {name!r} in the URL option {key!r}",
                hint="name a session variable: letters, digits and _, e.g. "
                "?session.innodb_lock_wait_timeout=5",
            )
        name = name.lower()  # the server's names ignore case: SQL_MODE is sql_mode
        if out.get(name, value) != value:
            raise UsageError(
                f"the MySQL session variable {name} is set twice in the URL, to {out[name]!r} "
                f"and {value!r}",
                hint="keep one of them",
            )
        out[name] = value
    return out


def _value(conn: Any, value: str) -> str:
    """A number as a number (integer variables refuse a string), anything else quoted."""
    return value if NUMBER.match(value) else conn.escape(value)


def _set(conn: Any, name: str, value: str) -> None:
    """Set one session variable from the URL; the server's refusal is a usage error naming it."""
    try:
        _fetch(conn, f"SET SESSION {name} = {_value(conn, value)}")
    except pymysql.Error as exc:
        if _code(exc) not in BAD_SETTING and _code(exc) != PARSE_ERROR:
            raise
        conn.close()
        option = "sql_mode" if name == "sql_mode" else f"{SESSION_PREFIX}{name}"
        raise UsageError(
            f"the MySQL session setting {option}={value!r} was refused: {_message(exc)}",
            hint="fix or remove it where it is set (the URL, [mysql] session in sqlmig.toml, or "
            "SQLMIG_MYSQL_SESSION); nothing was run",
        ) from None


def _holder(conn: Any, name: str) -> str:
    rows = _fetch(conn, HOLDER, (name,))
    if not rows:
        return "another session (it may have just finished)"
    ident, user, host, seconds = rows[0]
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - (seconds or 0)))
    return f"connection {ident} (user {user}, from {host}, since {since} UTC)"


def _code(exc: Exception) -> int | None:
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else None


def _message(exc: Exception) -> str:
    return str(exc.args[1]) if len(exc.args) > 1 else str(exc)


def _wrap(exc: Exception, raw_url: str) -> ConnectError | HistoryError:
    message = scrub(_message(exc), raw_url)
    if _code(exc) in CONNECTION_LOST:
        return ConnectError(
            f"lost the connection to MySQL: {message}",
            hint="check the server and the network; then run sqlmig status",
        )
    return HistoryError(f"MySQL error: {message}")


def lock_name(database: str, table: str) -> str:
    """`sqlmig/database.table` for GET_LOCK, hashed when longer than MAX_LOCK_NAME."""
    qualified = table if "." in table else f"{database}.{table}"
    name = f"sqlmig/{qualified}"
    if len(name) <= MAX_LOCK_NAME:
        return name
    return "sqlmig/" + hashlib.sha256(name.encode()).hexdigest()[: MAX_LOCK_NAME - len("sqlmig/")]

"""How an offline script is written in each dialect: literals, client settings, session reset."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from .config import Config
from .drivers import DRIVERS
from .errors import UsageError
from .urls import SCHEMES, parse_url

_PLAIN = re.compile(r"[A-Za-z0-9 _.:@/+-]*")  # read alike under any setting: no quote, no \\
PG_HOME = "\x00home"  # stands for psql's :"sqlmig_home" (current_schema() when the script runs)
# MySQL with no database named: the client's database when the script starts (@sqlmig_db); a
# statement naming it is run as a prepared statement, since a migration's USE moves DATABASE()
MY_HOME = "\x00db"
MY_MARK = "\x00db\x00"
CHECK_TABLE = "sqlmig_script_check"
CHECK_NAME = "sqlmig_precondition"


@dataclass(frozen=True)
class Dialect:
    """One database's script: how it is run and what its statements look like."""

    name: str
    title: str
    run_with: str  # the client command line, in the header
    prologue: tuple[str, ...]  # client settings and session set-up, before anything else
    now: str  # an SQL expression: the time in UTC, as History stores it
    who: str  # an SQL expression: who runs the script
    atomic: bool  # a migration and its history row can commit together
    begin: str = "BEGIN;"
    reset: tuple[str, ...] = ()  # after each migration: the session as the script began
    own: tuple[str, ...] = ()  # after a migration's SQL, before the history writes that follow
    settle: tuple[str, ...] = ()  # after a statement-by-statement file: commit what it left open
    temp: str = "TEMPORARY"


# What each script guarantees, said in its header comment.
GUARANTEES = {
    "postgres": [
        "PostgreSQL: each migration and its history row commit in one transaction (a file",
        "whose own COMMIT ends it is recorded `failed` and stops the script); a",
        "no-transaction migration runs statement by statement behind a `running` row (a failure",
        "leaves it: `sqlmig status` shows it, `sqlmig repair` settles it). The script stops at the",
        "first error (ON_ERROR_STOP), writes the history as its own user (a migration's SET",
        "ROLE aside) and resets the session (role, settings) after each migration. It holds",
        "sqlmig's migration lock while it runs (a `sqlmig up` waits; it waits up to",
        "lock_timeout for one that runs now, then stops).",
    ],
    "mysql": [
        "MySQL/MariaDB: DDL commits by itself, so no migration runs in a transaction: each one",
        "runs statement by statement behind a `running` history row, marked applied when its",
        "last statement is done. The mysql client stops at the first error; the row then stays",
        "`running` (`sqlmig status` shows it; undo or finish by hand, then `sqlmig repair` or",
        "`sqlmig mark`). It holds sqlmig's migration lock while it runs (a `sqlmig up` waits;",
        "it waits up to lock_timeout for one that runs now, then stops). After each migration",
        "it returns to its database (with none named, it stops if a migration left it) and",
        "sets sql_mode, time_zone, foreign_key_checks and the like back as they were.",
    ],
    "sqlite": [
        "SQLite: each migration and its history row commit in one transaction (BEGIN",
        "IMMEDIATE); a no-transaction migration runs statement by statement behind a `running`",
        "row. The script stops at the first error (.bail on). sqlite3 does not check foreign",
        "keys here (as sqlmig, which also reports rows a migration left orphaned: the script",
        "cannot). It does not take sqlmig's lock: run it while no `sqlmig up` runs. After",
        "each file it sets query_only and the like back to 0 (foreign_keys stays as it is).",
    ],
}


def _pg_reset() -> tuple[str, ...]:
    from .drivers.pg_session import RESET_AUTH  # the reset sqlmig itself does between files

    return tuple(f"{s};" for s in RESET_AUTH)


# MySQL/MariaDB: what `sqlmig up` gets back by resetting the connection after each file (a
# script cannot: COM_RESET_CONNECTION would let go of its GET_LOCK and its check table), the
# settings a file or callback most often changes, saved when the script starts and set again
# after each one; other settings and user variables (@x) stay as a file left them
MY_SAVED = (
    "sql_mode", "time_zone", "foreign_key_checks", "unique_checks", "sql_safe_updates",
    "innodb_lock_wait_timeout", "lock_wait_timeout", "group_concat_max_len", "sql_select_limit",
    "div_precision_increment", "auto_increment_increment", "auto_increment_offset",
    "sql_auto_is_null", "collation_connection",
)  # fmt: skip
MY_SAVE = "SET " + ", ".join(f"@sqlmig_{v} = @@SESSION.{v}" for v in MY_SAVED) + ";"
MY_RESTORE = (
    "SET NAMES utf8mb4;",  # character_set_client/results as the script set them
    "SET " + ", ".join(f"SESSION {v} = @sqlmig_{v}" for v in MY_SAVED) + ";",
)


# SQLite: `up` sets the pragmas a file changed back after it (drivers/sqlite.py); a script
# cannot read what they were, so it sets back those whose value every sqlite3 starts with
# (foreign_keys, synchronous, cache_size and the like stay as a file left them)
SQLITE_RESET = tuple(
    f"PRAGMA {p} = 0;"
    for p in ("query_only", "writable_schema", "ignore_check_constraints", "legacy_alter_table",
              "recursive_triggers", "reverse_unordered_selects")
)  # fmt: skip


# a migration's SET ROLE (or SET SESSION AUTHORIZATION) must not be who writes the history
PG_OWN = ("SET SESSION AUTHORIZATION DEFAULT;", "RESET ROLE;")


def choose_dialect(cfg: Config, given: str | None) -> str:
    """--dialect, else the URL's, else the configured `dialect` (lint's); --dialect and a URL
    must agree."""
    named = SCHEMES.get((given or "").lower()) if given else None
    if given and named is None:
        raise UsageError(
            f"unknown --dialect {given!r}",
            hint="use postgres, mysql (MariaDB too) or sqlite",
        )
    from_url = parse_url(cfg.url).driver if cfg.url else None
    if named and from_url and named != from_url:
        raise UsageError(
            f"--dialect {given} disagrees with the URL, a {from_url} database; nothing was written",
            hint="drop --dialect (the URL's database decides) or --url",
        )
    found = named or from_url or SCHEMES.get((cfg.dialect or "").lower())
    if found is None:
        raise UsageError(
            "--sql needs --dialect (postgres, mysql or sqlite), a URL or `dialect` in the "
            "configuration to know the database kind",
            hint="e.g. sqlmig up --sql --dialect postgres > up.sql",
        )
    return found


def dialect(name: str) -> Dialect:
    if name == "postgres":
        return Dialect(
            "postgres",
            "PostgreSQL",
            "psql -X -f FILE DATABASE_URL",
            (
                "\\set ON_ERROR_STOP on",
                "SET client_min_messages = warning;",  # not a NOTICE per existing table
                "SELECT pg_catalog.current_schema() AS sqlmig_home \\gset",
            ),
            "pg_catalog.now()",
            "session_user",
            True,
            reset=_pg_reset(),
            own=PG_OWN,
            # quietly: COMMIT with no transaction open is only a warning
            settle=(
                "SET client_min_messages = error;",
                "COMMIT;",
                "SET client_min_messages = warning;",
            ),
            temp="TEMP",
        )
    if name == "mysql":
        return Dialect(
            "mysql",
            "MySQL/MariaDB",
            "mysql --default-character-set=utf8mb4 DATABASE < FILE",
            ("SET NAMES utf8mb4;", MY_SAVE),
            "CONCAT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), '+00:00')",
            "CURRENT_USER()",
            False,
            # a file that left a transaction open (SET autocommit = 0, START TRANSACTION): its
            # work is committed, then the history writes commit as they run
            own=("COMMIT;", "SET autocommit = 1;"),
            reset=MY_RESTORE,
        )
    return Dialect(
        "sqlite",
        "SQLite",
        "sqlite3 DATABASE_FILE < FILE",
        (".bail on",),
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        "'sqlite3'",
        True,
        begin="BEGIN IMMEDIATE;",
        reset=SQLITE_RESET,
        own=("PRAGMA query_only = 0;",),  # a file's query_only must not stop the history writes
    )


def literal(dialect: str, value: Any) -> str:
    """A value as SQL the client passes through unchanged, whatever it holds."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if dialect == "postgres":
        return f"'{text}'" if _PLAIN.fullmatch(text) else _dollar(text)
    if dialect == "mysql":
        # hex: the same bytes under any sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES)
        return f"CONVERT(X'{text.encode().hex()}' USING utf8mb4)"
    return "'" + text.replace("'", "''") + "'"


def _dollar(text: str) -> str:
    """$sqlmig$...$sqlmig$ with a tag the text does not hold (a body may hold $$ or $sqlmig$)."""
    n = 0
    while (tag := f"$sqlmig{n or ''}$") in text:
        n += 1
    return f"{tag}{text}{tag}"


class Names:
    """Stands in for a driver where History names the tables of a script: no connection."""

    PARAM: ClassVar[str] = "%s"
    TEXT_VERSIONS_ABOVE: ClassVar[int | None] = None
    ONE_SCHEMA: ClassVar[bool] = False

    def __init__(self, name: str, home: str | None) -> None:
        module, cls_name = DRIVERS[name]
        cls = getattr(importlib.import_module(f".drivers.{module}", __package__), cls_name)
        self.dialect = name
        self.TYPES = cls.TYPES  # the history tables' column types: the driver's own
        self.MAX_IDENTIFIER_BYTES = cls.MAX_IDENTIFIER_BYTES
        self.TEXT_VERSIONS_ABOVE = cls.TEXT_VERSIONS_ABOVE
        self.ONE_SCHEMA = bool(getattr(cls, "ONE_SCHEMA", False))
        self.home = home

    def quote(self, name: str) -> str:
        if name == PG_HOME:
            return ':"sqlmig_home"'
        if name == MY_HOME:
            return MY_MARK
        if self.dialect == "mysql":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'


def home_of(name: str, url: str | None) -> str | None:
    """Where an unqualified history table is: PostgreSQL's current schema when the script runs
    (psql's variable), the URL's MySQL database (else the client's when the script starts),
    SQLite's main."""
    if name == "postgres":
        return PG_HOME
    if name == "sqlite":
        return "main"
    if url:
        from urllib.parse import unquote, urlsplit

        path = unquote(urlsplit(url).path.lstrip("/"))
        return path or MY_HOME
    return MY_HOME


def mysql_prepared(statement: str) -> str:
    """A statement naming the script's starting database (MY_MARK), as a prepared statement
    built from @sqlmig_db: the same under any sql_mode, wherever a migration's USE left it."""
    db = "CONCAT('`', REPLACE(@sqlmig_db, '`', '``'), '`')"
    pieces: list[str] = []
    for i, part in enumerate(statement.rstrip().removesuffix(";").split(MY_MARK)):
        pieces += [db, literal("mysql", part)] if i else [literal("mysql", part)]
    return (
        f"SET @sqlmig_sql = CONCAT({', '.join(pieces)});\n"
        "PREPARE sqlmig_stmt FROM @sqlmig_sql;\nEXECUTE sqlmig_stmt;\n"
        "DEALLOCATE PREPARE sqlmig_stmt;"
    )


def mysql_delimiter(text: str, where: str) -> str:
    """The delimiter in force where a MySQL file ends (mysqldump's `DELIMITER ;;` may be left
    on): what ends its last statement in the script, before `DELIMITER ;` sets it back."""
    from .errors import MigrationFileError
    from .mysqlscan import MysqlScanner
    from .sqltext import SplitError

    scanner = MysqlScanner(text)
    try:
        for _event in scanner.events():
            pass
    except SplitError as exc:
        raise MigrationFileError(
            f"{where}: cannot split into statements: {exc}",
            hint="look for an unterminated string, quoted name or comment",
        ) from None
    return scanner.delimiter


def mysql_lock_name(home: str | None, table: str) -> str:
    """drivers.mysql.lock_name's value: computed here when the database is known (the URL's),
    else by the server from the database the script began in (@sqlmig_db) the same way."""
    from .drivers.mysql import MAX_LOCK_NAME, lock_name

    if home is not None or "." in table:
        return literal("mysql", lock_name(home or "", table))
    full = f"CONCAT('sqlmig/', @sqlmig_db, {literal('mysql', '.' + table)})"
    cut = MAX_LOCK_NAME - len("sqlmig/")
    return (
        f"IF(CHAR_LENGTH({full}) <= {MAX_LOCK_NAME}, {full}, "
        f"CONCAT('sqlmig/', LEFT(SHA2({full}, 256), {cut})))"
    )


def printable(script: str) -> str:
    """sqlmig prints nothing that reads as a password (user:secret@ in a URL, password=): a
    script holding one would be printed altered, its stored down SQL with it."""
    from .urls import redact

    if redact(script) != script:
        raise UsageError(
            "a file of the script (a migration, repeatable or callback) holds text that reads "
            "as a password (user:secret@ in a URL, or a libpq password setting), which sqlmig "
            "never prints; nothing was written",
            hint="apply these migrations with `sqlmig up`, or keep the secret out of the file",
        )
    return script


def closed_text(text: str, dialect: str, where: str) -> str:
    """A PostgreSQL or SQLite file's text as the script carries it. A file that ends inside a
    string, quoted name or comment would take the script's next lines into it in psql or
    sqlite3 (sqlite3 then runs nothing more and exits 0): PostgreSQL refuses it, as `up` fails
    on it; SQLite's trailing open /* comment, which SQLite takes, is closed."""
    import sqlite3

    from .errors import MigrationFileError
    from .sqlscan import PostgresScanner, SplitError

    hint = "look for an unterminated string, quoted name or comment"
    if dialect == "postgres":
        try:
            for _event in PostgresScanner(text).events():
                pass
        except SplitError as exc:
            msg = f"{where}: cannot split into statements: {exc}"
            raise MigrationFileError(msg, hint=hint) from None
        return text
    if sqlite3.complete_statement(text + "\n;"):
        return text
    if sqlite3.complete_statement(text + "*/\n;"):
        return text + "*/"
    raise MigrationFileError(f"{where}: ends inside a quoted string or name", hint=hint)

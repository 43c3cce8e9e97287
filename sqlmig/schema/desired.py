"""The desired schema of `diff`: a source of SQL for a dialect. The schema file is read as its
client would run it (pg_dump output included), refused by file:line where it would leave the
scratch database, and its failures explained."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import MigrationFailed, UsageError
from ..sqltext import SplitError, client_commands, split_postgres

DUMP = "pg_dump --schema-only --no-owner --no-privileges DBNAME > schema.sql"
# pg_dump --create writes these: run on the scratch database they would make, and move to, another
_LEAVES = re.compile(r"(?:CREATE|DROP|ALTER)\s+DATABASE\b", re.I)
_NO_ROLE = re.compile(r'role "[^"]*" does not exist')


class Source(Protocol):
    """Where `diff` gets the schema it should make: a file, or models (sqlmig.models_*)."""

    @property
    def label(self) -> str:
        """Names the source in messages (a path, `models:Base`...)."""
        ...

    @property
    def title(self) -> str:
        """Names the source, shortly, in the generated files' first line."""
        ...

    def sql(self, dialect: str) -> str:
        """The SQL that builds the schema on an empty database of `dialect`; SqlmigError if not."""
        ...

    def explain(self, exc: MigrationFailed) -> MigrationFailed:
        """The error to show when that SQL fails on the scratch database."""
        ...


@runtime_checkable
class OnScratch(Protocol):
    """A source whose SQL depends on the server it will run on (Django asks the server for its
    version): `diff` hands it the scratch database's URL before it asks for the SQL."""

    def on_scratch(self, url: str) -> Source: ...


@dataclass(frozen=True)
class SchemaFile:
    """A schema.sql (or pg_dump output) on disk."""

    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def title(self) -> str:
        return self.path.name

    def sql(self, dialect: str) -> str:
        text = read(self.path)
        check(text, dialect, str(self.path))
        return text

    def explain(self, exc: MigrationFailed) -> MigrationFailed:
        return explain(exc, str(self.path))


def read(path: Path) -> str:
    """The file's text (UTF-8, a BOM dropped); UsageError naming the file and byte otherwise."""
    if not path.is_file():
        raise UsageError(f"{path} does not exist", hint="write the schema you want in it")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 (byte {exc.start})",
            hint="save it as UTF-8 (pg_dump: --encoding=UTF8)",
        ) from None


def check(text: str, dialect: str, where: str) -> None:
    """Refuse a PostgreSQL schema file that runs client commands or changes database: pg_dump's
    `\\restrict`/`\\unrestrict` lines, SET lines and set_config() calls are fine."""
    if dialect != "postgres":
        return  # MySQL's USE and CREATE DATABASE are refused by the builder, statement by statement
    try:
        commands = client_commands(text, "postgres")[:1]
        cut = _line_start(text, commands[0][0]) if commands else len(text)
        statements = split_postgres(text[:cut])  # up to the first client command
    except SplitError:
        return  # the server reports the unterminated string or comment, by line
    for stmt in statements:
        found = _LEAVES.match(stmt.text, stmt.offset - (stmt.start or stmt.offset))
        if found:
            words = " ".join(found[0].upper().split())
            what = "change another" if words == "ALTER DATABASE" else "leave the scratch"
            message = f"{where}:{stmt.line}: {words} would {what} database"
            raise MigrationFailed(message, hint=_hint(True))
    if commands:
        line, word = commands[0][0], commands[0][1].split()[0]
        leaves = word in ("\\c", "\\connect")
        what = "would leave the scratch database" if leaves else "is a psql command, not SQL"
        raise MigrationFailed(f"{where}:{line}: {word} {what}", hint=_hint(leaves))


def _line_start(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset


def _hint(leaves: bool) -> str:
    if leaves:
        return f"dump the one database without --create (-C): {DUMP}"
    return "take the psql commands out of the file; it is run as SQL"


def explain(exc: MigrationFailed, where: str) -> MigrationFailed:
    """A schema file that fails on the scratch database: say what a dump usually needs."""
    if _NO_ROLE.search(str(exc)):
        hint = f"{where} names a role this server does not have; dump it without roles: {DUMP}"
        return MigrationFailed(str(exc), hint=hint)
    return exc

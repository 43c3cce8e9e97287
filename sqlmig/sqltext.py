"""Split SQL text into statements with their positions, without ever splitting on a bare ';'."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .sqlscan import ClientCommandError, Copy, Meta, SplitError, scan_postgres

__all__ = [
    "SPLITTERS",
    "Chunk",
    "ClientCommandError",
    "CopyBlock",
    "LineIndex",
    "SplitError",
    "Statement",
    "client_commands",
    "line_col",
    "noise_end",
    "postgres_parts",
    "split_mysql",
    "split_postgres",
    "split_sqlite",
    "statement_offset",
]

# white space and comments before a statement (# is MySQL's line comment)
_LEADING_NOISE = re.compile(r"(?:\s+|(?:--|#)[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
# psql meta-commands pg_dump writes (17.6+, 16.10+, 15.14+, ...) around a dump: no-ops here
PSQL_NO_OPS = ("\\restrict", "\\unrestrict")
_COPY_WORD = re.compile("[cC][oO][pP][yY]")


@dataclass(frozen=True)
class Statement:
    """A statement and where it starts in the file (0-based offset, 1-based line and col).

    `copy_data` is set for a PostgreSQL `COPY ... FROM stdin` statement: the data lines that
    follow it in the file (up to the `\\.` line, exclusive), to be sent with the COPY protocol.
    """

    text: str
    offset: int
    line: int
    col: int
    copy_data: str | None = None
    start: int | None = None  # where text begins in the file (before its leading comments)


@dataclass(frozen=True)
class Chunk:
    """A run of ordinary SQL, to be sent as one simple query; text is text[offset:...]."""

    text: str
    offset: int


@dataclass(frozen=True)
class CopyBlock:
    """`COPY ... FROM stdin` (statement, from its first word to its ';') and its data (the lines
    after it up to the `\\.` line, exclusive), at their offsets in the file."""

    statement: str
    offset: int
    data: str
    data_offset: int


def noise_end(text: str, pos: int = 0) -> int:
    """Where a statement's text proper starts, after the white space and comments before it
    (those from `pos` on)."""
    return _LEADING_NOISE.match(text, pos).end()  # type: ignore[union-attr]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class LineIndex:
    """Line and column of offsets in one text by bisection: a scan from the start for every
    statement would make splitting a large file quadratic."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line_col(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


class _Lines:
    """Line and column of increasing offsets, counted as they come: neither an index of every
    line of a large file nor a scan back to the start of a long line for each statement."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos, self.line, self.line_start = 0, 1, 0

    def at(self, offset: int) -> tuple[int, int]:
        text = self.text
        newlines = text.count("\n", self.pos, offset)
        if newlines:
            self.line += newlines
            self.line_start = text.rfind("\n", self.pos, offset) + 1
        self.pos = offset
        return self.line, offset - self.line_start + 1


def _statement(text: str, start: int, end: int, lines: LineIndex) -> Statement | None:
    """The statement in text[start:end], or None when it holds only comments and ';'."""
    body = text[start:end]
    first = noise_end(body)
    if body[first:].strip().strip(";").strip() == "":
        return None
    line, col = lines.line_col(start + first)
    return Statement(text=body, offset=start + first, line=line, col=col, start=start)


def split_sqlite(text: str) -> list[Statement]:
    """Split with SQLite's own notion of a complete statement (triggers' BEGIN...END included)."""
    import sqlite3  # here, not at the top: `up` on PostgreSQL never needs it

    lines = LineIndex(text)
    out: list[Statement] = []
    start = 0
    semi = text.find(";")
    while semi >= 0:
        if sqlite3.complete_statement(text[start : semi + 1]):
            stmt = _statement(text, start, semi + 1, lines)
            if stmt:
                out.append(stmt)
            start = semi + 1
        semi = text.find(";", semi + 1)
    tail = _statement(text, start, len(text), lines)
    if tail:
        out.append(tail)
    return out


def split_postgres(text: str) -> list[Statement]:
    """Split as psql and the server do: strings, names, comments and $tag$ bodies stay whole;
    a SQL-standard function body (BEGIN ATOMIC ... END) is one statement; the data lines of a
    `COPY ... FROM stdin` go with that statement (Statement.copy_data), never read as SQL; the
    `\\restrict` / `\\unrestrict` lines pg_dump writes are skipped.

    Raises SplitError when the text cannot be split (an unterminated string or comment), and
    ClientCommandError (a SplitError) for any other psql meta-command (`\\connect`, `\\i`, ...).
    """
    out: list[Statement] = []
    lines = _Lines(text)
    for ev in scan_postgres(text):
        if isinstance(ev, Meta):
            _check_meta(text, ev)
            continue
        line, col = lines.at(ev.first)
        data = text[ev.data : ev.data_end] if isinstance(ev, Copy) else None
        out.append(Statement(text[ev.start : ev.end], ev.first, line, col, data, ev.start))
    return out


def statement_offset(text: str, index: int) -> int | None:
    """The offset of the first word of the index-th statement (0-based) of PostgreSQL text, as
    the server counts them (empty statements skipped): what turns "statement 3 of the query
    failed" into a place in the file. Streams: no statement is copied, memory stays flat.

    None when the text has fewer statements or cannot be split before the index-th one.
    Meta-commands are passed over, not reported: call it on a Chunk's text.
    """
    if index < 0:
        return None
    seen = 0
    try:
        for ev in scan_postgres(text):
            if isinstance(ev, Meta):
                continue
            if seen == index:
                return ev.first
            seen += 1
    except SplitError:
        return None
    return None


def postgres_parts(text: str) -> list[Chunk | CopyBlock]:
    """The file as psql runs it: runs of SQL (Chunk, each sent as one simple query) and COPY
    ... FROM stdin blocks (CopyBlock, sent with the COPY protocol), in file order. pg_dump's
    `\\restrict` / `\\unrestrict` lines are skipped; a Chunk holding no statement is left out.

    A text with no backslash and no COPY is one Chunk of the whole text, found without
    scanning it in Python. Raises SplitError (unterminated string or comment, text after
    `COPY ... FROM stdin;` on its line) and ClientCommandError for other meta-commands.
    """
    if "\\" not in text and _COPY_WORD.search(text) is None:
        return [Chunk(text, 0)]
    parts: list[Chunk | CopyBlock] = []
    start, statements = 0, 0
    for ev in scan_postgres(text):
        if isinstance(ev, Meta):
            _check_meta(text, ev)
            cut, resume = ev.seg, ev.after
        elif isinstance(ev, Copy):
            cut, resume = ev.start, ev.after
        else:
            statements += 1
            continue
        if statements:
            parts.append(Chunk(text[start:cut], start))
        if isinstance(ev, Copy):
            parts.append(_copy_block(text, ev))
        start, statements = resume, 0
    if statements:
        parts.append(Chunk(text[start:], start))
    return parts


def _copy_block(text: str, ev: Copy) -> CopyBlock:
    return CopyBlock(text[ev.first : ev.end], ev.first, text[ev.data : ev.data_end], ev.data)


def _check_meta(text: str, ev: Meta) -> None:
    if not (ev.boundary and ev.name in PSQL_NO_OPS):
        raise ClientCommandError(_line(text, ev.at), text[ev.at : ev.end].strip(), "psql")


def _eol(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def blank_psql_no_ops(text: str) -> str:
    """The text with pg_dump's `\\restrict` / `\\unrestrict` lines turned into spaces (same
    length and lines), for readers that parse SQL only; unchanged if it cannot be scanned."""
    if "\\restrict" not in text and "\\unrestrict" not in text:
        return text
    try:
        spans = [
            (ev.at, ev.end)
            for ev in scan_postgres(text)
            if isinstance(ev, Meta) and ev.boundary and ev.name in PSQL_NO_OPS
        ]
    except SplitError:
        return text
    for at, end in reversed(spans):
        text = text[:at] + " " * (end - at) + text[end:]
    return text


def client_commands(text: str, dialect: str) -> list[tuple[int, str]]:
    """Every client command in the text as (1-based line, command): psql meta-commands other
    than pg_dump's `\\restrict` / `\\unrestrict` (postgres), mysql client commands such as
    `source`, `\\.` or `\\G` (mysql; DELIMITER is honoured, not reported), sqlite3 shell
    dot-commands (sqlite). A caller refuses the file by file:line before anything runs.

    Raises SplitError when the text cannot be scanned (an unterminated string or comment).
    """
    if dialect == "postgres":
        return [
            (_line(text, ev.at), text[ev.at : ev.end].strip())
            for ev in scan_postgres(text)
            if isinstance(ev, Meta) and not (ev.boundary and ev.name in PSQL_NO_OPS)
        ]
    if dialect == "mysql":
        from .mysqlscan import mysql_client_commands

        return mysql_client_commands(text)
    if dialect == "sqlite":
        return [
            (s.line, text[s.offset : _eol(text, s.offset)].strip())
            for s in split_sqlite(text)
            if s.col == 1 and text.startswith(".", s.offset)
        ]
    raise ValueError(f"unknown dialect {dialect!r}")


def split_mysql(text: str) -> list[Statement]:
    """Split MySQL/MariaDB text as the mysql client does: quotes (backquotes, backslash
    escapes) and comments stay whole; `DELIMITER x` lines set the delimiter (and are not
    statements), a statement's text leaves out a delimiter other than ';'; executable comments
    (`/*!40101 SET NAMES utf8mb4 */`) are statements. With the ';' delimiter, the BEGIN ... END
    body of a trigger, procedure, function or event is one statement.

    Raises SplitError (an unterminated string or comment, a DELIMITER without a delimiter) and
    ClientCommandError for a mysql client command (`source f.sql`, `\\.`, `\\G`, ...).
    """
    from .mysqlscan import MyCommand, command_error, scan_mysql

    out: list[Statement] = []
    lines = _Lines(text)
    for ev in scan_mysql(text):
        if isinstance(ev, MyCommand):
            raise command_error(text, ev)
        line, col = lines.at(ev.first)
        out.append(Statement(text[ev.start : ev.end], ev.first, line, col, start=ev.start))
    return out


SPLITTERS = {"sqlite": split_sqlite, "postgres": split_postgres, "mysql": split_mysql}

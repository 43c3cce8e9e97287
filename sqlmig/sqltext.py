"""Split SQL text into statements with their positions, without ever splitting on a bare ';'."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

# white space and comments before a statement (# is MySQL's line comment)
_LEADING_NOISE = re.compile(r"(?:\s+|(?:--|#)[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)


class SplitError(ValueError):
    """The text cannot be split into statements (an unterminated string, comment or quote)."""


@dataclass(frozen=True)
class Statement:
    """A statement and where it starts in the file (0-based offset, 1-based line and col)."""

    text: str
    offset: int
    line: int
    col: int


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


def _statement(text: str, start: int, end: int, lines: LineIndex) -> Statement | None:
    """The statement in text[start:end], or None when it holds only comments and ';'."""
    body = text[start:end]
    first = _LEADING_NOISE.match(body).end()  # type: ignore[union-attr]
    if body[first:].strip().strip(";").strip() == "":
        return None
    line, col = lines.line_col(start + first)
    return Statement(text=body, offset=start + first, line=line, col=col)


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
    """Split with sqlglot's tokenizer: strings, names, comments and $tag$ bodies stay whole;
    a SQL-standard function body (BEGIN ATOMIC ... END) is one statement.

    Raises SplitError when the text cannot be tokenized (an unterminated string or comment).
    """
    return _split_tokens(text, "postgres", _postgres_depth)


def split_mysql(text: str) -> list[Statement]:
    """Split MySQL/MariaDB text: backquoted names, backslash escapes and # comments stay whole;
    the BEGIN ... END body of a trigger, procedure, function or event is one statement."""
    return _split_tokens(text, "mysql", _mysql_depth)


def _split_tokens(text: str, dialect: str, depth_change: DepthRule) -> list[Statement]:
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
    except TokenError as exc:
        raise SplitError(str(exc)) from None
    lines = LineIndex(text)
    out: list[Statement] = []
    start = 0
    depth = 0  # inside a compound body, where ';' does not end the statement
    first = 0  # index of the statement's first token
    for i, tok in enumerate(tokens):
        if tok.token_type.name == "SEMICOLON" and depth == 0:
            stmt = _statement(text, start, tok.end + 1, lines)
            if stmt:
                out.append(stmt)
            start, first = tok.end + 1, i + 1
            continue
        depth = max(depth + depth_change(tokens, i, first, depth), 0)
    tail = _statement(text, start, len(text), lines)
    if tail:
        out.append(tail)
    return out


DepthRule = Callable[[list, int, int, int], int]


def _postgres_depth(tokens: list, i: int, _first: int, depth: int) -> int:
    kind = tokens[i].token_type.name
    if kind == "BEGIN" and _next_word(tokens, i) == "ATOMIC":
        return 1
    if depth and kind == "CASE":
        return 1
    return -1 if depth and kind == "END" else 0


def _mysql_depth(tokens: list, i: int, first: int, depth: int) -> int:
    kind = tokens[i].token_type.name
    in_create = tokens[first].token_type.name == "CREATE"
    if kind == "BEGIN" and in_create and _next_word(tokens, i) not in ("WORK", "TRANSACTION"):
        return 1
    if depth and kind == "CASE":
        return 1
    if depth and kind == "END":
        # END IF / END LOOP / END WHILE / END REPEAT close blocks that were not counted
        return 0 if _next_word(tokens, i) in ("IF", "LOOP", "WHILE", "REPEAT") else -1
    return 0


def _next_word(tokens: list, i: int) -> str:
    """The next token's text if it is a word (not a string or quoted name)."""
    if i + 1 >= len(tokens):
        return ""
    tok = tokens[i + 1]
    is_word = tok.token_type.name not in ("STRING", "IDENTIFIER", "NUMBER", "SEMICOLON")
    return tok.text.upper() if is_word else ""


SPLITTERS = {"sqlite": split_sqlite, "postgres": split_postgres, "mysql": split_mysql}

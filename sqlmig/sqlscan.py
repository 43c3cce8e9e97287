"""A fast PostgreSQL statement scanner that reads text as psql does, without building tokens.

Regular expressions jump from one quote, comment, dollar quote, backslash or ';' to the next, so
the loop in Python runs once per string or statement, not once per word: a 50 MB file is
scanned in about the time it takes to send it. It yields the statements, the COPY ... FROM stdin
data blocks and psql meta-commands as offsets into the text; it never copies the text.
Assumes standard_conforming_strings = on (the default since PostgreSQL 9.1): a backslash is an
escape only in E'...' strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple


class SplitError(ValueError):
    """The text cannot be split into statements (an unterminated string, comment or quote)."""


class ClientCommandError(SplitError):
    """The text holds a command for a database's own client (psql's `\\connect`, mysql's
    `source`), which sqlmig cannot run: it sends SQL to the server, not to that client."""

    def __init__(self, line: int, command: str, client: str) -> None:
        super().__init__(
            f"line {line}: {command!r} is a {client} client command, not SQL; sqlmig sends "
            f"statements to the server itself and cannot run it"
        )
        self.line = line
        self.command = command
        self.client = client


class Stmt(NamedTuple):
    """A statement: its text is text[start:end] (leading comments included), `first` is where
    its first word is, `end` is past its ';' (or the end of the text)."""

    start: int
    first: int
    end: int


class Copy(NamedTuple):
    """A COPY ... FROM stdin statement (as Stmt) and its data: text[data:data_end], the lines up
    to the terminating `\\.` line (exclusive); scanning goes on at `after`."""

    start: int
    first: int
    end: int
    data: int
    data_end: int
    after: int


class Meta(NamedTuple):
    """A psql meta-command at text[at:end] (to the end of its line). `boundary` is true when it
    stands between statements; then the next statement starts at `after`."""

    seg: int
    at: int
    end: int
    after: int
    boundary: bool
    name: str


Event = Stmt | Copy | Meta

# Identifier characters: ASCII letters, _ (and digits, $ after the first) and anything
# non-ASCII, written as negated ASCII classes: a class spanning \x80-\U0010ffff costs ~7 ms to
# compile, on every start of `sqlmig up` (this module is imported by every command).
_START = r"[^\x00-@\[-^`{-\x7f]"  # A-Z a-z _ and non-ASCII
_CONT = r"[^\x00-#%-/:-@\[-^`{-\x7f]"  # ... and 0-9 and $
_TAG = r"[^\x00-/:-@\[-^`{-\x7f]"  # ... and 0-9 (a dollar-quote tag has no $)
# What the scanner stops at. Complete standard strings and quoted names are one match each; a
# lone quote left over means it was never closed.
_TOKENS = (
    r"'[^']*(?:''[^']*)*'",
    r'"[^"]*(?:""[^"]*)*"',
    r"--[^\n\r]*",
    r"[eE]'",
    r"[;'\"\\$]|/\*",
    r"[bB][eE][gG][iI][nN]",
)
_TOP = re.compile("|".join(_TOKENS))
# inside BEGIN ATOMIC ... END, CASE ... END nests too
_BODY = re.compile("|".join((*_TOKENS, r"[cC][aA][sS][eE]|[eE][nN][dD]")))
_E_BODY = re.compile(r"[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'")
# a string continues after white space holding a newline (and -- comments): 'a'\n'b' is 'ab'
_CONTINUE = re.compile(r"(?:[ \t\f\v]|--[^\n\r]*)*[\n\r](?:[ \t\n\r\f\v]+|--[^\n\r]*[\n\r])*'")
_DOLLAR = re.compile(f"\\$(?:{_START}{_TAG}*)?\\$")  # no '$' in a tag
_COMMENT_MARK = re.compile(r"/\*|\*/")
_NOISE = re.compile(r"(?:[ \t\n\r\f\v]+|--[^\n\r]*|/\*(?:[^*/]|\*(?!/)|/(?!\*))*\*/)*")
_AS_BEFORE = re.compile(f"(?<!{_CONT})[aA][sS][ \t\n\r\f\v]*$")
_WORD = re.compile(f"{_START}{_CONT}*")
_META_NAME = re.compile(r"\\(?:[A-Za-z]+|.?)")
_COPY_TOKEN = re.compile(
    r"'[^']*(?:''[^']*)*'|\"[^\"]*(?:\"\"[^\"]*)*\"|--[^\n\r]*|/\*[\s\S]*?\*/|[()]"
    f"|{_START}{_CONT}*"
)


def is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$" or ord(ch) >= 0x80


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def skip_noise(text: str, pos: int, limit: int) -> int:
    """The first offset at or after pos (at most limit) that is not white space or a comment."""
    while True:
        pos = _NOISE.match(text, pos, limit).end()  # type: ignore[union-attr]
        if not text.startswith("/*", pos) or pos >= limit:
            return pos
        pos = skip_block_comment(text, pos)  # a nested comment, which the regex cannot match


def skip_block_comment(text: str, pos: int) -> int:
    """The end of the (nestable) block comment opening at pos."""
    depth, at = 0, pos
    while True:
        m = _COMMENT_MARK.search(text, at)
        if m is None:
            raise SplitError(f"line {line_of(text, pos)}: unterminated /* comment")
        depth += 1 if m.group() == "/*" else -1
        at = m.end()
        if depth == 0:
            return at


class PostgresScanner:
    """Walks text once, yielding Stmt, Copy and Meta events in order (see `events`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.seg = 0  # where the current statement's text starts
        self.pos = 0
        self.depth = 0  # BEGIN ATOMIC ... END nesting, where ';' does not end a statement

    def events(self) -> Iterator[Event]:
        text, n = self.text, len(self.text)
        while True:
            m = (_BODY if self.depth else _TOP).search(text, self.pos)
            if m is None:
                break
            start, end = m.span()
            ch = text[start]
            if ch == ";":
                if self.depth:
                    self.pos = end
                else:
                    yield from self._statement_end(start, end)
            elif ch == "\\":
                yield self._meta(start)
            elif end - start > 1 and ch in "'\"-":  # a whole string, quoted name or comment
                self.pos = end
            else:
                self.pos = self._other(m.group(), start, end)
        if self.seg < n:
            yield from self._statement_end(n, n)

    def _statement_end(self, at: int, end: int) -> Iterator[Event]:
        text, seg = self.text, self.seg
        first = skip_noise(text, seg, at)
        self.seg = self.pos = end
        if first == at:
            return  # only comments and white space: the server skips it too
        if copy_from_stdin(text, first, end):
            data, data_end, after = self._copy_data(end)
            self.seg = self.pos = after
            yield Copy(seg, first, end, data, data_end, after)
        else:
            yield Stmt(seg, first, end)

    def _copy_data(self, end: int) -> tuple[int, int, int]:
        """psql reads COPY data from the line after the statement to a line that is `\\.`."""
        text, n = self.text, len(self.text)
        eol = text.find("\n", end)
        eol = n if eol < 0 else eol
        if skip_noise(text, end, eol) < eol:
            raise SplitError(
                f"line {line_of(text, end)}: text after COPY ... FROM stdin; on the same line "
                "(put it on a line of its own after the data)"
            )
        return copy_data_end(text, min(eol + 1, n))

    def _meta(self, at: int) -> Meta:
        text, n = self.text, len(self.text)
        eol = text.find("\n", at)
        eol = n if eol < 0 else eol
        boundary = self.depth == 0 and skip_noise(text, self.seg, at) == at
        after = min(eol + 1, n)
        name = _META_NAME.match(text, at).group()  # type: ignore[union-attr]
        meta = Meta(self.seg, at, eol, after, boundary, name)
        self.pos = eol
        if boundary:
            self.seg = after
        return meta

    def _other(self, token: str, start: int, end: int) -> int:
        """Where scanning goes on after a token that needs a closer look."""
        ch = token[0]
        if ch == "'":
            raise SplitError(f"line {line_of(self.text, start)}: unterminated quoted string")
        if ch == '"':
            raise SplitError(f"line {line_of(self.text, start)}: unterminated quoted name")
        if ch == "/":
            return skip_block_comment(self.text, start)
        if ch == "$":
            return self._dollar(start)
        if token[-1] == "'":  # E'...' unless the E ends a longer word
            return self._e_string(end) if self._word_starts(start) else start + 1
        return self._word(token.lower(), start, end)

    def _word_starts(self, at: int) -> bool:
        return at == 0 or not is_ident_char(self.text[at - 1])

    def _e_string(self, pos: int) -> int:
        text = self.text
        while True:
            m = _E_BODY.match(text, pos)
            if m is None:
                raise SplitError(f"line {line_of(text, pos)}: unterminated E'...' string")
            more = _CONTINUE.match(text, m.end())
            if more is None:
                return m.end()
            pos = more.end()

    def _dollar(self, at: int) -> int:
        text = self.text
        m = _DOLLAR.match(text, at)
        if m is None or self._in_identifier(at):
            return at + 1  # a parameter ($1) or part of a name (a$b)
        close = text.find(m.group(), m.end())
        if close < 0:
            raise SplitError(f"line {line_of(text, at)}: unterminated {m.group()} quote")
        return close + len(m.group())

    def _in_identifier(self, at: int) -> bool:
        """Is the '$' at `at` a continuation of a name (names may hold '$': a$b, x$$)?"""
        text, i = self.text, at
        while i > 0 and is_ident_char(text[i - 1]):
            i -= 1
        return i < at and not (text[i].isdigit() or text[i] == "$")

    def _word(self, word: str, start: int, end: int) -> int:
        text = self.text
        if not self._word_starts(start) or (end < len(text) and is_ident_char(text[end])):
            return end
        if start and text[start - 1] == ".":
            return end  # t.end is a column
        if word == "end" and _AS_BEFORE.search(text, max(0, start - 40), start):
            return end  # SELECT 1 AS end names a column
        if word == "begin":
            after = skip_noise(text, end, len(text))
            m = _WORD.match(text, after)
            if m and m.group().lower() == "atomic":
                self.depth += 1
                return m.end()
        elif word == "case":
            self.depth += 1
        elif word == "end":
            self.depth -= 1
        return end


def copy_from_stdin(text: str, first: int, end: int) -> bool:
    """Is text[first:end] a COPY statement that reads its data FROM STDIN?"""
    head = text[first : first + 5]
    if head[:4].lower() != "copy" or (len(head) == 5 and is_ident_char(head[4])):
        return False
    depth, before = 0, ""
    for m in _COPY_TOKEN.finditer(text, first, end):
        tok = m.group()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0 and tok[0] not in "'\"-/":
            word = tok.lower()
            if before == "from" and word == "stdin":
                return True
            before = word
    return False


def copy_data_end(text: str, data: int) -> tuple[int, int, int]:
    """(data, data_end, after): the data runs to the first line that is exactly `\\.` (or to
    the end of the text, as psql reads it); scanning goes on after that line."""
    n, at = len(text), data
    while True:
        if text.startswith("\\.", at):
            tail = at + 2
            if text.startswith("\r", tail):
                tail += 1
            if tail == n or text[tail] == "\n":
                return data, at, min(tail + 1, n)
        nl = text.find("\n\\.", at)
        if nl < 0:
            return data, n, n
        at = nl + 1


def scan_postgres(text: str) -> Iterator[Event]:
    return PostgresScanner(text).events()

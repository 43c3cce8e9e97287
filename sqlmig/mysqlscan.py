"""MySQL/MariaDB text split as the mysql client splits it, plus compound statements.

As the client does: statements end at the current delimiter (`DELIMITER $$` changes it; the
DELIMITER lines are not sent), executable comments (`/*!40101 ... */`, `/*M!100101 ... */`)
are SQL, client commands (`source`, `\\.`, `\\G`, ...) are found and reported. Beyond the
client: with the default ';' delimiter, the BEGIN ... END body of a CREATE PROCEDURE /
FUNCTION / TRIGGER / EVENT (and a MariaDB compound statement) stays one statement
(mysqlblocks.py counts its blocks).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from .mysqlblocks import Blocks, compound_head
from .sqlscan import ClientCommandError, SplitError, line_of


class MyStmt(NamedTuple):
    """A statement: text[start:end] (leading comments included; a ';' delimiter included, any
    other delimiter left out), its first word at `first`; scanning goes on at `after`."""

    start: int
    first: int
    end: int
    after: int


class MyCommand(NamedTuple):
    """A mysql client command at text[at:end]; scanning goes on at `after`."""

    at: int
    end: int
    after: int


MyEvent = MyStmt | MyCommand

# the mysql client's commands (client/mysql.cc): name -> takes arguments
NAMED = {
    "?": True, "charset": True, "clear": False, "connect": True, "edit": False, "ego": False,
    "exit": False, "go": False, "help": True, "nopager": False, "notee": False, "nowarning": False,
    "pager": True, "print": False, "prompt": True, "query_attributes": True, "quit": False,
    "rehash": False, "resetconnection": False, "sandbox": False, "source": True, "status": False,
    "system": True, "tee": True, "warnings": False,
}  # fmt: skip
# a named command could be in a text only where one of these words (or a leading ?) is. The
# words are sought in the lowered text with ASCII word edges: more places than the scanner
# accepts ($go), never fewer, and 5x faster on 25 MB than a case-blind search with lookbehinds.
_MAYBE_WORD = re.compile(r"\b(?:" + "|".join(w for w in NAMED if w != "?") + r")\b", re.ASCII)
_MAYBE_QUESTION = re.compile(r"(?m:^)[ \t]*\?|[;$/][ \t]*\?")


def _maybe_named(text: str) -> bool:
    if _MAYBE_WORD.search(text.lower()) is not None:
        return True
    return "?" in text and _MAYBE_QUESTION.search(text) is not None


_STRINGS = (
    r"(?P<str>'[^'\\]*(?:\\[\s\S][^'\\]*)*'"
    r"|\"[^\"\\]*(?:\\[\s\S][^\"\\]*)*\"|`[^`]*`)"
)
_DELIM_LINE = r"(?P<dl>(?m:^)[ \t]*(?i:delimiter)[ \t])"
_REST = (
    r"|(?P<com>#[^\n]*|--(?=\s|\Z)[^\n]*|/\*(?!M?!)[\s\S]*?\*/)"
    r"|(?P<xo>/\*M?!\d*)|(?P<xc>\*/)|(?P<bs>\\)|(?P<bad>['\"`]|/\*)"
)
_NOISE = re.compile(
    r"(?:\s+|#[^\n]*|--(?=\s|\Z)[^\n]*|/\*M!999999\\-[\s\S]*?\*/|/\*(?!M?!)[\s\S]*?\*/)*"
)
_DELIM_WORD = re.compile(r"(?i:delimiter)[ \t]")
_FIRST_WORD = re.compile(r"[A-Za-z_?]+")
_WORD = "[A-Za-z0-9_$\x80-\U0010ffff]+"
_COMPOUND = re.compile(
    f"{_STRINGS}|{_DELIM_LINE}|(?P<semi>;)|(?P<word>{_WORD})|(?P<p>:=|[():.,=@]){_REST}"
)


@lru_cache(maxsize=8)
def _plain(delimiter: str) -> re.Pattern[str]:
    """What the scanner stops at between statements' ends with this delimiter."""
    return re.compile(f"{_STRINGS}|{_DELIM_LINE}|(?P<semi>{re.escape(delimiter)}){_REST}")


def _eol(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


class MysqlScanner:
    """Walks text once, yielding MyStmt and MyCommand events in order (see `events`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.delimiter = ";"
        self.in_exec = False  # inside /*! ... */, whose */ is not a comment's end

    def events(self) -> Iterator[MyEvent]:
        text, n, pos = self.text, len(self.text), 0
        while pos < n:
            first = _NOISE.match(text, pos).end()  # type: ignore[union-attr]
            if first >= n:
                return
            if _DELIM_WORD.match(text, first):
                pos = self._set_delimiter(first)
                continue
            named = self._named(first)
            if named is not None:
                yield named
                pos = named.after
                continue
            yield from self._statement(pos, first)
            pos = self.after

    def _statement(self, start: int, first: int) -> Iterator[MyEvent]:
        blocks = None
        if self.delimiter == ";":
            at_start = compound_head(self.text, first)
            blocks = None if at_start is None else Blocks(self.text, at_start)
        stop, delimiter_at, self.after = yield from self._scan(first, blocks)
        if delimiter_at > first:  # else an empty statement (;;), which the client skips too
            yield MyStmt(start, first, stop, self.after)

    def _scan(self, pos: int, blocks: Blocks | None) -> Iterator[MyEvent]:
        """Scan to the statement's end: (end of its text, where its delimiter is, where
        scanning goes on)."""
        text = self.text
        pattern = _plain(self.delimiter) if blocks is None else _COMPOUND
        while True:
            m = pattern.search(text, pos)
            if m is None:
                return len(text), len(text), len(text)
            kind, start, end = m.lastgroup, m.start(), m.end()
            pos = end
            if kind == "semi" and (blocks is None or blocks.semicolon()):
                return (end if self.delimiter == ";" else start), start, end
            if kind == "dl":
                return start, start, start  # the client ends the statement before a DELIMITER line
            if kind == "bs":
                pos = yield from self._backslash(start)
            elif kind in ("xo", "xc", "bad"):
                pos = self._marker(kind, start, end)
            elif blocks is not None and kind in ("word", "p", "str"):
                blocks.feed(kind, m.group(), end)

    def _marker(self, kind: str | None, start: int, end: int) -> int:
        if kind == "xo":
            self.in_exec = True
            return end
        if kind == "xc":
            if self.in_exec:
                self.in_exec = False
                return end
            return start + 1  # 2*/*c*/3: a '*' then a comment
        what = "comment" if self.text.startswith("/*", start) else "quoted string or name"
        raise SplitError(f"line {line_of(self.text, start)}: unterminated {what}")

    def _backslash(self, at: int) -> Iterator[MyEvent]:
        """\\N is NULL; \\- (MariaDB's sandbox mode, which mariadb-dump writes in an executable
        comment that the server ignores) is a no-op here; \\x is a client command."""
        nxt = self.text[at + 1 : at + 2]
        if nxt in ("N", "-"):
            return at + 2
        end = _eol(self.text, at)
        yield MyCommand(at, end, end)
        return end

    def _set_delimiter(self, at: int) -> int:
        """`DELIMITER x`: x is the next word (or a quoted string); the rest of the line goes."""
        end = _eol(self.text, at)
        arg = self.text[at + len("delimiter") : end].strip()
        if arg[:1] in ("'", '"', "`") and arg.find(arg[0], 1) > 0:
            arg = arg[1 : arg.find(arg[0], 1)]
        elif arg:
            arg = arg.split()[0]
        if not arg or "\\" in arg:
            raise SplitError(
                f"line {line_of(self.text, at)}: DELIMITER needs a delimiter without a backslash"
            )
        self.delimiter = arg
        return min(end + 1, len(self.text))

    def _named(self, first: int) -> MyCommand | MyStmt | None:
        """A client command by name at a statement's start (`source f.sql`, `status;`), or a
        `use db` line without a delimiter, which the client runs at the end of its line."""
        text = self.text
        m = _FIRST_WORD.match(text, first)
        word = m.group().lower() if m else ""
        if word != "use" and word not in NAMED:
            return None
        end = _eol(text, first)
        cut = text.find(self.delimiter, first, end)
        after = end if cut < 0 else cut + len(self.delimiter)
        stop = end if cut < 0 else cut
        args = text[m.end() : stop].strip()  # type: ignore[union-attr]
        if text[m.end() : m.end() + 1] not in ("", " ", "\t", "\n", "\r", self.delimiter[:1]):  # type: ignore[union-attr]
            return None  # a longer word: status_x = 1
        if word == "use":
            return None if cut >= 0 else MyStmt(first, first, stop, after)
        if args and not NAMED[word]:
            return None  # the client sends `status x` to the server
        return MyCommand(first, stop, after)


def scan_mysql(text: str) -> Iterator[MyEvent]:
    return MysqlScanner(text).events()


def mysql_client_commands(text: str) -> list[tuple[int, str]]:
    if "\\" not in text and not _maybe_named(text):
        return []  # no command can be there: decided without scanning in Python
    return [
        (line_of(text, ev.at), text[ev.at : ev.end].strip())
        for ev in scan_mysql(text)
        if isinstance(ev, MyCommand)
    ]


def command_error(text: str, ev: MyCommand) -> ClientCommandError:
    return ClientCommandError(line_of(text, ev.at), text[ev.at : ev.end].strip(), "mysql")

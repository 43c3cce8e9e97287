"""Tokenize a file once, group its tokens into statements, parse each statement alone.

One statement that sqlglot cannot parse (or that makes it raise, recurse or spin) becomes a
Problem for that statement; the others are still checked.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlglot import Dialect, exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from ..sqltext import SplitError

GLOT_DIALECT = {"postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql"}
PARSE_SECONDS = 10.0  # a statement that keeps sqlglot busy longer is reported, not waited for
# CPU time of this process, not wall time: on a loaded machine a statement waiting for a CPU for
# 10 s was reported as one sqlglot gave up on (the 5 MB bench file, at load average 15)
TIMER, ALARM = getattr(signal, "ITIMER_VIRTUAL", 1), getattr(signal, "SIGVTALRM", 26)
# Statements whose keyword alone tells the rules what they need: never handed to the parser.
TRANSACTION_WORDS = {"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT", "SAVEPOINT", "RELEASE"}
CREATE_NOISE = {"UNIQUE", "OR", "REPLACE", "TEMP", "TEMPORARY", "MATERIALIZED"}
SEMICOLON, CASE, BEGIN, END, CREATE = (
    TokenType.SEMICOLON, TokenType.CASE, TokenType.BEGIN, TokenType.END, TokenType.CREATE,
)  # fmt: skip
IDENTIFIER, VAR = TokenType.IDENTIFIER, TokenType.VAR


class ParseTimeout(Exception):
    """sqlglot spent more than PARSE_SECONDS on one statement."""


@dataclass(frozen=True)
class Problem:
    """Why a statement has no syntax tree, and where (file offset)."""

    message: str
    offset: int
    help: str | None = None  # None: the syntax rule's own help


@dataclass(frozen=True)
class Chunk:
    """One statement's tokens: tokens[first:stop], and the file offsets it spans."""

    first: int
    stop: int
    start: int  # offset of its first character
    end: int  # offset after its last character (before the ';')


_DIALECTS = threading.local()  # a Dialect keeps one tokenizer: one per thread


def _dialect(dialect: str) -> Any:
    """sqlglot's Dialect, made once (get_or_raise makes a new one, with its tokenizer and
    settings, on every call)."""
    made = getattr(_DIALECTS, "made", None)
    if made is None:
        made = _DIALECTS.made = {}
    if dialect not in made:
        made[dialect] = Dialect.get_or_raise(GLOT_DIALECT[dialect])
    return made[dialect]


def tokenize(text: str, dialect: str) -> list[Any]:
    """sqlglot's tokens for the whole file; SplitError for an unterminated string or comment."""
    try:
        return _dialect(dialect).tokenize(text)
    except TokenError as exc:
        raise SplitError(str(exc)) from None


def chunks(tokens: list[Any], dialect: str) -> list[Chunk]:
    """Statements end at a ';' outside a compound body (BEGIN ATOMIC ... END, trigger bodies)."""
    out: list[Chunk] = []
    first, depth = 0, 0
    for i, tok in enumerate(tokens):
        kind = tok.token_type  # compared by identity: .name is an enum property, 8% of a run
        if kind is SEMICOLON and depth == 0:
            if i > first:
                out.append(Chunk(first, i, tokens[first].start, tokens[i - 1].end + 1))
            first = i + 1
        elif (kind is CASE or kind is BEGIN) and _opens(tokens, i, first, depth, dialect):
            depth += 1
        elif depth and kind is END and _word(tokens, i + 1) not in ("IF", "LOOP", "WHILE"):
            depth -= 1
    if first < len(tokens):
        out.append(Chunk(first, len(tokens), tokens[first].start, tokens[-1].end + 1))
    return out


def _opens(tokens: list[Any], i: int, first: int, depth: int, dialect: str) -> bool:
    """Does token i open a body where ';' does not end the statement (or a CASE inside one)?"""
    kind = tokens[i].token_type
    if kind is CASE:
        return depth > 0
    if kind is not BEGIN:
        return False
    if dialect == "postgres":
        return _word(tokens, i + 1) == "ATOMIC"
    return i > first and tokens[first].token_type is CREATE  # trigger, procedure, ...


def _word(tokens: list[Any], i: int) -> str:
    return tokens[i].text.upper() if i < len(tokens) else ""


def keyword(tokens: list[Any], chunk: Chunk) -> str:
    """The statement's first two words, upper case: "CREATE INDEX", "ALTER TABLE", "INSERT INTO"."""
    words = [t.text.upper() for t in tokens[chunk.first : min(chunk.first + 4, chunk.stop)]]
    if words[:1] == ["CREATE"]:
        words = ["CREATE", *[w for w in words[1:] if w not in CREATE_NOISE]]
    return " ".join(words[:2])


def collect_spellings(tokens: list[Any], quoted: dict[str, str], plain: dict[str, str]) -> None:
    """Lower-case identifier -> its first spelling in the file, quoted and plain apart (a
    quoted one wins: that is its name)."""
    for tok in tokens:
        kind = tok.token_type
        if kind is IDENTIFIER:
            quoted.setdefault(tok.text.lower(), tok.text)
        elif kind is VAR:
            plain.setdefault(tok.text.lower(), tok.text)


def quiet_sqlglot() -> None:
    """sqlglot logs a warning for every statement it parses as a Command; lint reports them."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)


def parser(dialect: str) -> Any:
    return _dialect(dialect).parser()


def parse(glot: Any, tokens: list[Any], chunk: Chunk, text: str) -> tuple[Any, Problem | None]:
    """(tree, None), or (None, Problem) when sqlglot raises, recurses too deep or takes too long.

    The tokens come from the whole file, so tree positions and errors are file positions.
    """
    try:
        with deadline(PARSE_SECONDS):
            trees = glot.parse(tokens[chunk.first : chunk.stop], text)
    except ParseError as exc:
        return None, _parse_problem(exc, tokens, chunk)
    except ParseTimeout:
        return None, Problem(f"sqlglot gave up after {PARSE_SECONDS:g} s here", chunk.start)
    except RecursionError:
        return None, Problem("statement is nested too deeply for sqlglot", chunk.start)
    except Exception as exc:  # a bug in sqlglot must not stop the linter
        return None, Problem(f"sqlglot failed: {type(exc).__name__}: {exc}", chunk.start)
    trees = [t for t in trees if t is not None]
    if len(trees) == 1:
        return trees[0], None
    return exp.Block(expressions=trees), None  # e.g. a trigger body: opaque


def _parse_problem(exc: ParseError, tokens: list[Any], chunk: Chunk) -> Problem:
    err = exc.errors[0] if exc.errors else {}
    message = str(err.get("description") or exc).splitlines()[0]
    line, col = err.get("line"), err.get("col")
    for tok in tokens[chunk.first : chunk.stop]:  # the token sqlglot stopped at
        if tok.line == line and tok.col == col:
            return Problem(message, tok.start)
    return Problem(message, chunk.end)


_ARMED = threading.local()


@contextmanager
def armed() -> Iterator[None]:
    """Install the SIGVTALRM handler `deadline` needs, once per run (main thread on Unix only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or getattr(_ARMED, "on", False):
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise ParseTimeout()

    previous = signal.signal(ALARM, expire)
    _ARMED.on = True
    try:
        yield
    finally:
        _ARMED.on = False
        signal.setitimer(TIMER, 0)
        signal.signal(ALARM, previous)


class deadline:  # lower case: used as `with deadline(s):`, as the function it replaced
    """Raise ParseTimeout in the block after `seconds` (inside `armed()`; else no limit). A
    class, not @contextmanager: it runs once per statement, and a generator costs 3x more."""

    __slots__ = ("on", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.on = getattr(_ARMED, "on", False)

    def __enter__(self) -> None:
        if self.on:
            signal.setitimer(TIMER, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.on:
            signal.setitimer(TIMER, 0)

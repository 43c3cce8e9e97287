"""The shared types and helpers of transpile/: refusals, results, parsing, quoting, generating.

It imports nothing else of the folder, so every other module can import it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

TARGETS = ("sqlite", "mysql", "postgres")
SOURCES = ("postgres",)


class Refuse(Exception):
    """No faithful translation of this statement exists (or sqlmig cannot prove one)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Refusal:
    """A statement that was not translated: where it is, what it says, and why."""

    path: str
    line: int
    statement: str
    reason: str

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}\n    {head(self.statement, EXCERPT)}"


EXCERPT = 120  # characters of the refused statement shown under its reason


def head(text: str, most: int = 80) -> str:
    """A statement on one line, cut to `most` characters."""
    words = " ".join(text.split())
    return words if len(words) <= most else words[: most - 3] + "..."


@dataclass(frozen=True)
class Translated:
    """A file in the target dialect, or the refusals that stop it from being one."""

    text: str
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[str, ...] = ()  # statements dropped because they mean nothing on the target

    @property
    def ok(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class OutFile:
    """One written file: its name, text, and whether a hand-written override supplied it."""

    name: str
    text: str
    override: bool = False


@dataclass(frozen=True)
class Out:
    """One translated statement: target SQL statements (maybe none) and an optional note."""

    sql: tuple[str, ...] = ()
    note: str | None = None


def parse(text: str):  # type: ignore[no-untyped-def]
    import sqlglot
    from sqlglot.errors import ErrorLevel, ParseError, TokenError

    with _warnings() as seen:
        try:
            nodes = sqlglot.parse(text, read="postgres", error_level=ErrorLevel.RAISE)
        except (ParseError, TokenError) as exc:
            raise Refuse(f"sqlglot cannot parse it: {str(exc).splitlines()[0]}") from None
    nodes = [_fold(n) for n in nodes if n is not None]
    if seen and not (len(nodes) == 1 and type(nodes[0]).__name__ == "Command"):
        raise Refuse(f"sqlglot warned: {seen[0]}")
    if len(nodes) != 1:
        raise Refuse("expected exactly one statement")
    return nodes[0]


def _fold(node):  # type: ignore[no-untyped-def]
    """PostgreSQL folds unquoted names to lower case: `Users` and `users` are one table."""
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    return normalize_identifiers(node, dialect="postgres")


def quote(name: str, target: str) -> str:
    """Every name is quoted in the output: a column called `order` or `key` stays a name."""
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True).sql(target)


def generate(node, target: str) -> str:  # type: ignore[no-untyped-def]
    """Target SQL with unsupported features raised, and any sqlglot warning made a refusal."""
    from sqlglot.errors import ErrorLevel, UnsupportedError

    with _warnings() as seen:
        try:
            sql = node.sql(dialect=target, identify=True, unsupported_level=ErrorLevel.RAISE)
        except UnsupportedError as exc:
            raise Refuse(f"sqlglot cannot write it for {target}: {exc}") from None
    if seen:
        raise Refuse(f"sqlglot warned while writing {target}: {seen[0]}")
    return sql


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@contextmanager
def _warnings() -> Iterator[list[str]]:
    """sqlglot's warnings, collected instead of printed: each one is a refusal."""
    log = logging.getLogger("sqlglot")
    handler, propagate = _Collect(), log.propagate
    log.addHandler(handler)
    log.propagate = False
    try:
        yield handler.seen
    finally:
        log.removeHandler(handler)
        log.propagate = propagate

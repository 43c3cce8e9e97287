"""Lint values: findings, rules, and the registry that every rule module adds itself to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import SqlmigError

DIALECTS = frozenset({"postgres", "sqlite", "mysql"})
SEVERITIES = ("error", "warning")
DEFAULT_PG_VERSION = 17


class LintFailed(SqlmigError):
    """`up --lint` found errors; nothing was applied."""

    exit_code = 1
    kind = "lint"


@dataclass(frozen=True)
class Finding:
    """One problem at one place: what `sqlmig lint` prints."""

    path: str
    line: int
    col: int
    code: str
    rule: str
    severity: str
    message: str
    help: str

    def as_dict(self) -> dict[str, Any]:
        return {  # not dataclasses.asdict, which deep-copies every field (8000 findings: 0.1 s)
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
        }


@dataclass(frozen=True)
class Hit:
    """What a rule returns: a message, and where (a file offset; None = the statement start)."""

    message: str
    offset: int | None = None
    help: str | None = None  # None: the rule's default help
    stmt: int | None = None  # file rules: the statement it is about (for ignore comments)


@dataclass(frozen=True)
class Rule:
    """A registered rule. `check(stmt, ctx)` (scope statement) or `check(ctx)` (scope file)."""

    code: str
    name: str
    severity: str
    help: str
    dialects: frozenset[str]
    scope: str
    check: Callable[..., Iterable[Hit]]
    on: tuple[str, ...] | None = None  # statement keywords it looks at; None: every statement
    opt_in: bool = False  # off unless selected by its code or name

    def applies(self, keyword: str) -> bool:
        return self.on is None or keyword.startswith(self.on)

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: str,
    *,
    help: str,
    dialects: Iterable[str] = DIALECTS,
    scope: str = "statement",
    on: Iterable[str] | None = None,
    opt_in: bool = False,
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register a rule function under a stable code and kebab-case name."""
    assert severity in SEVERITIES and scope in ("statement", "file")

    def register(check: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        assert code not in REGISTRY, f"duplicate rule code {code}"
        keywords = None if on is None else tuple(on)
        REGISTRY[code] = Rule(
            code, name, severity, help, frozenset(dialects), scope, check, keywords, opt_in
        )
        return check

    return register

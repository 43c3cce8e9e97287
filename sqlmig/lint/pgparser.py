"""PostgreSQL's own parser (pglast, libpg_query): asked before lint calls a statement invalid."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

EXTRA = "sqlmig[pgparser]"
MISSING_HELP = (
    "sqlglot cannot read it, and PostgreSQL's own parser is not installed to say whether it is "
    f"valid: pip install '{EXTRA}' (pglast), or fix the statement if it is wrong"
)


@dataclass(frozen=True)
class Verdict:
    """What PostgreSQL's grammar (of major version `version`) says about one statement."""

    valid: bool
    version: int
    message: str = ""
    position: int | None = None  # character index in the statement; None: at its end


@functools.cache
def _pglast() -> Any:
    try:
        import pglast.parser
    except ImportError:
        return None
    return pglast.parser


def check(sql: str) -> Verdict | None:
    """The verdict on `sql`, or None when pglast is not installed."""
    parser = _pglast()
    if parser is None:
        return None
    version = parser.get_postgresql_version()[0]
    try:
        parser.parse_sql(sql)
    except parser.ParseError as exc:
        message, position = [*exc.args, None, None][:2]
        return Verdict(False, version, str(message), position)
    except Exception as exc:  # a bug in pglast must not stop the linter
        return Verdict(False, version, f"pglast failed: {type(exc).__name__}: {exc}")
    return Verdict(True, version)


def verdict_text(verdict: Verdict, target: int) -> str:
    """The verdict, naming the PostgreSQL version it is for and what it does not prove for the
    version the user targets (--pg-version)."""
    said = f"PostgreSQL {verdict.version}'s parser"
    if verdict.valid:
        caveat = ""
        if target < verdict.version:
            caveat = f" (you target PostgreSQL {target}, which may not know newer syntax)"
        return f"{said} accepts it{caveat}"
    caveat = ""
    if target > verdict.version:
        caveat = f" (you target PostgreSQL {target}, which may accept newer syntax)"
    return f"{said} rejects it{caveat}: {verdict.message}"

"""`-- sqlmig:ignore RULE` (next statement) and `-- sqlmig:ignore-file RULE` comments."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .context import FileContext

IGNORE = re.compile(r"--\s*sqlmig:(?P<kind>ignore(?:-file)?)\b(?P<names>[^\n]*)", re.I)


@dataclass(frozen=True)
class Ignore:
    """One ignore comment: which rules, for which statement (None: the whole file), where."""

    names: tuple[str, ...]
    stmt: int | None
    offset: int


def ignores(ctx: FileContext) -> list[Ignore]:
    """Every ignore comment in the comments before each statement."""
    found: list[Ignore] = []
    for stmt in ctx.statements:
        for match in IGNORE.finditer(stmt.lead):
            names = tuple(n.lower() for n in re.split(r"[\s,]+", match["names"]) if n)
            whole = match["kind"].lower() == "ignore-file"
            found.append(
                Ignore(names, None if whole else stmt.index, stmt.lead_offset + match.start())
            )
    if not ctx.statements:  # a file of comments only: they all lead to no statement
        for match in IGNORE.finditer(ctx.text):
            if match["kind"].lower() == "ignore-file":
                names = tuple(n.lower() for n in re.split(r"[\s,]+", match["names"]) if n)
                found.append(Ignore(names, None, match.start()))
    return found


def covers(ignore: Ignore, stmt: int | None, code: str, name: str) -> bool:
    """Does this comment silence rule (code, name) at statement `stmt`?"""
    if ignore.stmt is not None and ignore.stmt != stmt:
        return False
    return code.lower() in ignore.names or name in ignore.names or "all" in ignore.names

"""One generated DDL statement, shared by the generators (diffgen and the per-kind helpers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stmt:
    sql: str
    review: str | None = None  # why a person must look at this statement

"""The values plan and preflight pass around; imports nothing else of live/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ANY = ("*", "*")  # a statement whose writes cannot be told (DO, CALL, a function)


@dataclass(frozen=True)
class Pending:
    """One pending statement: its migration, where it is in the file, and its text."""

    label: str
    path: str
    line: int
    text: str
    transactional: bool = True

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def short(self, width: int = 70) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= width else flat[: width - 3] + "..."


@dataclass(frozen=True)
class Touch:
    """What one statement does to one relation, traced or from rules."""

    table: str  # schema.name (PostgreSQL), name (MySQL, SQLite)
    lock: str  # AccessExclusiveLock, ShareLock, ...; or MySQL's "LOCK=SHARED" etc.
    rewrite: bool = False
    scan: bool = False
    builds_index: bool = False
    new: bool = False  # created by this statement or an earlier pending one
    how: str = "traced"  # traced | rules
    note: str = ""
    waits_like: str = ""  # CONCURRENTLY: waits for sessions as this mode would, blocking no one


@dataclass(frozen=True)
class Blocker:
    """A live session that holds or waits for a lock that conflicts with the statement's."""

    pid: int
    application: str
    state: str
    mode: str
    granted: bool
    xact_age_s: float | None
    command: str  # the first word of its query only: query text can hold data


@dataclass(frozen=True)
class Facts:
    """A live table's size from the catalog, and who would block the statement on it."""

    table: str
    exists: bool
    rows: int | None = None  # the catalog's estimate (None: never analysed)
    bytes: int | None = None  # table, indexes and TOAST
    heap_bytes: int | None = None
    blockers: tuple[Blocker, ...] = ()
    error: str = ""


@dataclass
class StatementPlan:
    """Everything plan says about one pending statement."""

    stmt: Pending
    touches: list[Touch] = field(default_factory=list)
    facts: dict[str, Facts] = field(default_factory=dict)
    verdict: str = "safe"
    seconds: float | None = None
    notes: list[str] = field(default_factory=list)
    folded: int = 0  # data statements just after it on the same table, shown as one
    last_line: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "more_statements": self.folded,
            "migration": self.stmt.label,
            "where": self.stmt.where,
            "statement": self.stmt.short(200),
            "verdict": self.verdict,
            "estimated_seconds": self.seconds,
            "touches": [t.__dict__ for t in self.touches],
            "tables": {
                k: {**f.__dict__, "blockers": [b.__dict__ for b in f.blockers]}
                for k, f in self.facts.items()
            },
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Check:
    """An action that fails on existing rows that break it."""

    kind: str  # not_null | new_not_null | unique | primary_key | foreign_key | type | check
    table: tuple[str | None, str]
    columns: tuple[str, ...] = ()  # plain column names
    exprs: tuple[str, ...] = ()  # SQL of index expressions or of the CHECK, in the dialect
    where: str | None = None  # a partial unique index's predicate
    ref_table: tuple[str | None, str] | None = None
    ref_columns: tuple[str, ...] = ()
    type_sql: str = ""
    type_name: str = ""
    type_params: tuple[int, ...] = ()
    using: str = ""  # PostgreSQL: the USING expression's SQL
    cast_of: str = ""  # ... when it is a cast `x::t`: the SQL of x
    cast_sql: str = ""  # ... and of t

    @property
    def shown_table(self) -> str:
        """schema.table, a part quoted where it is not a plain lower-case name."""
        plain = re.compile(r"[a-z_][a-z0-9_$]*")
        parts = [p for p in self.table if p]
        quoted = ['"' + p.replace('"', '""') + '"' for p in parts]  # a"b as "a""b"
        return ".".join(p if plain.fullmatch(p) else q for p, q in zip(parts, quoted, strict=True))

    @property
    def what(self) -> str:
        cols = ", ".join(self.columns or self.exprs)
        return {
            "not_null": f"{cols} SET NOT NULL",
            "new_not_null": f"ADD COLUMN {cols} NOT NULL without a default",
            "unique": f"UNIQUE ({cols})",
            "primary_key": f"PRIMARY KEY ({cols})",
            "foreign_key": f"FOREIGN KEY ({cols})",
            "type": f"{cols} TYPE {self.type_sql}",
            "check": f"CHECK ({cols})",
            "unreadable": "the statement",
        }[self.kind]


@dataclass(frozen=True)
class Reading:
    checks: tuple[Check, ...]
    writes: tuple[tuple[str | None, str], ...]  # tables whose rows it changes; ANY: unknown

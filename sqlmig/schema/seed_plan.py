"""`verify --data`: how to fill a table (its columns, the kind of value each takes, the checks
each must pass) and in which order to fill the tables (parents before children)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import seed_values as sv
from .model import Column, Constraint, Domain, Snapshot, Table

Key = tuple[str, str]
Test = tuple[str, str]  # (the name the expression calls the value by, a check expression)


@dataclass(frozen=True)
class Plan:
    """How to fill one table: the columns to give values, and what each value must be."""

    columns: tuple[Column, ...]
    kinds: tuple[sv.Kind, ...]
    types: tuple[str, ...]  # the type to cast a candidate value to (a domain's base type)
    hints: tuple[tuple[str, ...], ...]  # literals of the checks naming each column
    tests: tuple[tuple[Test, ...], ...]  # the checks that name the column and no other
    checked: tuple[bool, ...]  # named by a check that names other columns too
    links: tuple[tuple[Constraint, tuple[tuple, ...]], ...] = ()  # foreign keys, parent keys


def plan(snap: Snapshot, table: Table) -> Plan:
    enums = _enums(snap)
    domains = {_names(snap, d.schema, d.name): d for d in snap.domains}
    columns = [c for c in table.columns if c.generated is None and c.identity != "always"]
    checks = [c.expression or "" for c in table.constraints if c.kind == "check"]
    named = [{c.name for c in table.columns if _names_column(e, c.name)} for e in checks]
    parts: dict[str, list] = {k: [] for k in ("kinds", "types", "hints", "tests", "checked")}
    for c in columns:
        domain = next((d for k, d in domains.items() if c.type in k), None)
        type_ = domain.type if domain else c.type
        mine = [e for e, cols in zip(checks, named, strict=True) if c.name in cols]
        alone: list[Test] = [(c.name, e) for e, cols in zip(checks, named, strict=True)
                             if cols == {c.name}]  # fmt: skip
        alone += _domain_tests(domain)
        parts["kinds"].append(sv.classify(type_, snap.dialect, enums))
        parts["types"].append(type_)
        parts["hints"].append(tuple(h for _a, e in [*alone, *((c.name, e) for e in mine)]
                                    for h in sv.hints(e)))  # fmt: skip
        parts["tests"].append(tuple(alone))
        parts["checked"].append(any(c.name in cols and cols != {c.name} for cols in named))
    return Plan(tuple(columns), *(tuple(parts[k]) for k in parts))  # type: ignore[arg-type]


def _domain_tests(domain: Domain | None) -> list[Test]:
    """A domain's checks, as expressions of VALUE (PostgreSQL prints `CHECK ((VALUE > 0))`)."""
    if domain is None:
        return []
    return [("value", re.sub(r"^\s*CHECK\s*", "", c, flags=re.I)) for _n, c in domain.checks]


def parents_first(snap: Snapshot) -> list[Table]:
    """Tables in an order where each comes after the tables its foreign keys point at. Where
    keys go round in a circle, a table whose keys to the tables not yet filled may be NULL
    goes first (they are left NULL); else one table of the circle, in name order."""
    tables = {(t.schema, t.name): t for t in snap.tables}
    needs = {k: _parents(t, tables, strict=False) for k, t in tables.items()}
    strict = {k: _parents(t, tables, strict=True) for k, t in tables.items()}
    done: list[Key] = []
    while len(done) < len(tables):
        left = [k for k in sorted(tables) if k not in done]
        ready = [k for k in left if needs[k] <= set(done)]
        ready = ready or [k for k in left if strict[k] <= set(done)][:1]
        done += ready or [next((k for k in left if _circles(k, needs, set(done))), left[0])]
    return [tables[k] for k in done]


def _parents(t: Table, tables: dict[Key, Table], *, strict: bool) -> set[Key]:
    """The other tables t's foreign keys point at (strict: only the keys that cannot be NULL)."""
    out = set()
    for c in t.constraints:
        parent = (c.ref_schema or t.schema, c.ref_table or "")
        if c.kind != "foreign key" or parent == (t.schema, t.name) or parent not in tables:
            continue
        cols = [x for x in t.columns if x.name in c.columns]
        if not strict or any(not x.nullable for x in cols):
            out.add(parent)
    return out


def _circles(start: Key, needs: dict[Key, set[Key]], done: set[Key]) -> bool:
    """Whether start's foreign keys lead back to it through tables not yet filled."""
    seen: set[Key] = set()
    todo = [p for p in needs[start] if p not in done]
    while todo:
        k = todo.pop()
        if k == start:
            return True
        if k not in seen:
            seen.add(k)
            todo += [p for p in needs[k] if p not in done]
    return False


def qname(snap: Snapshot, quote: Callable[[str], str], table: Table) -> str:
    if table.schema == snap.default_schema:
        return quote(table.name)
    return f"{quote(table.schema)}.{quote(table.name)}"


def _names_column(expression: str, column: str) -> bool:
    """Whether a check's text names the column (bare, or quoted as any of the three quote)."""
    word = re.escape(column)
    quoted = f'"{re.escape(column.replace(chr(34), chr(34) * 2))}"'
    ticked = f"`{re.escape(column.replace('`', '``'))}`"
    code = sv.STRING.sub("''", expression)  # not a word inside a string literal
    return bool(re.search(rf"(?<![\w$])(?:{word}|{quoted}|{ticked})(?![\w$])", code))


def _enums(snap: Snapshot) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for e in snap.enums:
        for name in _names(snap, e.schema, e.name):
            out[name] = e.labels
    return out


def _names(snap: Snapshot, schema: str, name: str) -> tuple[str, ...]:
    """The spellings a column's type may give for a type of ours: bare, quoted, qualified."""
    bare = (name, f'"{name}"')
    qualified = tuple(f"{s}.{n}" for s in (schema, f'"{schema}"') for n in bare)
    return (*bare, *qualified) if schema == snap.default_schema else qualified

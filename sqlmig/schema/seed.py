"""`verify --data`: fill each table of a scratch database with a few generated rows that its
schema accepts (types, NOT NULL, unique keys, checks, foreign keys to rows already there)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..drivers.base import Driver
from ..errors import SqlmigError
from . import seed_values as sv
from .model import Column, Constraint, Snapshot, Table

Key = tuple[str, str]
FIRST = 100_000  # generated numbers start here, above the small ids a migration's seed rows use


@dataclass(frozen=True)
class Plan:
    """How to fill one table: its columns to give values, and where each value comes from."""

    columns: tuple[Column, ...]
    kinds: tuple[sv.Kind, ...]
    hints: tuple[tuple[str, ...], ...]  # literals of the checks naming each column
    checked: tuple[bool, ...]  # whether a check names the column
    links: tuple[tuple[Constraint, tuple[tuple, ...]], ...]  # foreign keys and parent keys


class Filler:
    """Tops every table up to `rows` rows before a migration; notes what it had to skip."""

    def __init__(self, driver: Driver, rows: int) -> None:
        self.driver = driver
        self.rows = rows
        self.numbers: Iterator[int] = itertools.count(FIRST)
        self.notes: list[str] = []

    def fill(self, snap: Snapshot, counts: dict[Key, int]) -> None:
        for table in parents_first(snap):
            have = counts.get((table.schema, table.name), 0)
            if table.partition_of is None and have < self.rows:
                self._fill(snap, table, have)

    def _fill(self, snap: Snapshot, table: Table, have: int) -> None:
        name = snap.display(table.schema, table.name)
        plan, why = self._plan(snap, table)
        if plan is None:
            return self._note(f"table {name} left empty: {why}", have)
        error, strategy = "", 0
        for _ in range(self.rows - have):
            n = next(self.numbers)
            strategy, error = self._insert(snap, table, plan, n, strategy)
            if error:
                break
            have += 1
        if error:
            self._note(f"table {name} left empty: the database refused every generated row "
                       f"({error})", have)  # fmt: skip

    def _note(self, text: str, have: int) -> None:
        if have == 0 and text not in self.notes:
            self.notes.append(text)

    def _insert(
        self, snap: Snapshot, table: Table, plan: Plan, n: int, start: int
    ) -> tuple[int, str]:
        """Insert row `n`, trying the strategies from `start`: (the one that worked, "") or
        (start, the last error)."""
        error = ""
        tries = range(start, len(sv.STRATEGIES)) if any(plan.checked) else (0,)
        for s in tries:
            try:
                self.driver.execute(self._sql(snap, table, plan, n, sv.STRATEGIES[s]))
                return s, ""
            except SqlmigError as exc:
                error = exc.message.splitlines()[0] if exc.message else "refused"
        return start, error

    def _sql(self, snap: Snapshot, table: Table, plan: Plan, n: int, strategy: str) -> str:
        q = self.driver.quote
        target = _qname(snap, q, table)
        values: dict[str, str] = {}
        for c, kind, hint, checked in zip(
            plan.columns, plan.kinds, plan.hints, plan.checked, strict=True
        ):
            how = strategy if checked else "usual"
            values[c.name] = sv.literal(kind, n, how, hint, snap.dialect)
        for fk, parents in plan.links:
            values.update(self._linked(table, fk, parents, n, values))
        if not values:
            return _defaults(snap.dialect, target)
        cols = ", ".join(q(c) for c in values)
        return f"INSERT INTO {target} ({cols}) VALUES ({', '.join(values.values())})"

    def _linked(
        self, table: Table, fk: Constraint, parents: tuple[tuple, ...], n: int, own: dict
    ) -> dict[str, str]:
        """A foreign key's columns: NULL where they may be and the key points at its own table;
        else a parent row's key, or, for a first row pointing at its own table, its own key."""
        nullable = all(getattr(_column(table, c), "nullable", True) for c in fk.columns)
        if _is_self(table, fk) and (nullable or not parents):
            if nullable:
                return {c: "NULL" for c in fk.columns}
            return {c: own.get(r, "NULL") for c, r in zip(fk.columns, fk.ref_columns, strict=False)}
        if not parents:
            return {c: "NULL" for c in fk.columns}
        row = parents[n % len(parents)]
        return {c: _value(v, self.driver.dialect) for c, v in zip(fk.columns, row, strict=False)}

    def _plan(self, snap: Snapshot, table: Table) -> tuple[Plan | None, str]:
        enums = _enums(snap)
        domains = {_names(snap, d.schema, d.name): d for d in snap.domains}
        checks = [c.expression or "" for c in table.constraints if c.kind == "check"]
        cols, kinds, hints, checked = [], [], [], []
        for c in table.columns:
            if c.generated is not None or c.identity == "always":
                continue
            domain = next((d for k, d in domains.items() if c.type in k), None)
            type_ = domain.type if domain else c.type
            mine = [e for e in checks if _names_column(e, c.name)]
            mine += [chk for _n, chk in domain.checks] if domain else []
            cols.append(c)
            kinds.append(sv.classify(type_, snap.dialect, enums))
            hints.append(tuple(h for e in mine for h in sv.hints(e)))
            checked.append(bool(mine))
        links, why = self._links(snap, table)
        if why:
            return None, why
        plan = Plan(tuple(cols), tuple(kinds), tuple(hints), tuple(checked), links)
        return plan, ""

    def _links(self, snap: Snapshot, table: Table) -> tuple[tuple, str]:
        links = []
        for fk in (c for c in table.constraints if c.kind == "foreign key"):
            parents = self._parent_keys(snap, fk)
            needed = any(not _column(table, c).nullable for c in fk.columns if _column(table, c))
            if not parents and needed and not _is_self(table, fk):
                parent = snap.display(fk.ref_schema or table.schema, fk.ref_table or "")
                return (), f"its foreign key {fk.name} needs a row in {parent}, which has none"
            links.append((fk, parents))
        return tuple(links), ""

    def _parent_keys(self, snap: Snapshot, fk: Constraint) -> tuple[tuple, ...]:
        q = self.driver.quote
        parent = snap.table(fk.ref_schema or snap.default_schema, fk.ref_table or "")
        if parent is None or not fk.ref_columns:
            return ()
        cols = ", ".join(q(c) for c in fk.ref_columns)
        where = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.ref_columns)
        sql = f"SELECT DISTINCT {cols} FROM {_qname(snap, q, parent)} WHERE {where}"
        try:
            return tuple(sorted(self.driver.query(sql), key=repr)[:50])
        except SqlmigError:
            return ()


def parents_first(snap: Snapshot) -> list[Table]:
    """Tables in an order where each comes after the tables its foreign keys point at (those
    in a cycle in name order, after the rest)."""
    tables = {(t.schema, t.name): t for t in snap.tables}
    needs = {
        k: {
            (c.ref_schema or t.schema, c.ref_table or "")
            for c in t.constraints
            if c.kind == "foreign key" and (c.ref_schema or t.schema, c.ref_table) != k
        }
        & tables.keys()
        for k, t in tables.items()
    }
    done: list[Key] = []
    while len(done) < len(tables):
        ready = sorted(k for k in tables if k not in done and needs[k] <= set(done))
        done += ready or [min(k for k in tables if k not in done)]
    return [tables[k] for k in done]


def counts(driver: Driver, snap: Snapshot) -> dict[Key, int]:
    """How many rows each table holds now."""
    q = driver.quote
    return {
        (t.schema, t.name): int(driver.query(f"SELECT count(*) FROM {_qname(snap, q, t)}")[0][0])
        for t in snap.tables
    }


def _qname(snap: Snapshot, q, table: Table) -> str:  # type: ignore[no-untyped-def]
    if table.schema == snap.default_schema:
        return q(table.name)
    return f"{q(table.schema)}.{q(table.name)}"


def _defaults(dialect: str, target: str) -> str:
    if dialect == "mysql":
        return f"INSERT INTO {target} () VALUES ()"
    return f"INSERT INTO {target} DEFAULT VALUES"


def _is_self(table: Table, fk: Constraint) -> bool:
    return (fk.ref_schema or table.schema, fk.ref_table) == (table.schema, table.name)


def _column(table: Table, name: str) -> Column | None:
    return next((c for c in table.columns if c.name == name), None)


def _names_column(expression: str, column: str) -> bool:
    """Whether a check's text names the column (bare, or quoted as any of the three quote)."""
    word = re.escape(column)
    return bool(re.search(rf'(?<![\w$])(?:{word}|"{word}"|`{word}`)(?![\w$])', expression))


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


def _value(v: object, dialect: str) -> str:
    """A key read back from a parent row, as a literal for the child's insert."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float) or type(v).__name__ == "Decimal":
        return str(v)
    if isinstance(v, bytes | bytearray | memoryview):
        raw = bytes(v).hex()
        return f"'\\x{raw}'" if dialect == "postgres" else f"X'{raw}'"
    return sv._quote(str(v), dialect)

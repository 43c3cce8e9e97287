"""`verify --data`: fill each table of a scratch database with a few generated rows that its
schema accepts (types, NOT NULL, unique keys, checks, foreign keys to rows already there)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

from ..drivers.base import Driver
from ..errors import SqlmigError
from . import seed_values as sv
from .model import Column, Constraint, Snapshot, Table
from .seed_plan import Key, Plan, Test, parents_first, plan, qname

FIRST = 100_000  # generated numbers start here, above the small ids a migration's seed rows use


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
        links, why = self._links(snap, table)
        if why:
            return self._note(f"table {name} left empty: {why}", have)
        how = dataclasses.replace(plan(snap, table), links=links)
        numbers = [next(self.numbers) for _ in range(self.rows - have)]
        if self._at_once(snap, table, how, numbers):
            return None
        error, strategy = "", 0
        for n in numbers:
            strategy, error = self._insert(snap, table, how, n, strategy)
            if error:
                break
            have += 1
        if error:
            self._note(f"table {name} left empty: the database refused every generated row "
                       f"({error})", have)  # fmt: skip

    def _note(self, text: str, have: int) -> None:
        if have == 0 and text not in self.notes:
            self.notes.append(text)

    def _at_once(self, snap: Snapshot, table: Table, how: Plan, numbers: list[int]) -> bool:
        """All the rows in one INSERT, each column's usual value (or the one its own checks
        pass): True when the database took them."""
        rows = [
            self._row(table, how, n, 0, self._values(snap, how, n), frozenset()) for n in numbers
        ]
        if not rows or not rows[0]:
            return False
        q = self.driver.quote
        tuples = ", ".join(f"({', '.join(r.values())})" for r in rows)
        cols = ", ".join(q(c) for c in rows[0])
        try:
            self.driver.execute(f"INSERT INTO {qname(snap, q, table)} ({cols}) VALUES {tuples}")
        except SqlmigError:
            return False
        return True

    def _insert(
        self, snap: Snapshot, table: Table, how: Plan, n: int, start: int
    ) -> tuple[int, str]:
        """Insert row `n`, trying the strategies from `start` on the columns a check names
        with other columns: (the one that worked, "") or (start, the last error)."""
        error = ""
        values = self._values(snap, how, n)
        for s in _tries(how, start):
            strategy, kept = s % len(sv.STRATEGIES), s // len(sv.STRATEGIES)
            nulls = _nulls(how, kept)
            try:
                self.driver.execute(self._sql(snap, table, how, n, strategy, values, nulls))
                return s, ""
            except SqlmigError as exc:
                error = exc.message.splitlines()[0] if exc.message else "refused"
        return start, error

    def _values(self, snap: Snapshot, how: Plan, n: int) -> dict[str, str]:
        """The value of each column that only checks of its own name: the first candidate
        those checks pass, asked of the database."""
        out = {}
        for i, c in enumerate(how.columns):
            if how.tests[i] and not how.checked[i]:
                out[c.name] = self._passing(snap, how, i, n)
        return out

    def _passing(self, snap: Snapshot, how: Plan, i: int, n: int) -> str:
        kind, hints = how.kinds[i], how.hints[i]
        for strategy in sv.STRATEGIES:
            value = sv.literal(kind, n, strategy, hints, snap.dialect)
            if self._passes(value, how.types[i], how.tests[i]):
                return value
        return sv.usual(kind, n, snap.dialect)

    def _passes(self, value: str, type_: str, tests: tuple[Test, ...]) -> bool:
        """Whether the checks hold for the value (True when the database cannot tell)."""
        q = self.driver.quote
        if self.driver.dialect == "postgres":
            value = f"CAST({value} AS {type_})"
        for alias in dict.fromkeys(a for a, _e in tests):
            fails = " OR ".join(f"NOT ({e})" for a, e in tests if a == alias)
            sql = f"SELECT 1 FROM (SELECT {value} AS {q(alias)}) AS x WHERE {fails}"
            try:
                if self.driver.query(sql):
                    return False
            except SqlmigError:
                continue
        return True

    def _sql(
        self,
        snap: Snapshot,
        table: Table,
        how: Plan,
        n: int,
        strategy: int,
        fixed: dict,
        nulls: frozenset[str],
    ) -> str:
        q = self.driver.quote
        target = qname(snap, q, table)
        values = self._row(table, how, n, strategy, fixed, nulls)
        if not values:
            return _defaults(snap.dialect, target)
        cols = ", ".join(q(c) for c in values)
        return f"INSERT INTO {target} ({cols}) VALUES ({', '.join(values.values())})"

    def _row(
        self, table: Table, how: Plan, n: int, strategy: int, fixed: dict, nulls: frozenset[str]
    ) -> dict[str, str]:
        """Each column's literal for row `n`."""
        dialect = self.driver.dialect
        values: dict[str, str] = {}
        for i, c in enumerate(how.columns):
            if c.name in fixed:
                values[c.name] = fixed[c.name]
                continue
            way = sv.STRATEGIES[strategy] if how.checked[i] else "usual"
            values[c.name] = sv.literal(how.kinds[i], n, way, how.hints[i], dialect)
        for fk, parents in how.links:
            values.update(self._linked(table, fk, parents, n, values))
        values.update((c, "NULL") for c in nulls)
        return values

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

    def _links(self, snap: Snapshot, table: Table) -> tuple[tuple, str]:
        links = []
        for fk in (c for c in table.constraints if c.kind == "foreign key"):
            parents = self._parent_keys(snap, fk)
            cols = [_column(table, c) for c in fk.columns]
            needed = any(c is not None and not c.nullable for c in cols)
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
        sql = f"SELECT DISTINCT {cols} FROM {qname(snap, q, parent)} WHERE {where}"
        try:
            return tuple(sorted(self.driver.query(sql), key=repr)[:50])
        except SqlmigError:
            return ()


def _tries(how: Plan, start: int) -> range:
    """The attempts at a row: each strategy; then, where a check names several columns that
    may be NULL (`a IS NULL OR b IS NULL`), each again with all of them NULL but one."""
    if not any(how.checked):
        return range(1)
    optional = [c for c, checked in zip(how.columns, how.checked, strict=True)
                if checked and c.nullable]  # fmt: skip
    count = len(sv.STRATEGIES) * (1 + len(optional) if len(optional) > 1 else 1)
    return range(start, count)


def _nulls(how: Plan, kept: int) -> frozenset[str]:
    """Attempt group `kept` (1, 2...): the nullable checked columns but the kept-th, NULL."""
    if kept == 0:
        return frozenset()
    optional = [c.name for c, checked in zip(how.columns, how.checked, strict=True)
                if checked and c.nullable]  # fmt: skip
    return frozenset(optional[: kept - 1] + optional[kept:])


def counts(driver: Driver, snap: Snapshot) -> dict[Key, int]:
    """How many rows each table holds now, in one query."""
    q = driver.quote
    keys = [(t.schema, t.name) for t in snap.tables]
    parts = [f"SELECT {i}, count(*) FROM {qname(snap, q, t)}" for i, t in enumerate(snap.tables)]
    if not parts:
        return {}
    return {keys[int(i)]: int(n) for i, n in driver.query(" UNION ALL ".join(parts))}


def _defaults(dialect: str, target: str) -> str:
    if dialect == "mysql":
        return f"INSERT INTO {target} () VALUES ()"
    return f"INSERT INTO {target} DEFAULT VALUES"


def _is_self(table: Table, fk: Constraint) -> bool:
    return (fk.ref_schema or table.schema, fk.ref_table) == (table.schema, table.name)


def _column(table: Table, name: str) -> Column | None:
    return next((c for c in table.columns if c.name == name), None)


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
    return sv.quote(str(v), dialect)

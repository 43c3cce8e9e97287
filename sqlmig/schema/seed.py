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
        error, strategy = "", 0
        for _ in range(self.rows - have):
            strategy, error = self._insert(snap, table, how, next(self.numbers), strategy)
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
        self, snap: Snapshot, table: Table, how: Plan, n: int, start: int
    ) -> tuple[int, str]:
        """Insert row `n`, trying the strategies from `start` on the columns a check names
        with other columns: (the one that worked, "") or (start, the last error)."""
        error = ""
        values = self._values(snap, how, n)
        tries = range(start, len(sv.STRATEGIES)) if any(how.checked) else (0,)
        for s in tries:
            try:
                self.driver.execute(self._sql(snap, table, how, n, sv.STRATEGIES[s], values))
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
        self, snap: Snapshot, table: Table, how: Plan, n: int, strategy: str, fixed: dict
    ) -> str:
        q = self.driver.quote
        target = qname(snap, q, table)
        values: dict[str, str] = {}
        for i, c in enumerate(how.columns):
            if c.name in fixed:
                values[c.name] = fixed[c.name]
                continue
            way = strategy if how.checked[i] else "usual"
            values[c.name] = sv.literal(how.kinds[i], n, way, how.hints[i], snap.dialect)
        for fk, parents in how.links:
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


def counts(driver: Driver, snap: Snapshot) -> dict[Key, int]:
    """How many rows each table holds now."""
    q = driver.quote
    return {
        (t.schema, t.name): int(driver.query(f"SELECT count(*) FROM {qname(snap, q, t)}")[0][0])
        for t in snap.tables
    }


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

"""`verify --data`: read the rows of a scratch database's tables, and say how two readings of
them differ (rows gone or added, column values changed), by table and column."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..drivers.base import Driver
from .model import Column, Snapshot, Table

Key = tuple[str, str]
# A table with more rows than this (a migration inserted them) has only its count compared:
# reading it two or three times for each later migration would cost more than the check is worth.
LIMIT = 5000


@dataclass(frozen=True)
class Rows:
    """One table's rows, read with a fixed column list; `key`: positions of its primary key."""

    name: str  # as displayed
    columns: tuple[str, ...]
    key: tuple[int, ...]
    rows: tuple[tuple[Any, ...], ...]  # () when there are more than LIMIT
    count: int


def read(
    driver: Driver, snap: Snapshot, tables: Iterable[Table], keep: Callable[[Column], bool]
) -> dict[Key, Rows]:
    """The rows of `tables`, with the columns `keep` accepts, as comparable values."""
    out = {}
    for t in tables:
        if t.partition_of is not None:  # its rows are read through its parent
            continue
        cols = tuple(c.name for c in t.columns if keep(c))
        if cols:
            out[(t.schema, t.name)] = _read(driver, snap, t, cols)
    return out


def _read(driver: Driver, snap: Snapshot, t: Table, cols: tuple[str, ...]) -> Rows:
    q = driver.quote
    target = q(t.name) if t.schema == snap.default_schema else f"{q(t.schema)}.{q(t.name)}"
    rows = driver.query(f"SELECT {', '.join(q(c) for c in cols)} FROM {target} LIMIT {LIMIT + 1}")
    pk = next((c.columns for c in t.constraints if c.kind == "primary key"), ())
    key = tuple(cols.index(c) for c in pk) if pk and set(pk) <= set(cols) else ()
    name = snap.display(t.schema, t.name)
    if len(rows) > LIMIT:
        count = int(driver.query(f"SELECT count(*) FROM {target}")[0][0])
        return Rows(name, cols, key, (), count)
    values = tuple(tuple(_comparable(v) for v in r) for r in rows)
    return Rows(name, cols, key, values, len(values))


def _comparable(v: Any) -> Any:
    """A hashable value that is equal exactly when the database's values are."""
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, default=str)
    if isinstance(v, memoryview | bytearray):
        return bytes(v)
    try:
        hash(v)
    except TypeError:  # a driver's value type without a hash (a range, a composite)
        return f"{type(v).__name__}:{v!r}"
    return v


def differences(
    before: dict[Key, Rows],
    after: dict[Key, Rows],
    *,
    then: str,
    when: str,
) -> list[str]:
    """What differs between two readings of the same tables, read `then` and `when` (the
    phrases end each sentence: "before the up", "after the down")."""
    out: list[str] = []
    for k, was in before.items():
        now = after.get(k)
        if now is not None and now.columns == was.columns:
            out += _table(was, now, then, when)
    return out


def _table(was: Rows, now: Rows, then: str, when: str) -> list[str]:
    out = []
    if was.count != now.count:
        out.append(f"table {was.name}: {was.count} row(s) {then}, {now.count} {when}")
    if was.count > LIMIT or now.count > LIMIT:
        return out
    if was.key:
        return out + _by_key(was, now, when)
    return out + _by_column(was, now, when)


def _by_key(was: Rows, now: Rows, when: str) -> list[str]:
    """Rows matched by primary key: per column, how many of the kept rows changed."""
    first = {tuple(r[i] for i in was.key): r for r in was.rows}
    second = {tuple(r[i] for i in now.key): r for r in now.rows}
    common = sorted((k for k in first if k in second), key=repr)
    out = []
    gone = len(first) - len(common)
    if gone and len(first) == len(second):
        out.append(f"table {was.name}: {gone} row(s) with another primary key {when}")
    for i, col in enumerate(was.columns):
        changed = [k for k in common if first[k][i] != second[k][i]]
        if changed:
            a, b = first[changed[0]][i], second[changed[0]][i]
            out.append(
                f"column {was.name}.{col}: {len(changed)} of {len(common)} row(s) hold another "
                f"value {when} (e.g. {_show(a)} became {_show(b)})"
            )
    return out


def _by_column(was: Rows, now: Rows, when: str) -> list[str]:
    """No primary key: per column, the values of the first reading missing from the second."""
    out = []
    for i, col in enumerate(was.columns):
        missing = Counter(r[i] for r in was.rows) - Counter(r[i] for r in now.rows)
        if missing and len(now.rows) >= len(was.rows):
            lost = sorted(missing, key=repr)[0]
            out.append(
                f"column {was.name}.{col}: {sum(missing.values())} of {len(was.rows)} value(s) "
                f"missing {when} (e.g. {_show(lost)})"
            )
    return out


def _show(v: Any) -> str:
    if v is None:
        return "NULL"
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def kept(c: Column) -> bool:
    """A column whose values a down must bring back (MySQL's ON UPDATE columns change when the
    down updates a row: they are not compared)."""
    return not c.on_update

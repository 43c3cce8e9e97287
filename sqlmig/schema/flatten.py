"""Flatten a Snapshot into comparable items: one per table, column, constraint, index..."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Snapshot


@dataclass(frozen=True)
class Item:
    """One comparable object of a snapshot: a table, a column, an index..."""

    kind: str
    name: str  # display name, e.g. "books.isbn"
    parent: str | None  # display name of the table it belongs to
    attrs: tuple[tuple[str, Any], ...]


NAMING = ("schema", "name", "table", "signature")


def attrs(obj: Any, skip: tuple[str, ...] = NAMING) -> tuple[tuple[str, Any], ...]:
    return tuple((name, getattr(obj, name)) for name in _names(type(obj), skip))


@lru_cache(maxsize=64)
def _names(cls: type, skip: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in skip)


def flatten(snap: Snapshot) -> Iterator[Item]:
    for schema in snap.schemas:
        yield Item("schema", schema, None, ())
    for x in snap.extensions:
        yield Item("extension", x.name, None, (("schema", x.schema),))
    for d in snap.domains:
        yield Item("domain", snap.display(d.schema, d.name), None, attrs(d))
    for ct in snap.composites:
        yield Item("type", snap.display(ct.schema, ct.name), None, attrs(ct))
    for e in snap.enums:
        yield Item("type", snap.display(e.schema, e.name), None, attrs(e))
    for s in snap.sequences:
        yield Item("sequence", snap.display(s.schema, s.name), None, attrs(s))
    for r in snap.routines:
        name = f"{snap.display(r.schema, r.name)}({r.signature})"
        yield Item("function", name, None, attrs(r))
    for t in snap.tables:
        table = snap.display(t.schema, t.name)
        yield Item("table", table, None, attrs(t, (*NAMING, "columns", "constraints")))
        for c in t.columns:
            yield Item("column", f"{table}.{c.name}", table, attrs(c))
        for k in t.constraints:
            yield Item(k.kind, f"{table}.{k.name}", table, attrs(k))
    for i in snap.indexes:
        parent = snap.display(i.schema, i.table)
        yield Item("index", snap.display(i.schema, i.name), parent, attrs(i))
    for v in snap.views:
        kind = "materialized view" if v.materialized else "view"
        yield Item(kind, snap.display(v.schema, v.name), None, attrs(v, (*NAMING, "materialized")))
    for g in snap.triggers:
        parent = snap.display(g.schema, g.table)
        yield Item("trigger", f"{parent}.{g.name}", parent, attrs(g))
    yield from _table_extras(snap)


def _table_extras(snap: Snapshot) -> Iterator[Item]:
    for st in snap.statistics:
        parent = snap.display(st.schema, st.table)
        yield Item("statistics", snap.display(st.schema, st.name), parent, attrs(st))
    for p in snap.policies:
        parent = snap.display(p.schema, p.table)
        yield Item("policy", f"{parent}.{p.name}", parent, attrs(p))
    for r in snap.row_security:
        table = snap.display(r.schema, r.name)
        yield Item("row level security", f"on {table}", table, attrs(r))
    for c in snap.comments:
        parent = snap.display(c.schema, c.table) if c.table else None
        yield Item("comment", f"on {c.name}", parent, (("text", c.text),))
    for o in snap.others:
        yield Item(o.kind, o.name, None, ())

"""SQLite's table rebuild, for changes ALTER TABLE cannot make: create the new table, copy the
rows, drop the old one, rename the new one; its indexes follow (triggers come back later)."""

from __future__ import annotations

import re

from . import ddl
from .model import Column, Snapshot, Table
from .stmt import Stmt

PREFIX = "_sqlmig_new_"


def needed(alter: frozenset[str], a: Table, b: Table) -> bool:
    """Whether the change from a to b needs a rebuild on a database that can do `alter`."""
    if "alter column" in alter:
        return False
    old = {c.name: c for c in a.columns}
    if a.options != b.options or a.constraints != b.constraints:
        return True
    if any(old.get(c.name, c) != c for c in b.columns) or len(old) > len(
        {c.name for c in b.columns} & old.keys()
    ):
        return True
    return not all(_addable(c, b) for c in b.columns if c.name not in old)


def _addable(c: Column, t: Table) -> bool:
    """SQLite's ADD COLUMN limits: no key, no stored expression, a constant default."""
    keyed = any(c.name in k.columns for k in t.constraints if k.kind != "check")
    constant = c.default is None or re.fullmatch(r"'(?:[^']|'')*'|-?[\d.]+|NULL", c.default)
    no_null = c.nullable or c.default is not None
    return not keyed and not (c.generated and c.stored) and bool(constant) and no_null


def statements(old: Snapshot, new: Snapshot, a: Table, b: Table) -> list:
    table, temp = ddl.qname(new, b.schema, b.name), ddl.quote(new, PREFIX + b.name)
    kept = {c.name for c in a.columns}
    copied = [c.name for c in b.columns if c.name in kept and c.generated is None]
    lost = [c for c in a.columns if c.name not in {x.name for x in b.columns}]
    cols = ddl.names(new, tuple(copied))
    out = [
        Stmt(
            f"-- SQLite cannot make this change to {b.name} in place: rebuild it\n"
            + ddl.create_table(new, b, name=temp),
            _note(a, b, lost),
        ),
        Stmt(f"INSERT INTO {temp} ({cols}) SELECT {cols} FROM {table};"),
        Stmt(f"DROP TABLE {table};"),
        Stmt(f"ALTER TABLE {temp} RENAME TO {table};"),
    ]
    return out + [
        Stmt(ddl.create_index(new, i))
        for i in new.indexes
        if (i.schema, i.table) == (b.schema, b.name)
    ]


def _note(a: Table, b: Table, lost: list[Column]) -> str | None:
    notes = [f"drops column {b.name}.{c.name} and its data" for c in lost]
    kept = {c.name for c in a.columns}
    notes += [
        f"{b.name}.{c.name} is NOT NULL without a default: the copy fails if the table has rows"
        for c in b.columns
        if c.name not in kept and not c.nullable and c.default is None and c.generated is None
    ]
    return "; ".join(notes) or None

"""Statements for the objects around tables: schemas, extensions, types, sequences, functions."""

from __future__ import annotations

from . import ddl, pg_ddl, types
from .model import Enum, Sequence, Snapshot
from .stmt import Stmt


def _by(objs, key=lambda o: (o.schema, o.name)) -> dict:
    return {key(o): o for o in objs}


def _routine_key(r) -> tuple:
    return (r.schema, r.name, r.signature)


def create(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """New schemas, types, sequences and functions, and changed ones, before any table."""
    out = [
        Stmt(f"CREATE SCHEMA {ddl.quote(new, s)};")
        for s in new.schemas
        if s not in set(old.schemas)
    ]
    out += _extensions(old, new)
    enums = _by(old.enums)
    for k, e in sorted(_by(new.enums).items()):
        if enums.get(k) != e:
            out += _enum(new, enums.get(k), e)
    out += types.create(old, new)
    sequences = _by(old.sequences)
    for k, s in sorted(_by(new.sequences).items()):
        if k not in sequences:
            out.append(Stmt(ddl.create_sequence(new, s)))
        elif _options(sequences[k]) != _options(s):
            out.append(Stmt(_alter_sequence(new, s)))
    routines = _by(old.routines, _routine_key)
    changed = [
        r for k, r in sorted(_by(new.routines, _routine_key).items()) if routines.get(k) != r
    ]
    if changed and new.dialect == "postgres":
        out.append(Stmt("SET LOCAL check_function_bodies = false;"))
    if ddl.of(new).mysql:  # no CREATE OR REPLACE in MySQL 8: a changed routine is dropped first
        out += [Stmt(ddl.drop_routine(old, routines[_routine_key(r)]))
                for r in changed if _routine_key(r) in routines]  # fmt: skip
    out += [Stmt(ddl.create_routine(r)) for r in changed]
    return out


def release(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Sequences that stay but whose owning table is dropped: released first, or DROP TABLE
    would drop them with it (a table renamed as drop + create keeps its serial's sequence)."""
    tables = {(t.schema, t.name) for t in new.tables}
    keep = _by(new.sequences)
    return [
        Stmt(f"ALTER SEQUENCE {ddl.qname(old, s.schema, s.name)} OWNED BY NONE;")
        for k, s in sorted(_by(old.sequences).items())
        if s.owned_by and k in keep and (s.schema, s.owned_by[0]) not in tables
    ]


def drop(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Sequence owners, then what is gone, after the tables that used it."""
    sequences = _by(old.sequences)
    out = [
        Stmt(ddl.sequence_owner(new, s))
        for k, s in sorted(_by(new.sequences).items())
        if s.owned_by and (k not in sequences or sequences[k].owned_by != s.owned_by)
    ]
    keep = _by(new.routines, _routine_key)
    out += [
        Stmt(ddl.drop_routine(old, r))
        for k, r in sorted(_by(old.routines, _routine_key).items())
        if k not in keep
    ]
    keep = _by(new.sequences)
    out += [
        Stmt(f"DROP SEQUENCE IF EXISTS {ddl.qname(old, s.schema, s.name)};")
        for k, s in sorted(sequences.items())
        if k not in keep
    ]
    keep = _by(new.enums)
    out += [
        Stmt(f"DROP TYPE {ddl.qname(old, e.schema, e.name)};")
        for k, e in sorted(_by(old.enums).items())
        if k not in keep
    ]
    out += types.drop(old, new)
    keep = _by(new.extensions, _name)
    out += [Stmt(pg_ddl.drop_extension(old, x)) for x in old.extensions if x.name not in keep]
    gone = sorted(set(old.schemas) - set(new.schemas))
    return out + [Stmt(f"DROP SCHEMA {ddl.quote(old, s)};", f"drops schema {s}") for s in gone]


def _name(o) -> str:
    return o.name


def _extensions(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """New extensions, and those whose objects move to another schema."""
    had = _by(old.extensions, _name)
    out = []
    for x in new.extensions:
        if x.name not in had:
            out.append(Stmt(pg_ddl.create_extension(new, x)))
        elif had[x.name].schema != x.schema:
            schema = ddl.quote(new, x.schema)
            out.append(Stmt(f"ALTER EXTENSION {ddl.quote(new, x.name)} SET SCHEMA {schema};"))
    return out


def _enum(snap: Snapshot, was: Enum | None, e: Enum) -> list[Stmt]:
    if was is None:
        return [Stmt(ddl.create_enum(snap, e))]
    name = ddl.qname(snap, e.schema, e.name)
    if e.labels[: len(was.labels)] == was.labels:
        return [
            Stmt(f"ALTER TYPE {name} ADD VALUE {ddl.literal(x)};")
            for x in e.labels[len(was.labels) :]
        ]
    return _replace_enum(snap, was, e, name)


def _replace_enum(snap: Snapshot, was: Enum, e: Enum, name: str) -> list[Stmt]:
    """Labels removed or reordered: a new type, the columns moved to it through text."""
    old = ddl.qname(snap, e.schema, e.name + "_sqlmig_old")
    type_name = snap.display(e.schema, e.name)
    out = [
        Stmt(
            f"ALTER TYPE {name} RENAME TO {ddl.quote(snap, e.name + '_sqlmig_old')};",
            f"type {e.name} loses or reorders labels: this fails if a row holds a removed one",
        ),
        Stmt(ddl.create_enum(snap, e)),
    ]
    for t in snap.tables:
        table = ddl.qname(snap, t.schema, t.name)
        for c in t.columns:
            if c.type == type_name:
                col = f"ALTER TABLE {table} ALTER COLUMN {ddl.quote(snap, c.name)}"
                cast = f"{ddl.quote(snap, c.name)}::text::{name}"
                out += [Stmt(f"{col} DROP DEFAULT;")] if c.default else []
                out.append(Stmt(f"{col} TYPE {name} USING {cast};"))
                out += [Stmt(f"{col} SET DEFAULT {c.default};")] if c.default else []
    return [*out, Stmt(f"DROP TYPE {old};")]


def _options(s: Sequence) -> tuple:
    return (s.type, s.start, s.increment, s.minvalue, s.maxvalue, s.cycle)


def _alter_sequence(snap: Snapshot, s: Sequence) -> str:
    cycle = "CYCLE" if s.cycle else "NO CYCLE"
    return (
        f"ALTER SEQUENCE {ddl.qname(snap, s.schema, s.name)} AS {s.type} INCREMENT BY "
        f"{s.increment} MINVALUE {s.minvalue} MAXVALUE {s.maxvalue} START WITH {s.start} {cycle};"
    )

"""A snapshot as deterministic, readable DDL: one block per object, sorted, same bytes each time."""

from __future__ import annotations

from . import ddl, pg_ddl
from .model import Index, Snapshot


def blocks(snap: Snapshot) -> list[str]:
    """Every statement needed to build the schema in an empty database, in a working order."""
    dialect = ddl.DIALECTS[snap.dialect]
    out = list(dialect.preamble)
    out += [
        f"CREATE SCHEMA {ddl.quote(snap, s)};" for s in snap.schemas if s != snap.default_schema
    ]
    out += [pg_ddl.create_extension(snap, x) for x in snap.extensions]
    out += [ddl.create_enum(snap, e) for e in snap.enums]
    types = pg_ddl.type_order([*snap.domains, *snap.composites])
    out += [pg_ddl.create_type(snap, t) for t in types]
    out += [ddl.create_sequence(snap, s) for s in snap.sequences]
    out += _compound(snap, [ddl.create_routine(r) for r in snap.routines])
    out += [ddl.create_table(snap, t) for t in ddl.table_order(snap.tables)]
    fks = [
        ddl.add_constraint(snap, t, c)
        for t in snap.tables
        for c in t.constraints
        if c.kind == "foreign key" and not dialect.inline_foreign_keys
    ]
    on_views = {(v.schema, v.name) for v in snap.views}
    indexes = [
        ddl.create_index(snap, i) for i in snap.indexes if (i.schema, i.table) not in on_views
    ]
    if dialect.mysql:  # an index first, so that a foreign key uses it rather than make its own
        out += indexes + _fk_indexes(snap) + fks
    else:
        out += fks + [ddl.sequence_owner(snap, s) for s in snap.sequences if s.owned_by] + indexes
    out += [ddl.create_view(snap, v) for v in ddl.view_order(snap.views)]
    out += [ddl.create_index(snap, i) for i in snap.indexes if (i.schema, i.table) in on_views]
    out += _compound(snap, [ddl.create_trigger(t) for t in snap.triggers])
    return out + _after_tables(snap)


def _fk_indexes(snap: Snapshot) -> list[str]:
    """The index InnoDB made for a foreign key declared in CREATE TABLE is named after its
    column; one added later (as the dump adds them) is named after the key: made by name
    first, so that the name a later migration may drop stays the same."""
    keys = {(t.name, c.name): c for t in snap.tables for c in t.constraints}
    out: list[str] = []
    for table, fk, name in snap.implicit:
        c = keys.get((table, fk))
        if c is not None and name != fk:
            index = Index(
                snap.default_schema, name, table, tuple(ddl.quote(snap, n) for n in c.columns)
            )
            out.append(ddl.create_index(snap, index))
    return out


def _after_tables(snap: Snapshot) -> list[str]:
    """Statistics, row security, policies and comments, once their objects exist."""
    out = [pg_ddl.create_statistic(s) for s in snap.statistics]
    out += [sql for r in snap.row_security for sql in pg_ddl.row_security(snap, r)]
    out += [pg_ddl.create_policy(snap, p) for p in snap.policies]
    return out + [pg_ddl.comment(c) for c in snap.comments]


def _compound(snap: Snapshot, statements: list[str]) -> list[str]:
    """MySQL routine and trigger bodies hold `;`: between DELIMITER lines, as mysqldump writes
    them, so that the mysql client and sqlmig both read each as one statement."""
    if not statements or not ddl.of(snap).mysql:
        return statements
    body = "\n".join(s.rstrip(";") + ";;" for s in statements)
    return [f"DELIMITER ;;\n{body}\nDELIMITER ;"]


def dump(snap: Snapshot) -> str:
    head = f"-- schema dumped by sqlmig ({snap.dialect}); history tables left out\n"
    notes = "".join(f"-- note: {n}\n" for n in snap.notes)
    return head + notes + "\n" + "\n\n".join(blocks(snap)) + "\n"

"""DDL text for each object of a snapshot; what differs between databases is Dialect data."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import (
    Column,
    Constraint,
    Enum,
    Index,
    Routine,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    View,
)


@dataclass(frozen=True)
class Dialect:
    name: str
    inline_foreign_keys: bool  # FKs inside CREATE TABLE (SQLite cannot ALTER TABLE ADD them)
    index_methods: bool  # CREATE INDEX ... USING method
    preamble: tuple[str, ...]  # statements a dump starts with
    alter: frozenset[str]  # ALTER TABLE changes it can make in place; others rebuild the table


DIALECTS = {
    "postgres": Dialect(
        "postgres",
        inline_foreign_keys=False,
        index_methods=True,
        preamble=("SET check_function_bodies = false;",),
        alter=frozenset(
            {"add column", "drop column", "alter column", "add constraint", "drop constraint"}
        ),
    ),
    "sqlite": Dialect(
        "sqlite", inline_foreign_keys=True, index_methods=False, preamble=(), alter=frozenset()
    ),
}
_PLAIN = re.compile(r'^("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)$')
_ORDER = re.compile(r"(\s+(?:DESC|ASC|NULLS FIRST|NULLS LAST))+$", re.I)


def quote(name: str) -> str:
    """An identifier quoted as both PostgreSQL and SQLite read it."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def qname(snap: Snapshot, schema: str, name: str) -> str:
    """A schema-qualified name; the default schema is left implicit."""
    return quote(name) if schema == snap.default_schema else f"{quote(schema)}.{quote(name)}"


def names(cols: tuple[str, ...]) -> str:
    return ", ".join(quote(c) for c in cols)


def column(c: Column, dialect: Dialect, *, inline_pk: bool = False) -> str:
    parts = [quote(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {quote(c.collation)}")
    if c.identity == "autoincrement":
        parts.append("PRIMARY KEY AUTOINCREMENT")
    elif c.identity:
        parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY")
    if c.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) {'STORED' if c.stored else 'VIRTUAL'}")
    if c.default is not None:
        parts.append(f"DEFAULT {_default(c.default, dialect)}")
    if not c.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def _default(expr: str, dialect: Dialect) -> str:
    """SQLite takes only literals and a few keywords bare: anything else goes in parentheses."""
    if dialect.name == "sqlite" and not re.fullmatch(r"'(?:[^']|'')*'|-?[\d.]+|[A-Z_]+", expr):
        return f"({expr})"
    return expr


def constraint(snap: Snapshot, c: Constraint) -> str:
    head = f"CONSTRAINT {quote(c.name)} "
    if c.kind == "primary key":
        return head + f"PRIMARY KEY ({names(c.columns)})"
    if c.kind == "unique":
        return head + f"UNIQUE ({names(c.columns)})"
    if c.kind == "check":
        return head + f"CHECK ({c.expression})"
    if c.kind == "exclude":
        return head + str(c.expression)
    ref = qname(snap, c.ref_schema or snap.default_schema, c.ref_table or "")
    text = head + f"FOREIGN KEY ({names(c.columns)}) REFERENCES {ref}"
    text += f" ({names(c.ref_columns)})" if c.ref_columns else ""
    text += f" ON DELETE {c.on_delete}" if c.on_delete != "NO ACTION" else ""
    text += f" ON UPDATE {c.on_update}" if c.on_update != "NO ACTION" else ""
    return text + (f" {c.deferrable}" if c.deferrable else "")


def create_table(snap: Snapshot, t: Table, *, name: str | None = None) -> str:
    dialect = DIALECTS[snap.dialect]
    auto = any(c.identity == "autoincrement" for c in t.columns)
    lines = [column(c, dialect) for c in t.columns]
    for c in t.constraints:
        if (c.kind == "primary key" and auto) or (
            c.kind == "foreign key" and not dialect.inline_foreign_keys
        ):
            continue
        lines.append(constraint(snap, c))
    body = ",\n    ".join(lines)
    tail = " " + ", ".join(t.options) if t.options else ""
    return f"CREATE TABLE {name or qname(snap, t.schema, t.name)} (\n    {body}\n){tail};"


def add_constraint(snap: Snapshot, t: Table, c: Constraint) -> str:
    return f"ALTER TABLE {qname(snap, t.schema, t.name)} ADD {constraint(snap, c)};"


def drop_constraint(snap: Snapshot, t: Table, c: Constraint) -> str:
    return f"ALTER TABLE {qname(snap, t.schema, t.name)} DROP CONSTRAINT {quote(c.name)};"


def _key(text: str) -> str:
    """An index key: a name as it is, an expression in parentheses; ASC/DESC kept outside."""
    order = _ORDER.search(text)
    core = text[: order.start()] if order else text
    if not _PLAIN.match(core) and not (core.startswith("(") and core.endswith(")")):
        core = f"({core})"
    return core + (order.group(0) if order else "")


def create_index(snap: Snapshot, i: Index) -> str:
    dialect = DIALECTS[snap.dialect]
    unique = "UNIQUE " if i.unique else ""
    using = f" USING {i.method}" if dialect.index_methods and i.method != "btree" else ""
    text = f"CREATE {unique}INDEX {quote(i.name)} ON {qname(snap, i.schema, i.table)}{using}"
    text += f" ({', '.join(_key(k) for k in i.columns)})"
    text += f" INCLUDE ({', '.join(i.include)})" if i.include else ""
    return text + (f" WHERE {i.where}" if i.where else "") + ";"


def drop_index(snap: Snapshot, i: Index) -> str:
    return f"DROP INDEX {qname(snap, i.schema, i.name)};"


def create_view(snap: Snapshot, v: View) -> str:
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    cols = f" ({names(v.columns)})" if v.columns else ""
    return f"CREATE {kind} {qname(snap, v.schema, v.name)}{cols} AS\n{v.definition};"


def drop_view(snap: Snapshot, v: View) -> str:
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    return f"DROP {kind} {qname(snap, v.schema, v.name)};"


def create_sequence(snap: Snapshot, s: Sequence) -> str:
    text = f"CREATE SEQUENCE {qname(snap, s.schema, s.name)} AS {s.type} INCREMENT BY {s.increment}"
    text += f" MINVALUE {s.minvalue} MAXVALUE {s.maxvalue} START WITH {s.start}"
    return text + (" CYCLE;" if s.cycle else ";")


def sequence_owner(snap: Snapshot, s: Sequence) -> str:
    table, col = s.owned_by or ("", "")
    owner = f"{qname(snap, s.schema, table)}.{quote(col)}" if s.owned_by else "NONE"
    return f"ALTER SEQUENCE {qname(snap, s.schema, s.name)} OWNED BY {owner};"


def create_enum(snap: Snapshot, e: Enum) -> str:
    labels = ", ".join(literal(x) for x in e.labels)
    return f"CREATE TYPE {qname(snap, e.schema, e.name)} AS ENUM ({labels});"


def create_routine(r: Routine) -> str:
    return r.definition.rstrip().rstrip(";") + ";"


def drop_routine(snap: Snapshot, r: Routine) -> str:
    kind = "PROCEDURE" if re.match(r"CREATE (OR REPLACE )?PROCEDURE", r.definition) else "FUNCTION"
    return f"DROP {kind} {qname(snap, r.schema, r.name)}({r.signature});"


def create_trigger(t: Trigger) -> str:
    return t.definition.rstrip().rstrip(";") + ";"


def drop_trigger(snap: Snapshot, t: Trigger) -> str:
    if snap.dialect == "sqlite":
        return f"DROP TRIGGER {quote(t.name)};"
    return f"DROP TRIGGER {quote(t.name)} ON {qname(snap, t.schema, t.table)};"


def view_order(views: tuple[View, ...]) -> list[View]:
    """Views sorted by name, each after the views its query names (a view reads earlier ones)."""
    todo = sorted(views, key=lambda v: (v.schema, v.name))
    done: list[View] = []
    while todo:
        ready = [v for v in todo if not any(_mentions(v, o) for o in todo if o is not v)]
        nxt = ready[0] if ready else todo[0]  # a cycle cannot be: fall back to name order
        done.append(nxt)
        todo.remove(nxt)
    return done


def _mentions(v: View, other: View) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(other.name)}(?![\w$])", v.definition) is not None

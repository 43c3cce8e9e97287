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
    quote_char: str = '"'  # MySQL: backticks (double quotes only under ANSI_QUOTES)
    option_separator: str = ", "  # between table options: SQLite's are a list, MySQL's are not
    # MySQL: ALTER TABLE ... DROP FOREIGN KEY / DROP INDEX / MODIFY COLUMN, DROP INDEX ... ON t,
    # AUTO_INCREMENT, routines and triggers between DELIMITER lines in a dump
    mysql: bool = False
    wrap_index_keys: bool = False  # SQLite's keys are read bare: an expression needs parentheses

    def quote(self, name: str) -> str:
        """An identifier quoted as this database reads it."""
        q = self.quote_char
        return q + name.replace(q, q + q) + q


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
        "sqlite",
        inline_foreign_keys=True,
        index_methods=False,
        preamble=(),
        alter=frozenset(),
        wrap_index_keys=True,
    ),
    "mysql": Dialect(
        "mysql",
        inline_foreign_keys=False,
        index_methods=False,
        preamble=(),
        alter=frozenset(
            {"add column", "drop column", "alter column", "add constraint", "drop constraint"}
        ),
        quote_char="`",
        option_separator=" ",
        mysql=True,
    ),
}
_PLAIN = re.compile(r'^("(?:[^"]|"")*"|`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_$]*)$')
_ORDER = re.compile(r"(\s+(?:DESC|ASC|NULLS FIRST|NULLS LAST))+$", re.I)
# A default MySQL takes bare: a literal, NULL, CURRENT_TIMESTAMP[(n)] and its synonyms.
_MYSQL_BARE = re.compile(
    r"'(?:[^'\\]|''|\\.)*'|-?[\d.]+(?:e[+-]?\d+)?|NULL|true|false|b'[01]*'|0x[0-9a-f]+"
    r"|(?:CURRENT_TIMESTAMP|current_timestamp|now|localtime|localtimestamp)(?:\(\d*\))?",
    re.I,
)


def of(snap: Snapshot) -> Dialect:
    return DIALECTS[snap.dialect]


def quote(snap: Snapshot, name: str) -> str:
    """An identifier quoted for the snapshot's database."""
    return of(snap).quote(name)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def qname(snap: Snapshot, schema: str, name: str) -> str:
    """A schema-qualified name; the default schema is left implicit."""
    q = of(snap).quote
    return q(name) if schema == snap.default_schema else f"{q(schema)}.{q(name)}"


def names(snap: Snapshot, cols: tuple[str, ...]) -> str:
    return ", ".join(of(snap).quote(c) for c in cols)


def column(c: Column, dialect: Dialect, *, inline_pk: bool = False) -> str:
    parts = [dialect.quote(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {dialect.quote(c.collation)}")
    if c.identity == "autoincrement":
        parts.append("AUTO_INCREMENT" if dialect.mysql else "PRIMARY KEY AUTOINCREMENT")
    elif c.identity:
        parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY")
    if c.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) {'STORED' if c.stored else 'VIRTUAL'}")
    if c.default is not None:
        parts.append(f"DEFAULT {_default(c.default, dialect)}")
    if c.on_update is not None:
        parts.append(f"ON UPDATE {c.on_update}")
    if not c.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def _default(expr: str, dialect: Dialect) -> str:
    """SQLite takes only literals and a few keywords bare, MySQL 8 only literals and
    CURRENT_TIMESTAMP: anything else goes in parentheses."""
    if dialect.name == "sqlite" and not re.fullmatch(r"'(?:[^']|'')*'|-?[\d.]+|[A-Z_]+", expr):
        return f"({expr})"
    if dialect.mysql and not _MYSQL_BARE.fullmatch(expr):
        return f"({expr})"
    return expr


def constraint(snap: Snapshot, c: Constraint) -> str:
    deferrable = f" {c.deferrable}" if c.deferrable else ""
    head = f"CONSTRAINT {quote(snap, c.name)} "
    if c.kind == "primary key":
        return head + f"PRIMARY KEY ({names(snap, c.columns)}){deferrable}"
    if c.kind == "unique":
        return head + f"UNIQUE ({names(snap, c.columns)}){deferrable}"
    if c.kind == "check":
        return head + f"CHECK ({c.expression})"
    if c.kind == "exclude":  # pg_get_constraintdef: DEFERRABLE is part of it
        return head + str(c.expression)
    ref = qname(snap, c.ref_schema or snap.default_schema, c.ref_table or "")
    text = head + f"FOREIGN KEY ({names(snap, c.columns)}) REFERENCES {ref}"
    text += f" ({names(snap, c.ref_columns)})" if c.ref_columns else ""
    text += f" ON DELETE {c.on_delete}" if c.on_delete != "NO ACTION" else ""
    text += f" ON UPDATE {c.on_update}" if c.on_update != "NO ACTION" else ""
    return text + deferrable


def create_table(snap: Snapshot, t: Table, *, name: str | None = None) -> str:
    dialect = of(snap)
    auto = any(c.identity == "autoincrement" for c in t.columns) and not dialect.mysql
    lines = [] if t.partition_of else [column(c, dialect) for c in t.columns]
    for c in t.constraints:
        if (c.kind == "primary key" and auto) or (
            c.kind == "foreign key" and not dialect.inline_foreign_keys
        ):
            continue
        lines.append(constraint(snap, c))
    body = ",\n    ".join(lines)
    tail = " " + dialect.option_separator.join(t.options) if t.options else ""
    if t.inherits:  # the inherited columns are merged with those written here
        tail += f" INHERITS ({', '.join(qname(snap, *p) for p in t.inherits)})"
    tail += f" PARTITION BY {t.partition_by}" if t.partition_by else ""
    head = f"CREATE TABLE {name or qname(snap, t.schema, t.name)}"
    if t.partition_of:  # its columns are the parent's
        schema, parent, bound = t.partition_of
        body = f" (\n    {body}\n)" if lines else ""
        return f"{head} PARTITION OF {qname(snap, schema, parent)}{body} {bound}{tail};"
    return f"{head} (\n    {body}\n){tail};"


def table_order(
    tables: list[Table] | tuple[Table, ...], *, children_first: bool = False
) -> list[Table]:
    """Tables in their order, except that a partition or a table that inherits comes after its
    parents."""
    parents = {
        (t.schema, t.name): [*t.inherits, *([t.partition_of[:2]] if t.partition_of else [])]
        for t in tables
    }

    def depth(key: tuple[str, str], seen: int = 0) -> int:
        if seen > len(parents):  # a cycle cannot be: bounded anyway
            return seen
        return max((depth(p, seen + 1) + 1 for p in parents.get(key, ())), default=0)

    sign = -1 if children_first else 1
    return sorted(tables, key=lambda t: sign * depth((t.schema, t.name)))


def add_constraint(snap: Snapshot, t: Table, c: Constraint) -> str:
    return f"ALTER TABLE {qname(snap, t.schema, t.name)} ADD {constraint(snap, c)};"


# MySQL drops each kind of constraint its own way (DROP CONSTRAINT is MySQL 8.0.19+/MariaDB).
_MYSQL_DROP = {"primary key": "PRIMARY KEY", "unique": "INDEX {}", "foreign key": "FOREIGN KEY {}"}


def drop_constraint(snap: Snapshot, t: Table, c: Constraint) -> str:
    what = f"CONSTRAINT {quote(snap, c.name)}"
    if of(snap).mysql:
        what = _MYSQL_DROP.get(c.kind, "CONSTRAINT {}").format(quote(snap, c.name))
    return f"ALTER TABLE {qname(snap, t.schema, t.name)} DROP {what};"


def _key(text: str) -> str:
    """An index key: a name as it is, an expression in parentheses; ASC/DESC kept outside."""
    order = _ORDER.search(text)
    core = text[: order.start()] if order else text
    if not _PLAIN.match(core) and not (core.startswith("(") and core.endswith(")")):
        core = f"({core})"
    return core + (order.group(0) if order else "")


# MySQL index kinds written before INDEX rather than as USING method
_MYSQL_KINDS = {"fulltext": "FULLTEXT ", "spatial": "SPATIAL "}


def create_index(snap: Snapshot, i: Index) -> str:
    dialect = of(snap)
    unique = "UNIQUE " if i.unique else ""
    if dialect.mysql:
        unique += _MYSQL_KINDS.get(i.method, "")
    using = f" USING {i.method}" if dialect.index_methods and i.method != "btree" else ""
    keys = tuple(_key(k) for k in i.columns) if dialect.wrap_index_keys else i.columns
    text = f"CREATE {unique}INDEX {quote(snap, i.name)} ON {qname(snap, i.schema, i.table)}{using}"
    text += f" ({', '.join(keys)})"
    text += f" INCLUDE ({', '.join(i.include)})" if i.include else ""
    return text + (f" WHERE {i.where}" if i.where else "") + ";"


def drop_index(snap: Snapshot, i: Index) -> str:
    if of(snap).mysql:
        return f"DROP INDEX {quote(snap, i.name)} ON {qname(snap, i.schema, i.table)};"
    return f"DROP INDEX {qname(snap, i.schema, i.name)};"


def create_view(snap: Snapshot, v: View) -> str:
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    cols = f" ({names(snap, v.columns)})" if v.columns else ""
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
    owner = f"{qname(snap, s.schema, table)}.{quote(snap, col)}" if s.owned_by else "NONE"
    return f"ALTER SEQUENCE {qname(snap, s.schema, s.name)} OWNED BY {owner};"


def create_enum(snap: Snapshot, e: Enum) -> str:
    labels = ", ".join(literal(x) for x in e.labels)
    return f"CREATE TYPE {qname(snap, e.schema, e.name)} AS ENUM ({labels});"


def create_routine(r: Routine) -> str:
    return r.definition.rstrip().rstrip(";") + ";"


def drop_routine(snap: Snapshot, r: Routine) -> str:
    kind = "PROCEDURE" if re.match(r"CREATE (OR REPLACE )?PROCEDURE", r.definition) else "FUNCTION"
    if of(snap).mysql:  # no overloading: the name is enough
        return f"DROP {kind} {qname(snap, r.schema, r.name)};"
    return f"DROP {kind} {qname(snap, r.schema, r.name)}({r.signature});"


def create_trigger(t: Trigger) -> str:
    return t.definition.rstrip().rstrip(";") + ";"


def drop_trigger(snap: Snapshot, t: Trigger) -> str:
    if snap.dialect in ("sqlite", "mysql"):
        return f"DROP TRIGGER {quote(snap, t.name)};"
    return f"DROP TRIGGER {quote(snap, t.name)} ON {qname(snap, t.schema, t.table)};"


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

"""Compare a source schema with its transpiled copy, forgiving only what the type systems explain.

Each snapshot is projected into one neutral vocabulary (`int64`, `dec(12,2)`, `timestamptz`...),
then the target's documented relaxations are applied to the source side (SQLite has no uuid
type: it is text there). Whatever still differs is a difference a reviewer must see.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..schema.model import Column, Snapshot, Table
from .explain import explain

CLASSES = {
    "postgres": {
        "integer": "int32", "bigint": "int64", "smallint": "int16", "text": "text",
        "character varying": "text", "boolean": "bool", "timestamp with time zone": "timestamptz",
        "timestamp without time zone": "timestamp", "date": "date",
        "time without time zone": "time", "jsonb": "json", "json": "json", "uuid": "uuid",
        "double precision": "float64", "real": "float32", "bytea": "bytes",
    },
    "sqlite": {
        "int": "int32", "integer": "int32", "bigint": "int64", "smallint": "int16",
        "text": "text", "boolean": "bool", "timestamp with time zone": "timestamptz",
        "timestamp": "timestamp",
        "date": "date", "time": "time", "real": "float64", "blob": "bytes",
    },
    "mysql": {
        "int": "int32", "bigint": "int64", "smallint": "int16", "longtext": "text",
        "tinyint(1)": "bool", "datetime(6)": "timestamp", "date": "date", "time(6)": "time",
        "json": "json", "char(36)": "uuid", "double": "float64", "float": "float32",
        "longblob": "bytes",
    },
}  # fmt: skip
# What a source type becomes on the target, by design (README "Transpiling across dialects").
RELAX = {
    "sqlite": {"json": "text", "uuid": "text", "float32": "float64", "enum": "text"},
    "mysql": {"timestamptz": "timestamp", "json": "text"},  # MariaDB's JSON is LONGTEXT
}
_PARAM = re.compile(r"^(numeric|decimal|character varying|varchar|enum)\((.*)\)$")
_CAST = re.compile(r"::[a-z_][a-z0-9_ ]*(\([0-9, ]*\))?$")


def type_class(snap: Snapshot, name: str) -> str:
    m = _PARAM.match(name)
    if m:
        kind = {"numeric": "dec", "decimal": "dec", "character varying": "varchar"}.get(m[1], m[1])
        return f"{kind}({m[2].replace(' ', '')})"
    enum = next((e for e in snap.enums if snap.display(e.schema, e.name) == name), None)
    if enum is not None:
        return "enum(" + ",".join(f"'{x}'" for x in enum.labels) + ")"
    if snap.dialect == "mysql" and name == "json":
        return "text"
    return CLASSES[snap.dialect].get(name, f"?{name}")


def relax(cls: str, target: str) -> str:
    key = "enum" if cls.startswith("enum(") else cls
    return RELAX.get(target, {}).get(key, cls)


def default(text: str | None, cls: str, dialect: str | None = None) -> str | None:
    """One spelling per meaning: now() = CURRENT_TIMESTAMP(6), 'x'::text = 'x', true = 1."""
    if text is None or text.upper() == "NULL":
        return None
    t = text.strip()
    while _CAST.search(t):
        t = _CAST.sub("", t).strip()
    low = t.lower().strip("()")
    if low.startswith("current_timestamp") or low in ("now", "now()"):
        return "now"
    if low in ("current_date", "curdate"):
        return "today"
    if low in ("gen_random_uuid", "uuid"):
        return "uuid"
    if low.startswith("nextval("):
        return None  # serial: the column's identity says it
    if cls == "bool":
        return {"true": "1", "false": "0", "'t'": "1", "'f'": "0"}.get(low, low)
    numeric = cls.startswith(("int", "dec", "float", "autoint"))
    if numeric or not low.startswith("'"):
        try:
            return format(Decimal(low.strip("'")).normalize(), "f")
        except InvalidOperation:
            return _expression(t, dialect)
    return _expression(t, dialect) if not _STRING.fullmatch(t) else t


_STRING = re.compile(r"'(?:[^']|'')*'")


def _expression(text: str, dialect: str | None) -> str:
    """An expression default in one spelling: MySQL's lcase('X') and PostgreSQL's
    lower('X'::text) are both LOWER('X'); outer parentheses and casts of literals are dropped."""
    if dialect is None:
        return text
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        node = sqlglot.parse_one(text, read=dialect)
    except SqlglotError:
        return text
    for cast in list(node.find_all(exp.Cast)):
        if isinstance(cast.this, exp.Literal) and cast is not node:
            cast.replace(cast.this)
    while isinstance(node, exp.Paren):
        node = node.this
    return "expr:" + node.sql("postgres")


def _auto(c: Column) -> bool:
    return c.identity is not None or (c.default or "").lower().startswith("nextval(")


def column(snap: Snapshot, c: Column, target: str, pk: tuple[str, ...]) -> tuple:
    cls = relax(type_class(snap, c.type), target)
    auto = _auto(c)
    if auto:
        cls = "autoint" if target == "sqlite" else f"autoint:{cls}"
    nullable = c.nullable and not auto and (c.name not in pk)
    return (c.name, cls, nullable, None if auto else default(c.default, cls, snap.dialect),
            c.generated is not None, c.stored)  # fmt: skip


def project(snap: Snapshot, target: str) -> dict[str, Any]:
    """The schema in the neutral vocabulary, as it should look on `target`."""
    out: dict[str, Any] = {}
    for t in snap.tables:
        out[f"table {t.name}"] = _table(snap, t, target)
    for i in snap.indexes:
        if i.unique and i.where is None and all(_plain(k) for k in i.columns):
            key = ("unique", tuple(_name(k) for k in i.columns))
            out.setdefault(f"table {i.table}", {}).setdefault("uniques", set()).add(key[1])
            continue
        where = None if (target == "mysql" and not i.unique) else bool(i.where)
        out[f"index {i.name}"] = (i.table, tuple(_name(k) for k in i.columns), i.unique, where)
    for v in snap.views:
        out[f"view {v.name}"] = True
    return out


def _table(snap: Snapshot, t: Table, target: str) -> dict[str, Any]:
    pk = next((c.columns for c in t.constraints if c.kind == "primary key"), ())
    checks = [c for c in t.constraints if c.kind == "check" and not _implied(snap, t, c, target)]
    enum_checks = sum(1 for c in t.columns if type_class(snap, c.type).startswith("enum("))
    return {
        "columns": tuple(column(snap, c, target, pk) for c in t.columns),
        "primary key": tuple(pk),
        "uniques": {c.columns for c in t.constraints if c.kind == "unique"},
        "foreign keys": {
            (c.columns, c.ref_table, c.ref_columns, _action(c.on_delete), _action(c.on_update))
            for c in t.constraints if c.kind == "foreign key"
        },
        "checks": len(checks) + (enum_checks if snap.dialect == "postgres" and target == "sqlite"
                                 else 0),
    }  # fmt: skip


def _implied(snap: Snapshot, t: Table, c: Any, target: str) -> bool:
    """MariaDB's json_valid() check of a JSON column: part of the type, not a constraint."""
    return snap.dialect == "mysql" and (c.expression or "").lower().startswith("json_valid(")


def _action(text: str) -> str:
    return "NO ACTION" if text.upper() in ("RESTRICT", "NO ACTION") else text.upper()


def _plain(key: str) -> bool:
    return re.fullmatch(r'[`"]?\w+[`"]?', key) is not None


def _name(key: str) -> str:
    key = re.sub(r"`\(\d+\)", "`", key)  # MySQL's key prefix: a TEXT key needs one there
    key = re.sub(r"::(text|character varying|integer|bigint)", "", key.lower())
    return re.sub(r'[`"\s]', "", key).replace("nullslast", "").replace("nullsfirst", "")


def differences(source: Snapshot, actual: Snapshot) -> list[str]:
    """Every difference of the target schema from the source that the type map does not explain."""
    want, have = project(source, actual.dialect), project(actual, actual.dialect)
    out = []
    for key in sorted(set(want) | set(have)):
        a, b = want.get(key), have.get(key)
        if a != b:
            out += explain(key, a, b)
    return out

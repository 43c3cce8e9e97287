"""Sequences, as MariaDB's own (SQLite has none), and ALTER TYPE ... ADD VALUE on enum types."""

from __future__ import annotations

import re

from sqlglot import exp

from . import alter, rebuild, types
from .base import Out, Refuse, quote
from .catalog import Catalog

NO_SQLITE = "SQLite has no sequences (nor nextval()): write an override"
# PostgreSQL's default CACHE 1: MariaDB's default (1000) would skip values after a restart.
NOCACHE = "NOCACHE"
# AS type sets PostgreSQL's MAXVALUE; MariaDB 10 has no AS.
MAXIMA = {exp.DataType.Type.SMALLINT: 32767, exp.DataType.Type.INT: 2147483647,
          exp.DataType.Type.BIGINT: None}  # fmt: skip
OPTIONS = {"CYCLE": "CYCLE", "NO CYCLE": "NOCYCLE", "NO MINVALUE": "", "NO MAXVALUE": ""}


def create(node: exp.Create, target: str) -> Out:
    if target == "sqlite":
        raise Refuse(NO_SQLITE)
    props = node.find(exp.SequenceProperties)
    args = dict(props.args) if props is not None else {}
    if set(k for k, v in args.items() if v) - {"start", "increment", "minvalue", "maxvalue",
                                               "cache", "options"}:  # fmt: skip
        raise Refuse("sequence options (OWNED BY...) have no verified MariaDB equivalent")
    parts = [f"CREATE SEQUENCE {'IF NOT EXISTS ' if node.args.get('exists') else ''}"
             f"{quote(node.this.name, target)}"]  # fmt: skip
    for key, word in (("increment", "INCREMENT BY"), ("minvalue", "MINVALUE"),
                      ("maxvalue", "MAXVALUE"), ("start", "START WITH")):  # fmt: skip
        if args.get(key) is not None:
            parts.append(f"{word} {_number(args[key])}")
    if args.get("increment") is not None and _number(args["increment"]) < 1:
        raise Refuse("a descending sequence has no verified MariaDB equivalent")
    if args.get("maxvalue") is None:
        parts += _maximum(node.expression)
    for option in args.get("options") or []:
        word = OPTIONS.get(option.name.upper())
        if word is None:
            raise Refuse(f"sequence option {option.name} has no verified MariaDB equivalent")
        parts.append(word)
    return Out((" ".join(p for p in [*parts, NOCACHE] if p),))


def _maximum(dtype: exp.Expression | None) -> list[str]:
    if dtype is None:
        return []
    if not isinstance(dtype, exp.DataType) or dtype.this not in MAXIMA:
        raise Refuse("a sequence of this type has no verified MariaDB equivalent")
    top = MAXIMA[dtype.this]
    return [] if top is None else [f"MAXVALUE {top}"]


def _number(node: exp.Expression) -> int:
    text = node.sql("postgres").replace(" ", "")
    if not re.fullmatch(r"-?\d+", text):
        raise Refuse(f"sequence option {text} is not a number")
    return int(text)


def drop(node: exp.Drop, target: str) -> Out:
    if target == "sqlite":
        raise Refuse(NO_SQLITE)
    names = ", ".join(quote(t.name, target) for t in node.args.get("tables") or [])
    return Out((f"DROP SEQUENCE {'IF EXISTS ' if node.args.get('exists') else ''}{names}",))


NAME = r"([a-z_][a-z0-9_$]*)"
RESTART = re.compile(rf"^SEQUENCE (IF EXISTS )?{NAME} RESTART(?: (?:WITH )?(\d+))?$", re.I)


def alter_sequence(text: str, target: str) -> Out:
    """ALTER SEQUENCE ... RESTART [WITH n]: the one change MariaDB spells the same way."""
    if target == "sqlite":
        raise Refuse(NO_SQLITE)
    m = RESTART.match(" ".join(text.split()).rstrip(";"))
    if m is None:
        raise Refuse("only ALTER SEQUENCE ... RESTART [WITH n] is translated")
    exists = "IF EXISTS " if m[1] else ""
    value = f" WITH {m[3]}" if m[3] else ""
    return Out((f"ALTER SEQUENCE {exists}{quote(m[2].lower(), target)} RESTART{value}",))


ADD_VALUE = re.compile(
    rf"^TYPE {NAME} ADD VALUE (IF NOT EXISTS )?'((?:[^']|'')*)'"
    r"(?: (BEFORE|AFTER) '((?:[^']|'')*)')?$",
    re.I,
)


def alter_type(text: str, target: str, catalog: Catalog) -> Out:
    """ALTER TYPE ... ADD VALUE: every column of that type is redefined with the new label."""
    m = ADD_VALUE.match(" ".join(text.split()).rstrip(";"))
    if m is None:
        raise Refuse("only ALTER TYPE ... ADD VALUE is translated: write an override")
    name, label = m[1].lower(), m[3].replace("''", "'")
    labels = list(catalog.enums.get(name) or ())
    if not labels:
        raise Refuse(f"enum type {name} was not created by these migrations")
    if label in labels:
        if m[2]:
            return Out(note=f"enum {name} already has {label!r}")
        raise Refuse(f"enum {name} already has {label!r}: PostgreSQL rejects this")
    at = len(labels)
    if m[4]:
        anchor = m[5].replace("''", "'")
        if anchor not in labels:
            raise Refuse(f"enum {name} has no label {anchor!r}")
        at = labels.index(anchor) + (m[4].upper() == "AFTER")
    catalog.enums[name] = (*labels[:at], label, *labels[at:])
    return Out(tuple(_redefine(name, target, catalog)))


def _redefine(enum: str, target: str, catalog: Catalog) -> list[str]:
    out: list[str] = []
    for table, cols in list(catalog.tables.items()):
        used = [c for c, st in cols.items() if types.enum_name(st.dtype) == enum]
        if used and target == "sqlite":  # the CHECK of each column lists the labels
            out += rebuild.statements(table, lambda _node: None, target, catalog)
        for col in used if target == "mysql" else []:
            definition = alter.definition(col, cols[col], target, catalog)
            out.append(f"ALTER TABLE {quote(table, target)} MODIFY COLUMN {definition}")
    return out

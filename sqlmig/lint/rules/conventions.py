"""Types and conventions: varchar(n), 32-bit keys, timestamp without time zone, json, long names."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..model import Hit, rule
from .common import actions, alter_table, at, column_defs, name_of, table_of

LIMITS = {"postgres": 63, "mysql": 64}
TABLES = ("CREATE TABLE", "ALTER TABLE")
SMALL_INTS = {"INT", "SMALLINT", "TINYINT", "MEDIUMINT", "SERIAL", "SMALLSERIAL"}


def _typed_columns(stmt: Stmt) -> Iterator[tuple[str, Any, Any]]:
    """(table.column, DataType, node to point at) for new columns and ALTER COLUMN ... TYPE."""

    for table, col in column_defs(stmt):
        if col.args.get("kind") is not None:
            yield f"{table}.{col.name}", col.args["kind"], col
    for action in actions(stmt):
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            yield f"{table_of(stmt.node)}.{action.name}", action.args["dtype"], action


def _type_rule(stmt: Stmt, ctx: FileContext, types: set[str], message: str) -> Iterator[Hit]:
    for column, dtype, node in _typed_columns(stmt):
        if dtype.this.name in types and (dtype.this.name != "VARCHAR" or dtype.expressions):
            shown = ctx.shown(column)
            yield Hit(
                message.format(column=shown, type=dtype.sql(dialect="postgres")), at(stmt, node)
            )


@rule(
    "T301",
    "prefer-text",
    "warning",
    help="use text (add a CHECK (length(col) <= n) if the limit is a business rule)",
    dialects=("postgres",),
    on=TABLES,
)
def prefer_text(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """varchar(n) in PostgreSQL: no faster than text, and raising n later takes a lock.

    Bad:
        CREATE TABLE books (id bigint PRIMARY KEY, title varchar(300));
    Good:
        CREATE TABLE books (id bigint PRIMARY KEY, title text);
    """
    yield from _type_rule(stmt, ctx, {"VARCHAR"}, "{column} is {type}: prefer text")


@rule(
    "T302",
    "prefer-bigint-identity",
    "warning",
    help="use bigint GENERATED ALWAYS AS IDENTITY (MySQL: BIGINT AUTO_INCREMENT)",
    dialects=("postgres", "mysql"),
    on=TABLES,
)
def prefer_bigint_identity(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """A 32-bit (int, serial, smallint) primary key: it runs out at 2.1 billion rows.

    Changing it later means rewriting the table and every foreign key to it. A key column that
    is also a foreign key (declared in the same file) is not reported: its values come from
    the key it references, which is where the finding belongs.

    Bad:
        CREATE TABLE books (id serial PRIMARY KEY, title text);
    Good:
        CREATE TABLE books (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text);
    """
    keys = _primary_key_columns(stmt)
    foreign: set[tuple[str, str]] | None = None
    for table, col in column_defs(stmt):
        dtype = col.args.get("kind")
        if (
            col.name.lower() in keys.get(table, ())
            and dtype is not None
            and dtype.this.name in SMALL_INTS
        ):
            foreign = _foreign_key_columns(ctx) if foreign is None else foreign
            if (table, col.name.lower()) in foreign:
                continue  # its values come from the referenced key: reported there, if at all
            yield Hit(
                f"primary key {ctx.shown(f'{table}.{col.name}')}"
                f" is {dtype.sql(dialect=ctx.dialect)}, a 32-bit "
                "type or smaller",
                at(stmt, col),
            )


_FOREIGN: dict[int, tuple[weakref.ref[FileContext], set[tuple[str, str]]]] = {}


def _foreign_key_columns(ctx: FileContext) -> set[tuple[str, str]]:
    """(table, column) of every foreign key the file declares: column REFERENCES, FOREIGN KEY.
    Worked out once per file: asked for every 32-bit primary key, a scan of the whole file
    each time made a schema of 400 `id serial PRIMARY KEY` tables take minutes."""
    known = _FOREIGN.get(id(ctx))
    if known is not None and known[0]() is ctx:
        return known[1]
    out = _scan_foreign_keys(ctx)
    if len(_FOREIGN) > 16:
        _FOREIGN.clear()
    _FOREIGN[id(ctx)] = (weakref.ref(ctx), out)
    return out


def _scan_foreign_keys(ctx: FileContext) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for stmt in ctx.statements:
        node = stmt.node
        if isinstance(node, exp.Create) and isinstance(node.this, exp.Schema):
            table = name_of(node.this.this)
        elif alter_table(stmt) is not None:
            table = table_of(node)
        else:
            continue
        for key in node.find_all(exp.ForeignKey):
            out.update((table, c.name.lower()) for c in key.expressions)
        for table_name, col in column_defs(stmt):
            kinds = [c.args.get("kind") for c in col.args.get("constraints") or []]
            if any(isinstance(k, exp.Reference) for k in kinds):
                out.add((table_name, col.name.lower()))
    return out


def _primary_key_columns(stmt: Stmt) -> dict[str, set[str]]:
    """table -> its primary key columns, from column and table constraints."""

    keys: dict[str, set[str]] = {}
    for table, col in column_defs(stmt):
        for con in col.args.get("constraints") or []:
            if isinstance(con.args.get("kind"), exp.PrimaryKeyColumnConstraint):
                keys.setdefault(table, set()).add(col.name.lower())
    node = stmt.node
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Schema):
        table = node.this.this.name.lower()
        for pk in node.this.find_all(exp.PrimaryKey):
            keys.setdefault(table, set()).update(c.name.lower() for c in pk.expressions)
    return keys


@rule(
    "T303",
    "prefer-timestamptz",
    "warning",
    help="use timestamptz (timestamp with time zone): it stores an instant",
    dialects=("postgres",),
    on=TABLES,
)
def prefer_timestamptz(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """timestamp without time zone: the same value means different instants on different servers.

    Bad:
        CREATE TABLE events (id bigint PRIMARY KEY, at timestamp NOT NULL);
    Good:
        CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL);
    """
    yield from _type_rule(stmt, ctx, {"TIMESTAMP"}, "{column} is timestamp without time zone")


@rule(
    "T304",
    "prefer-jsonb",
    "warning",
    help="use jsonb: indexable, compared by value, and faster to query",
    dialects=("postgres",),
    on=TABLES,
)
def prefer_jsonb(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """json instead of jsonb: stored as text, re-parsed on every access, not indexable.

    Bad:
        CREATE TABLE events (id bigint PRIMARY KEY, payload json);
    Good:
        CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);
    """
    yield from _type_rule(stmt, ctx, {"JSON"}, "{column} is json: prefer jsonb")


CHARS = {"CHAR", "NCHAR", "BPCHAR"}


@rule(
    "T306",
    "avoid-char",
    "warning",
    help="use text (or varchar(n) if the limit is the point); a fixed length is a CHECK "
    "(length(col) = n)",
    dialects=("postgres",),
    on=TABLES,
)
def avoid_char(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """char(n) / character(n) in PostgreSQL: padded with spaces to n (which comparisons and
    length() then ignore), never faster than text, and `character` with no length is char(1).

    Bad:
        CREATE TABLE countries (code char(2) PRIMARY KEY, name character NOT NULL);
    Good:
        CREATE TABLE countries (code text PRIMARY KEY CHECK (length(code) = 2), name text);
    """
    for column, dtype, node in _typed_columns(stmt):
        if dtype.this.name not in CHARS:
            continue
        shown, written = ctx.shown(column), dtype.sql(dialect="postgres")
        if dtype.expressions or dtype.this.name == "BPCHAR":
            message = f"{shown} is {written}: blank-padded, and no faster than text"
        else:
            message = f"{shown} is {written} with no length, which is char(1): one character"
        yield Hit(message, at(stmt, node))


@rule(
    "T305",
    "identifier-too-long",
    "error",
    help="shorten the name (PostgreSQL silently truncates it to 63 bytes; MySQL refuses it)",
    dialects=("postgres", "mysql"),
    on=("CREATE", "ALTER"),
)
def identifier_too_long(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """A name longer than the dialect's identifier limit (63 bytes in PostgreSQL, 64 in MySQL).

    PostgreSQL truncates it without an error, so two long names can collide and later migrations
    that use the full name fail to find it; MySQL refuses the statement.

    Bad:
        CREATE INDEX books_author_id_published_date_title_subtitle_language_edition_idx
            ON books (author_id);
    Good:
        CREATE INDEX books_author_published_idx ON books (author_id);
    """

    node, limit = stmt.node, LIMITS[ctx.dialect]
    if not isinstance(node, (exp.Create, exp.Alter)):
        return
    seen: set[str] = set()
    for ident in node.find_all(exp.Identifier):
        size = len(ident.name.encode("utf-8"))
        if size > limit and ident.name not in seen:
            seen.add(ident.name)
            yield Hit(f"name {ident.name!r} is {size} bytes; the limit is {limit}", at(stmt, ident))

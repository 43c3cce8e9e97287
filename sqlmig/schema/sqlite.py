"""Read a SQLite schema from sqlite_schema and the pragma table functions, in five queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from ..drivers.base import Driver
from . import normalise, sqlite_sql
from .model import Column, Constraint, Index, Snapshot, Table, Trigger, View

DEFAULT_SCHEMA = "main"
USER = "m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
OBJECTS = f"SELECT m.type, m.name, m.tbl_name, m.sql FROM sqlite_schema m WHERE {USER}"
COLUMNS = f"""SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) p
WHERE m.type = 'table' AND {USER} ORDER BY m.name, p.cid"""
FOREIGN_KEYS = f"""SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete
FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND {USER} ORDER BY m.name, f.id, f.seq"""
INDEXES = f"""SELECT m.name, l.name, l."unique", l.origin, l.partial
FROM sqlite_schema m JOIN pragma_index_list(m.name) l WHERE m.type = 'table' AND {USER}"""
INDEX_COLUMNS = f"""SELECT l.name, x.name, x."desc", x.cid
FROM sqlite_schema m JOIN pragma_index_list(m.name) l JOIN pragma_index_xinfo(l.name) x
WHERE m.type = 'table' AND {USER} AND x."key" ORDER BY l.name, x.seqno"""


def read(driver: Driver, exclude: tuple[str, ...]) -> Snapshot:
    """The schema of the driver's database; `exclude` names the history tables."""
    everything = driver.query(OBJECTS)
    virtual, shadow = _virtual(everything)
    skip = {name.split(".")[-1] for name in exclude} | virtual | shadow
    objects = [r for r in everything if r[2] not in skip]
    sql = {(r[0], r[1]): r[3] or "" for r in objects}
    index_cols = _index_columns(driver.query(INDEX_COLUMNS))
    index_list = driver.query(INDEXES)
    constraints = _constraints(index_list, index_cols, driver.query(FOREIGN_KEYS))
    tables, notes = _tables(driver.query(COLUMNS), sql, constraints, skip)
    tables = _resolve_references(tables)
    return Snapshot(
        "sqlite",
        DEFAULT_SCHEMA,
        schemas=(),
        tables=tables,
        indexes=tuple(_index(r, index_cols, sql) for r in index_list if _made(r, skip)),
        views=tuple(_view(r[1], r[3]) for r in objects if r[0] == "view"),
        triggers=tuple(Trigger("main", r[1], r[2], normalise.squeeze(r[3])) for r in objects
                       if r[0] == "trigger"),
        notes=tuple(notes) + tuple(f"virtual table {n} is left out" for n in sorted(virtual)),
    )  # fmt: skip


def _resolve_references(tables: tuple[Table, ...]) -> tuple[Table, ...]:
    """`REFERENCES parent` means parent's primary key: spelled out, so that it is the same key
    as `REFERENCES parent (id)` (a parent without a primary key is left as written)."""
    pks = {t.name.lower(): c.columns for t in tables for c in t.constraints
           if c.kind == "primary key"}  # fmt: skip
    return tuple(
        replace(t, constraints=tuple(
            replace(c, ref_columns=pks[(c.ref_table or "").lower()]) if c.kind == "foreign key"
            and not c.ref_columns and (c.ref_table or "").lower() in pks else c
            for c in t.constraints))
        for t in tables
    )  # fmt: skip


def _virtual(objects: list[tuple[Any, ...]]) -> tuple[set[str], set[str]]:
    """Virtual tables (FTS, R*Tree...) and their shadow tables: not modelled, left out."""
    names = {r[1] for r in objects if (r[3] or "").upper().startswith("CREATE VIRTUAL")}
    return names, {r[1] for r in objects if any(r[1].startswith(v + "_") for v in names)}


def _view(name: str, sql: str) -> View:
    query, columns = sqlite_sql.view_query(sql)
    return View("main", name, query, False, columns)


def _made(r: tuple[Any, ...], skip: set[str]) -> bool:
    """An index made by CREATE INDEX (not one backing a constraint), not on a history table."""
    return r[3] == "c" and r[0] not in skip


def _tables(
    rows: list[tuple[Any, ...]], sql: dict[tuple[str, str], str], constraints: dict, skip: set
) -> tuple[tuple[Table, ...], list[str]]:
    by_table: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[0] not in skip:
            by_table[row[0]].append(row[1:])
    tables, notes = [], []
    for name, cols in by_table.items():
        parsed = sqlite_sql.parse_table(sql[("table", name)])
        notes += [f"table {name}: {n}" for n in parsed.notes]
        tables.append(_table(name, cols, parsed, constraints.get(name, [])))
    return tuple(tables), notes


def _table(
    name: str, cols: list[tuple[Any, ...]], parsed: sqlite_sql.ParsedTable, extra: list
) -> Table:
    columns = tuple(_column(c, parsed) for c in cols)
    pk = [c[0] for c in sorted(cols, key=lambda c: c[4]) if c[4]]
    found: list[Constraint] = [Constraint(f"{name}_pkey", "primary key", tuple(pk))] if pk else []
    found += parsed.checks(name) + [_as_written(c, parsed) for c in extra]
    return Table("main", name, columns, tuple(_unique_names(name, found)), parsed.options)


def _as_written(c: Constraint, parsed: sqlite_sql.ParsedTable) -> Constraint:
    """A UNIQUE constraint with the name its CREATE TABLE gives it, a foreign key with its
    DEFERRABLE (Django writes both): the pragmas report neither."""
    key = tuple(column.lower() for column in c.columns)
    if c.kind == "unique" and key in parsed.unique_names:
        return replace(c, name=parsed.unique_names[key])
    if c.kind == "foreign key" and key in parsed.deferrable:
        return replace(c, deferrable=parsed.deferrable[key])
    return c


def _column(c: tuple[Any, ...], parsed: sqlite_sql.ParsedTable) -> Column:
    name, type_, notnull, dflt, _pk, hidden = c
    generated = parsed.generated.get(name)
    return Column(
        name,
        normalise.type_name(type_ or ""),
        not notnull,
        normalise.default(dflt),
        "autoincrement" if parsed.autoincrement == name else None,
        generated,
        hidden != 2,  # 2: a virtual generated column, 3: a stored one
        parsed.collations.get(name),
    )


def _index_columns(rows: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for index, column, desc, cid in rows:
        out[index].append((column, desc, cid))
    return out


def _constraints(
    indexes: list[tuple[Any, ...]], cols: dict, fks: list[tuple[Any, ...]]
) -> dict[str, list[Constraint]]:
    out: dict[str, list[Constraint]] = defaultdict(list)
    for table, index, _unique, origin, _partial in indexes:
        if origin == "u":
            names = tuple(c[0] for c in cols[index])
            out[table].append(Constraint(f"{table}_{'_'.join(names)}_key", "unique", names))
    grouped: dict[tuple[str, int], list[tuple[Any, ...]]] = defaultdict(list)
    for table, id_, *rest in fks:
        grouped[(table, id_)].append(tuple(rest))
    for (table, _id), parts in sorted(grouped.items()):
        out[table].append(_foreign_key(table, parts))
    return out


def _foreign_key(table: str, parts: list[tuple[Any, ...]]) -> Constraint:
    target, _, _, on_update, on_delete = parts[0]
    mine = tuple(p[1] for p in parts)
    theirs = tuple(p[2] for p in parts if p[2] is not None)
    return Constraint(
        f"{table}_{'_'.join(mine)}_fkey", "foreign key", mine, None, "main", target, theirs,
        normalise.action(on_delete), normalise.action(on_update),
    )  # fmt: skip


def _unique_names(table: str, found: list[Constraint]) -> list[Constraint]:
    """SQLite keeps no constraint names: name them as PostgreSQL would, numbered on a clash."""
    seen: dict[str, int] = {}
    out = []
    for c in found:
        n = seen.get(c.name, 0)
        seen[c.name] = n + 1
        out.append(c if n == 0 else Constraint(f"{c.name}{n}", *_rest(c)))
    return out


def _rest(c: Constraint) -> tuple[Any, ...]:
    return (c.kind, c.columns, c.expression, c.ref_schema, c.ref_table, c.ref_columns,
            c.on_delete, c.on_update, c.deferrable)  # fmt: skip


def _index(r: tuple[Any, ...], cols: dict, sql: dict[tuple[str, str], str]) -> Index:
    table, name, unique, _origin, partial = r
    parsed = sqlite_sql.parse_index(sql[("index", name)])
    names = []
    for i, (column, desc, cid) in enumerate(cols[name]):
        text = sqlite_sql.quote(column) if cid >= 0 else parsed.expressions[i]
        names.append(text + (" DESC" if desc else ""))
    return Index("main", name, table, tuple(names), bool(unique), parsed.where if partial else None)

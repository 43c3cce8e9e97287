"""Read a MySQL/MariaDB schema from information_schema: tables, keys, checks, indexes, views."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..drivers.base import Driver
from . import normalise
from .model import Column, Constraint, Index, Snapshot, Table, View

HERE = "TABLE_SCHEMA = DATABASE()"
COLUMNS = f"""SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES',
  c.COLUMN_DEFAULT, c.EXTRA, c.GENERATION_EXPRESSION
FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.{HERE} AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"""
KEYS = f"""SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, t.CONSTRAINT_TYPE, k.COLUMN_NAME,
  k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS t
  ON t.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME
  AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME
LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.{HERE} ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"""
CHECKS = """SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE()"""
INDEXES = f"""SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, COLUMN_NAME, COLLATION, INDEX_TYPE
FROM information_schema.STATISTICS WHERE {HERE} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"""
VIEWS = f"SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE {HERE}"
KINDS = {"PRIMARY KEY": "primary key", "UNIQUE": "unique", "FOREIGN KEY": "foreign key"}
# int(11) and bigint(20) carry a display width that means nothing; tinyint(1) is BOOLEAN.
_WIDTH = re.compile(r"^(int|bigint|smallint|mediumint)\(\d+\)")


def read(driver: Driver, exclude: tuple[str, ...]) -> Snapshot:
    """The schema of the connection's database; `exclude` names the history tables."""
    skip = {name.split(".")[-1] for name in exclude}
    keys = _keys(driver.query(KEYS), skip)
    checks = defaultdict(list)
    for table, name, clause in driver.query(CHECKS):
        checks[table].append(Constraint(name, "check", (), normalise.squeeze(clause)))
    columns: dict[str, list[Column]] = defaultdict(list)
    for table, *rest in driver.query(COLUMNS):
        if table not in skip:
            columns[table].append(_column(*rest))
    tables = tuple(
        Table(DATABASE, t, tuple(cols), tuple(keys.get(t, [])) + tuple(checks.get(t, [])))
        for t, cols in columns.items()
    )
    named = {c.name for cs in keys.values() for c in cs}
    fks = {(t, c.name, c.columns) for t, cs in keys.items() for c in cs if c.kind == "foreign key"}
    return Snapshot(
        "mysql", DATABASE, (), tables, _indexes(driver.query(INDEXES), named, fks, skip),
        tuple(View(DATABASE, r[0], normalise.squeeze(r[1] or "")) for r in driver.query(VIEWS)),
    )  # fmt: skip


DATABASE = "main"  # one database per connection: shown like SQLite's main


def type_name(column_type: str) -> str:
    text = column_type.lower().replace(" unsigned", " unsigned")
    return _WIDTH.sub(r"\1", text)


def _column(name: str, type_: str, nullable: Any, dflt: str | None, extra: str,
            generated: str | None) -> Column:  # fmt: skip
    extra = (extra or "").lower()
    is_generated = "generated" in extra
    dflt = None if dflt in (None, "NULL") else dflt
    return Column(
        name, type_name(type_), bool(nullable),
        None if is_generated else normalise.default(dflt),
        "autoincrement" if "auto_increment" in extra else None,
        normalise.squeeze(generated) if is_generated and generated else None,
        "stored" in extra or not is_generated,
    )  # fmt: skip


def _keys(rows: list[tuple[Any, ...]], skip: set[str]) -> dict[str, list[Constraint]]:
    parts: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[0] not in skip and row[2] in KINDS:
            parts[(row[0], row[1])].append(row)
    out: dict[str, list[Constraint]] = defaultdict(list)
    for (table, name), rs in parts.items():
        kind = KINDS[rs[0][2]]
        cols = tuple(r[3] for r in rs)
        if kind == "foreign key":
            refs = tuple(r[5] for r in rs)
            actions = (rs[0][6] or "NO ACTION", rs[0][7] or "NO ACTION")
            fk = Constraint(name, kind, cols, None, DATABASE, rs[0][4], refs, *actions)
            out[table].append(fk)
        else:
            out[table].append(
                Constraint(f"{table}_pkey" if name == "PRIMARY" else name, kind, cols)
            )
    return out


def _indexes(
    rows: list[tuple[Any, ...]], named: set[str], fks: set[tuple], skip: set[str]
) -> tuple[Index, ...]:
    """Indexes made by CREATE INDEX: not those behind a key, nor those a foreign key made."""
    grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[0] not in skip and row[1] != "PRIMARY" and row[1] not in named:
            grouped[(row[0], row[1])].append(row)
    for (table, name), rs in list(grouped.items()):
        cols = tuple(r[3] for r in rs)
        # InnoDB adds an index for a foreign key that has none, named after it or its column
        if any(t == table and c == cols and name in (fk, cols[0]) for t, fk, c in fks):
            del grouped[(table, name)]
    return tuple(
        Index(
            DATABASE,
            name,
            table,
            tuple(_key(r) for r in rs),
            bool(rs[0][2]),
            None,
            (rs[0][5] or "btree").lower(),
        )
        for (table, name), rs in grouped.items()
    )


def _key(r: tuple[Any, ...]) -> str:
    return "`" + r[3] + "`" + (" DESC" if r[4] == "D" else "")

"""Read a MySQL/MariaDB schema from information_schema: tables, keys, checks, indexes, views,
triggers and routines. MariaDB 10.11 is what the tests run; MySQL 8 spellings are read too."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..drivers.base import Driver
from . import mysql_sql
from .model import Column, Constraint, Index, Routine, Snapshot, Table, Trigger, View

HERE = "TABLE_SCHEMA = DATABASE()"
SERVER = """SELECT VERSION(), DATABASE(), @@default_storage_engine,
  (SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE())"""
TABLES = f"""SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_TYPE FROM information_schema.TABLES
WHERE {HERE} AND TABLE_TYPE <> 'VIEW'"""
# Views' columns come too (left out by the reader): joining TABLES to leave them out made the
# server open every table twice (MariaDB 10.11, 342-migration bench set: 72 ms against 37).
COLUMNS = f"""SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', COLUMN_DEFAULT,
  EXTRA, GENERATION_EXPRESSION, COLLATION_NAME, DATA_TYPE
FROM information_schema.COLUMNS WHERE {HERE} ORDER BY TABLE_NAME, ORDINAL_POSITION"""
# KEY_COLUMN_USAGE holds only primary, unique and foreign keys; which is which: a foreign key
# has its REFERENTIAL_CONSTRAINTS row, a primary key is named PRIMARY (no other key may be).
# Joined here, not on the server (there: 68 ms against 6, as above).
KEYS = f"""SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME,
  REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
WHERE {HERE} ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"""
RULES = """SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"""
# MariaDB's CHECK_CONSTRAINTS names the table; MySQL 8's does not (its check names are unique
# in a database), so there the table comes from TABLE_CONSTRAINTS.
CHECKS = {
    True: """SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()""",
    False: """SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
  ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
  AND t.CONSTRAINT_TYPE = 'CHECK'
WHERE c.CONSTRAINT_SCHEMA = DATABASE()""",
}
# MySQL 8 has functional key parts (EXPRESSION); MariaDB has no such column.
INDEXES = """SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, COLUMN_NAME, COLLATION, INDEX_TYPE,
  SUB_PART, {expression} FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"""
VIEWS = f"SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE {HERE}"
TRIGGERS = """SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
  ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"""
# Every column: with the routine's parameters, what says whether SHOW CREATE could now show
# another text (a routine dropped and made again changes CREATED, LAST_ALTERED or the body).
ROUTINES = """SELECT ROUTINE_NAME, ROUTINE_TYPE, r.* FROM information_schema.ROUTINES r
WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')
ORDER BY ROUTINE_NAME, ROUTINE_TYPE"""
PARAMETERS = """SELECT SPECIFIC_NAME, ROUTINE_TYPE, p.* FROM information_schema.PARAMETERS p
WHERE SPECIFIC_SCHEMA = DATABASE() ORDER BY SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION"""
UNMODELLED = {"SYSTEM VERSIONED": "system-versioned table", "SEQUENCE": "sequence"}
KINDS = {"PRIMARY KEY": "primary key", "UNIQUE": "unique", "FOREIGN KEY": "foreign key"}
# int(11) and bigint(20) carry a display width that means nothing; tinyint(1) is BOOLEAN.
_WIDTH = re.compile(r"^(int|bigint|smallint|mediumint)\(\d+\)")


Shown = dict[tuple[Any, ...], Any]  # a routine's information_schema rows -> SHOW CREATE's row


def read(driver: Driver, exclude: tuple[str, ...], shown: Shown | None = None) -> Snapshot:
    """The schema of the connection's database; `exclude` names the history tables. `shown`:
    what SHOW CREATE gave for each routine at earlier reads of the same database (verify), not
    asked again while the routine's information_schema rows are the same."""
    version, database, engine, collation = driver.query(SERVER)[0]
    mariadb = "mariadb" in (version or "").lower()
    skip = {name.split(".")[-1] for name in exclude}
    stats = [r for r in driver.query(INDEXES.format(expression=_EXPR[mariadb])) if r[0] not in skip]
    special = {(r[0], r[1]) for r in stats if not mysql_sql.plain_unique(r)}
    keys = _keys(_key_rows(driver.query(KEYS), driver.query(RULES)), skip, special)
    for table, name, clause in driver.query(CHECKS[mariadb]):
        keys[table].append(Constraint(name, "check", (), mysql_sql.squeeze(clause)))
    found = [r for r in driver.query(TABLES) if r[0] not in skip]
    options = {r[0]: (mysql_sql.table_options(r[1], r[2], engine, collation), r[2])
               for r in found if r[3] == "BASE TABLE"}  # fmt: skip
    # MariaDB's system-versioned tables and sequences are not modelled
    left_out = tuple(sorted(f"{UNMODELLED.get(r[3], r[3].lower())} {r[0]} is left out"
                            for r in found if r[3] != "BASE TABLE"))  # fmt: skip
    columns: dict[str, list[Column]] = defaultdict(list)
    for table, *rest in driver.query(COLUMNS):
        if table in options:
            columns[table].append(_column(*rest, table_collation=options[table][1], maria=mariadb))
    tables = tuple(
        Table(DATABASE, t, tuple(cols), tuple(keys.get(t, [])), options[t][0])
        for t, cols in columns.items()
    )
    indexes, implicit = _indexes(stats, keys)
    views = tuple(
        View(DATABASE, r[0], mysql_sql.unqualify(mysql_sql.squeeze(r[1] or ""), database))
        for r in driver.query(VIEWS)
    )
    routines, notes = _routines(driver, {} if shown is None else shown)
    return Snapshot(
        "mysql", DATABASE, (), tables, indexes, views, routines=routines,
        triggers=tuple(_trigger(driver, r) for r in driver.query(TRIGGERS) if r[1] not in skip),
        notes=left_out + notes, implicit=implicit,
    )  # fmt: skip


DATABASE = "main"  # one database per connection: shown like SQLite's main
_EXPR = {True: "NULL", False: "EXPRESSION"}


def type_name(column_type: str) -> str:
    text = column_type.lower().replace(" unsigned", " unsigned")
    return _WIDTH.sub(r"\1", text)


def _column(name: str, type_: str, nullable: Any, dflt: str | None, extra: str,
            generated: str | None, collation: str | None, data_type: str, *,
            table_collation: str | None, maria: bool) -> Column:  # fmt: skip
    extra = (extra or "").lower()
    is_generated = "generated" in extra and "default_generated" not in extra
    default = None if is_generated else mysql_sql.default(dflt, extra, data_type, maria=maria)
    return Column(
        name, type_name(type_), bool(nullable), default,
        "autoincrement" if "auto_increment" in extra else None,
        mysql_sql.squeeze(generated) if is_generated and generated else None,
        "stored" in extra or "persistent" in extra or not is_generated,
        collation if collation and collation != table_collation else None,
        mysql_sql.on_update(extra),
    )  # fmt: skip


def _key_rows(keys: list[tuple[Any, ...]], rules: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each key column as (table, name, constraint type, column, referenced table and column,
    delete and update rule)."""
    actions = {(r[0], r[1]): (r[2], r[3]) for r in rules}
    out = []
    for table, name, column, ref_table, ref_column in keys:
        rule = actions.get((table, name))
        kind = "FOREIGN KEY" if rule else "PRIMARY KEY" if name == "PRIMARY" else "UNIQUE"
        out.append((table, name, kind, column, ref_table, ref_column, *(rule or (None, None))))
    return out


def _keys(
    rows: list[tuple[Any, ...]], skip: set[str], special: set[tuple[str, str]]
) -> dict[str, list[Constraint]]:
    """Primary, unique and foreign keys; a unique key with a prefix, DESC or a non-B-tree
    index is left to _indexes (a CREATE UNIQUE INDEX keeps what a constraint cannot say)."""
    parts: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        unusual = row[2] == "UNIQUE" and (row[0], row[1]) in special
        if row[0] not in skip and row[2] in KINDS and not unusual:
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
    rows: list[tuple[Any, ...]], keys: dict[str, list[Constraint]]
) -> tuple[tuple[Index, ...], tuple[tuple[str, str, str], ...]]:
    """Indexes made by CREATE INDEX: not those behind a key, nor those a foreign key made
    (returned apart, as (table, foreign key, index))."""
    named = {(t, c.name) for t, cs in keys.items() for c in cs if c.kind == "unique"}
    grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[1] != "PRIMARY" and (row[0], row[1]) not in named:
            grouped[(row[0], row[1])].append(row)
    implicit = []
    for (table, name), rs in list(grouped.items()):
        cols = tuple(r[3] for r in rs)
        # InnoDB adds an index for a foreign key that has none, named after it or its column
        fk = next((c.name for c in keys.get(table, []) if c.kind == "foreign key"
                   and c.columns == cols and name in (c.name, cols[0])), None)  # fmt: skip
        if fk is not None and all(r[6] is None for r in rs):
            implicit.append((table, fk, name))
            del grouped[(table, name)]
    found = tuple(
        Index(DATABASE, name, table, tuple(mysql_sql.key(r) for r in rs), bool(rs[0][2]), None,
              (rs[0][5] or "btree").lower())
        for (table, name), rs in grouped.items()
    )  # fmt: skip
    return found, tuple(implicit)


def _trigger(driver: Driver, r: tuple[Any, ...]) -> Trigger:
    name, table, timing, event, body = r
    q = driver.quote
    text = f"CREATE TRIGGER {q(name)} {timing} {event} ON {q(table)} FOR EACH ROW {body.strip()}"
    return Trigger(DATABASE, name, table, text)


def _routines(driver: Driver, shown: Shown) -> tuple[tuple[Routine, ...], tuple[str, ...]]:
    """Each routine as SHOW CREATE gives it, without its DEFINER (a dump loads as any user)."""
    found, notes = [], []
    routines = driver.query(ROUTINES)
    params: dict[tuple[Any, Any], list[tuple[Any, ...]]] = defaultdict(list)
    for p in driver.query(PARAMETERS) if routines else ():
        params[(p[0], p[1])].append(tuple(p))
    seen: Shown = {}
    for name, kind, *rest in routines:
        key = (name, kind, *rest, *params.get((name, kind), ()))
        row = shown.get(key)
        if row is None:
            row = driver.query(f"SHOW CREATE {kind} {driver.quote(name)}")[0]
        seen[key] = row
        if row[2] is None:  # the user may not see the body
            notes.append(f"{kind.lower()} {name}: its definition is not visible to this user")
            continue
        found.append(Routine(DATABASE, name, "", mysql_sql.without_definer(row[2])))
    shown.clear()
    shown.update(seen)  # only the routines there now
    return tuple(found), tuple(notes)

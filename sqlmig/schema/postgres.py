"""Read a PostgreSQL schema from pg_catalog: ten catalog queries, however many tables."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..drivers.base import Driver
from . import normalise, postgres_extras
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

DEFAULT_SCHEMA = "public"
# Schemas of user objects; objects that belong to an extension are left out.
USER_NS = """n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"""
NOT_EXTENSION = """NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid}
    AND d.classid = '{catalog}'::regclass AND d.deptype = 'e')"""

SCHEMAS = f"""SELECT n.nspname FROM pg_namespace n WHERE {USER_NS}
  AND {NOT_EXTENSION.format(oid="n.oid", catalog="pg_namespace")}"""

COLUMNS = f"""SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
  NOT a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
  CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, pn.nspname, pc.relname,
  pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_inherits h ON h.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class pc ON pc.oid = h.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p') AND {USER_NS}
  AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}
ORDER BY 1, 2, a.attnum"""

# Column names of a constraint, in key order.
_KEYS = """ARRAY(SELECT a.attname FROM unnest({arr}) WITH ORDINALITY u(num, ord)
  JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = u.num ORDER BY u.ord)"""
CONSTRAINTS = f"""SELECT n.nspname, c.relname, k.conname, k.contype,
  {_KEYS.format(arr="k.conkey", rel="k.conrelid")},
  CASE k.contype WHEN 'c' THEN pg_get_expr(k.conbin, k.conrelid)
    WHEN 'x' THEN pg_get_constraintdef(k.oid) END,
  rn.nspname, rc.relname, {_KEYS.format(arr="k.confkey", rel="k.confrelid")},
  k.confdeltype, k.confupdtype, k.condeferrable, k.condeferred
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = k.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND {USER_NS} AND k.conislocal"""

# Keys are cut from the whole CREATE INDEX text, which alone holds what is not the default:
# collation, operator class (with its options), DESC, NULLS FIRST/LAST.
INDEXES = f"""SELECT n.nspname, ic.relname, c.relname, i.indisunique, am.amname,
  pg_get_expr(i.indpred, i.indrelid), pg_get_indexdef(i.indexrelid, 0, true), i.indnkeyatts,
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
    FROM generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE {USER_NS} AND c.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                  AND k.contype IN ('p', 'u', 'x'))
  AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}"""

VIEWS = f"""SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true), c.relkind = 'm'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND {USER_NS}
  AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}"""

# Identity columns' sequences are part of their column and left out.
SEQUENCES = f"""SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart,
  s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, oc.relname, oa.attname
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class oc ON oc.oid = d.refobjid
LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
WHERE {USER_NS} AND (d.deptype IS NULL OR d.deptype = 'a')
  AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}"""

ENUMS = f"""SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="t.oid", catalog="pg_type")}
GROUP BY 1, 2"""

ROUTINES = f"""SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
  pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'w') AND {USER_NS}
  AND {NOT_EXTENSION.format(oid="p.oid", catalog="pg_proc")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid
    AND d.classid = 'pg_proc'::regclass AND d.deptype = 'i')"""

TRIGGERS = f"""SELECT n.nspname, t.tgname, c.relname, pg_get_triggerdef(t.oid, true)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {USER_NS}"""

ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
KINDS = {"p": "primary key", "u": "unique", "c": "check", "f": "foreign key", "x": "exclude"}
IDENTITY = {"a": "always", "d": "by default"}


def read(driver: Driver, exclude: tuple[str, ...]) -> Snapshot:
    """The schema of the driver's database; `exclude` names the history tables (maybe qualified)."""
    rows = driver.query(postgres_extras.QUERY)
    here = postgres_extras.current_schema(rows) or DEFAULT_SCHEMA
    skip = {tuple(name.split(".")) if "." in name else (here, name) for name in exclude}
    extras = postgres_extras.read(rows, DEFAULT_SCHEMA, skip)
    constraints = _constraints(driver.query(CONSTRAINTS))
    return Snapshot(
        "postgres",
        DEFAULT_SCHEMA,
        **extras,
        notes=postgres_extras.notes(extras["others"]),
        schemas=tuple(r[0] for r in driver.query(SCHEMAS)),
        tables=_tables(driver.query(COLUMNS), constraints, skip, postgres_extras.inherits(rows)),
        indexes=tuple(_index(r) for r in driver.query(INDEXES) if (r[0], r[2]) not in skip),
        views=tuple(View(r[0], r[1], r[2].strip().rstrip(";"), r[3]) for r in driver.query(VIEWS)),
        sequences=tuple(_sequence(r) for r in driver.query(SEQUENCES)),
        enums=tuple(Enum(r[0], r[1], tuple(r[2])) for r in driver.query(ENUMS)),
        routines=tuple(Routine(*r[:3], r[3].strip()) for r in driver.query(ROUTINES)),
        triggers=tuple(Trigger(*r) for r in driver.query(TRIGGERS) if (r[0], r[2]) not in skip),
    )


def _tables(
    rows: list[tuple[Any, ...]],
    constraints: dict[tuple[str, str], list[Constraint]],
    skip: set,
    inherits: dict[tuple[str, str], tuple[tuple[str, str], ...]],
) -> tuple[Table, ...]:
    columns: dict[tuple[str, str], list[Column]] = defaultdict(list)
    parents: dict[tuple[str, str], tuple[Any, ...]] = {}
    for schema, table, *rest, by, parent_schema, parent, bound in rows:
        if (schema, table) not in skip:
            columns[(schema, table)].append(_column(*rest))
            partition = (parent_schema, parent, bound) if parent else None
            parents[(schema, table)] = (by, partition, inherits.get((schema, table), ()))
    return tuple(
        Table(key[0], key[1], tuple(cols), tuple(constraints.get(key, ())), (), *parents[key])
        for key, cols in columns.items()
    )


def _column(
    name: str, type_: str, nullable: bool, default: str | None, identity: str, generated: str,
    collation: str | None,
) -> Column:  # fmt: skip
    expr = normalise.default(default)
    return Column(
        name,
        normalise.type_name(type_),
        nullable,
        None if generated else expr,
        IDENTITY.get(identity),
        expr if generated else None,
        True,
        collation,
    )


def _constraints(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], list[Constraint]]:
    out: dict[tuple[str, str], list[Constraint]] = defaultdict(list)
    for schema, table, name, kind, cols, expr, rschema, rtable, rcols, dele, upd, dfr, dfd in rows:
        deferrable = ("DEFERRABLE INITIALLY DEFERRED" if dfd else "DEFERRABLE") if dfr else None
        found = Constraint(
            name, KINDS[kind], tuple(cols), expr, rschema, rtable, tuple(rcols or ()),
            ACTIONS.get(dele, "NO ACTION"), ACTIONS.get(upd, "NO ACTION"), deferrable,
        )  # fmt: skip
        out[(schema, table)].append(found)
    return out


def _index(r: tuple[Any, ...]) -> Index:
    schema, name, table, unique, method, where, definition, count, include = r
    keys = index_keys(definition)[:count]
    return Index(schema, name, table, keys, unique, where, method, tuple(include))


def index_keys(definition: str) -> tuple[str, ...]:
    """The keys of a CREATE INDEX text: its first parenthesised list (nothing before it holds
    a parenthesis outside double quotes), split at the commas outside parentheses and quotes."""
    keys: list[str] = []
    depth, start, quote = 0, 0, ""
    for pos, ch in enumerate(definition):
        if quote:
            quote = "" if ch == quote else quote  # a doubled quote closes and opens again
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            start = pos + 1 if depth == 1 else start
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return (*keys, definition[start:pos].strip())
        elif ch == "," and depth == 1:
            keys.append(definition[start:pos].strip())
            start = pos + 1
    return tuple(keys)


def _sequence(r: tuple[Any, ...]) -> Sequence:
    owner = (r[8], r[9]) if r[8] else None
    return Sequence(r[0], r[1], normalise.type_name(r[2]), *map(int, r[3:7]), r[7], owner)

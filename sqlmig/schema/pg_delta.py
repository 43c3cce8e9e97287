"""PostgreSQL snapshots taken again and again on one scratch database (verify): only the objects
whose catalog rows changed since the last snapshot, or whose named objects did, are read again.

A stamp query (one, however many objects) gives each relation (a table or view, with its
indexes and triggers), sequence, type, collation and function name a token: the count, sum and
highest of the versions (`xmin`) of every catalog row it is read from (its class, columns,
defaults, constraints, indexes, triggers, rules, row type, labels, sequence options, comments,
policies, statistics, schema), and the same over every object it names (`pg_depend`: a table,
column, type, function, collation). A row written later has a higher version and a removed
row lowers the count, so an object whose token is the same reads the same: its entries are
kept from the last snapshot. Only the changed objects are read again, by the reader's own
queries limited to their names; schemas, and any catalog query this module does not know, are
read in full each time. The queries go over a second connection, prepared, in one round trip.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from typing import Any

from ..drivers.base import Driver
from ..errors import ConnectError, SqlmigError
from . import postgres, postgres_extras
from .model import Snapshot, order_key, sort_snapshot

# psycopg logs "error ignored terminating <Pipeline>" when a pipeline's connection drops;
# the error raised below says it, once, in sqlmig's words
logging.getLogger("psycopg").addHandler(logging.NullHandler())

Unit = tuple[str, str, str]  # (kind, schema, name)
Stamp = dict[Unit, tuple]

_REL = "u.cls = 'pg_class'::regclass"
_BY_UNIT = [  # (catalog, object id, version, join) of the rows a unit is read from
    ("pg_class", "c.oid", "c.xmin", f"pg_class c ON {_REL} AND c.oid = u.id"),
    ("pg_type", "t.oid", "t.xmin", "pg_type t ON u.cls = 'pg_type'::regclass AND t.oid = u.id"),
    ("pg_proc", "p.oid", "p.xmin", "pg_proc p ON u.cls = 'pg_proc'::regclass AND p.oid = u.id"),
    ("pg_collation", "l.oid", "l.xmin",
     "pg_collation l ON u.cls = 'pg_collation'::regclass AND l.oid = u.id"),
    ("pg_type", "t.oid", "t.xmin", f"pg_type t ON {_REL} AND t.typrelid = u.id"),
    ("pg_attrdef", "d.oid", "d.xmin", f"pg_attrdef d ON {_REL} AND d.adrelid = u.id"),
    ("pg_constraint", "k.oid", "k.xmin", f"pg_constraint k ON {_REL} AND k.conrelid = u.id"),
    ("pg_class", "i.indexrelid", "ic.xmin",
     f"pg_index i ON {_REL} AND i.indrelid = u.id JOIN pg_class ic ON ic.oid = i.indexrelid"),
    ("pg_trigger", "g.oid", "g.xmin", f"pg_trigger g ON {_REL} AND g.tgrelid = u.id"),
    ("pg_rewrite", "w.oid", "w.xmin", f"pg_rewrite w ON {_REL} AND w.ev_class = u.id"),
    ("pg_policy", "o.oid", "o.xmin", f"pg_policy o ON {_REL} AND o.polrelid = u.id"),
    ("pg_statistic_ext", "x.oid", "x.xmin",
     f"pg_statistic_ext x ON {_REL} AND x.stxrelid = u.id"),
]  # fmt: skip
_OBJECTS = "\n  UNION ALL ".join(
    f"SELECT u.cls AS ucls, u.id AS uid, '{cat}'::regclass AS cls, {oid} AS obj, "
    f"{version}::text::bigint AS x FROM units u JOIN {join}"
    for cat, oid, version, join in _BY_UNIT
)
# Rows that are a unit's but no object another can depend on: versions only.
_VERSIONS = f"""SELECT u.cls, u.id, a.xmin::text::bigint FROM units u
    JOIN pg_attribute a ON {_REL} AND a.attrelid = u.id AND a.attnum > 0
  UNION ALL SELECT u.cls, u.id, i.xmin::text::bigint FROM units u
    JOIN pg_index i ON {_REL} AND i.indrelid = u.id
  UNION ALL SELECT u.cls, u.id, e.xmin::text::bigint FROM units u
    JOIN pg_enum e ON u.cls = 'pg_type'::regclass AND e.enumtypid = u.id
  UNION ALL SELECT u.cls, u.id, s.xmin::text::bigint FROM units u
    JOIN pg_sequence s ON {_REL} AND s.seqrelid = u.id
  UNION ALL SELECT o.ucls, o.uid, e.xmin::text::bigint FROM objs o
    JOIN pg_description e ON e.classoid = o.cls AND e.objoid = o.obj
  UNION ALL SELECT u.cls, u.id, n.xmin::text::bigint FROM units u
    JOIN pg_namespace n ON n.oid = u.nsp"""

# Per object: the count, sum and highest of the versions of its own rows, and the same summed
# over the objects it depends on. A row written since the last stamp has a version above every
# older one (a higher sum at the same count); a row removed lowers the count.
STAMP = f"""WITH units AS (
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'relation' END AS kind,
    n.nspname::text AS nspname, c.relname::text AS name,
    'pg_class'::regclass AS cls, c.oid AS id, n.oid AS nsp
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {postgres.USER_NS}
  UNION ALL
  SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'type' END, n.nspname, t.typname,
    'pg_type'::regclass, t.oid, n.oid
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd', 'r', 'm') AND {postgres.USER_NS}
  UNION ALL
  SELECT 'routine', n.nspname, p.proname, 'pg_proc'::regclass, p.oid, n.oid
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {postgres.USER_NS}
  UNION ALL
  SELECT 'collation', n.nspname, l.collname, 'pg_collation'::regclass, l.oid, n.oid
  FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace WHERE {postgres.USER_NS}
), objs AS (
  {_OBJECTS}
), own AS (
  SELECT ucls, uid, count(*) AS n, sum(x) AS s, max(x) AS m FROM (
    SELECT ucls, uid, x FROM objs UNION ALL {_VERSIONS}) v
  GROUP BY 1, 2
), edges AS (
  SELECT DISTINCT o.ucls, o.uid, r.ucls AS rcls, r.uid AS rid
  FROM objs o JOIN pg_depend d ON d.classid = o.cls AND d.objid = o.obj
  JOIN objs r ON r.cls = d.refclassid AND r.obj = d.refobjid
  WHERE (r.ucls, r.uid) <> (o.ucls, o.uid)
), named AS (  -- summed over the units each one names: aggregated once, joined by hash
  SELECT e.ucls, e.uid, count(*) AS c, sum(r.n) AS n, sum(r.s) AS s, max(r.m) AS m
  FROM edges e JOIN own r ON r.ucls = e.rcls AND r.uid = e.rid GROUP BY 1, 2
)
SELECT u.kind, u.nspname, u.name, o.n, o.s, o.m, coalesce(p.c, 0), p.n, p.s, p.m
FROM units u JOIN own o ON o.ucls = u.cls AND o.uid = u.id
LEFT JOIN named p ON p.ucls = u.cls AND p.uid = u.id"""

# The catalog queries read per object: (the unit kind, the column holding the object's name
# next to its schema in column 0). Any other query of the reader is run in full.
FILTERED = {
    postgres.COLUMNS: ("relation", 1),
    postgres.CONSTRAINTS: ("relation", 1),
    postgres.INDEXES: ("relation", 2),
    postgres.TRIGGERS: ("relation", 2),
    postgres.VIEWS: ("relation", 1),
    postgres.SEQUENCES: ("sequence", 1),
    postgres.ENUMS: ("enum", 1),
    postgres.ROUTINES: ("routine", 1),
}
# The snapshot's collections kept per object: (unit kind, the attribute naming the object).
KEPT = {
    "tables": ("relation", "name"),
    "indexes": ("relation", "table"),
    "triggers": ("relation", "table"),
    "views": ("relation", "name"),
    "sequences": ("sequence", "name"),
    "enums": ("enum", "name"),
    "routines": ("routine", "name"),
}


class _Prepared:
    """A connection of its own that only reads catalogs: each query is planned once (the
    migration connection cannot keep prepared statements: its session is reset after each
    migration), and a batch of them goes in one round trip."""

    dialect = "postgres"

    def __init__(self, driver: Driver) -> None:
        self.conn = driver.conn  # type: ignore[attr-defined]
        self.where = driver.url.redacted  # type: ignore[attr-defined]
        # sqlmig connects with prepare_threshold=None, which makes psycopg ignore prepare=True:
        # this connection prepares (planning the stamp and the extras query took longer than
        # running them)
        self.conn.prepare_threshold = 0

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return self.many([(sql, params)])[0]

    def many(self, queries: list[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
        import psycopg

        try:
            with self.conn.pipeline():
                cursors = [self.conn.execute(q, p or None, prepare=True) for q, p in queries]
            return [c.fetchall() for c in cursors]
        except psycopg.Error as exc:
            text = " ".join(str(exc).split())
            if self.conn.broken or self.conn.closed:
                raise ConnectError(
                    f"lost the connection to the scratch database {self.where} while reading "
                    f"its catalogs: {text}",
                    hint="check the server and run verify again; the scratch database is "
                    "dropped (or, given with --scratch-url, emptied) as usual",
                ) from None
            raise SqlmigError(f"reading the scratch database's catalogs failed: {text}") from None


# Read by postgres.read besides the per-object queries, in full each time.
_WHOLE = (postgres_extras.QUERY, postgres.SCHEMAS)

# Whether postgres_extras.QUERY could find anything besides the current schema: a test of the
# rows each of its parts starts from, never narrower than that part (objects made after
# initdb have oids from 16384 on). When it finds nothing, before and now, the extras read
# the last time are still true and the query (the dearest of a snapshot after the stamp) is
# not sent.
_ANY_EXTRAS = f"""SELECT current_schema(),
  EXISTS (SELECT 1 FROM pg_extension WHERE extname <> 'plpgsql')
  OR EXISTS (SELECT 1 FROM pg_type WHERE oid >= 16384 AND (typtype IN ('d', 'r')
    OR (typtype = 'b' AND NOT (typcategory = 'A' AND typelem <> 0))))
  OR EXISTS (SELECT 1 FROM pg_class WHERE oid >= 16384
    AND (relkind IN ('c', 'f') OR relrowsecurity OR relforcerowsecurity))
  OR EXISTS (SELECT 1 FROM pg_statistic_ext) OR EXISTS (SELECT 1 FROM pg_policy)
  OR EXISTS (SELECT 1 FROM pg_description WHERE objoid >= 16384)
  OR EXISTS (SELECT 1 FROM pg_description d JOIN pg_namespace n
    ON d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid
    WHERE {postgres.USER_NS}
      AND NOT (n.nspname = 'public' AND d.description = 'standard public schema'))
  OR EXISTS (SELECT 1 FROM pg_collation WHERE oid >= 16384)
  OR EXISTS (SELECT 1 FROM pg_rewrite WHERE oid >= 16384 AND rulename <> '_RETURN')
  OR EXISTS (SELECT 1 FROM pg_proc WHERE oid >= 16384 AND prokind = 'a')
  OR EXISTS (SELECT 1 FROM pg_operator WHERE oid >= 16384)
  OR EXISTS (SELECT 1 FROM pg_ts_config WHERE oid >= 16384)
  OR EXISTS (SELECT 1 FROM pg_event_trigger) OR EXISTS (SELECT 1 FROM pg_publication)
  OR EXISTS (SELECT 1 FROM pg_inherits)"""


class _Only:
    """The reader, with each per-object catalog query limited to the objects in `units` (all
    of them when None) and the whole-schema queries answered from `whole`; the per-object
    queries are sent together, in one round trip (none when no object changed)."""

    def __init__(
        self, driver: _Prepared, units: set[Unit] | None, whole: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        self.driver = driver
        self.ready: dict[str, list[tuple[Any, ...]]] = dict(whole)
        batch = [(sql, ()) for sql in _WHOLE if sql not in whole]
        for sql, (kind, at) in FILTERED.items():
            if units is None:
                batch.append((sql, ()))
                continue
            wanted = {(s, n) for k, s, n in units if k == kind}
            if not wanted:
                self.ready[sql] = []
                continue
            # two lists the server can test before it deparses anything; the pairs: below
            wrapped = (
                f"SELECT * FROM ({sql.replace('%', '%%')}) AS q(k0, k1, k2) "
                f"WHERE k0::text = ANY(%s::text[]) AND k{at}::text = ANY(%s::text[])"
            )
            batch.append(
                (wrapped, (sorted({s for s, _ in wanted}), sorted({n for _, n in wanted})))
            )
        keys = [
            *(q for q in _WHOLE if q not in whole),
            *(q for q in FILTERED if q not in self.ready),
        ]
        for key, rows in zip(keys, driver.many(batch) if batch else [], strict=True):
            spec = FILTERED.get(key)
            if spec is not None and units is not None:
                pairs = {(s, n) for k, s, n in units if k == spec[0]}
                rows = [r for r in rows if (r[0], r[spec[1]]) in pairs]
            self.ready[key] = rows

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if sql in self.ready and not params:
            return self.ready[sql]
        return self.driver.query(sql, params)  # a query this module does not know: in full


class Tracker:
    """Snapshots of one PostgreSQL database, each read again only where its catalogs changed."""

    def __init__(self, driver: Driver, table: str) -> None:
        self.driver = _Prepared(driver)
        self.exclude = (table, f"{table}_log")
        self.last: tuple[Stamp, Snapshot] | None = None
        self.bare: tuple[str, list[tuple[Any, ...]]] | None = None

    def snapshot(self) -> Snapshot:
        stamped, probe, schemas = self.driver.many(
            [(STAMP, ()), (_ANY_EXTRAS, ()), (postgres.SCHEMAS, ())]
        )
        whole = {postgres.SCHEMAS: schemas}
        here, extras = probe[0]
        if not extras and self.bare is not None and self.bare[0] == here:
            whole[postgres_extras.QUERY] = self.bare[1]
        stamp: Stamp = {}
        for kind, schema, name, *token in stamped:  # one row a unit, but for overloaded names
            unit, t = (kind, schema, name), tuple(token)
            had = stamp.get(unit)
            stamp[unit] = (t,) if had is None else tuple(sorted((*had, t)))
        if self.last is None:
            reader = _Only(self.driver, None, whole)
            snap = sort_snapshot(postgres.read(reader, self.exclude))  # type: ignore[arg-type]
        else:
            before, old = self.last
            changed = {u for u, _ in before.items() ^ stamp.items()}
            reader = _Only(self.driver, changed, whole)
            fresh = postgres.read(reader, self.exclude)  # type: ignore[arg-type]
            snap = patch(old, sort_snapshot(fresh), changed)
        self.last = (stamp, snap)
        # the extras of a database where the probe found nothing: true until it finds something
        self.bare = None if extras else (here, reader.ready[postgres_extras.QUERY])
        return snap


def patch(old: Snapshot, fresh: Snapshot, changed: set[Unit]) -> Snapshot:
    """`fresh` (sorted; read for the `changed` objects only, and in full for the rest), with the
    entries of every unchanged object taken from `old`."""
    merged: dict[str, Any] = {}
    for f in fields(Snapshot):
        if f.name not in KEPT:
            continue
        kind, attr = KEPT[f.name]
        kept = tuple(
            o for o in getattr(old, f.name) if (kind, o.schema, getattr(o, attr)) not in changed
        )
        new = getattr(fresh, f.name)
        merged[f.name] = tuple(sorted((*kept, *new), key=order_key)) if new else kept
    return replace(fresh, **merged)  # both parts sorted within (a table's constraints too)

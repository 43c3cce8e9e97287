"""What a scratch database holds, and how to drop it: one inventory query per dialect, and the
DROP of each kind of object it lists. Only what the inventory lists beyond a baseline taken at
the start is ever dropped, so a database that held nothing at the start loses only what the
run made in it."""

from __future__ import annotations

from dataclasses import dataclass

from ..drivers.base import Driver
from ..errors import SqlmigError, UsageError


@dataclass(frozen=True, order=True)
class Held:
    """One object of the database: `kind` as the DROP statement spells it, `name` quoted."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.name}"


# PostgreSQL: every object a user can make in a database, by the catalog that holds it, named
# by pg_identify_object (quoted, with argument types: usable in DROP). Members of extensions,
# and what belongs to another object (a serial's sequence, an array type, an index, a rule),
# go with their owner and are not listed.
PG_INVENTORY = r"""WITH ns AS (
  SELECT oid FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
), objs(cls, oid, kind) AS (
  SELECT 'pg_namespace'::regclass, oid, NULL FROM ns
  UNION ALL SELECT 'pg_extension'::regclass, oid, NULL FROM pg_extension
  UNION ALL SELECT 'pg_class'::regclass, oid, NULL FROM pg_class
    WHERE relnamespace IN (SELECT oid FROM ns) AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL SELECT 'pg_type'::regclass, t.oid, CASE t.typtype WHEN 'd' THEN 'domain' END
    FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
    WHERE t.typnamespace IN (SELECT oid FROM ns) AND (c.oid IS NULL OR c.relkind = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  UNION ALL SELECT 'pg_proc'::regclass, oid, NULL FROM pg_proc
    WHERE pronamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_collation'::regclass, oid, NULL FROM pg_collation
    WHERE collnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_conversion'::regclass, oid, NULL FROM pg_conversion
    WHERE connamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_operator'::regclass, oid, NULL FROM pg_operator
    WHERE oprnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_opfamily'::regclass, oid, NULL FROM pg_opfamily
    WHERE opfnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_opclass'::regclass, oid, NULL FROM pg_opclass
    WHERE opcnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_ts_config'::regclass, oid, NULL FROM pg_ts_config
    WHERE cfgnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_ts_dict'::regclass, oid, NULL FROM pg_ts_dict
    WHERE dictnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_statistic_ext'::regclass, oid, NULL FROM pg_statistic_ext
    WHERE stxnamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'pg_event_trigger'::regclass, oid, NULL FROM pg_event_trigger
  UNION ALL SELECT 'pg_publication'::regclass, oid, NULL FROM pg_publication
  UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid, NULL FROM pg_foreign_data_wrapper
  UNION ALL SELECT 'pg_foreign_server'::regclass, oid, NULL FROM pg_foreign_server
  UNION ALL SELECT 'pg_cast'::regclass, oid, NULL FROM pg_cast WHERE oid >= 16384
)
SELECT upper(coalesce(objs.kind, o.type)), o.identity
FROM objs, pg_identify_object(objs.cls, objs.oid, 0) o
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = objs.cls AND d.objid = objs.oid
                  AND d.deptype IN ('e', 'i', 'a')
                  -- a partitioned table depends (internally) on its own key columns
                  AND NOT (d.refclassid = objs.cls AND d.refobjid = objs.oid))"""
MYSQL_INVENTORY = """SELECT CASE table_type WHEN 'VIEW' THEN 'VIEW' WHEN 'SEQUENCE' THEN 'SEQUENCE'
  ELSE 'TABLE' END, table_name FROM information_schema.tables WHERE table_schema = DATABASE()
UNION ALL SELECT routine_type, routine_name FROM information_schema.routines
  WHERE routine_schema = DATABASE()
UNION ALL SELECT 'EVENT', event_name FROM information_schema.events
  WHERE event_schema = DATABASE()"""
SQLITE_INVENTORY = """SELECT upper(type), name FROM sqlite_schema
WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"""

# What may be in a database the user hands over as empty: PostgreSQL's schemas (empty ones:
# public, or one the migrations expect) and extensions installed for them.
CONTAINERS = frozenset({"SCHEMA", "EXTENSION"})
# The DROP keyword of a kind, where it is not the kind itself.
DROP_AS = {"STATISTICS OBJECT": "STATISTICS", "FOREIGN-DATA WRAPPER": "FOREIGN DATA WRAPPER"}
# Dropped first: what others depend on goes with CASCADE (PostgreSQL) or after its users.
FIRST = ("SCHEMA", "EXTENSION", "EVENT TRIGGER", "VIEW", "MATERIALIZED VIEW", "TRIGGER")


def inventory(driver: Driver) -> set[Held]:
    sql = {"postgres": PG_INVENTORY, "mysql": MYSQL_INVENTORY}.get(driver.dialect, SQLITE_INVENTORY)
    rows = driver.query(sql)
    if driver.dialect == "postgres":
        return {Held(kind, name) for kind, name in rows}
    return {Held(kind, driver.quote(name)) for kind, name in rows}


def baseline(driver: Driver, *, given: bool) -> frozenset[Held]:
    """What stays: of a database the user gave, its (empty) schemas and its extensions, and
    nothing else may be in it; of one sqlmig made, all it held when made."""
    held = inventory(driver)
    if not given:
        return frozenset(held)
    kept = {h for h in held if h.kind in CONTAINERS}
    if held - kept:
        raise UsageError(
            f"the scratch database is not empty: it holds {_listed(held - kept)}",
            hint="pass an empty database: sqlmig drops everything it made there after each "
            "attempt and at the end, so it refuses one that holds anything of yours",
        )
    return frozenset(kept)


def empty(driver: Driver, keep: frozenset[Held]) -> None:
    """Drop everything made since `keep` was taken, and make again a schema or extension of it
    that a migration dropped; refuse to go on unless the database is back to `keep`."""
    now = inventory(driver)
    if driver.dialect == "mysql":
        driver.execute("SET foreign_key_checks = 0")
    for held in sorted(now - keep, key=_order):
        kind = DROP_AS.get(held.kind, held.kind)
        cascade = " CASCADE" if driver.dialect == "postgres" else ""
        _run(driver, f"DROP {kind} IF EXISTS {held.name}{cascade}", f"dropping {held}")
    for held in sorted(keep - now, key=_order):  # schemas before the extensions in them
        _run(driver, f"CREATE {held.kind} IF NOT EXISTS {held.name}", f"making {held} again")
    left = inventory(driver) ^ keep
    if left:
        raise UsageError(
            f"cannot empty the scratch database: {_listed(left)} is not as it was at the start",
            hint="empty it by hand (a migration may have made or dropped objects as another "
            "role), then run again",
        )


def _run(driver: Driver, sql: str, doing: str) -> None:
    try:
        driver.execute(sql)
    except SqlmigError as exc:
        raise _cannot(doing, exc.message) from None


def _order(held: Held) -> tuple[int, Held]:
    return (FIRST.index(held.kind) if held.kind in FIRST else len(FIRST), held)


def _cannot(doing: str, why: str) -> UsageError:
    return UsageError(
        f"cannot empty the scratch database: {doing} failed: {why}",
        hint="empty it by hand (a migration may have made or dropped objects as another role), "
        "then run again",
    )


def _listed(held: set[Held], most: int = 5) -> str:
    names = [str(h) for h in sorted(held)]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more

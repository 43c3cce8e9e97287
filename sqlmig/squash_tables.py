"""Tables as the server describes them, beyond the schema snapshot, which squash compares too:
MySQL's SHOW CREATE TABLE (comments, partitions, row formats), PostgreSQL's table facts
(UNLOGGED, storage options, statistics targets, storage modes, identity options), SQLite's
deferred foreign keys (which PRAGMA foreign_key_list does not report)."""

from __future__ import annotations

import re

from .drivers.base import Driver

COUNTER = re.compile(r"\s*AUTO_INCREMENT=\d+")
MYSQL_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
)
_COLUMNS = "FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
PG_FACTS = f"""SELECT n.nspname || '.' || c.relname, f.fact
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT 'UNLOGGED' WHERE c.relpersistence = 'u'
  UNION ALL SELECT 'WITH (' || o || ')' FROM unnest(c.reloptions) o
  UNION ALL SELECT 'column ' || a.attname || ' SET STATISTICS ' || a.attstattarget {_COLUMNS}
    AND a.attstattarget >= 0
  UNION ALL SELECT 'column ' || a.attname || ' storage ' || a.attstorage::text {_COLUMNS}
    AND a.attstorage <> (SELECT t.typstorage FROM pg_type t WHERE t.oid = a.atttypid)
  UNION ALL SELECT 'column ' || a.attname || ' identity (START ' || s.seqstart || ' INCREMENT '
      || s.seqincrement || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' CACHE '
      || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END || ')'
    FROM pg_attribute a JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence(
      quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname)::regclass
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity <> ''
) f(fact)
WHERE c.relkind IN ('r', 'p', 'm', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"""


DEFERRED = re.compile(r"\bDEFERRABLE\s+INITIALLY\s+DEFERRED\b", re.I)
SQLITE_TABLES = "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL"


def written(driver: Driver) -> dict[str, frozenset[str]]:
    """Each table's facts, by table."""
    if driver.dialect == "mysql":
        return _mysql(driver)
    if driver.dialect == "postgres":
        out: dict[str, set[str]] = {}
        for name, fact in driver.query(PG_FACTS):
            out.setdefault(name, set()).add(fact)
        return {name: frozenset(facts) for name, facts in out.items()}
    return {
        name: frozenset({f"{count} foreign key(s) DEFERRABLE INITIALLY DEFERRED"})
        for name, sql in driver.query(SQLITE_TABLES)
        if (count := len(DEFERRED.findall(sql)))
    }


def _mysql(driver: Driver) -> dict[str, frozenset[str]]:
    """SHOW CREATE TABLE as a set of lines (the order of keys is the order they were made in,
    which a squash need not keep), without the AUTO_INCREMENT counter (the warning names it)."""
    out: dict[str, frozenset[str]] = {}
    for (name,) in driver.query(MYSQL_TABLES):
        text = driver.query(f"SHOW CREATE TABLE {driver.quote(name)}")[0][1]
        lines = (COUNTER.sub("", line).strip().rstrip(",") for line in text.splitlines())
        out[name] = frozenset(lines)
    return out


def differences(built: dict[str, frozenset[str]], squashed: dict[str, frozenset[str]]) -> list[str]:
    """What the squash file's tables lack or add, fact by fact."""
    out: list[str] = []
    for name in sorted(built.keys() | squashed.keys()):
        had, has = built.get(name, frozenset()), squashed.get(name, frozenset())
        out += [f"table {name}: {fact} is missing" for fact in sorted(had - has)]
        out += [f"table {name}: {fact} is extra" for fact in sorted(has - had)]
    return out

"""Read PostgreSQL's extensions, domains, composite types, statistics, row security, policies,
comments and the kinds not modelled in one catalog query (each row a kind and a JSON array)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from . import normalise
from .model import (
    Comment,
    Composite,
    Domain,
    Extension,
    Other,
    Policy,
    RowSecurity,
    Statistic,
)

USER_NS = """n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"""
NOT_EXTENSION = """NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid}
    AND d.classid = '{catalog}'::regclass AND d.deptype = 'e')"""
_Q = "quote_ident(n.nspname) || '.' || quote_ident({})"

_EXTENSIONS = """SELECT 'extension', json_build_array(n.nspname, e.extname)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'"""

_DOMAINS = f"""SELECT 'domain', json_build_array(n.nspname, t.typname,
  format_type(t.typbasetype, t.typtypmod), NOT t.typnotnull, t.typdefault,
  CASE WHEN t.typcollation <> b.typcollation THEN co.collname END,
  (SELECT json_agg(json_build_array(k.conname, pg_get_constraintdef(k.oid)) ORDER BY k.conname)
   FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'))
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type b ON b.oid = t.typbasetype LEFT JOIN pg_collation co ON co.oid = t.typcollation
WHERE t.typtype = 'd' AND {USER_NS} AND {NOT_EXTENSION.format(oid="t.oid", catalog="pg_type")}"""

_COMPOSITES = f"""SELECT 'composite', json_build_array(n.nspname, t.typname,
  (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)
     || CASE WHEN a.attcollation <> at.typcollation
        THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END) ORDER BY a.attnum)
   FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
   LEFT JOIN pg_collation co ON co.oid = a.attcollation
   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="t.oid", catalog="pg_type")}"""

_STATISTICS = f"""SELECT 'statistics', json_build_array(n.nspname, s.stxname, c.relname,
  pg_get_statisticsobjdef(s.oid), tn.nspname)
FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace
WHERE {USER_NS}"""

_POLICIES = f"""SELECT 'policy', json_build_array(n.nspname, p.polname, c.relname,
  CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
    WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, p.polpermissive,
  ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END
        FROM unnest(p.polroles) r ORDER BY 1),
  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS}"""

_ROW_SECURITY = f"""SELECT 'row security', json_build_array(n.nspname, c.relname,
  c.relrowsecurity, c.relforcerowsecurity)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND {USER_NS}"""

_RELKIND = """CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
  WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'S' THEN 'sequence'
  WHEN 'c' THEN 'type' WHEN 'f' THEN 'foreign table' ELSE 'table' END"""
# Each comment: schema, kind, object (relative to its schema), target SQL, text, its table.
_COMMENTS = f"""SELECT 'comment', json_build_array(n.nspname,
  CASE WHEN d.objsubid > 0 THEN 'column' ELSE {_RELKIND} END,
  c.relname || CASE WHEN d.objsubid > 0 THEN '.' || a.attname ELSE '' END,
  upper(CASE WHEN d.objsubid > 0 THEN 'column' ELSE {_RELKIND} END) || ' '
    || {_Q.format("c.relname")}
    || CASE WHEN d.objsubid > 0 THEN '.' || quote_ident(a.attname) ELSE '' END,
  d.description, CASE WHEN c.relkind IN ('r', 'p', 'f') THEN c.relname
                      WHEN c.relkind IN ('i', 'I') THEN ic.relname END)
FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class ic ON ic.oid = i.indrelid
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}
UNION ALL
SELECT 'comment', json_build_array(n.nspname, 'schema', '', 'SCHEMA ' || quote_ident(n.nspname),
  d.description, NULL)
FROM pg_description d JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass
  AND n.oid = d.objoid
WHERE {USER_NS} AND NOT (n.nspname = 'public' AND d.description = 'standard public schema')
UNION ALL
SELECT 'comment', json_build_array(n.nspname, CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END,
  t.typname, 'TYPE ' || {_Q.format("t.typname")}, d.description, NULL)
FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="t.oid", catalog="pg_type")}
UNION ALL
SELECT 'comment', json_build_array(n.nspname,
  CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
  p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END || {_Q.format("p.proname")}
    || '(' || pg_get_function_identity_arguments(p.oid) || ')', d.description, NULL)
FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'w') AND {USER_NS}
  AND {NOT_EXTENSION.format(oid="p.oid", catalog="pg_proc")}
UNION ALL
SELECT 'comment', json_build_array(n.nspname, 'constraint',
  coalesce(c.relname, t.typname) || '.' || k.conname,
  'CONSTRAINT ' || quote_ident(k.conname) || ' ON '
    || CASE WHEN c.oid IS NULL THEN 'DOMAIN ' || {_Q.format("t.typname")}
       ELSE {_Q.format("c.relname")} END, d.description, c.relname)
FROM pg_description d JOIN pg_constraint k ON d.classoid = 'pg_constraint'::regclass
  AND k.oid = d.objoid
LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
JOIN pg_namespace n ON n.oid = coalesce(c.relnamespace, t.typnamespace)
WHERE {USER_NS}
UNION ALL
SELECT 'comment', json_build_array(n.nspname, 'trigger', c.relname || '.' || g.tgname,
  'TRIGGER ' || quote_ident(g.tgname) || ' ON ' || {_Q.format("c.relname")}, d.description,
  c.relname)
FROM pg_description d JOIN pg_trigger g ON d.classoid = 'pg_trigger'::regclass
  AND g.oid = d.objoid
JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_NS}
UNION ALL
SELECT 'comment', json_build_array(n.nspname, 'policy', c.relname || '.' || p.polname,
  'POLICY ' || quote_ident(p.polname) || ' ON ' || {_Q.format("c.relname")}, d.description,
  c.relname)
FROM pg_description d JOIN pg_policy p ON d.classoid = 'pg_policy'::regclass
  AND p.oid = d.objoid
JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_NS}"""

# Kinds that are not modelled: schema, name as displayed, kind. Compared by presence only.
_SHOWN = "CASE WHEN n.nspname = 'public' THEN '' ELSE n.nspname || '.' END || "
_OTHERS = f"""SELECT 'other', json_build_array(n.nspname, {_SHOWN} t.typname,
  CASE t.typtype WHEN 'r' THEN 'range type' ELSE 'base type' END)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('r', 'b') AND NOT (t.typcategory = 'A' AND t.typelem <> 0) AND {USER_NS}
  AND {NOT_EXTENSION.format(oid="t.oid", catalog="pg_type")}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} c.collname, 'collation')
FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_collation")}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} c.relname, 'foreign table')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'f' AND {USER_NS} AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_class")}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} c.relname || '.' || r.rulename, 'rule')
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND {USER_NS}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} p.proname || '('
  || pg_get_function_identity_arguments(p.oid) || ')', 'aggregate')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind = 'a' AND {USER_NS} AND {NOT_EXTENSION.format(oid="p.oid", catalog="pg_proc")}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} o.oid::regoperator::text, 'operator')
FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="o.oid", catalog="pg_operator")}
UNION ALL
SELECT 'other', json_build_array(n.nspname, {_SHOWN} c.cfgname, 'text search configuration')
FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
WHERE {USER_NS} AND {NOT_EXTENSION.format(oid="c.oid", catalog="pg_ts_config")}
UNION ALL
SELECT 'other', json_build_array('', e.evtname, 'event trigger') FROM pg_event_trigger e
WHERE {NOT_EXTENSION.format(oid="e.oid", catalog="pg_event_trigger")}
UNION ALL
SELECT 'other', json_build_array('', p.pubname, 'publication') FROM pg_publication p"""

# Parents of tables that inherit (partitions are read with their columns)
_INHERITS = """SELECT 'inherits', json_build_array(n.nspname, c.relname,
  json_agg(json_build_array(pn.nspname, p.relname) ORDER BY h.inhseqno))
FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid AND NOT c.relispartition
  AND c.relkind IN ('r', 'p')
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
GROUP BY n.nspname, c.relname"""

# One round trip for all of them; the first row is the session's current schema.
QUERY = "\nUNION ALL\n".join(
    [
        "SELECT 'here', json_build_array(current_schema())",
        _EXTENSIONS, _DOMAINS, _COMPOSITES, _STATISTICS, _POLICIES, _ROW_SECURITY, _COMMENTS,
        _OTHERS, _INHERITS,
    ]
)  # fmt: skip


def current_schema(rows: list[tuple[str, Any]]) -> str | None:
    payload = next((r[1] for r in rows if r[0] == "here"), None)
    value = json.loads(payload) if isinstance(payload, str) else payload
    return value[0] if value else None


def inherits(rows: list[tuple[str, Any]]) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """(schema, table) -> its parents, in order."""
    found = [json.loads(p) if isinstance(p, str) else p for kind, p in rows if kind == "inherits"]
    return {(v[0], v[1]): tuple((a, b) for a, b in v[2]) for v in found}


def read(rows: list[tuple[str, Any]], default_schema: str, skip: set) -> dict[str, Any]:
    """The collections of a Snapshot these rows hold, by field name."""
    found: dict[str, list[Any]] = defaultdict(list)
    for kind, payload in rows:
        found[kind].append(json.loads(payload) if isinstance(payload, str) else payload)
    return {
        "extensions": tuple(Extension(*v) for v in found["extension"]),
        "domains": tuple(_domain(*v) for v in found["domain"]),
        "composites": tuple(Composite(v[0], v[1], _pairs(v[2])) for v in found["composite"]),
        "statistics": tuple(
            Statistic(*v[:4]) for v in found["statistics"] if (v[4], v[2]) not in skip
        ),
        "policies": tuple(_policy(*v) for v in found["policy"] if (v[0], v[2]) not in skip),
        "row_security": tuple(RowSecurity(*v) for v in found["row security"]),
        "comments": tuple(
            _comment(default_schema, *v) for v in found["comment"] if (v[0], v[5]) not in skip
        ),
        "others": tuple(Other(*v) for v in found["other"]),
    }


def notes(others: tuple[Other, ...]) -> tuple[str, ...]:
    return tuple(f"{o.kind} {o.name} is left out: only its presence is compared" for o in others)


def _pairs(values: list[list[str]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in values or ())


def _domain(schema: str, name: str, type_: str, nullable: bool, default: str | None,
            collation: str | None, checks: list[list[str]] | None) -> Domain:  # fmt: skip
    return Domain(
        schema, name, normalise.type_name(type_), nullable, normalise.default(default),
        collation, _pairs(checks),
    )  # fmt: skip


def _policy(schema: str, name: str, table: str, command: str, permissive: bool,
            roles: list[str], using: str | None, check: str | None) -> Policy:  # fmt: skip
    return Policy(schema, name, table, command, permissive, tuple(roles), using, check)


def _comment(default_schema: str, schema: str, kind: str, path: str, target: str, text: str,
             table: str | None) -> Comment:  # fmt: skip
    where = "" if schema == default_schema or kind == "schema" else f"{schema}."
    name = f"{kind} {schema}" if kind == "schema" else f"{kind} {where}{path}"
    return Comment(schema, name, target, text, table or "")

"""PostgreSQL: whether postgres_extras.QUERY (extensions, domains, composites, statistics,
policies, row security, comments, the kinds not modelled, inheritance) could answer otherwise
than at the last look, so that verify reads it only then.

Two signals, both cheap. The probe (one query, in the round trip of pg_changes' own): per set
of rows a part of the extras query starts from, how many there are and how many were written
since the last look (`xmin` at or above the xmax of that look, as in pg_changes), with the
reader's current schema and the roles' names (policies name roles). Equal counts and nothing
written: no row was added, changed or removed there. And the links: the objects whose names
the last extras rows show (a comment's table, column or function, a policy's table, ...); a
changed object among pg_changes' changed units (renames give the old and the new name, and
objects that name a changed one are changed too) means its names may show otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from .pg_changes import Unit

_NS = "n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'"  # a parameter query
_KINDS = ("relation", "sequence", "enum", "type", "routine", "collation")


def _written(alias: str) -> str:
    return f"{alias}.xmin::text::int8 >= %(t)s"


# Each part: the rows it counts (FROM ... WHERE ...) and when one counts as written.
_PARTS: list[tuple[str, str]] = [
    ("pg_extension e WHERE e.extname <> 'plpgsql'", _written("e")),
    # a domain shows its base type's name
    ("pg_type t LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype "
     "WHERE t.oid >= 16384 AND (t.typtype IN ('d', 'r') "
     "OR (t.typtype = 'b' AND NOT (t.typcategory = 'A' AND t.typelem <> 0)))",
     f"{_written('t')} OR {_written('b')}"),
    # a composite shows its attributes (a dropped one is a changed row) and their types' names
    ("pg_class c WHERE c.oid >= 16384 "
     "AND (c.relkind IN ('c', 'f') OR c.relrowsecurity OR c.relforcerowsecurity)",
     f"{_written('c')} OR (c.relkind = 'c' AND EXISTS (SELECT 1 FROM pg_attribute a "
     "LEFT JOIN pg_type y ON y.oid = a.atttypid WHERE a.attrelid = c.oid AND a.attnum > 0 "
     f"AND ({_written('a')} OR {_written('y')})))"),
    ("pg_statistic_ext x WHERE true", _written("x")),
    ("pg_policy o WHERE true", _written("o")),
    ("pg_description d WHERE d.objoid >= 16384", _written("d")),
    ("pg_description d JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass "
     f"AND n.oid = d.objoid WHERE {_NS} "
     "AND NOT (n.nspname = 'public' AND d.description = 'standard public schema')",
     _written("d")),
    ("pg_collation l WHERE l.oid >= 16384", _written("l")),
    ("pg_rewrite w WHERE w.oid >= 16384 AND w.rulename <> '_RETURN'", _written("w")),
    ("pg_proc p WHERE p.oid >= 16384 AND p.prokind = 'a'", _written("p")),
    # an operator shows its argument types' names
    ("pg_operator o WHERE o.oid >= 16384", f"{_written('o')} OR EXISTS (SELECT 1 FROM pg_type y "
     f"WHERE y.oid IN (o.oprleft, o.oprright) AND {_written('y')})"),
    ("pg_ts_config f WHERE f.oid >= 16384", _written("f")),
    ("pg_event_trigger g WHERE true", _written("g")),
    ("pg_publication b WHERE true", _written("b")),
    ("pg_inherits h WHERE true", _written("h")),
    # membership of an extension (last: see members_moved)
    ("pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'",
     _written("d")),
]  # fmt: skip

# current schema, [(count, written)] per part, the roles (policies show their names)
PROBE = (
    "SELECT current_schema(), ARRAY["
    + ", ".join(
        f"(SELECT ARRAY[count(*), count(*) FILTER (WHERE {w})] FROM {src})" for src, w in _PARTS
    )
    + "], (SELECT coalesce(sum(hashtext(r.oid::text || ' ' || r.rolname)), 0) FROM pg_roles r)"
)

Probe = tuple[Any, ...]


def seen(row: tuple[Any, ...]) -> tuple[Probe, tuple[bool, ...]]:
    """From the probe's row: what must be equal between two looks, and per part whether a row
    was written since the last."""
    here, parts, roles = row
    return (here, tuple(int(c) for c, _w in parts), roles), tuple(bool(w) for _c, w in parts)


def members_moved(before: Probe, now: Probe, written: tuple[bool, ...]) -> bool:
    """Whether an object joined or left an extension (ALTER EXTENSION ADD/DROP writes only
    pg_depend, which pg_changes does not follow; members are left out of every read)."""
    return before[1][-1] != now[1][-1] or written[-1]


def linked(rows: list[tuple[str, Any]]) -> set[Unit]:
    """The objects whose names the extras rows show, under every kind of unit (more is only
    a read more)."""
    names: set[tuple[str, str]] = set()
    for kind, payload in rows:
        v = json.loads(payload) if isinstance(payload, str) else payload
        if kind in ("domain", "composite", "row security", "inherits"):
            names.add((v[0], v[1]))
            if kind == "inherits":
                names |= {(a, b) for a, b in v[2]}
        elif kind == "statistics":
            names |= {(v[0], v[1]), (v[4], v[2])}
        elif kind == "policy":
            names.add((v[0], v[2]))
        elif kind in ("comment", "other"):
            path = v[2] if kind == "comment" else v[1]
            if kind == "other" and path.startswith(v[0] + "."):
                path = path[len(v[0]) + 1 :]
            found = {path, path.split("(", 1)[0]}
            found |= {path[:i] for i, c in enumerate(path) if c == "."}
            if kind == "comment" and v[5]:
                found.add(v[5])
            names |= {(v[0], name) for name in found}
    return {(k, s, n) for s, n in names for k in _KINDS}

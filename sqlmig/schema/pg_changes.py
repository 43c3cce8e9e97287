"""PostgreSQL: which objects of a scratch database changed since the last look, found from the
catalog rows written since then and the ones removed, without reading the whole schema.

Every catalog row has the id of the transaction that wrote it (`xmin`); an update writes a new
row. A look reads the rows written since the last one (xmin at or above the xmax of the last
look's snapshot: the scratch database has no other writer), each with its identity and the
object it belongs to (a table, view, sequence, type, function or collation: a unit), and the
units that name any object of a changed unit (`pg_depend`: a view's text shows a renamed column).
Removed rows leave no version behind: per catalog, the count and sum of the identities of the
older rows still there are compared with the rows known from earlier looks; one missing row is
named by the sums, more by a second query listing that catalog's older rows. A new or removed
schema, an xid epoch that moved, or counts that do not add up: everything is read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import postgres

Unit = tuple[str, str, str]  # (kind, schema, name)
Key = tuple[str, int]  # (catalog, identity of the row in it)

_UNIT_RELKINDS = "('r', 'p', 'v', 'm', 'S', 'f')"
_NS = "(" + postgres.USER_NS.replace("%", "%%") + ")"  # the queries take parameters
# Per catalog: its rows of objects made after initdb (oid 16384 on), as (identity, the catalog
# and oid of the object they belong to, and for a unit's own row its kind, schema and name).
# A description's owner is the object it describes, resolved through the rows already known.
_NONE = "NULL::text, NULL::text, NULL::text"
_ROWS: dict[str, tuple[str, str, str, str, str]] = {  # identity, owner cat, owner oid, unit, FROM
    "pg_class": (
        "c.oid::int8", "'pg_class'", "coalesce(i.indrelid, c.oid)::int8",
        f"CASE WHEN c.relkind IN {_UNIT_RELKINDS} AND {_NS} THEN CASE c.relkind WHEN 'S' THEN "
        "'sequence' ELSE 'relation' END END, n.nspname::text, c.relname::text",
        "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_index i ON i.indexrelid = c.oid WHERE c.oid >= 16384",
    ),
    "pg_type": (
        "t.oid::int8", "CASE WHEN t.typrelid <> 0 THEN 'pg_class' ELSE 'pg_type' END",
        "CASE WHEN t.typrelid <> 0 THEN t.typrelid ELSE t.oid END::int8",
        f"CASE WHEN t.typtype IN ('e', 'd', 'r', 'm') AND {_NS} THEN CASE t.typtype WHEN 'e' "
        "THEN 'enum' ELSE 'type' END END, n.nspname::text, t.typname::text",
        "pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid >= 16384",
    ),
    "pg_proc": (
        "p.oid::int8", "'pg_proc'", "p.oid::int8",
        f"CASE WHEN {_NS} THEN 'routine' END, n.nspname::text, p.proname::text",
        "pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid >= 16384",
    ),
    "pg_collation": (
        "l.oid::int8", "'pg_collation'", "l.oid::int8",
        f"CASE WHEN {_NS} THEN 'collation' END, n.nspname::text, l.collname::text",
        "pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace WHERE l.oid >= 16384",
    ),
    "pg_attribute": (
        "a.attrelid::int8 * 4096 + a.attnum", "'pg_class'",
        "coalesce(i.indrelid, a.attrelid)::int8", _NONE,
        "pg_attribute a LEFT JOIN pg_index i ON i.indexrelid = a.attrelid "
        "WHERE a.attrelid >= 16384 AND a.attnum > 0",
    ),
    "pg_attrdef": ("d.oid::int8", "'pg_class'", "d.adrelid::int8", _NONE,
                   "pg_attrdef d WHERE d.oid >= 16384"),
    "pg_constraint": (
        "k.oid::int8", "CASE WHEN k.conrelid <> 0 THEN 'pg_class' ELSE 'pg_type' END",
        "CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END::int8", _NONE,
        "pg_constraint k WHERE k.oid >= 16384",
    ),
    "pg_index": ("i.indexrelid::int8", "'pg_class'", "i.indrelid::int8", _NONE,
                 "pg_index i WHERE i.indexrelid >= 16384"),
    "pg_trigger": ("g.oid::int8", "'pg_class'", "g.tgrelid::int8", _NONE,
                   "pg_trigger g WHERE g.oid >= 16384"),
    "pg_rewrite": ("w.oid::int8", "'pg_class'", "w.ev_class::int8", _NONE,
                   "pg_rewrite w WHERE w.oid >= 16384"),
    "pg_policy": ("o.oid::int8", "'pg_class'", "o.polrelid::int8", _NONE,
                  "pg_policy o WHERE o.oid >= 16384"),
    "pg_statistic_ext": ("x.oid::int8", "'pg_class'", "x.stxrelid::int8", _NONE,
                         "pg_statistic_ext x WHERE x.oid >= 16384"),
    "pg_enum": ("e.oid::int8", "'pg_type'", "e.enumtypid::int8", _NONE,
                "pg_enum e WHERE e.oid >= 16384"),
    "pg_sequence": ("s.seqrelid::int8", "'pg_class'", "s.seqrelid::int8", _NONE,
                    "pg_sequence s WHERE s.seqrelid >= 16384"),
    "pg_description": (
        "e.objoid::int8 * 33554432 + e.classoid::int8 * 2048 + e.objsubid",
        "e.classoid::regclass::text", "e.objoid::int8", _NONE,
        "pg_description e WHERE e.objoid >= 16384",
    ),
    "pg_namespace": ("n.oid::int8", "'pg_namespace'", "n.oid::int8", _NONE,
                     "pg_namespace n WHERE (n.oid >= 16384 OR n.nspname = 'public')"),
}  # fmt: skip
_ALIAS = {cat: spec[4].split()[1] for cat, spec in _ROWS.items()}
# The same rows without the joins that find owners and names (counting needs neither).
_PLAIN = {
    cat: f"{cat} {_ALIAS[cat]} WHERE {src.split(' WHERE ', 1)[1]}"
    for cat, (_i, _o, _d, _u, src) in _ROWS.items()
}


def _version(cat: str) -> str:
    return f"{_ALIAS[cat]}.xmin::text::int8"


# Rows written since the last look (%(t)s: the low 32 bits of its xmax), then the units that
# name an object of a unit one of those rows belongs to (not through comments or schemas).
NEW = (
    "WITH r (cat, ident, ocat, oid, kind, nsp, name) AS (\n  "
    + "\n  UNION ALL ".join(
        f"SELECT '{cat}', {ident}, {ocat}, {oid}, {unit} FROM {src} AND {_version(cat)} >= %(t)s"
        for cat, (ident, ocat, oid, unit, src) in _ROWS.items()
    )
    + """
), units AS MATERIALIZED (
  SELECT DISTINCT ocat::regclass AS cls, oid::oid AS id FROM r
  WHERE cat NOT IN ('pg_description', 'pg_namespace') AND %(t)s > 0
), objs AS MATERIALIZED (
  SELECT u.cls, u.id AS obj FROM units u
  UNION ALL SELECT 'pg_type'::regclass, t.oid FROM units u JOIN pg_type t
    ON u.cls = 'pg_class'::regclass AND t.typrelid = u.id
  UNION ALL SELECT 'pg_attrdef'::regclass, d.oid FROM units u JOIN pg_attrdef d
    ON u.cls = 'pg_class'::regclass AND d.adrelid = u.id
  UNION ALL SELECT 'pg_constraint'::regclass, k.oid FROM units u JOIN pg_constraint k
    ON u.cls = 'pg_class'::regclass AND k.conrelid = u.id
  UNION ALL SELECT 'pg_class'::regclass, i.indexrelid FROM units u JOIN pg_index i
    ON u.cls = 'pg_class'::regclass AND i.indrelid = u.id
  UNION ALL SELECT 'pg_trigger'::regclass, g.oid FROM units u JOIN pg_trigger g
    ON u.cls = 'pg_class'::regclass AND g.tgrelid = u.id
  UNION ALL SELECT 'pg_rewrite'::regclass, w.oid FROM units u JOIN pg_rewrite w
    ON u.cls = 'pg_class'::regclass AND w.ev_class = u.id
  UNION ALL SELECT 'pg_policy'::regclass, o.oid FROM units u JOIN pg_policy o
    ON u.cls = 'pg_class'::regclass AND o.polrelid = u.id
  UNION ALL SELECT 'pg_statistic_ext'::regclass, x.oid FROM units u JOIN pg_statistic_ext x
    ON u.cls = 'pg_class'::regclass AND x.stxrelid = u.id
), deps AS (
  SELECT DISTINCT d.classid::regclass::text AS cat, d.objid::int8 AS ident
  FROM objs o JOIN pg_depend d ON d.refclassid = o.cls AND d.refobjid = o.obj
  WHERE d.objid >= 16384
)
SELECT true, cat, ident, ocat, oid, kind, nsp, name FROM r
UNION ALL SELECT false, cat, ident, NULL, NULL, NULL, NULL, NULL FROM deps"""
)

# A second checksum of a set of identities, not linear in them (see _hash).
_HASH = "(({i}) %% 2147483647) * (({i}) %% 2147483647) %% 2147483629"  # %%: a parameter query

# Per catalog, the rows older than the last look that are still there: how many, and the sums
# of their identities and of their hashes.
OLDER = "\nUNION ALL ".join(
    f"SELECT '{cat}', count(*), coalesce(sum({ident}), 0), "
    f"coalesce(sum({_HASH.format(i=ident)}), 0) FROM {_PLAIN[cat]} "
    f"AND {_version(cat)} < %(t)s"
    for cat, (ident, _o, _i, _u, _src) in _ROWS.items()
)

# The identities of those rows, for the catalogs where more than one row went.
OLDER_ROWS = "\nUNION ALL ".join(
    f"SELECT '{cat}', {ident} FROM {_PLAIN[cat]} AND {_version(cat)} < %(t)s "
    f"AND '{cat}' = ANY(%(cats)s)"
    for cat, (ident, _o, _i, _u, _src) in _ROWS.items()
)

XMAX = "SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::int8"

Many = Callable[[list[tuple[str, Any]]], list[list[tuple[Any, ...]]]]
Owner = tuple[str, int]


class Changes:
    """What a database's catalogs held at the last look: every row's owner, the units' names,
    and per catalog the count and sum of the identities."""

    def __init__(self) -> None:
        self.xmax: int | None = None
        self._reset()

    def _reset(self) -> None:
        self.owner: dict[Key, Owner | None] = {}
        self.units: dict[Owner, Unit] = {}
        self.count: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.hashed: dict[str, int] = {}
        self.made: set[Key] = set()  # the rows the last look found new (not updated)

    def queries(self) -> list[tuple[str, Any]]:
        """The queries of a look, to go in the round trip of the caller's own."""
        t = {"t": 0 if self.xmax is None else self.xmax & 0xFFFFFFFF}
        return [(XMAX, ()), (NEW, t), (OLDER, t)]

    def changed(self, answers: list[list[tuple[Any, ...]]], many: Many) -> set[Unit] | None:
        """The units whose rows changed since the last look (None: read everything), from the
        answers to `queries()`; `many` sends a second query when rows went."""
        (xmax,), new, older = answers[0][0], answers[1], answers[2]
        if self.xmax is None or self.xmax >> 32 != xmax >> 32:  # a full look
            self._reset()
            self._apply(new, older, many, t=0)
            self.xmax = xmax
            return None
        found = self._apply(new, older, many, t=self.xmax & 0xFFFFFFFF)
        self.xmax = xmax
        if found is None:  # a schema came or went, or the counts did not add up
            self.xmax = None
            return self.changed(many(self.queries()), many)
        return found

    def _apply(
        self, new: list[tuple[Any, ...]], older: list[tuple[Any, ...]], many: Many, *, t: int
    ) -> set[Unit] | None:
        rows = [r for r in new if r[0]]
        written = {(r[1], int(r[2])) for r in rows}
        gone = self._gone(written, older, many, t)
        if gone is None or (t and any(k[0] == "pg_namespace" for k in (*written, *gone))):
            return None
        touched = {self._unit(self.owner.get(k)) for k in (*written, *gone)}
        self.made = written - self.owner.keys()
        for key in gone:
            self._forget(key)
        for _new, cat, ident, ocat, oid, kind, nsp, name in rows:
            key = (cat, int(ident))
            if key not in self.owner:
                self.count[cat] = self.count.get(cat, 0) + 1
                self.total[cat] = self.total.get(cat, 0) + key[1]
                self.hashed[cat] = self.hashed.get(cat, 0) + _hash(key[1])
            self.units.pop(key, None)
            if kind is not None:
                self.units[key] = (kind, nsp, name)
            self.owner[key] = (ocat, int(oid))
        for _new, cat, ident, ocat, oid, *_unit in rows:  # what a comment is on, now known
            if cat == "pg_description":
                self.owner[(cat, int(ident))] = self.owner.get((ocat, int(oid)))
        touched |= {self._unit(self.owner.get(k)) for k in written}
        touched |= {self._unit(self.owner.get((r[1], int(r[2])))) for r in new if not r[0]}
        touched.discard(None)
        return touched  # type: ignore[return-value]

    def _unit(self, owner: Owner | None) -> Unit | None:
        return None if owner is None else self.units.get(owner)

    def _gone(
        self, written: set[Key], older: list[tuple[Any, ...]], many: Many, t: int
    ) -> set[Key] | None:
        """The known rows that are no longer there (None: the counts do not add up). Per
        catalog, what went is found by its count and sums: one row, or the rows the last look
        found made (a down after its up); else by a list of the rows still there."""
        gone: set[Key] = set()
        listed: list[str] = []
        for cat, count, total, hashed in older:
            again = [k[1] for k in written if k[0] == cat and k in self.owner]
            missing = self.count.get(cat, 0) - len(again) - int(count)
            if missing < 0:
                return None
            if not missing:
                continue
            sums = (
                self.total.get(cat, 0) - sum(again) - int(total),
                self.hashed.get(cat, 0) - sum(map(_hash, again)) - int(hashed),
            )
            one = {(cat, sums[0])}
            last = {k for k in self.made if k[0] == cat and k in self.owner} - written
            for guess in (one, last):
                ids = [k[1] for k in guess]
                known = guess <= self.owner.keys() and not guess & written
                if known and len(ids) == missing and (sum(ids), sum(map(_hash, ids))) == sums:
                    gone |= guess
                    break
            else:
                listed.append(cat)
        if listed:
            there = {(c, int(i)) for c, i in many([(OLDER_ROWS, {"t": t, "cats": listed})])[0]}
            gone |= {k for k in self.owner if k[0] in listed and k not in written} - there
        return gone

    def _forget(self, key: Key) -> None:
        del self.owner[key]
        self.units.pop(key, None)
        self.count[key[0]] -= 1
        self.total[key[0]] -= key[1]
        self.hashed[key[0]] -= _hash(key[1])


def _hash(ident: int) -> int:
    """_HASH, as the server computes it."""
    return (ident % 2147483647) * (ident % 2147483647) % 2147483629

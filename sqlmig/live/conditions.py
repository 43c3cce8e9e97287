"""The read-only SQL of each pre-check: the rows that would make a statement fail."""

from __future__ import annotations

from dataclasses import dataclass

from . import preflight_casts
from .catalog import Name, qualified
from .model import Check
from .readonly import Reader


@dataclass(frozen=True)
class Query:
    """Rows violate when `where` holds in `source` (alias t); `dup` groups by expressions."""

    source: str
    where: str
    group: tuple[str, ...] = ()  # a uniqueness check: duplicates of these
    unit: str = "rows"
    unknown: str = ""  # rows the check cannot tell about (counted apart)
    unknown_reason: str = ""


@dataclass(frozen=True)
class Fails:
    """The statement fails whatever the rows hold."""

    reason: str


@dataclass(frozen=True)
class NotChecked:
    reason: str


def build(
    reader: Reader, check: Check, types: dict[str, str], pk: list[str]
) -> Query | NotChecked | Fails:
    if check.kind == "unreadable":
        return NotChecked("not read (an unparsed statement, a prefix or expression key)")
    t = f"{qualified(reader, check.table)} t"
    q = reader.quote
    if check.kind == "not_null":
        return Query(t, " OR ".join(f"t.{q(c)} IS NULL" for c in check.columns))
    if check.kind == "new_not_null":
        if check.columns[0] in types:
            return NotChecked(f"column {check.columns[0]} already exists")
        return Query(t, "1 = 1", unit="rows (the new column would be NULL in each)")
    if check.kind in ("unique", "primary_key"):
        exprs = tuple(f"t.{q(c)}" for c in check.columns) + check.exprs
        not_null = " AND ".join(f"({e}) IS NOT NULL" for e in exprs)
        where = f"{not_null} AND ({check.where})" if check.where else not_null
        return Query(t, where, group=exprs, unit="rows share a value with another row")
    if check.kind == "check":
        return Query(t, f"NOT ({check.exprs[0]})")
    if check.kind == "foreign_key":
        return _foreign_key(reader, check, t)
    if check.kind == "type":
        return _cast(reader, check, types, t)
    return NotChecked(f"no pre-check for {check.kind}")


def _foreign_key(reader: Reader, check: Check, t: str) -> Query | NotChecked:
    q = reader.quote
    ref = check.ref_table
    assert ref is not None
    ref_cols = list(check.ref_columns)
    if not ref_cols:
        from .catalog import primary_key

        ref_cols = primary_key(reader, ref, 5.0)
    if len(ref_cols) != len(check.columns):
        return NotChecked(f"the referenced columns of {_shown(ref)} are not known")
    present = " AND ".join(f"t.{q(c)} IS NOT NULL" for c in check.columns)
    match = " AND ".join(
        f"r.{q(rc)} = t.{q(c)}" for c, rc in zip(check.columns, ref_cols, strict=True)
    )
    where = f"{present} AND NOT EXISTS (SELECT 1 FROM {qualified(reader, ref)} r WHERE {match})"
    return Query(t, where, unit="rows reference no row of " + _shown(ref))


def _shown(name: Name) -> str:
    return ".".join(p for p in name if p)


def _cast(
    reader: Reader, check: Check, types: dict[str, str], t: str
) -> Query | NotChecked | Fails:
    found = preflight_casts.judge(reader, check, types, t)
    if isinstance(found, preflight_casts.NotChecked):
        return NotChecked(found.reason)
    if isinstance(found, preflight_casts.Fails):
        return Fails(found.reason)
    return Query(
        t, found.bad, unit=found.unit, unknown=found.unknown, unknown_reason=found.unknown_reason
    )


def count_sql(query: Query) -> str:
    if query.group:
        exprs = ", ".join(query.group)
        return (
            f"SELECT COALESCE(sum(n), 0) FROM (SELECT count(*) AS n FROM {query.source} "
            f"WHERE {query.where} GROUP BY {exprs} HAVING count(*) > 1) d"
        )
    if query.unknown:  # both in one scan (PostgreSQL only)
        return (
            f"SELECT count(*) FILTER (WHERE {query.where}), "
            f"count(*) FILTER (WHERE {query.unknown}) FROM {query.source}"
        )
    return f"SELECT count(*) FROM {query.source} WHERE {query.where}"


def keys_sql(query: Query, pk: list[str], reader: Reader, limit: int = 5) -> str | None:
    if not pk:
        return None
    keys = ", ".join(f"t.{reader.quote(k)}" if k != "rowid" else "t.rowid" for k in pk)
    if query.group:
        exprs = ", ".join(query.group)
        inner = (
            f"SELECT {exprs} FROM {query.source} WHERE {query.where} "
            f"GROUP BY {exprs} HAVING count(*) > 1 LIMIT {limit}"
        )
        match = (
            f"({exprs}) IN ({inner})"
            if reader.dialect != "mysql"
            else f"({exprs}) IN (SELECT * FROM ({inner}) d)"
        )
        return f"SELECT {keys} FROM {query.source} WHERE {query.where} AND {match} LIMIT {limit}"
    return f"SELECT {keys} FROM {query.source} WHERE {query.where} LIMIT {limit}"

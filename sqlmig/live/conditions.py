"""The read-only SQL of each pre-check: the rows that would make a statement fail."""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Name, qualified
from .model import Check
from .readonly import Reader

INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "int2": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "int4": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
    "int8": (-(2**63), 2**63 - 1),
    "tinyint": (-128, 127),
    "mediumint": (-(2**23), 2**23 - 1),
}
_TEXTS = ("char", "text", "varchar", "character", "clob", "string")
_NUMBERS = ("int", "numeric", "decimal", "real", "double", "float", "serial", "money")


@dataclass(frozen=True)
class Query:
    """Rows violate when `where` holds in `source` (alias t); `dup` groups by expressions."""

    source: str
    where: str
    group: tuple[str, ...] = ()  # a uniqueness check: duplicates of these
    unit: str = "rows"


@dataclass(frozen=True)
class NotChecked:
    reason: str


def build(reader: Reader, check: Check, types: dict[str, str], pk: list[str]) -> Query | NotChecked:
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


def _cast(reader: Reader, check: Check, types: dict[str, str], t: str) -> Query | NotChecked:
    col = check.columns[0]
    source = types.get(col)
    if source is None:
        return NotChecked(f"column {col} does not exist yet")
    if check.using:
        return NotChecked("a USING expression is not evaluated row by row")
    target = check.type_name.lower()
    c = f"t.{reader.quote(col)}"
    is_text = any(w in source for w in _TEXTS)
    is_number = any(w in source for w in _NUMBERS)
    if target in ("varchar", "char", "nvarchar", "nchar") and check.type_params:
        n = check.type_params[0]
        length = "char_length" if reader.dialect != "sqlite" else "length"
        if reader.dialect == "postgres" and target == "char":
            return Query(t, f"length(rtrim({c}::text)) > {n}", unit="rows are longer")
        cast = f"{c}::text" if reader.dialect == "postgres" else c
        return Query(t, f"{length}({cast}) > {n}", unit=f"rows are longer than {n} characters")
    if target in INT_RANGES:
        lo, hi = INT_RANGES[target]
        if "unsigned" in source or (
            reader.dialect == "mysql" and "unsigned" in check.type_sql.lower()
        ):
            return NotChecked("unsigned types are not checked")
        if is_number:
            rounded = f"round({c})"
            return Query(t, f"{rounded} < {lo} OR {rounded} > {hi}", unit="rows are out of range")
        if is_text:
            return Query(t, _text_int(reader, c, lo, hi), unit="rows do not cast")
    if target in ("numeric", "decimal") and len(check.type_params) == 2 and is_number:
        p, s = check.type_params
        return Query(t, f"abs(round({c}, {s})) >= 1e{p - s}", unit="rows are out of range")
    return NotChecked(f"a change from {source} to {check.type_sql} is not checked")


def _text_int(reader: Reader, c: str, lo: int, hi: int) -> str:
    if reader.dialect == "postgres":
        digits = rf"{c} ~ '^\s*[-+]?[0-9]+\s*$'"
        return (
            f"{c} IS NOT NULL AND (NOT ({digits}) OR "
            f"(CASE WHEN {digits} THEN trim({c})::numeric END) NOT BETWEEN {lo} AND {hi})"
        )
    digits = f"{c} REGEXP '^[[:space:]]*[-+]?[0-9]+[[:space:]]*$'"
    return (
        f"{c} IS NOT NULL AND (NOT ({digits}) OR "
        f"CAST(TRIM({c}) AS DECIMAL(65,0)) NOT BETWEEN {lo} AND {hi})"
    )


def count_sql(query: Query) -> str:
    if query.group:
        exprs = ", ".join(query.group)
        return (
            f"SELECT COALESCE(sum(n), 0) FROM (SELECT count(*) AS n FROM {query.source} "
            f"WHERE {query.where} GROUP BY {exprs} HAVING count(*) > 1) d"
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

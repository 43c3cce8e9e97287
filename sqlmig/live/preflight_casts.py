"""The pre-check of a column type change: the SQL that tells which values would not convert,
read-only and without converting a value that could fail (a failing cast would end the query).

PostgreSQL 15 and older: patterns that follow the server's own input functions (integers,
numeric, uuid, boolean; dates and timestamps in ISO 8601 form only); PostgreSQL 16 and newer:
`pg_input_is_valid`, which asks the type's input function itself, for every type. MariaDB and
MySQL: integers and decimals as strict mode reads them. Lengths on all three."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Check
from .readonly import Failed, Reader

TEXTS = ("char", "text", "varchar", "character", "clob", "string")
NUMBERS = ("int", "numeric", "decimal", "real", "double", "float", "serial", "money")
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
_STRINGS = ("varchar", "char", "nvarchar", "nchar", "text")
_DATES = ("date", "timestamp", "timestamptz", "datetime")

# PostgreSQL's input functions, as of 15 (16 adds `1_000` and `0x1f`: it uses pg_input_is_valid)
_PG_INT = r"^\s*[-+]?[0-9]+\s*$"
_PG_NUMERIC = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_PG_NUMERIC_WORDS = r"^\s*([-+]?(inf|infinity)|nan)\s*$"  # matched case-insensitively
_PG_UUID = r"^(\{[0-9a-fA-F]{4}(-?[0-9a-fA-F]{4}){7}\}|[0-9a-fA-F]{4}(-?[0-9a-fA-F]{4}){7})$"
_PG_BOOL = r"^\s*(t(r(ue?)?)?|f(a(l(se?)?)?)?|y(es?)?|no?|on|off?|1|0)\s*$"  # case-insensitive
_DAY = r"^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_PG_ISO = (
    _DAY + r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?\s*(Z|[-+][0-9]{2}(:?[0-9]{2})?)?\s*$"
)
_PG_DATE_WORDS = r"^\s*(epoch|[-+]?infinity|today|tomorrow|yesterday|now)\s*$"  # case-insensitive
_MY_INT = "^[[:space:]]*[-+]?[0-9]+[[:space:]]*$"
_MY_DECIMAL = "^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$"


@dataclass(frozen=True)
class Cast:
    """Rows fail when `bad` holds; `unknown` (if any): rows this check cannot tell about."""

    bad: str
    unit: str
    unknown: str = ""
    unknown_reason: str = ""


@dataclass(frozen=True)
class NotChecked:
    reason: str


@dataclass(frozen=True)
class Fails:
    """The statement fails whatever the rows hold."""

    reason: str


def judge(
    reader: Reader, check: Check, types: dict[str, str], table: str
) -> Cast | NotChecked | Fails:
    """`table` is the qualified table with alias t; `types` the live column types."""
    col = check.columns[0]
    source = types.get(col)
    if source is None:
        return NotChecked(f"column {col} does not exist yet")
    value = f"t.{reader.quote(col)}"
    if check.using:
        found = _using(reader, check, table)
        if not isinstance(found, tuple):
            return found
        value, source = found
    elif reader.dialect == "postgres":
        refused = _no_automatic_cast(reader, source, check)
        if refused:
            return refused
    if reader.dialect == "postgres":
        return _postgres(reader, check, source, value)
    return _other(reader, check, source, value)


def _using(reader: Reader, check: Check, table: str) -> tuple[str, str] | NotChecked:
    """PostgreSQL's USING x::t: the values of x, and x's type (read without evaluating x)."""
    if not check.cast_of:
        return NotChecked(
            "a USING expression that is not a cast (x::type) is not evaluated row by row"
        )
    if check.cast_sql.lower() != check.type_sql.lower():
        return NotChecked(f"USING casts to {check.cast_sql}, not to {check.type_sql}")
    calls = _volatile(reader, check.cast_of)
    if calls:
        return NotChecked(
            f"USING calls {', '.join(calls)}, a volatile function: not evaluated, since it may "
            "change data or give another value each time"
        )
    if _name(check) in ("varchar", "char") and check.type_params:
        return NotChecked(
            f"an explicit cast to {check.type_sql} cuts longer values without an error: "
            "nothing fails, but longer values lose their end"
        )
    typed = f"SELECT pg_catalog.pg_typeof((SELECT ({check.cast_of}) FROM {table} LIMIT 0))::text"
    (row,) = reader.run(typed, 2.0)
    return f"({check.cast_of})", str(row[0]).lower()


_CALL = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*\(')


def _volatile(reader: Reader, expr: str) -> list[str]:
    names = sorted({n[1:-1] if n.startswith('"') else n.lower() for n in _CALL.findall(expr)})
    if not names:
        return []
    sql = (
        "SELECT DISTINCT proname FROM pg_catalog.pg_proc "
        "WHERE proname = ANY(%s) AND provolatile = 'v' ORDER BY 1"
    )
    return [f"{r[0]}()" for r in reader.run(sql, 2.0, (names,))]


def _no_automatic_cast(reader: Reader, source: str, check: Check) -> Fails | None:
    """ALTER ... TYPE without USING converts by assignment: text to integer, say, is refused
    on an empty table too. Asked of pg_cast (domains by their base type); None when allowed
    or not known (arrays: not asked)."""
    sql = """
SELECT s = t OR t IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast
               WHERE castsource = s AND casttarget = t AND castcontext IN ('a', 'i'))
FROM (SELECT (SELECT CASE WHEN typtype = 'd' THEN typbasetype ELSE oid END
              FROM pg_catalog.pg_type WHERE oid = to_regtype(%s)) s,
             (SELECT CASE WHEN typtype = 'd' THEN typbasetype ELSE oid END
              FROM pg_catalog.pg_type WHERE oid = to_regtype(%s)) t) x
WHERE s IS NOT NULL AND t IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE oid IN (s, t) AND typcategory = 'A')"""
    try:
        rows = reader.run(sql, 2.0, (source, check.type_sql))
    except Failed:  # a type name to_regtype cannot read: no claim
        return None
    if not rows or rows[0][0]:
        return None
    col = check.columns[0]
    return Fails(
        f"PostgreSQL has no automatic cast from {source} to {check.type_sql}, so the statement "
        f"fails on any rows, even none; write USING {_pg_ident(col)}::{check.type_sql.lower()}"
    )


def _pg_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _postgres(reader: Reader, check: Check, source: str, v: str) -> Cast | NotChecked:
    target = _name(check)
    is_text = any(w in source for w in TEXTS)
    if target in ("text", "varchar") and not check.type_params:  # every value has a text form
        return Cast("false", "rows")
    if target in ("varchar", "char") and check.type_params:
        n = check.type_params[0]
        # longer values fail, unless the excess is spaces only: those are cut
        return Cast(
            f"char_length(rtrim(({v})::text)) > {n}", f"rows are longer than {n} characters"
        )
    if is_text and _version(reader) >= 160000:
        valid = f"pg_catalog.pg_input_is_valid(({v})::text, {_literal(check.type_sql)})"
        return Cast(f"{v} IS NOT NULL AND NOT {valid}", "rows do not cast")
    if is_text:
        return _pg_text(check, target, v)
    return _numbers(reader, check, source, v)


def _pg_text(check: Check, target: str, v: str) -> Cast | NotChecked:
    t = f"({v})::text"
    if target in INT_RANGES:
        lo, hi = INT_RANGES[target]
        # one pattern match a row; short digit strings cannot be out of range
        short = len(str(hi)) - 1
        bad = (
            f"CASE WHEN NOT ({t} ~ '{_PG_INT}') THEN true WHEN length({t}) <= {short} THEN false "
            f"ELSE trim({t})::numeric NOT BETWEEN {lo} AND {hi} END"
        )
        return Cast(bad, "rows do not cast")
    if target in ("numeric", "decimal"):
        return _pg_numeric(check, t)
    if target == "uuid":
        return Cast(f"{t} !~ '{_PG_UUID}'", "rows are not UUIDs")
    if target in ("boolean", "bool"):
        return Cast(f"{t} !~* '{_PG_BOOL}'", "rows are not booleans")
    if target in _DATES:
        return _pg_date(t, target)
    return NotChecked(
        f"a change from text to {check.type_sql} is checked on PostgreSQL 16+ only "
        "(pg_input_is_valid)"
    )


def _pg_numeric(check: Check, t: str) -> Cast:
    form = f"{t} ~ '{_PG_NUMERIC}'"
    if not check.type_params:
        return Cast(f"NOT ({form} OR {t} ~* '{_PG_NUMERIC_WORDS}')", "rows are not numbers")
    p, s = _precision(check, 0)
    bad = (
        f"CASE WHEN {form} THEN abs(round(trim({t})::numeric, {s})) >= 1e{p - s} "
        f"ELSE {t} !~* '^\\s*nan\\s*$' END"
    )
    return Cast(bad, f"rows are not numbers or do not fit {check.type_sql}")


def _pg_date(t: str, target: str) -> Cast:
    def part(pattern: str) -> str:
        return f"substring({t} from '{pattern}')::int"

    y, m = part(r"^\s*([0-9]{4})-"), part(r"^\s*[0-9]{4}-([0-9]{1,2})-")
    d = part(r"^\s*[0-9]{4}-[0-9]{1,2}-([0-9]{1,2})")
    clock = _DAY + r"[ T]"
    hh, mi = part(clock + "([0-9]{1,2}):"), part(clock + "[0-9]{1,2}:([0-9]{2})")
    ss = part(clock + "[0-9]{1,2}:[0-9]{2}:([0-9]{2})")
    last = f"extract(day from make_date({y}, {m}, 1) + interval '1 month' - interval '1 day')"
    day_ok = f"CASE WHEN {y} >= 1 AND {m} BETWEEN 1 AND 12 THEN {d} BETWEEN 1 AND {last} END"
    time_ok = (
        f"(coalesce({hh}, 0) <= 23 OR {hh} = 24 AND {mi} = 0 AND coalesce({ss}, 0) = 0) "
        f"AND coalesce({mi}, 0) <= 59 AND coalesce({ss}, 0) <= 60"
    )
    iso = f"{t} ~ '{_PG_ISO}'"
    bad = f"CASE WHEN {iso} THEN NOT coalesce({day_ok} AND {time_ok}, false) ELSE false END"
    unknown = f"NOT ({iso}) AND {t} !~* '{_PG_DATE_WORDS}'"
    reason = (
        "not in ISO 8601 form (YYYY-MM-DD[ HH:MI[:SS]]): PostgreSQL reads other forms by its "
        "DateStyle setting, which this check does not follow before PostgreSQL 16 "
        "(pg_input_is_valid)"
    )
    return Cast(bad, f"rows are not valid {target}s", unknown, reason)


def _numbers(reader: Reader, check: Check, source: str, v: str) -> Cast | NotChecked:
    target = _name(check)
    if not any(w in source for w in NUMBERS):
        return NotChecked(f"a change from {source} to {check.type_sql} is not checked")
    if target in INT_RANGES:
        lo, hi = _int_range(check)
        low = f"{v} < 0" if lo == 0 else f"round({v}) < {lo}"  # unsigned: -0.4 is refused too
        return Cast(f"{low} OR round({v}) > {hi}", "rows are out of range")
    if target in ("numeric", "decimal") and check.type_params:
        p, s = _precision(check, 0)
        return Cast(f"abs(round({v}, {s})) >= 1e{p - s}", "rows are out of range")
    return NotChecked(f"a change from {source} to {check.type_sql} is not checked")


def _other(reader: Reader, check: Check, source: str, v: str) -> Cast | NotChecked:
    """MariaDB / MySQL (strict mode) and SQLite."""
    target = _name(check)
    is_text = any(w in source for w in TEXTS)
    if target in ("varchar", "char", "nvarchar", "nchar") and check.type_params:
        n = check.type_params[0]
        length = "char_length" if reader.dialect != "sqlite" else "length"
        return Cast(f"{length}({v}) > {n}", f"rows are longer than {n} characters")
    if reader.dialect == "mysql" and target in ("mediumtext", "longtext"):
        return Cast("1 = 0", "rows")  # room for any value of any other column type
    if reader.dialect != "mysql" or not is_text:
        return _numbers(reader, check, source, v)
    if target in INT_RANGES:
        lo, hi = _int_range(check)
        number = f"CAST(TRIM({v}) AS DECIMAL(65,0))"
        form = f"{v} REGEXP '{_MY_INT}'"
        bad = f"{v} IS NOT NULL AND (NOT ({form}) OR {number} NOT BETWEEN {lo} AND {hi})"
        return Cast(bad, "rows do not cast")
    if target in ("numeric", "decimal"):
        p, s = _precision(check, 10)  # DECIMAL alone is DECIMAL(10, 0)
        form = f"{v} REGEXP '{_MY_DECIMAL}'"
        big = f"ABS(ROUND(CAST(TRIM({v}) AS DECIMAL(65,30)), {s})) >= 1e{p - s}"
        bad = f"{v} IS NOT NULL AND (NOT ({form}) OR {big})"
        return Cast(bad, f"rows are not numbers or do not fit {check.type_sql}")
    return NotChecked(f"a change from {source} to {check.type_sql} is not checked")


def _name(check: Check) -> str:
    """The target type's name: sqlglot's UINT is INT UNSIGNED."""
    name = check.type_name.lower()
    unsigned = "unsigned" in check.type_sql.lower() and name.startswith("u")
    return name[1:] if unsigned and name[1:] in INT_RANGES else name


def _int_range(check: Check) -> tuple[int, int]:
    lo, hi = INT_RANGES[_name(check)]
    return (0, 2 * hi + 1) if "unsigned" in check.type_sql.lower() else (lo, hi)


def _precision(check: Check, default: int) -> tuple[int, int]:
    """(p, s) of numeric(p, s): numeric(p) has scale 0."""
    params = check.type_params
    return (params[0] if params else default, params[1] if len(params) > 1 else 0)


def _version(reader: Reader) -> int:
    return int(reader.run("SELECT current_setting('server_version_num')::int", 2.0)[0][0])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

"""`ALTER COLUMN ... TYPE [USING ...]` on SQLite: what PostgreSQL does to each existing value, as
SQL the table rebuild runs. A guard first fails the file, naming the table and column, when a
row holds a value PostgreSQL would reject (text that is not an integer, an integer out of
range, a string too long, a number too wide); then the rebuild copies each value converted as
PostgreSQL converts it. A conversion sqlmig cannot write exactly is refused with its reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlglot import exp

from . import types
from .base import Refuse, quote
from .catalog import Catalog

T = exp.DataType.Type
INT_RANGE = {
    T.SMALLINT: (-(2**15), 2**15 - 1),
    T.INT: (-(2**31), 2**31 - 1),
    T.BIGINT: (-(2**63), 2**63 - 1),
}
INT_NAMES = {T.SMALLINT: "smallint", T.INT: "integer", T.BIGINT: "bigint"}
# What PostgreSQL's integer and boolean input skip around a value (C isspace).
SPACES = "char(32, 9, 10, 11, 12, 13)"
# Every spelling PostgreSQL 15 reads as a boolean (after trimming, in any case): unique
# prefixes of true/false/yes/no, on/of/off, 1 and 0.
TRUE_WORDS = ("t", "tr", "tru", "true", "y", "ye", "yes", "on", "1")
FALSE_WORDS = ("f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0")
GUARD = "_sqlmig_retype_"


@dataclass(frozen=True)
class Kind:
    """A column type as far as its values go: int (bits), text (max length), num (p, s), bool,
    double; anything else is `other` and only converts to itself."""

    family: str
    dtype: exp.DataType
    length: int | None = None  # text: varchar(n)
    precision: int = 0  # num
    scale: int = 0  # num

    @property
    def name(self) -> str:
        return INT_NAMES.get(self.dtype.this) or self.dtype.sql("postgres").lower()


@dataclass(frozen=True)
class Retype:
    """The guard statements (maybe none) and the copy expression of the converted column."""

    guards: tuple[str, ...]
    copy: str


def kind(dtype: exp.DataType) -> Kind:
    dtype = types.base(dtype)
    params = [int(p.name) for p in dtype.expressions if p.name.isdigit()]
    if dtype.this in INT_RANGE and not dtype.expressions:
        return Kind("int", dtype)
    if dtype.this == T.TEXT or (dtype.this == T.VARCHAR and not dtype.expressions):
        return Kind("text", dtype)
    if dtype.this == T.VARCHAR and len(params) == 1:
        return Kind("text", dtype, length=params[0])
    if dtype.this == T.DECIMAL and len(params) in (1, 2):
        p, s = ([*params, 0])[:2]
        return Kind("num", dtype, precision=p, scale=s)
    if dtype.this == T.BOOLEAN:
        return Kind("bool", dtype)
    if dtype.this == T.DOUBLE:
        return Kind("double", dtype)
    return Kind("other", dtype)


def same_family(old: exp.DataType, new: exp.DataType) -> bool:
    a, b = kind(old), kind(new)
    return a.family == b.family and (a.family != "other" or a.dtype == b.dtype)


def plan(
    table: str, col: exp.ColumnDef, new: exp.DataType, using: exp.Expression | None,
    src: exp.Create, catalog: Catalog,
) -> Retype:  # fmt: skip
    """The guard and copy for `ALTER TABLE table ALTER COLUMN col TYPE new [USING using]`."""
    name = col.name
    value, old, explicit = _value(using, name, col, new, src)
    a, b = kind(old), kind(new)
    if not (same_family(old, new) and same_family(col.args["kind"], new)):
        class_change_ok(table, col, b, src, catalog)
    ok, _, why = _convert("v", a, b, explicit, name)
    copy = _convert(value, a, b, explicit, name)[1]
    if ok is None:
        return Retype((), copy)
    message = f"ALTER COLUMN {table}.{name} TYPE {b.name}: a row holds a value PostgreSQL rejects"
    message += f" ({why}): change those rows first"
    guard = quote(GUARD + hashlib.sha1(message.encode()).hexdigest()[:10], "sqlite")
    return Retype(
        (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {guard} "
            f"(bad INT CONSTRAINT {quote(message, 'sqlite')} CHECK (bad = 0))",
            f"INSERT INTO {guard} (bad) SELECT count(*) FROM (SELECT {value} AS v FROM "
            f"{quote(table, 'sqlite')}) WHERE v IS NOT NULL AND NOT coalesce({ok}, 0)",
            f"DROP TABLE {guard}",
        ),
        copy,
    )


def _value(
    using: exp.Expression | None, name: str, col: exp.ColumnDef, new: exp.DataType,
    src: exp.Create,
) -> tuple[str, exp.DataType, bool]:  # fmt: skip
    """(the SQLite expression of the value converted, its PostgreSQL type, explicit cast?)."""
    explicit = False
    node = using or None
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        if not isinstance(to, exp.DataType) or types.base(to) != types.base(new):
            raise Refuse(f"USING casts {name} to {to.sql('postgres') if to else '?'}, not to "
                         f"the new type {new.sql('postgres')}: write an override")  # fmt: skip
        explicit, node = True, node.this
        while isinstance(node, exp.Paren):
            node = node.this
    if node is None:
        return quote(name, "sqlite"), col.args["kind"], explicit
    if isinstance(node, exp.Column) and not node.table:
        other = _column(src, node.name)
        return quote(node.name, "sqlite"), other.args["kind"], explicit
    if isinstance(node, exp.Length) and isinstance(node.this, exp.Column) and not node.this.table:
        _column(src, node.this.name)  # characters, in both; NULL stays NULL
        return f"length({quote(node.this.name, 'sqlite')})", exp.DataType.build("int"), explicit
    for part in node.walk():
        if isinstance(part, exp.Func) and not isinstance(part, exp.Length):
            fn = (part.name if isinstance(part, exp.Anonymous) else part.sql_name()).lower()
            raise Refuse(f"USING calls {fn}(), which has no verified SQLite equivalent: "
                         "write an override")  # fmt: skip
    raise Refuse(f"USING {node.sql('postgres')[:40]}: only a column, length(column) or a cast "
                 "of one to the new type has a verified SQLite translation")  # fmt: skip


def _column(src: exp.Create, name: str) -> exp.ColumnDef:
    for e in src.this.expressions:
        if isinstance(e, exp.ColumnDef) and e.name == name:
            return e
    raise Refuse(f"USING names column {name}, which is not in the table these migrations made")


def class_change_ok(
    table: str, col: exp.ColumnDef, b: Kind, src: exp.Create, catalog: Catalog,
    default: exp.Expression | None = None,
) -> None:  # fmt: skip
    """PostgreSQL also converts the column's default, and re-checks its checks, keys and index
    expressions with the new type: where that may fail or mean something else, refuse."""
    name = col.name
    kinds = [k.args.get("kind") for k in col.constraints]
    if default is None:
        default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    if default is not None and not isinstance(default, exp.Null):
        raise Refuse(f"{table}.{name} has a default, which PostgreSQL converts to {b.name} "
                     "too (or fails): drop the default before the type change, set it "
                     "after")  # fmt: skip
    reevaluated = (exp.Reference, exp.CheckColumnConstraint, exp.ComputedColumnConstraint)
    if any(isinstance(k, reevaluated) for k in kinds):
        raise Refuse(f"{table}.{name} has a check, generated value or foreign key that "
                     f"PostgreSQL re-evaluates as {b.name}: write an override")  # fmt: skip
    for e in src.this.expressions:
        if isinstance(e, exp.ColumnDef):
            uses = e.name != name and any(
                c.name == name
                for k in e.constraints
                if isinstance(k.args.get("kind"), reevaluated)
                for c in k.find_all(exp.Column)
            )
        else:
            inner = e.expressions[0] if isinstance(e, exp.Constraint) and e.expressions else e
            keyed = isinstance(inner, (exp.ForeignKey, exp.CheckColumnConstraint))
            uses = keyed and any(c.name == name for c in e.find_all(exp.Column, exp.Identifier))
        if uses:
            raise Refuse(f"{table}.{name} is in a check or foreign key of {table} that "
                         f"PostgreSQL re-evaluates as {b.name}: write an override")  # fmt: skip
    for other, node in catalog.sources.items():
        for ref in node.find_all(exp.Reference):
            target = ref.find(exp.Table)
            schema = ref.this
            cols = [c.name for c in schema.expressions] if isinstance(schema, exp.Schema) else []
            if (
                other != table
                and target is not None
                and target.name == table
                and (name in cols or not cols)
            ):
                raise Refuse(f"{other} has a foreign key to {table}.{name}, whose type PostgreSQL "
                             f"would have to match {b.name}: write an override")  # fmt: skip
    for index, node in catalog.index_sources.items():
        if catalog.indexes.get(index, ("",))[0] != table:
            continue
        params = node.find(exp.IndexParameters)
        keys = params.args.get("columns") or [] if params is not None else []
        plain = not (params is not None and params.args.get("where")) and all(
            isinstance(k.this if isinstance(k, exp.Ordered) else k, exp.Column) for k in keys
        )
        mentioned = any(c.name == name for c in node.find_all(exp.Column))
        if mentioned and not plain:
            raise Refuse(f"index {index} uses {table}.{name} in an expression or predicate "
                         f"that PostgreSQL re-evaluates as {b.name}: write an "
                         "override")  # fmt: skip


def foreign_key_of(table: str, name: str, src: exp.Create, catalog: Catalog) -> str | None:
    """A foreign key `table.name` takes part in (on either side), described, or None."""
    for c in src.this.expressions:
        if isinstance(c, exp.ColumnDef) and c.name == name and c.find(exp.Reference):
            return f"{table}.{name} references another table"
        if isinstance(c, exp.ForeignKey) or (
            isinstance(c, exp.Constraint) and c.find(exp.ForeignKey)
        ):
            fk = c if isinstance(c, exp.ForeignKey) else c.find(exp.ForeignKey)
            if any(k.name == name for k in fk.expressions):
                return f"{table}.{name} is in a foreign key of {table}"
    for other, node in sorted(catalog.sources.items()):
        for ref in node.find_all(exp.Reference):
            target = ref.find(exp.Table)
            schema = ref.this
            cols = [c.name for c in schema.expressions] if isinstance(schema, exp.Schema) else []
            if target is not None and target.name == table and (name in cols or not cols):
                return f"{other} has a foreign key to {table}.{name}"
    return None


def _convert(v: str, a: Kind, b: Kind, explicit: bool, name: str) -> tuple[str | None, str, str]:
    """(the condition a convertible value meets, or None when every value converts; the copy
    expression; what a value that fails is)."""
    pair = f"{a.name} to {b.name}"
    fails = pg_fails(a, b, explicit)
    if fails:
        raise Refuse(fails)
    if a.family == "other" or b.family == "other":
        if a.dtype == b.dtype:
            return None, v, ""
        raise Refuse(f"changing {name} from {pair}: SQLite holds these values as the application "
                     "wrote them, and sqlmig cannot convert them as PostgreSQL does (date and time "
                     "styles, time zones, canonical forms): write an override")  # fmt: skip
    if a.family == "double":
        if b.family == "double":
            return None, v, ""
        raise Refuse(f"changing {name} from {pair}: PostgreSQL rounds and prints "
                     "floating-point values in ways sqlmig does not reproduce on SQLite: write "
                     "an override")  # fmt: skip
    if b.family == "text":
        text, ok, why = _as_text(v, a)
        return _fit_text(text, ok, why, b, explicit)
    if b.family == "int":
        return _to_int(v, a, b, explicit)
    if b.family == "num":
        return _to_num(v, a, b, explicit)
    if b.family == "bool":
        return _to_bool(v, a, b, explicit)
    if a.family in ("int", "num"):  # to double precision: SQLite's REAL column holds the same
        return None, v, ""
    raise Refuse(_no_cast(a, b, explicit))


def pg_fails(a: Kind, b: Kind, explicit: bool) -> str | None:
    """Why PostgreSQL fails this change whatever the rows (no cast, or only an explicit one), or
    None. Pairs of another family than sqlmig's (dates, uuid...) are not judged here."""
    if a.family == b.family or "other" in (a.family, b.family):
        return None
    if b.family == "text" or (a.family, b.family) in (
        ("int", "num"), ("int", "double"), ("num", "double"), ("num", "int"),
        ("double", "int"), ("double", "num"),
    ):  # fmt: skip
        return None
    int4 = T.INT
    casts = a.family == "text" or (a.family, b.family, a.dtype.this, b.dtype.this) in (
        ("bool", "int", T.BOOLEAN, int4), ("int", "bool", int4, T.BOOLEAN),
    )  # fmt: skip
    if casts and explicit:
        return None
    return _no_cast(a, b, explicit)


def mysql(table: str, name: str, old: exp.DataType, new: exp.DataType,
          using: exp.Expression | None) -> list[str]:  # fmt: skip
    """The statements MySQL needs before `MODIFY COLUMN` to end with PostgreSQL's values, or a
    refusal where MySQL converts differently (tests/transpile/test_retype.py, on MariaDB)."""
    explicit = _mysql_using(using, name, new)
    a, b = kind(old), kind(new)
    fails = pg_fails(a, b, explicit)
    if fails:
        raise Refuse(fails)
    pair = f"{a.name} to {b.name}"
    if b.family == "bool" and a.family != "bool":
        raise Refuse(f"changing {name} from {pair}: MySQL's BOOLEAN is a TINYINT, which keeps 5 "
                     "or rejects 'yes' where PostgreSQL makes true: write an override")  # fmt: skip
    if a.family == "bool" and b.family not in ("bool", "int"):
        raise Refuse(f"changing {name} from {pair}: MySQL writes a boolean as 1/0 where "
                     "PostgreSQL writes true/false: write an override")  # fmt: skip
    n = b.length
    if b.family != "text" or n is None or (a.family == "text" and a.length is not None
                                           and a.length <= n):  # fmt: skip
        return []
    if a.family != "text":
        if explicit:
            raise Refuse(f"USING {name}::{b.name} cuts longer values in PostgreSQL; MySQL "
                         "would fail on them: write an override")  # fmt: skip
        return []
    t, c = quote(table, "mysql"), quote(name, "mysql")
    cut = f"UPDATE {t} SET {c} = LEFT({c}, {n}) WHERE CHAR_LENGTH({c}) > {n}"
    if explicit:  # PostgreSQL's explicit cast cuts; MySQL's MODIFY would fail on them
        return [cut]
    # An assignment cuts only trailing spaces and fails on anything else: MySQL fails on both,
    # so the spaces are cut first, unless a row will fail anyway (nothing is then changed).
    # (LIMIT keeps the derived table materialized, so it may read the table being updated)
    bad = (f"SELECT 1 AS x FROM {t} WHERE CHAR_LENGTH({c}) > {n} AND "
           f"TRIM(TRAILING ' ' FROM SUBSTRING({c}, {n + 1})) <> '' LIMIT 1")  # fmt: skip
    return [f"{cut} AND NOT EXISTS (SELECT 1 FROM ({bad}) AS {quote('_sqlmig_bad', 'mysql')})"]


def _mysql_using(using: exp.Expression | None, name: str, new: exp.DataType) -> bool:
    node = using or None
    while isinstance(node, exp.Paren):
        node = node.this
    explicit = isinstance(node, exp.Cast)
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        if not isinstance(to, exp.DataType) or types.base(to) != types.base(new):
            raise Refuse(f"USING casts {name} to {to.sql('postgres') if to else '?'}, not to "
                         f"the new type {new.sql('postgres')}: write an override")  # fmt: skip
        node = node.this
        while isinstance(node, exp.Paren):
            node = node.this
    if node is not None and not (isinstance(node, exp.Column) and node.name == name
                                 and not node.table):  # fmt: skip
        raise Refuse("ALTER COLUMN ... USING an expression other than a cast of the column has "
                     "no verified MySQL translation")  # fmt: skip
    return explicit


def _no_cast(a: Kind, b: Kind, explicit: bool) -> str:
    """Why PostgreSQL itself fails (true for the pairs that reach here)."""
    pair = f"{a.name} to {b.name}"
    if a.family == "text" and explicit:  # to numeric or double precision
        return (f"changing {pair}: PostgreSQL's number input rounds and accepts forms "
                "(exponents, NaN, Infinity) sqlmig does not reproduce on SQLite: write an "
                "override")  # fmt: skip
    int4 = T.INT
    casts = a.family == "text" or (a.family, b.family, a.dtype.this, b.dtype.this) in (
        ("bool", "int", T.BOOLEAN, int4), ("int", "bool", int4, T.BOOLEAN),
    )  # fmt: skip
    if casts and not explicit:
        return (f"PostgreSQL converts {pair} only with USING col::{b.name} (without it, the "
                "ALTER fails even on an empty table)")  # fmt: skip
    return f"PostgreSQL has no cast from {pair}: the ALTER fails even on an empty table"


def _as_text(v: str, a: Kind) -> tuple[str, str | None, str]:
    """The value as PostgreSQL prints it, the condition for that to be right, the failure."""
    if a.family == "text":
        return v, None, ""
    if a.family == "int":
        return f"CAST({v} AS TEXT)", None, ""
    if a.family == "bool":
        return (f"CASE {v} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END", f"{v} IN (0, 1)",
                "not a boolean")  # fmt: skip
    # num: PostgreSQL prints the column's scale; a p <= 15 value is exact as a REAL
    return f"printf('%.{a.scale}f', {v})", None, ""


def _fit_text(
    text: str, ok: str | None, why: str, b: Kind, explicit: bool
) -> tuple[str | None, str, str]:
    """To varchar(n): an explicit cast cuts the value; an assignment fails on a longer one
    unless the excess is spaces (cut too)."""
    n = b.length
    if n is None:
        return ok, text, why
    copy = f"substr({text}, 1, {n})"
    if explicit:
        return ok, copy, why
    fits = f"(length({text}) <= {n} OR rtrim(substr({text}, {n + 1}), ' ') = '')"
    return (fits if ok is None else f"({ok} AND {fits})"), copy, why or f"longer than {n}"


def _to_int(v: str, a: Kind, b: Kind, explicit: bool) -> tuple[str | None, str, str]:
    lo, hi = INT_RANGE[b.dtype.this]
    bits = INT_NAMES[b.dtype.this]
    if a.family == "int":
        if INT_RANGE[a.dtype.this][0] >= lo:
            return None, v, ""
        return f"{v} BETWEEN {lo} AND {hi}", v, f"out of {bits} range"
    if a.family == "num":  # PostgreSQL rounds half away from zero, as SQLite's round() does
        return (f"round({v}) BETWEEN {lo} AND {hi}", f"CAST(round({v}) AS INTEGER)",
                f"out of {bits} range")  # fmt: skip
    if a.family == "bool" and explicit and b.dtype.this == T.INT:
        return f"{v} IN (0, 1)", v, "not a boolean"
    if a.family == "text" and explicit:
        t = f"trim({v}, {SPACES})"
        digits = f"(CASE WHEN substr({t}, 1, 1) IN ('+', '-') THEN substr({t}, 2) ELSE {t} END)"
        ok = (
            f"({digits} <> '' AND {digits} NOT GLOB '*[^0-9]*' "
            f"AND ltrim({digits}, '0') = ltrim(ltrim(printf('%d', CAST({t} AS INTEGER)), '-'), '0')"
            f" AND CAST({t} AS INTEGER) BETWEEN {lo} AND {hi})"
        )
        return ok, f"CAST({t} AS INTEGER)", f"not an integer, or out of {bits} range"
    raise Refuse(_no_cast(a, b, explicit))


def _to_num(v: str, a: Kind, b: Kind, explicit: bool) -> tuple[str | None, str, str]:
    whole = b.precision - b.scale  # digits before the point
    limit = "1" + "0" * whole
    if a.family == "int":
        if whole >= len(str(INT_RANGE[a.dtype.this][1])):
            return None, v, ""
        return f"abs({v}) < {limit}", v, f"more than {whole} digits before the point"
    if a.family == "num":
        if b.scale < a.scale:
            raise Refuse(f"changing {a.name} to {b.name} rounds values to fewer decimals, "
                         "which sqlmig does not reproduce exactly on SQLite's binary numbers: "
                         "write an override")  # fmt: skip
        if whole >= a.precision - a.scale:
            return None, v, ""
        return f"abs({v}) < {limit}", v, f"more than {whole} digits before the point"
    raise Refuse(_no_cast(a, b, explicit))


def _to_bool(v: str, a: Kind, b: Kind, explicit: bool) -> tuple[str | None, str, str]:
    if a.family == "bool":
        return None, v, ""
    if a.family == "int" and explicit and a.dtype.this == T.INT:
        return None, f"({v} <> 0)", ""
    if a.family == "text" and explicit:
        w = f"lower(trim({v}, {SPACES}))"
        words = ", ".join(map(types.literal, TRUE_WORDS + FALSE_WORDS))
        trues = ", ".join(map(types.literal, TRUE_WORDS))
        return (f"{w} IN ({words})", f"CASE WHEN {v} IS NULL THEN NULL WHEN {w} IN ({trues}) "
                "THEN 1 ELSE 0 END", "not a boolean")  # fmt: skip
    raise Refuse(_no_cast(a, b, explicit))

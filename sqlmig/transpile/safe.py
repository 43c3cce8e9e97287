"""Expressions whose meaning is the same on the target: anything else is refused, by name."""

from __future__ import annotations

from sqlglot import exp

from .base import Refuse
from .catalog import Catalog

_SHARED = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Star, exp.Paren,
    exp.Alias, exp.TableAlias, exp.Table, exp.Tuple, exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ,
    exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Add, exp.Sub, exp.Mul,
    exp.Neg, exp.Case, exp.If, exp.Coalesce, exp.Lower, exp.Upper, exp.Length, exp.Select,
    exp.From, exp.Where, exp.Join, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit,
    exp.Count, exp.Sum, exp.Min, exp.Max, exp.Distinct, exp.Values, exp.Schema, exp.DPipe,
    exp.Exists, exp.Subquery, exp.Var,
)  # fmt: skip
# MySQL's `/` gives decimals where PostgreSQL divides integers. LIKE follows the column's
# collation in MySQL and ignores ASCII case in SQLite: refused on both.
ALLOWED = {"sqlite": _SHARED, "mysql": _SHARED}
WHY = {
    exp.Like: "LIKE ignores case in SQLite (and follows the column collation in MySQL)",
    exp.CurrentTimestamp: "the current time differs in precision and time zone across dialects",
    exp.CurrentDate: "the current date depends on the server's time zone",
    exp.ILike: "ILIKE has no exact equivalent",
    exp.Div: "/ divides integers only when both sides are integer columns or literals (SQLite "
    "divides a numeric 10 as an integer, MySQL's / gives a decimal)",
    exp.Cast: "casts convert values differently across dialects",
}


def check(node: exp.Expression | None, target: str, where: str) -> None:
    """Refuse `node` when any part of it is outside the target's verified set."""
    if node is None:
        return
    allowed = ALLOWED[target]
    for part in node.walk():
        if not isinstance(part, allowed) and not part.meta.get(VERIFIED):
            name = type(part).__name__
            why = WHY.get(type(part), f"{target} translation of {name} is not verified")
            raise Refuse(f"{where} uses {part.sql('postgres')[:40]!r}: {why}")


VERIFIED = "sqlmig_verified"  # a node sqlmig itself wrote with the source's meaning
GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}


def rewrite_like(node: exp.Expression, target: str) -> exp.Expression:
    """`x LIKE 'pattern'` as the target compares case-sensitively, as PostgreSQL does: SQLite's
    GLOB (with the wildcards translated) and MySQL's LIKE under a binary collation. Only a string
    pattern without backslashes (PostgreSQL's default escape) is rewritten; other LIKEs stay
    and are refused by `check`."""
    for like in list(node.find_all(exp.Like)):
        pattern = like.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string) or "\\" in pattern.name:
            continue
        if target == "sqlite":
            glob = "".join(GLOB_SPECIAL.get(ch, ch) for ch in pattern.name)
            new = exp.Glob(this=like.this.copy(), expression=exp.Literal.string(glob))
        else:
            binary = exp.Collate(this=like.this.copy(), expression=exp.var("utf8mb4_bin"))
            binary.meta[VERIFIED] = True
            binary.expression.meta[VERIFIED] = True
            new = exp.Like(this=binary, expression=pattern.copy())
        new.meta[VERIFIED] = True
        if like is node:
            return new
        like.replace(new)
    return node


def checked(node: exp.Expression, target: str, where: str) -> exp.Expression:
    """`node` with sqlmig's rewrites applied, refused unless every part keeps its meaning."""
    node = rewrite_like(node.copy(), target)
    check(node, target, where)
    return node


INTEGERS = (exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
            exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL,
            exp.DataType.Type.SMALLSERIAL)  # fmt: skip


def integer_division(node: exp.Expression, target: str, catalog: Catalog) -> None:
    """`a / b` of two integers truncates in PostgreSQL: kept on SQLite (which does the same with
    integers), `DIV` on MySQL. A division of anything else stays, and is refused by `check`."""
    tables = {t.alias_or_name: t.name for t in node.find_all(exp.Table)}
    for div in list(node.find_all(exp.Div)):
        if not all(_integer(x, tables, catalog) for x in (div.this, div.expression)):
            continue
        new = div if target == "sqlite" else exp.IntDiv(this=div.this, expression=div.expression)
        new.meta[VERIFIED] = True
        if new is not div:
            div.replace(new)


def _integer(node: exp.Expression, tables: dict[str, str], catalog: Catalog) -> bool:
    if isinstance(node, exp.Paren):
        return _integer(node.this, tables, catalog)
    if isinstance(node, exp.Literal):
        return not node.is_string and node.name.isdigit()
    if not isinstance(node, exp.Column):
        return False
    if node.table:
        table = tables.get(node.table)
    else:
        table = next(iter(tables.values())) if len(set(tables.values())) == 1 else None
    col = catalog.column(table or "", node.name)
    return col is not None and col.dtype.this in INTEGERS

"""Expressions whose meaning is the same on the target: anything else is refused, by name."""

from __future__ import annotations

from sqlglot import exp

from .core import Refuse

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
ALLOWED = {"sqlite": (*_SHARED, exp.Div), "mysql": _SHARED}
WHY = {
    exp.Like: "LIKE ignores case in SQLite (and follows the column collation in MySQL)",
    exp.CurrentTimestamp: "the current time differs in precision and time zone across dialects",
    exp.CurrentDate: "the current date depends on the server's time zone",
    exp.ILike: "ILIKE has no exact equivalent",
    exp.Div: "MySQL's / returns a decimal where PostgreSQL divides integers",
    exp.Cast: "casts convert values differently across dialects",
}


def check(node: exp.Expression | None, target: str, where: str) -> None:
    """Refuse `node` when any part of it is outside the target's verified set."""
    if node is None:
        return
    allowed = ALLOWED[target]
    for part in node.walk():
        if not isinstance(part, allowed):
            name = type(part).__name__
            why = WHY.get(type(part), f"{target} translation of {name} is not verified")
            raise Refuse(f"{where} uses {part.sql('postgres')[:40]!r}: {why}")

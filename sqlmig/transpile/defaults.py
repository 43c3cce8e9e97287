"""Default expressions with one value everywhere: integer arithmetic that PostgreSQL's int4 holds,
and lower/upper/|| of ASCII strings. Written in parentheses, which both targets accept."""

from __future__ import annotations

import operator

from sqlglot import exp

from .base import Refuse, generate

T = exp.DataType.Type
INT4 = 2**31
INTEGERS = {T.INT, T.BIGINT, T.SMALLINT}
TEXTS = {T.TEXT, T.VARCHAR}
OPERATORS = {exp.Add: operator.add, exp.Sub: operator.sub, exp.Mul: operator.mul}
STRING_NODES = (exp.Literal, exp.Lower, exp.Upper, exp.DPipe, exp.Paren)


def expression(node: exp.Expression, dtype: exp.DataType, target: str) -> str:
    """The target's `(expr)` for a constant default expression, or a refusal."""
    why = f"default {node.sql('postgres')} has no verified {target} equivalent"
    if dtype.this in INTEGERS:
        value = _integer(node, why)
        if dtype.this == T.SMALLINT and not -(2**15) <= value < 2**15:
            raise Refuse(f"{why}: out of range")
        return f"({generate(node, target)})"
    if dtype.this in TEXTS and all(_ascii_text(n) for n in node.walk()):
        return f"({generate(node, target)})"
    raise Refuse(why)


def _integer(node: exp.Expression, why: str) -> int:
    """The value PostgreSQL computes (int4 arithmetic, an error past its range), or a refusal."""
    if isinstance(node, exp.Paren):
        return _integer(node.this, why)
    if isinstance(node, exp.Literal) and not node.is_string and node.name.isdigit():
        value = int(node.name)
    elif isinstance(node, exp.Neg):
        value = -_integer(node.this, why)
    elif isinstance(node, tuple(OPERATORS)):
        op = OPERATORS[type(node)]
        value = op(_integer(node.this, why), _integer(node.expression, why))
    else:
        raise Refuse(why)
    if not -INT4 <= value < INT4:
        raise Refuse(f"{why}: PostgreSQL computes it in integer, which it overflows")
    return value


def _ascii_text(node: exp.Expression) -> bool:
    """lower()/upper() agree on ASCII only (SQLite's know no other letters)."""
    if isinstance(node, exp.Literal):
        return node.is_string and node.name.isascii()
    return isinstance(node, STRING_NODES)

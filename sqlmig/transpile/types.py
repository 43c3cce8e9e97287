"""The deliberate type map (PostgreSQL -> target) and the column defaults each target can keep."""

from __future__ import annotations

from sqlglot import exp

from . import defaults
from .base import Refuse
from .catalog import Catalog

T = exp.DataType.Type
AUTO = {T.SERIAL: T.INT, T.BIGSERIAL: T.BIGINT, T.SMALLSERIAL: T.SMALLINT}
# A REAL keeps 15 significant digits exactly: NUMERIC(p,s) with p <= 15 round-trips in SQLite.
SQLITE_EXACT_DIGITS = 15
TEXT_COLLATION = "COLLATE utf8mb4_bin"  # case- and accent-sensitive, as PostgreSQL compares

SIMPLE = {
    "sqlite": {
        # INT, not INTEGER: an INTEGER PRIMARY KEY would silently fill a missing id
        T.INT: "INT", T.BIGINT: "BIGINT", T.SMALLINT: "SMALLINT", T.TEXT: "TEXT",
        T.BOOLEAN: "BOOLEAN", T.DOUBLE: "REAL", T.FLOAT: "REAL", T.DATE: "DATE",
        T.TIMESTAMPTZ: "TIMESTAMPTZ", T.TIMESTAMP: "TIMESTAMP", T.TIME: "TIME", T.JSON: "TEXT",
        T.JSONB: "TEXT", T.UUID: "TEXT", T.VARBINARY: "BLOB",
    },
    "mysql": {
        T.INT: "INT", T.BIGINT: "BIGINT", T.SMALLINT: "SMALLINT",
        T.TEXT: f"LONGTEXT {TEXT_COLLATION}", T.BOOLEAN: "BOOLEAN", T.DOUBLE: "DOUBLE",
        T.FLOAT: "FLOAT", T.DATE: "DATE", T.TIMESTAMPTZ: "DATETIME(6)", T.TIMESTAMP: "DATETIME(6)",
        T.TIME: "TIME(6)", T.JSON: "JSON", T.JSONB: "JSON", T.UUID: "CHAR(36)",
        T.VARBINARY: "LONGBLOB",
    },
}  # fmt: skip
TEXTS = {T.TEXT, T.VARCHAR}
UNBOUNDED_MYSQL = {T.TEXT, T.JSON, T.JSONB, T.VARBINARY}  # MySQL cannot index these


def base(dtype: exp.DataType) -> exp.DataType:
    """serial -> integer and friends: the stored type of an auto-increment column."""
    return exp.DataType.build(AUTO[dtype.this]) if dtype.this in AUTO else dtype


def enum_name(dtype: exp.DataType) -> str | None:
    if dtype.this == T.USERDEFINED:
        return str(dtype.args.get("kind", "")).split(".")[-1]
    return None


def enum_labels(dtype: exp.DataType, catalog: Catalog) -> tuple[str, ...] | None:
    name = enum_name(dtype)
    return None if name is None else catalog.enums.get(name)


def target_type(dtype: exp.DataType, target: str, catalog: Catalog) -> str:
    """The target's type for a PostgreSQL type, or a refusal naming the type."""
    dtype = base(dtype)
    labels = enum_labels(dtype, catalog)
    if labels is not None:
        return "TEXT" if target == "sqlite" else "ENUM(" + ", ".join(map(literal, labels)) + ")"
    params = [p.name for p in dtype.expressions]
    if dtype.this == T.DECIMAL:
        return _numeric(params, target)
    if dtype.this == T.VARCHAR:
        if not params:
            return SIMPLE[target][T.TEXT]
        suffix = f" {TEXT_COLLATION}" if target == "mysql" else ""
        return f"VARCHAR({params[0]}){suffix}"
    if dtype.this in SIMPLE[target] and not params:
        return SIMPLE[target][dtype.this]
    raise Refuse(f"type {dtype.sql('postgres')} has no faithful {target} type in sqlmig's map")


def _numeric(params: list[str], target: str) -> str:
    if len(params) == 0:
        raise Refuse(f"unbounded numeric has no exact {target} type: declare numeric(p,s)")
    p, s = ([*params, "0"])[:2]
    if target == "sqlite" and int(p) > SQLITE_EXACT_DIGITS:
        raise Refuse(
            f"numeric({p},{s}) needs more than {SQLITE_EXACT_DIGITS} digits, which SQLite "
            "cannot store exactly"
        )
    return f"NUMERIC({p}, {s})" if target == "sqlite" else f"DECIMAL({p}, {s})"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_unbounded(dtype: exp.DataType) -> bool:
    """Types MySQL cannot use in a key without a prefix length."""
    return dtype.this in UNBOUNDED_MYSQL or (dtype.this == T.VARCHAR and not dtype.expressions)


NOW = ("now", "transaction_timestamp", "current_timestamp", "localtimestamp", "statement_timestamp")
UUIDS = ("gen_random_uuid", "uuid_generate_v4")
TIMESTAMPS = {T.TIMESTAMPTZ, T.TIMESTAMP}
EXPRESSIONS = (exp.Add, exp.Sub, exp.Mul, exp.Lower, exp.Upper, exp.DPipe)


def default(node: exp.Expression, dtype: exp.DataType, target: str) -> str:
    """The target's DEFAULT clause body, or a refusal; only forms with one meaning are kept."""
    node = _strip_literal_cast(node)
    if isinstance(node, exp.Paren):
        return default(node.this, dtype, target)
    if base(dtype).this == T.BOOLEAN and isinstance(node, exp.Literal) and node.is_string:
        node = _boolean_text(node.name)
    if isinstance(node, (exp.Literal, exp.Null)) or _negative(node):
        text = node.sql(target)
        return f"({text})" if target == "mysql" and is_unbounded(dtype) else text
    if isinstance(node, exp.Boolean) and base(dtype).this == T.BOOLEAN:
        return "TRUE" if node.this else "FALSE"
    name = _function_name(node)
    if name in NOW and base(dtype).this in TIMESTAMPS:
        return "CURRENT_TIMESTAMP" if target == "sqlite" else "CURRENT_TIMESTAMP(6)"
    if name == "current_date" and base(dtype).this == T.DATE:
        return "CURRENT_DATE" if target == "sqlite" else "(CURRENT_DATE)"
    if name in UUIDS and target == "mysql":
        return "(UUID())"
    if isinstance(node, EXPRESSIONS):
        return defaults.expression(node, base(dtype), target)
    raise Refuse(f"default {node.sql('postgres')} has no verified {target} equivalent")


TRUE_TEXT = ("t", "true", "y", "yes", "on", "1")
FALSE_TEXT = ("f", "false", "n", "no", "off", "0")


def _boolean_text(text: str) -> exp.Boolean:
    """'t', 'yes', 'off'... as PostgreSQL reads a boolean string."""
    low = text.strip().lower()
    if low not in TRUE_TEXT + FALSE_TEXT:
        raise Refuse(f"{text!r} is not a boolean")
    return exp.Boolean(this=low in TRUE_TEXT)


def _strip_literal_cast(node: exp.Expression) -> exp.Expression:
    """'{}'::jsonb -> '{}': a cast of a string literal to the column's own type."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        return node.this
    return node


def _negative(node: exp.Expression) -> bool:
    return isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.CurrentTimestamp):
        return "current_timestamp"
    if isinstance(node, exp.Uuid):
        return "gen_random_uuid"
    if isinstance(node, exp.CurrentDate):
        return "current_date"
    if isinstance(node, (exp.Anonymous, exp.Func)) and not node.expressions:
        return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    return ""

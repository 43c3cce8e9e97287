"""`verify --data`: the SQL literal of a generated value for a column, by its type and the
literals its CHECK constraints name. Pure functions: nothing here touches a database."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Ways to pick a value for a column that a CHECK constraint names, tried in this order until
# the database takes the row: our usual value, a literal the check names, one above it, a
# small number, zero. Columns no check names always get the usual value.
STRATEGIES = ("usual", "literal", "above", "small", "zero")

_INT_MAX = {"tinyint": 100, "smallint": 30000, "mediumint": 8_000_000}
STRING = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?![\w.])")
_LENGTH = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
_INTEGER = re.compile(r"(?:tiny|small|medium|big)?int(?:eger|\d)?")
_DAY0 = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Kind:
    """What a column holds, as far as generating a value goes."""

    base: str  # "int", "bool", "numeric", "float", "text", "date", "timestamp", "time", ...
    size: int | None = None  # text length, numeric precision, bit width
    scale: int = 0
    labels: tuple[str, ...] = ()  # enum labels
    limit: int | None = None  # the largest integer the type holds (None: large enough)


def classify(type_: str, dialect: str, enums: dict[str, tuple[str, ...]]) -> Kind:
    """The Kind of a column type as the snapshot spells it (`character varying(5)`,
    `decimal(10,2)`, `enum('a','b')`, a PostgreSQL enum's name...)."""
    t = type_.strip().lower()
    if t.endswith("[]"):
        return Kind("array")
    if type_ in enums or type_.replace('"', "") in enums:
        return Kind("enum", labels=enums.get(type_) or enums[type_.replace('"', "")])
    if t.startswith(("enum(", "set(")):
        return Kind("enum", labels=tuple(s.replace("''", "'") for s in STRING.findall(type_)))
    size, scale = _size(t)
    word = re.split(r"[\s(]", t, maxsplit=1)[0]
    if dialect == "mysql" and t.startswith("tinyint(1)"):
        return Kind("bool")
    return _by_word(word, t, size, scale, dialect)


def _by_word(word: str, t: str, size: int | None, scale: int, dialect: str) -> Kind:
    if _INTEGER.fullmatch(word) or word in ("serial", "bigserial", "smallserial"):
        limit = next((v for k, v in _INT_MAX.items() if word.startswith(k)), None)
        if word in ("int2", "smallserial"):
            limit = _INT_MAX["smallint"]
        return Kind("int", limit=limit)
    if word in ("bool", "boolean"):
        return Kind("int", limit=1) if dialect == "sqlite" else Kind("bool")
    if word in ("numeric", "decimal", "dec", "number", "money"):
        return Kind("numeric", size, scale)
    if word in ("real", "float", "float4", "float8", "double"):
        return Kind("float", size if scale else None, scale)  # MySQL's float(7,2)
    if word == "year":
        return Kind("year")
    if word == "date":
        return Kind("date")
    if word in ("timestamp", "timestamptz", "datetime"):
        return Kind("timestamp")
    if word in ("time", "timetz"):
        return Kind("time")
    if word in ("uuid", "uniqueidentifier"):
        return Kind("uuid")
    if word in ("json", "jsonb"):
        return Kind("json")
    if word == "interval":
        return Kind("interval")
    if word in ("inet", "cidr"):
        return Kind("inet")
    if word.endswith("range") and dialect == "postgres":
        return Kind("range", scale=int(word.startswith(("date", "ts"))))
    if word == "point" and dialect == "postgres":
        return Kind("point")
    if word in ("bit", "varbit"):
        return (
            Kind("bit", size or 1)
            if dialect == "postgres"
            else Kind("int", limit=2 ** (size or 1) - 1)
        )
    if word == "bytea" or (dialect == "postgres" and "blob" in word):
        return Kind("bytea")
    return Kind("text", size)  # text, varchar, char, blob, binary, unknown: a string of digits


def _size(t: str) -> tuple[int | None, int]:
    found = _LENGTH.search(t)
    if not found:
        return None, 0
    return int(found[1]), int(found[2] or 0)


def literal(kind: Kind, n: int, strategy: str, hints: tuple[str, ...], dialect: str) -> str:
    """The SQL literal for value number `n` (distinct numbers give distinct values where the
    type allows) under a strategy of STRATEGIES; `hints` are literals from the column's checks."""
    if strategy == "literal" and hints:
        return _fit_hint(kind, hints[n % len(hints)], dialect)
    if strategy == "above" and any(_is_number(h) for h in hints):
        numbers = [h for h in hints if _is_number(h)]
        return _number(kind, int(float(numbers[n % len(numbers)])) + 1)
    if strategy == "small" and kind.base in ("int", "numeric", "float", "text"):
        return _number(kind, 1 + n % 5) if kind.base != "text" else quote(str(1 + n % 5), dialect)
    if strategy == "zero" and kind.base in ("int", "numeric", "float"):
        return "0"
    return usual(kind, n, dialect)


def usual(kind: Kind, n: int, dialect: str) -> str:
    b = kind.base
    if b in ("int", "numeric", "float", "year"):
        return _number(kind, n)
    if b == "bool":
        return "TRUE" if n % 2 else "FALSE"
    if b == "enum":
        return quote(kind.labels[n % len(kind.labels)], dialect) if kind.labels else "NULL"
    if b in ("date", "timestamp", "time"):
        return quote(_moment(b, n), dialect)
    return quote(_text(kind, n), dialect)


def _text(kind: Kind, n: int) -> str:
    b = kind.base
    if b == "uuid":
        return f"00000000-0000-4000-8000-{n:012x}"
    if b == "json":
        return f'{{"n": {n}}}'
    if b == "array":
        return "{}"
    if b == "interval":
        return f"{n} seconds"
    if b == "inet":
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    if b == "range" and kind.scale:  # dates: one day each
        return f"[{_moment('date', n)},{_moment('date', n + 1)})"
    if b == "range":
        return f"[{n},{n + 1})"
    if b == "point":
        return f"({n},{n})"
    if b == "bit":
        return format(n, "b").zfill(kind.size or 1)[-(kind.size or 1) :]
    if b == "bytea":
        return "\\x" + str(n).encode().hex()
    digits = str(n)  # digits: they also cast to a number or JSON, if an up changes the type
    return digits[-kind.size :] if kind.size and len(digits) > kind.size else digits


def _moment(base: str, n: int) -> str:
    if base == "date":
        return (_DAY0 + dt.timedelta(days=n % 365)).isoformat()  # in 2024, as a partition may need
    at = dt.datetime(2024, 1, 1, 12) + dt.timedelta(minutes=n)
    return at.strftime("%H:%M:%S") if base == "time" else at.strftime("%Y-%m-%d %H:%M:%S")


def _number(kind: Kind, n: int) -> str:
    if kind.base == "year":
        return str(1901 + n % 250)
    if kind.base == "float":  # exact in a 4-byte float: a round trip through one keeps it
        whole = 6 if kind.size is None else min(kind.size - kind.scale, 6)
        return f"{n % 10**whole}.5" if whole > 0 else "0.5"
    if kind.base == "numeric" and kind.size is not None:
        whole = kind.size - kind.scale
        part = n % (10 ** min(whole, 9)) if whole > 0 else 0
        return f"{part}.{'25'[: kind.scale].ljust(kind.scale, '0')}" if kind.scale else str(part)
    if kind.base == "numeric":
        return f"{n}.25"
    if kind.limit is not None:
        return str(n % (kind.limit + 1))
    return str(n)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def _fit_hint(kind: Kind, hint: str, dialect: str) -> str:
    if kind.base in ("int", "numeric", "float", "year") and _is_number(hint):
        return hint
    return quote(hint, dialect)


def hints(expression: str) -> tuple[str, ...]:
    """The literals a check names: strings first (`IN ('a', 'b')`), then numbers."""
    strings = [s.replace("''", "'") for s in STRING.findall(expression)]
    rest = STRING.sub(" ", expression)
    return (*strings, *_NUMBER.findall(rest))


def quote(text: str, dialect: str) -> str:
    text = text.replace("'", "''")
    if dialect == "mysql":  # its strings take backslash escapes
        text = text.replace("\\", "\\\\")
    return f"'{text}'"

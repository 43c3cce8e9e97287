"""Spellings that mean the same thing, made equal: type names, defaults, white space."""

from __future__ import annotations

import re

# Whole type names (after lower-casing and collapsing spaces); the length modifier is kept.
TYPE_SYNONYMS = {
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}
DEFAULT_SYNONYMS = {
    "now()": "CURRENT_TIMESTAMP",
    "current_timestamp": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "transaction_timestamp()": "CURRENT_TIMESTAMP",
    "true": "true",
    "false": "false",
}
_TYPE = re.compile(r"^(?P<base>[a-z_][a-z0-9_ ]*?)\s*(?P<mod>\(.*\))?(?P<arr>(\[\])*)$")
_SPACES = re.compile(r"\s+")
# A string literal, a quoted identifier, or a run of white space.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\s+")


def squeeze(text: str) -> str:
    """Collapse white space outside quotes into one space."""
    return _TOKENS.sub(lambda m: " " if m.group(0).isspace() else m.group(0), text).strip()


def type_name(declared: str) -> str:
    """'VARCHAR (200)' -> 'character varying(200)'; unknown names are only lower-cased, but
    a quoted one ("ApiTokenAlgorithm", a type of that exact name) keeps its case."""
    if '"' in declared:
        return _SPACES.sub(" ", declared.strip())
    text = _SPACES.sub(" ", declared.strip().lower())
    match = _TYPE.match(text)
    if not match:
        return text
    base = TYPE_SYNONYMS.get(match["base"], match["base"])
    mod = (match["mod"] or "").replace(" ", "")
    return f"{base}{mod}{match['arr'] or ''}"


def default(expr: str | None) -> str | None:
    """A column default as one canonical text: `now()` and `current_timestamp` alike."""
    if expr is None:
        return None
    text = squeeze(expr)
    while _wrapped(text):
        text = text[1:-1].strip()
    return DEFAULT_SYNONYMS.get(text.lower(), text)


def _wrapped(text: str) -> bool:
    """True when the outer parentheses enclose the whole text: '(1 + 2)', not '(1) + (2)'."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(_TOKENS.sub(lambda m: "x" * len(m.group(0)), text)):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def action(text: str | None) -> str:
    """A foreign key action in its SQL spelling."""
    return (text or "NO ACTION").upper()

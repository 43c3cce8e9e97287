"""The spellings MySQL and MariaDB report in information_schema, made into one model form:
defaults, ON UPDATE, index keys, table options, view queries and routine heads."""

from __future__ import annotations

import re
from typing import Any

from . import normalise

# Types whose default MySQL 8 reports without quotes although it is a string.
_NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
            "float", "double", "real", "bit", "year"}  # fmt: skip
_NOW = re.compile(r"^(?:current_timestamp|now|localtime|localtimestamp)(?:\(\))?$", re.I)
_NOW_N = re.compile(r"^(?:current_timestamp|now)\((\d+)\)$", re.I)
_ON_UPDATE = re.compile(r"on update (\S+)")
_DEFINER = re.compile(
    r"^CREATE\s+DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[^@\s]+)"
    r"@(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|\S+)\s+",
    re.I,
)


def now(text: str) -> str:
    """current_timestamp() and its synonyms as CURRENT_TIMESTAMP (with a precision if any)."""
    if _NOW.match(text):
        return "CURRENT_TIMESTAMP"
    m = _NOW_N.match(text)
    return f"CURRENT_TIMESTAMP({m[1]})" if m else text


def default(raw: str | None, extra: str, data_type: str, *, maria: bool) -> str | None:
    """MariaDB reports a default as SQL ('x', 1, current_timestamp(), NULL); MySQL 8 reports a
    literal's bare value and marks an expression DEFAULT_GENERATED."""
    if raw is None or (maria and raw == "NULL"):
        return None
    if not maria and "default_generated" not in extra and data_type.lower() not in _NUMERIC:
        raw = "'" + raw.replace("'", "''") + "'"
    text = normalise.default(raw)
    return None if text is None else now(text)


def on_update(extra: str) -> str | None:
    m = _ON_UPDATE.search(extra)
    return now(m[1]) if m else None


def plain_unique(r: tuple[Any, ...]) -> bool:
    """A STATISTICS row that a UNIQUE constraint can state: no prefix, no DESC, a B-tree."""
    return r[6] is None and r[4] != "D" and (r[5] or "BTREE") == "BTREE" and r[3] is not None


def key(r: tuple[Any, ...]) -> str:
    """One key part as CREATE INDEX takes it: `name`(prefix) DESC, or (expression)."""
    text = "`" + r[3].replace("`", "``") + "`" if r[3] is not None else f"({r[7]})"
    if r[6] is not None and r[5] != "SPATIAL":  # MariaDB reports 32 for a spatial key part
        text += f"({r[6]})"
    return text + (" DESC" if r[4] == "D" else "")


def table_options(engine: str | None, collation: str | None, default_engine: str,
                  default_collation: str | None) -> tuple[str, ...]:  # fmt: skip
    """ENGINE and COLLATE where they differ from the server's and database's defaults (those
    move with the database: a scratch database is made with the same defaults)."""
    out = []
    if engine and engine.lower() != (default_engine or "").lower():
        out.append(f"ENGINE={engine}")
    if collation and collation != default_collation:
        out.append(f"COLLATE={collation}")
    return tuple(out)


# A string, a quoted name (with the dot after it, if any), or a run of white space.
_TOKENS = re.compile(r"'(?:[^'\\]|''|\\.)*'|\"(?:[^\"\\]|\"\"|\\.)*\"|`(?:[^`]|``)*`(?:\.)?|\s+")


def squeeze(text: str) -> str:
    """White space outside strings and `quoted names` collapsed into one space."""
    return _TOKENS.sub(lambda m: " " if m[0].isspace() else m[0], text).strip()


def unqualify(query: str, database: str) -> str:
    """A view's query without `db`. before names: the dump loads into another database."""
    quoted = "`" + database.replace("`", "``") + "`."
    return _TOKENS.sub(lambda m: "" if m[0] == quoted else m[0], query)


def without_definer(create: str) -> str:
    return _DEFINER.sub("CREATE ", create.strip(), count=1)

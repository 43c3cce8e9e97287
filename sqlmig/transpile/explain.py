"""One line per difference between a projected source object and its transpiled copy, in words:
`table users: column email: NOT NULL expected, found NULL`, not two dumps of tuples."""

from __future__ import annotations

from typing import Any

COLUMN_FIELDS = ("name", "type", "null", "default", "generated", "stored")


def explain(key: str, want: Any, have: Any) -> list[str]:
    """Why the target's `have` is not the source's `want` (either may be None: absent)."""
    if want is None:
        return [f"{key}: on the target only"]
    if have is None:
        return [f"{key}: missing on the target"]
    if isinstance(want, dict) and isinstance(have, dict):
        return [f"{key}: {line}" for line in _table(want, have)]
    if key.startswith("index "):
        return [f"{key}: {_index(want)} expected, found {_index(have)}"]
    return [f"{key}: {want} expected, found {have}"]


def _table(want: dict[str, Any], have: dict[str, Any]) -> list[str]:
    out = []
    for part in [*want, *(k for k in have if k not in want)]:
        a, b = want.get(part), have.get(part)
        if a == b:
            continue
        if part == "columns":
            out += _columns(a or (), b or ())
        elif isinstance(a, set) or isinstance(b, set):
            out += _sets(part, a or set(), b or set())
        elif part == "primary key":
            out.append(f"primary key {_cols(a)} expected, found {_cols(b)}")
        else:
            out.append(f"{part}: {a} expected, found {b}")
    return out


def _columns(want: tuple, have: tuple) -> list[str]:
    names, found = [c[0] for c in want], [c[0] for c in have]
    if names != found:
        return [f"columns ({', '.join(names)}) expected, found ({', '.join(found)})"]
    out = []
    for a, b in zip(want, have, strict=True):
        for i, field in enumerate(COLUMN_FIELDS[1:], start=1):
            if a[i] != b[i]:
                out.append(f"column {a[0]}: {_field(field, a[i])} expected, found "
                           f"{_field(field, b[i])}")  # fmt: skip
    return out


def _field(field: str, value: Any) -> str:
    if field == "null":
        return "NULL" if value else "NOT NULL"
    if field == "default":
        return "no default" if value is None else f"default {value}"
    if field in ("generated", "stored"):
        return field if value else f"not {field}"
    return f"type {value}"


def _sets(part: str, want: set, have: set) -> list[str]:
    label = {"uniques": "unique key", "foreign keys": "foreign key"}.get(part, part)
    missing = [f"{label} {_key(k)} missing" for k in sorted(want - have, key=repr)]
    extra = [f"{label} {_key(k)} on the target only" for k in sorted(have - want, key=repr)]
    return missing + extra


def _key(key: Any) -> str:
    """(cols) or, for a foreign key, (cols) -> table (cols) ON DELETE x ON UPDATE y."""
    if isinstance(key, tuple) and len(key) == 5 and isinstance(key[0], tuple):
        cols, table, refs, delete, update = key
        return f"{_cols(cols)} -> {table} {_cols(refs)} ON DELETE {delete} ON UPDATE {update}"
    return _cols(key)


def _cols(cols: Any) -> str:
    return f"({', '.join(cols)})" if cols else "none"


def _index(value: tuple) -> str:
    table, cols, unique, where = value
    kind = "unique index" if unique else "index"
    partial = "" if where is None else (" (partial)" if where else " (not partial)")
    return f"{kind} on {table} {_cols(cols)}{partial}"

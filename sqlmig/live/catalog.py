"""What the pre-checks need from the live catalog: a table's primary key and column types."""

from __future__ import annotations

from .readonly import Reader

Name = tuple[str | None, str]

_PG_PK = """
SELECT a.attname FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass(%s) AND i.indisprimary
ORDER BY array_position(i.indkey, a.attnum)"""
_PG_TYPES = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped"""
_MY_PK = """
SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY'
ORDER BY ORDINAL_POSITION"""
_MY_TYPES = """
SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s"""


def qualified(reader: Reader, table: Name) -> str:
    schema, name = table
    return f"{reader.quote(schema)}.{reader.quote(name)}" if schema else reader.quote(name)


def primary_key(reader: Reader, table: Name, timeout: float) -> list[str]:
    if reader.dialect == "postgres":
        return [r[0] for r in reader.run(_PG_PK, timeout, (qualified(reader, table),))]
    if reader.dialect == "mysql":
        return [r[0] for r in reader.run(_MY_PK, timeout, table)]
    rows = reader.run(f"PRAGMA table_info({qualified(reader, table)})", timeout)
    keyed = sorted((r[5], r[1]) for r in rows if r[5])
    return [name for _, name in keyed] or ["rowid"]


def column_types(reader: Reader, table: Name, timeout: float) -> dict[str, str] | None:
    """Column -> type as the server writes it; None when the table does not exist."""
    if reader.dialect == "postgres":
        rows = reader.run(_PG_TYPES, timeout, (qualified(reader, table),))
    elif reader.dialect == "mysql":
        rows = reader.run(_MY_TYPES, timeout, table)
    else:
        rows = [
            (r[1], r[2])
            for r in reader.run(f"PRAGMA table_info({qualified(reader, table)})", timeout)
        ]
    return {str(n): str(t).lower() for n, t in rows} or None

"""history.split_table: history table names, schema-qualified names and identifier limits."""

from __future__ import annotations

import pytest

from sqlmig.errors import UsageError
from sqlmig.history import split_table

PG = 63  # PostgreSQL's NAMEDATALEN - 1
SQLITE = 255


@pytest.mark.parametrize(
    ("table", "parts"),
    [
        ("sqlmig_history", ("sqlmig_history",)),
        ("ops.sqlmig_history", ("ops", "sqlmig_history")),
        ("Mixed Case", ("Mixed Case",)),
        ('we"ird', ('we"ird',)),
    ],
)
def test_split_table(table: str, parts: tuple[str, ...]) -> None:
    assert split_table(table, PG) == parts


@pytest.mark.parametrize("table", ["", ".", "ops.", ".hist", "a..b", "a.b.c", "db.ops.hist"])
def test_bad_shapes(table: str) -> None:
    with pytest.raises(UsageError) as info:
        split_table(table, PG)
    assert info.value.message == f"bad history table name {table!r}"
    assert info.value.hint == "use NAME or SCHEMA.NAME, e.g. --table sqlmig_history"
    assert info.value.exit_code == 2


def test_longest_postgres_name_leaves_room_for_the_log_suffix() -> None:
    name = "h" * 59  # + "_log" = 63 bytes
    assert split_table(name, PG) == (name,)
    assert split_table(f"{'s' * 59}.{name}", PG) == ("s" * 59, name)


def too_long(table: str, part: str, max_bytes: int) -> None:
    with pytest.raises(UsageError) as info:
        split_table(table, max_bytes)
    assert info.value.message == f"history table name {part!r} is too long or holds a NUL byte"
    assert info.value.hint == (
        f"keep it under {max_bytes - 4} bytes (sqlmig adds _log for the event log)"
    )


def test_postgres_name_one_byte_too_long() -> None:
    too_long("h" * 60, "h" * 60, PG)


def test_postgres_schema_part_too_long() -> None:
    too_long(f"{'s' * 60}.hist", "s" * 60, PG)


def test_limit_counts_utf8_bytes_not_characters() -> None:
    name = "é" * 30  # 30 characters, 60 bytes; + "_log" = 64 bytes
    too_long(name, name, PG)
    assert split_table("é" * 29 + "h", PG) == ("é" * 29 + "h",)


def test_sqlite_allows_longer_names() -> None:
    assert split_table("h" * 200, SQLITE) == ("h" * 200,)
    too_long("h" * 252, "h" * 252, SQLITE)


def test_nul_byte_is_refused() -> None:
    too_long("hist\x00ory", "hist\x00ory", PG)

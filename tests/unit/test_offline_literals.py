"""The literals of an offline script read back as the text they carry, whatever it holds
(quotes, backslashes, $$ and the script's own dollar tags), on each database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlmig.offline_sql import literal
from tests.conftest import PG_URL, _mysql_admin, require_mysql, require_pg

# any text a migration file can hold (no NUL, no lone surrogate), rich in what breaks quoting
PIECES = st.sampled_from(["'", "''", '"', "\\", "$$", "$sqlmig$", "$sqlmig1$", "$", "%s", "\n"])
TEXT = st.lists(
    st.one_of(
        PIECES, st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
    ),
    max_size=8,
).map("".join)


def reader(kind: str) -> tuple[Callable[[str], Any], Callable[[], None]]:
    """`SELECT x` on one connection to the test server (no database of its own is needed)."""
    if kind == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(":memory:")
        return (lambda sql: conn.execute(sql).fetchone()[0]), conn.close
    if kind == "mysql":
        require_mysql()
        conn = _mysql_admin()
        cursor = conn.cursor()

        def read(sql: str) -> Any:
            cursor.execute(sql)
            return cursor.fetchone()[0]

        return read, conn.close
    require_pg()
    import psycopg

    conn = psycopg.connect(PG_URL, autocommit=True)
    return (lambda sql: conn.execute(sql).fetchone()[0]), conn.close


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_a_literal_reads_back_as_its_text(kind: str) -> None:
    read, close = reader(kind)

    @settings(max_examples=60, deadline=None)
    @given(TEXT)
    def check(text: str) -> None:
        assert read(f"SELECT {literal(kind, text)}") == text

    try:
        check()
    finally:
        close()

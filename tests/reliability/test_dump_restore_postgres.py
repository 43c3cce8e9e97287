"""pg_dump output runs as psql runs it: a real dump (a function, a trigger, SQL-standard bodies,
data with tabs, backslashes, newlines, a `\\.` value and NULLs, pg_dump's `\\restrict` lines) is
restored through postgres_parts (each Chunk one simple query, each CopyBlock through the COPY
protocol) and through psql itself; both copies must equal the source. The real server also
counts the statements of every Chunk as the scanner does.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import generators
from psycopg.pq import ExecStatus

from sqlmig.sqltext import (
    Chunk,
    CopyBlock,
    client_commands,
    postgres_parts,
    split_postgres,
    statement_offset,
)
from tests.conftest import PG_URL, _with_db, require_pg, skip_or_fail

SCHEMA = r"""
CREATE TABLE items (id int PRIMARY KEY, name text, note text, data bytea, tags text[]);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.note := coalesce(NEW.note, 'none; really');  -- ';' and $$ in a body
  RETURN NEW;
END
$body$;
CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a IS NULL THEN 0 ELSE a + 1 END;
END;
CREATE PROCEDURE put(i int, n text) LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO items (id, name) VALUES (i, n);
  INSERT INTO items (id, name) VALUES (i + 1000, n || ';');
END;
INSERT INTO items VALUES
  (1, E'tab\there', E'line1\nline2\r\nline3', '\x00ff5c2e', '{a,"b;c","d\\e"}'),
  (2, E'back\\slash', NULL, NULL, NULL),
  (3, '\.', E'\\.\n\\.', '\x5c2e0a', '{"\\."}'),
  (4, 'semi;colon -- not /* a comment', $$dollar $x$ quoted$$, '', '{}'),
  (5, '', E'\t', NULL, '{NULL}');
INSERT INTO items SELECT g, 'row ' || g || E'\t;', repeat(E'\\', g % 4), NULL, NULL
  FROM generate_series(10, 400) g;
CALL put(500, 'called');
"""
CHECKSUM = "SELECT count(*), md5(string_agg(i::text, '|' ORDER BY id)) FROM items i"  # every column


@pytest.fixture
def new_db() -> Iterator[Callable[[], str]]:
    """Makes fresh empty databases on demand; drops them afterwards."""
    require_pg()
    names: list[str] = []

    def make() -> str:
        names.append(f"sqlmig_t_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{names[-1]}"')
        return _with_db(PG_URL, names[-1])

    yield make
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed")
    return str(path)


def _restore_through_parts(url: str, text: str) -> list[Chunk | CopyBlock]:
    parts = postgres_parts(text)
    with psycopg.connect(url, autocommit=True) as conn:
        for part in parts:
            if isinstance(part, Chunk):
                conn.execute(part.text)  # no parameters: one simple query, as the driver sends
            else:
                with conn.cursor() as cur, cur.copy(part.statement) as copy:
                    copy.write(part.data)
    return parts


def _copy_in(url: str, part: CopyBlock) -> None:
    with (
        psycopg.connect(url, autocommit=True) as conn,
        conn.cursor() as cur,
        cur.copy(part.statement) as copy,
    ):
        copy.write(part.data)


def _state(url: str) -> tuple[object, ...]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(CHECKSUM).fetchone()
        functions = conn.execute(
            "SELECT string_agg(proname || ':' || prokind::text, ',' ORDER BY proname) FROM pg_proc "
            "WHERE pronamespace = 'public'::regnamespace"
        ).fetchone()
        triggers = conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").fetchall()
        added = conn.execute("SELECT public.add_one(41)").fetchone()
    return rows, functions, triggers, added


@pytest.fixture
def dump(new_db: Callable[[], str]) -> tuple[str, str]:
    """(source URL, pg_dump's plain-text dump of it)."""
    source = new_db()
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(SCHEMA)
    out = subprocess.run(
        [_tool("pg_dump"), "--no-owner", "-d", source],
        capture_output=True,
        text=True,
        check=True,
    )
    return source, out.stdout


def test_pg_dump_restores_through_parts_as_through_psql(
    dump: tuple[str, str], new_db: Callable[[], str]
) -> None:
    source, text = dump
    assert "COPY public.items" in text
    assert client_commands(text, "postgres") == []  # \restrict / \unrestrict are no-ops
    by_parts, by_psql = new_db(), new_db()
    parts = _restore_through_parts(by_parts, text)
    subprocess.run(
        [_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", by_psql, "-f", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    want = _state(source)
    assert want[0][0] == 398  # type: ignore[index]
    assert _state(by_parts) == want
    assert _state(by_psql) == want
    copies = [p for p in parts if isinstance(p, CopyBlock)]
    assert len(copies) == 1 and copies[0].data.count("\n") == 398


def test_split_postgres_of_a_dump_carries_the_copy_data(dump: tuple[str, str]) -> None:
    _source, text = dump
    statements = split_postgres(text)
    copies = [s for s in statements if s.copy_data is not None]
    assert len(copies) == 1
    assert text[copies[0].offset :].startswith("COPY public.items")
    assert all("\\restrict" not in s.text for s in statements)


def _server_count(url: str, sql: str) -> int:
    """How many results the server returns for one simple query of `sql`."""
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.lock:
            conn.pgconn.send_query(sql.encode())
            results = conn.wait(generators.execute(conn.pgconn))
        assert all(r.status != ExecStatus.FATAL_ERROR for r in results)
        return len(results)


def test_the_server_counts_each_chunk_as_the_scanner_does(
    dump: tuple[str, str], new_db: Callable[[], str]
) -> None:
    _source, text = dump
    target = new_db()
    for part in postgres_parts(text):
        if isinstance(part, Chunk):
            expected = len(split_postgres(part.text))
            assert _server_count(target, part.text) == expected
            assert statement_offset(part.text, expected) is None
        else:
            _copy_in(target, part)


def test_a_run_time_error_is_located_by_the_servers_count(new_db: Callable[[], str]) -> None:
    url = new_db()
    text = (
        "CREATE TABLE t (a int);\n-- a; comment\nINSERT INTO t VALUES (1);\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
        "SELECT $$;$$, E'\\';';\nSELECT 1 / 0;\nSELECT 3;\n"
    )
    with psycopg.connect(url, autocommit=True) as conn, conn.lock:
        conn.pgconn.send_query(text.encode())
        results = conn.wait(generators.execute(conn.pgconn))
    done = next(i for i, r in enumerate(results) if r.status == ExecStatus.FATAL_ERROR)
    assert statement_offset(text, done) == text.index("SELECT 1 / 0")

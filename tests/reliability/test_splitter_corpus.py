"""Scenario 14: a splitter torture corpus, checked against the databases' own parsers.

Each text is split by sqlmig; the statement list must be exactly the expected one, and it is
checked against an independent oracle: `sqlite3.complete_statement` (every piece complete, no
shorter prefix of it complete at a `;`) and SQLite itself running the file; for PostgreSQL, the
real server parser through pglast (libpg_query): the same number of statements, each piece one
statement that deparses exactly as the server's own split does. (The property-based tests, that
splitting loses nothing and never crashes, are tests/unit/test_sqltext.py.)
"""

from __future__ import annotations

import sqlite3

import pytest

from sqlmig.sqltext import split_postgres, split_sqlite

pglast = pytest.importorskip("pglast", reason="pglast is a test dependency: pip install -e .[dev]")
from pglast.stream import RawStream  # noqa: E402

POSTGRES = {
    "dollar-tags": (
        "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n"
        "  RETURN $x$;$$;$x$ || ';';\nEND\n$body$;\nSELECT $$a;b$$, $q$$$;$q$;\n",
        2,
    ),
    "strings-and-names": (
        'SELECT \'it\'\'s; fine\', "semi;colon", "quo""te;" FROM "t;1";\n'
        "INSERT INTO t VALUES (';'), ('--'), ('/*');\nSELECT 1",
        3,
    ),
    "e-strings": ("SELECT E'a\\';b', E'\\\\';\nSELECT e'\\x3b;' ;\nSELECT U&'\\0041;';\n", 3),
    "nested-comments": (
        "/* outer /* inner; */ still; comment */ SELECT 1;\n-- line; comment\nSELECT 2 -- tail;\n;"
        "\n/* a */ /* b; */\n",
        2,
    ),
    "no-final-semicolon": ("SELECT 1;\nSELECT 2\n-- trailing comment", 2),
    "begin-atomic": (
        "CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
        "  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  SELECT a;\nEND;\nSELECT g(1);\n",
        2,
    ),
    "do-and-transactions": (
        'DO $$ BEGIN PERFORM 1; END $$;\nBEGIN;\nCOMMIT;\nCREATE TABLE "end" ("begin" int);\n',
        4,
    ),
    "copy-like-and-operators": (
        "SELECT 1 /* ; */ + 2;SELECT ';'::text;SELECT '{1,2}'::int[] @> '{1}';",
        3,
    ),
    "empty-statements": (";;\nSELECT 1;;;\n;SELECT 2;\n", 2),
}

SQLITE = {
    "trigger-begin-end": (
        "CREATE TABLE t (a, b);\nCREATE TRIGGER tr AFTER INSERT ON t WHEN new.a > 0 BEGIN\n"
        "  UPDATE t SET b = CASE WHEN new.a > 1 THEN ';' ELSE 'end;' END WHERE rowid = new.rowid;"
        "\n  SELECT RAISE(IGNORE) WHERE new.a = 99;\nEND;\nINSERT INTO t VALUES (1, 'x');\n",
        3,
    ),
    "quoting": (
        'CREATE TABLE [semi;colon] (`back;tick` int, "dq;" text);\n'
        "INSERT INTO [semi;colon] VALUES (1, 'it''s;');\nSELECT * FROM [semi;colon]",
        3,
    ),
    "comments": (
        "/* block; */ CREATE TABLE c (x); -- line;\n/* a */ INSERT INTO c VALUES (';');\n-- end;",
        2,
    ),
    "empty-statements": (";;\nCREATE TABLE e (x);;;\n;SELECT 1;\n", 2),
}


def _deparse(sql: str) -> list[str]:
    return [RawStream()(stmt) for stmt in pglast.parse_sql(sql)]


@pytest.mark.parametrize("name", list(POSTGRES))
def test_postgres_corpus_matches_the_server_parser(name: str) -> None:
    text, count = POSTGRES[name]
    pieces = [s.text for s in split_postgres(text)]
    assert len(pieces) == count, pieces
    theirs = pglast.split(text)
    assert len(theirs) == count, theirs
    for ours, server in zip(pieces, theirs, strict=True):
        assert _deparse(ours) == _deparse(server), (ours, server)
    assert "".join(pieces).count(";") <= text.count(";")  # nothing invented


@pytest.mark.parametrize("name", list(SQLITE))
def test_sqlite_corpus_matches_complete_statement(name: str) -> None:
    text, count = SQLITE[name]
    statements = split_sqlite(text)
    assert len(statements) == count, [s.text for s in statements]
    for stmt in statements:
        piece = stmt.text if stmt.text.rstrip().endswith(";") else stmt.text + ";"
        assert sqlite3.complete_statement(piece), piece
        cuts = [i for i, c in enumerate(piece[:-1]) if c == ";"]
        whole = piece.rstrip()
        assert not any(
            sqlite3.complete_statement(piece[: i + 1]) and piece[: i + 1].strip() != whole
            for i in cuts
        ), f"a shorter prefix of {piece!r} is already complete"
        at = text[stmt.offset :]  # the offset is the statement's first word, past comments
        assert at[:1].strip() and not at.startswith(("--", "/*")) and at[:4] in stmt.text, at[:20]
    conn = sqlite3.connect(":memory:")
    try:  # SQLite agrees: running the pieces one by one is running the file
        for stmt in statements:
            conn.execute(stmt.text)
    finally:
        conn.close()

"""Scenario 14: a splitter torture corpus, checked against the databases' own parsers.

Each text is split by sqlmig; the statement list must be exactly the expected one, and it is
checked against an independent oracle: `sqlite3.complete_statement` (every piece complete, no
shorter prefix of it complete at a `;`) and SQLite itself running the file; for PostgreSQL, the
real server parser through pglast (libpg_query): the same number of statements, each piece one
statement that deparses exactly as the server's own split does, starting where the server's
statement starts. A property test generates valid statements (every kind of quote and comment,
string continuations, BEGIN ATOMIC bodies) and checks the same against the server's parser.
(The property-based tests, that splitting loses nothing and never crashes, are
tests/unit/test_sqltext.py.)
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlmig.sqltext import split_postgres, split_sqlite, statement_offset

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
    # an E'' string continued on the next line keeps its backslash escapes
    "e-string-continuation": ("SELECT E'a\\'' \n '\\';b';\nSELECT 2;", 2),
    "names-with-backslashes": ('SELECT 1 AS "a\\"; SELECT 2 AS "b;\\";', 2),
    "dollar-in-names": ("SELECT 1 AS a$$; SELECT $$x;$$ AS b$c;", 2),
    "bit-hex-unicode-strings": (
        "SELECT B'101', X'ff', U&'d\\0061t;a', N'x;'; SELECT U&\"a;\";",
        2,
    ),
    "unicode-dollar-tag": ("SELECT $é$;$é$; SELECT 2;", 2),
    "comment-slash-star-slash": ("SELECT 1 /* a /*/ b; */ c; */; SELECT 2;", 2),
    "atomic-case-in-parens": (
        "CREATE FUNCTION h(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
        "SELECT (CASE WHEN a > 0 THEN 1 END); END; SELECT 2;",
        2,
    ),
    "atomic-end-as-a-name": (
        "CREATE FUNCTION k() RETURNS int LANGUAGE sql BEGIN ATOMIC "
        "SELECT t.end FROM (SELECT 1 AS end) t; END; SELECT 3;",
        2,
    ),
    "procedure-atomic": (
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
        "INSERT INTO t VALUES (2); END;\nCALL p();",
        2,
    ),
    "comment-ends-at-cr": ("SELECT 1 -- c;\r;\nSELECT 2;", 2),
    "dashes-and-slashes": ("SELECT 1 --2\n+ 3; SELECT 4/2-- x;\n;SELECT 5 */* c */ 1;", 3),
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
    assert [s.offset for s in split_postgres(text)] == _server_starts(text)


def _server_starts(text: str) -> list[int]:
    return [s.start for s in pglast.split(text, with_parser=True, only_slices=True)]


# --- generated valid statements ------------------------------------------------------------------

_CHARS = st.lists(st.sampled_from(list("ab ;'\"$-/*\\\nxé€E")), max_size=10).map("".join)


def _std(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _e(s: str) -> str:
    return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _dollar(tag: str, s: str) -> str:
    return f"${tag}${s.replace('$', '')}${tag}$"


def _name(s: str) -> str:
    return '"' + (s or "x").replace('"', '""') + '"'


_LITERAL = st.one_of(
    _CHARS.map(_std),
    _CHARS.map(_e),
    st.tuples(st.sampled_from(["", "q", "fn", "é"]), _CHARS).map(lambda p: _dollar(*p)),
    st.tuples(_CHARS, _CHARS).map(lambda p: f"{_std(p[0])}\n  {_std(p[1])}"),
    st.tuples(_CHARS, _CHARS).map(lambda p: f"{_e(p[0])} -- c\n {_e(p[1])[1:]}"),
    st.just("$1"),
    st.just("/* a /* nested; */ b */ 2"),
)
_EXPR = st.tuples(_LITERAL, st.one_of(st.just(""), _CHARS.map(lambda s: " AS " + _name(s))))
_SELECT = st.lists(_EXPR, min_size=1, max_size=3).map(
    lambda es: "SELECT " + ", ".join(e + a for e, a in es)
)
_ATOMIC = st.lists(_SELECT, min_size=1, max_size=3).map(
    lambda ss: (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
        + " ".join(s + ";" for s in ss)
        + " SELECT CASE WHEN true THEN 1 ELSE 2 END; END"
    )
)
_NOISE = st.one_of(
    st.sampled_from(["", "\n", ";", " ;\n"]),
    _CHARS.map(lambda s: "/* " + s.replace("*/", "").replace("/*", "") + " */"),
    _CHARS.map(lambda s: "-- " + s.replace("\n", " ") + "\n"),
)
_TEXT = st.lists(st.tuples(_NOISE, st.one_of(_SELECT, _SELECT, _ATOMIC)), min_size=1, max_size=5)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=_TEXT)
def test_generated_statements_start_where_the_server_parser_starts_them(
    pieces: list[tuple[str, str]],
) -> None:
    text = ";".join(noise + statement for noise, statement in pieces)
    starts = _server_starts(text)
    assert [s.offset for s in split_postgres(text)] == starts
    assert [statement_offset(text, i) for i in range(len(starts) + 1)] == [*starts, None]


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

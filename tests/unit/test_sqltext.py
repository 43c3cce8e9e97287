"""sqltext: statement splitting for SQLite, PostgreSQL and MySQL, with exact texts and positions.

PostgreSQL's COPY data, psql meta-commands and statement_offset, and MySQL's DELIMITER, compound
statements and client commands have their own modules: test_sqltext_postgres.py and
test_sqltext_mysql.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlmig.sqltext import (
    SplitError,
    Statement,
    line_col,
    split_mysql,
    split_postgres,
    split_sqlite,
    statement_offset,
)

Splitter = Callable[[str], list[Statement]]
BOTH = pytest.mark.parametrize(
    "split", [split_sqlite, split_postgres, split_mysql], ids=["sqlite", "postgres", "mysql"]
)


def shape(statements: list[Statement]) -> list[tuple[str, int, int]]:
    return [(s.text, s.line, s.col) for s in statements]


def test_line_col() -> None:
    text = "ab\ncd\n\nef"
    assert line_col(text, 0) == (1, 1)
    assert line_col(text, 1) == (1, 2)
    assert line_col(text, 3) == (2, 1)
    assert line_col(text, 7) == (4, 1)
    assert line_col(text, 8) == (4, 2)


# --- shared behaviour -------------------------------------------------------------------------


@BOTH
def test_positions_across_lines_and_comments(split: Splitter) -> None:
    text = "CREATE TABLE a (x int);\n\n  -- note; here\n  INSERT INTO a VALUES (';');\nSELECT 1"
    assert shape(split(text)) == [
        ("CREATE TABLE a (x int);", 1, 1),
        ("\n\n  -- note; here\n  INSERT INTO a VALUES (';');", 4, 3),
        ("\nSELECT 1", 5, 1),
    ]
    assert [s.offset for s in split(text)] == [0, 43, 71]
    assert text[43:].startswith("INSERT") and text[71:].startswith("SELECT 1")


@BOTH
def test_strings_and_quoted_identifiers_hold_semicolons(split: Splitter) -> None:
    text = "select 'a;b', 'it''s;' as \"x;y\" from t; select \"a\"\"b;\";"
    assert shape(split(text)) == [
        ("select 'a;b', 'it''s;' as \"x;y\" from t;", 1, 1),
        (' select "a""b;";', 1, 41),
    ]


@BOTH
def test_no_final_semicolon(split: Splitter) -> None:
    assert shape(split("select 1; select 2")) == [("select 1;", 1, 1), (" select 2", 1, 11)]


@BOTH
def test_empty_statements_are_dropped(split: Splitter) -> None:
    assert shape(split(";select 1;; ;\n;select 2;;")) == [
        ("select 1;", 1, 2),
        ("select 2;", 2, 2),
    ]


@BOTH
def test_comment_only_text_has_no_statements(split: Splitter) -> None:
    assert split("") == []
    assert split("  \n-- nothing; here\n/* nor; here */\n") == []
    assert shape(split("select 1;\n-- trailing; comment\n")) == [("select 1;", 1, 1)]


@BOTH
def test_line_comment_holding_a_semicolon_at_end_of_text(split: Splitter) -> None:
    assert shape(split("select 1 -- a;b")) == [("select 1 -- a;b", 1, 1)]


@BOTH
def test_block_comment_holding_a_semicolon(split: Splitter) -> None:
    text = "select 1 /* a; b */ + 1; /* lead; */ select 2;"
    assert shape(split(text)) == [
        ("select 1 /* a; b */ + 1;", 1, 1),
        (" /* lead; */ select 2;", 1, 38),
    ]


# --- SQLite -----------------------------------------------------------------------------------


def test_sqlite_trigger_body_with_semicolons_and_case_end() -> None:
    trigger = (
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  INSERT INTO b VALUES (';');\n"
        "  UPDATE b SET x = CASE WHEN new.x > 0 THEN 'END;' ELSE 'no' END;\n"
        "END;"
    )
    text = f"CREATE TABLE a (x int);\n{trigger}\nSELECT 1;"
    assert shape(split_sqlite(text)) == [
        ("CREATE TABLE a (x int);", 1, 1),
        (f"\n{trigger}", 2, 1),
        ("\nSELECT 1;", 6, 1),
    ]


def test_sqlite_trigger_with_when_clause_and_raise() -> None:
    text = (
        "CREATE TRIGGER tr BEFORE DELETE ON t FOR EACH ROW WHEN old.x = 1 "
        "BEGIN SELECT RAISE(ABORT, 'no;'); END;\nSELECT 9;"
    )
    assert [s.text for s in split_sqlite(text)] == [
        "CREATE TRIGGER tr BEFORE DELETE ON t FOR EACH ROW WHEN old.x = 1 "
        "BEGIN SELECT RAISE(ABORT, 'no;'); END;",
        "\nSELECT 9;",
    ]


def test_sqlite_bracket_and_backtick_identifiers() -> None:
    assert [s.text for s in split_sqlite("select [a;b]; select `x;y`;")] == [
        "select [a;b];",
        " select `x;y`;",
    ]


SQLITE_CORPUS = [
    "CREATE TABLE a (x int);\n\n  -- note; here\n  INSERT INTO a VALUES (';');\nSELECT 1",
    "select 'a;b', 'it''s;' as \"x;y\" from t; select \"a\"\"b;\";",
    "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); "
    "UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; END; SELECT 1;",
    ";select 1;; ;\n;select 2;;",
    "select [a;b]; select `x;y`; /* c; */ select 3",
]


@pytest.mark.parametrize("text", SQLITE_CORPUS)
def test_sqlite_pieces_are_complete_statements(text: str) -> None:
    pieces = split_sqlite(text)
    assert pieces
    for piece in pieces:
        body = piece.text if piece.text.endswith(";") else piece.text + ";"
        assert sqlite3.complete_statement(body), piece
        assert not sqlite3.complete_statement(body[: body.rindex(";")]), piece


def test_sqlite_runs_every_piece() -> None:
    text = SQLITE_CORPUS[2].replace("SELECT 1;", "INSERT INTO a VALUES (5);")
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE a (x int)")
    conn.execute("CREATE TABLE b (x int)")
    for piece in split_sqlite(text):
        conn.execute(piece.text)
    assert conn.execute("SELECT x FROM b").fetchall() == [(2,)]
    conn.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def test_postgres_dollar_quotes_with_tags_holding_semicolons_and_double_dollars() -> None:
    body = "CREATE FUNCTION f() RETURNS text AS $fn$ select ';'; select $$x;$$; $fn$ LANGUAGE sql;"
    text = f"{body}\nselect $$a;b$$;\nDO $$ BEGIN RAISE NOTICE 'a;b'; END $$;"
    assert shape(split_postgres(text)) == [
        (body, 1, 1),
        ("\nselect $$a;b$$;", 2, 1),
        ("\nDO $$ BEGIN RAISE NOTICE 'a;b'; END $$;", 3, 1),
    ]


def test_postgres_escape_string() -> None:
    text = "select E'it\\'s;'; select e'\\\\'; select 3;"
    assert [s.text for s in split_postgres(text)] == [
        "select E'it\\'s;';",
        " select e'\\\\';",
        " select 3;",
    ]


def test_postgres_nested_block_comments() -> None:
    text = "select /* a /* b; */ c; */ 1; select 5;"
    assert shape(split_postgres(text)) == [
        ("select /* a /* b; */ c; */ 1;", 1, 1),
        (" select 5;", 1, 31),
    ]


def test_postgres_begin_atomic_body_is_one_statement() -> None:
    fn = (
        "CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n"
        "  SELECT 1;\n"
        "  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n"
        "END;"
    )
    proc = "CREATE PROCEDURE p() LANGUAGE sql begin atomic INSERT INTO t VALUES (1); end;"
    text = f"{fn}\n{proc}\nCALL p();"
    assert shape(split_postgres(text)) == [
        (fn, 1, 1),
        (f"\n{proc}", 6, 1),
        ("\nCALL p();", 7, 1),
    ]


def test_postgres_plain_transaction_begin_is_not_a_body() -> None:
    text = "BEGIN; select 1; COMMIT;"
    assert [s.text for s in split_postgres(text)] == ["BEGIN;", " select 1;", " COMMIT;"]


@pytest.mark.parametrize("word", ["'end'", '"end"', "'case'", "$$end$$"])
def test_postgres_begin_atomic_ignores_end_and_case_inside_strings_and_names(word: str) -> None:
    """Only the END/CASE keywords nest; a string or quoted name spelled end/case must not."""
    fn = (
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC "
        f"SELECT {word} FROM t; SELECT 'x'; END;"
    )
    assert [s.text for s in split_postgres(f"{fn}\nSELECT 2;")] == [fn, "\nSELECT 2;"]


@pytest.mark.parametrize("tail", ["select 'abc", "select /* abc"])
def test_postgres_unterminated_token_is_a_split_error(tail: str) -> None:
    """An unterminated string or comment is SplitError (the migrator names the file), never
    sqlglot's own TokenError escaping as an unhandled exception."""
    with pytest.raises(SplitError):
        split_postgres(f"select 1; {tail}")


# --- properties -------------------------------------------------------------------------------

_LITERAL = st.text(alphabet="ab ;'-$x", max_size=8).map(lambda s: "'" + s.replace("'", "''") + "'")
_NAME = st.from_regex(r"c_[a-z0-9_]{0,5}", fullmatch=True)
_QUOTED = st.text(alphabet='ab;" ', min_size=1, max_size=6).map(
    lambda s: '"' + s.replace('"', '""') + '"'
)
_COMMENT_TEXT = st.text(alphabet="ab ;'\"-", max_size=8)
_BODY = st.one_of(
    _LITERAL.map(lambda lit: f"SELECT {lit}"),
    st.tuples(_NAME, _NAME).map(lambda p: f"SELECT {p[0]} FROM {p[1]}"),
    st.tuples(_QUOTED, _NAME).map(lambda p: f"SELECT {p[0]} FROM {p[1]}"),
    _COMMENT_TEXT.map(lambda c: f"SELECT 1 /* {c} */ + 2"),
    _COMMENT_TEXT.map(lambda c: f"SELECT 3 -- {c}\n"),
)
_PREFIX = st.one_of(
    st.just(""),
    _COMMENT_TEXT.map(lambda c: f"-- {c}\n"),
    _COMMENT_TEXT.map(lambda c: f"/* {c} */ "),
)
_STATEMENT = st.tuples(_PREFIX, _BODY)


@BOTH
@settings(max_examples=150, deadline=None)
@given(statements=st.lists(_STATEMENT, min_size=1, max_size=6), final_semicolon=st.booleans())
def test_join_then_split_round_trips(
    split: Splitter, statements: list[tuple[str, str]], final_semicolon: bool
) -> None:
    text = ";\n".join(prefix + body for prefix, body in statements)
    if final_semicolon:
        text += ";"
    found = split(text)
    assert [s.text.removesuffix(";").strip() for s in found] == [
        (prefix + body).strip() for prefix, body in statements
    ]
    for i, (s, (_prefix, body)) in enumerate(zip(found, statements, strict=True)):
        assert text[s.offset :].startswith(body)
        assert (s.line, s.col) == line_col(text, s.offset)
        assert s.start is not None and text[s.start :].startswith(s.text)
        if split is split_postgres:
            assert statement_offset(text, i) == s.offset
    if split is split_postgres:
        assert statement_offset(text, len(found)) is None
    if split is split_sqlite:
        for s in found:
            piece = s.text if s.text.endswith(";") else s.text + ";"
            assert sqlite3.complete_statement(piece)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters="\x00")))
def test_sqlite_splitter_never_raises(text: str) -> None:
    """NUL is excluded: read_sql_file rejects it before any text reaches a splitter."""
    for s in split_sqlite(text):
        assert s.text in text
        assert 0 <= s.offset < len(text)


@pytest.mark.parametrize("split", [split_postgres, split_mysql], ids=["postgres", "mysql"])
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters="\x00")))
def test_splitter_raises_nothing_but_split_error(split: Splitter, text: str) -> None:
    try:
        statements = split(text)
    except SplitError:
        return
    for s in statements:
        assert s.text in text
        assert 0 <= s.offset < len(text)
        assert s.start is not None and text[s.start :].startswith(s.text)


_SQLISH = st.lists(
    st.sampled_from([*"ab ;'\"$-/*\\\nE(){}:.", "begin atomic ", "case ", "end", "$q$", "copy"])
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_SQLISH)
def test_statement_offset_agrees_with_split_postgres(text: str) -> None:
    """Streaming and splitting see the same statements, also in odd text (backslashes are
    meta-commands to split_postgres, passed over by statement_offset)."""
    try:
        offsets = [s.offset for s in split_postgres(text)]
    except SplitError:
        return
    assert [statement_offset(text, i) for i in range(len(offsets) + 1)] == [*offsets, None]

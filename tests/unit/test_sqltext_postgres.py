"""PostgreSQL files as psql runs them: COPY ... FROM stdin data, psql meta-commands (pg_dump's
\\restrict), postgres_parts and statement_offset. (The real pg_dump round trip is in
tests/reliability/test_dump_restore.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlmig.sqltext import (
    Chunk,
    ClientCommandError,
    CopyBlock,
    SplitError,
    client_commands,
    postgres_parts,
    split_postgres,
    statement_offset,
)

DATA = "1\tit's; a \\t tab\t$$x$$\n2\t/* not; a comment\t-- nor this\n3\t\\N\t\\\\.\n"
DUMP = (
    "--\n-- PostgreSQL database dump\n--\n\n"
    "\\restrict Vy2yDPuphEYBTz047WfVfOf1hf88ha54Ihd06fq9gE4mAqwqmyQEa7RsgMWdUjn\n\n"
    "SET client_encoding = 'UTF8';\nCREATE TABLE public.t (a integer, b text, c text);\n\n"
    "--\n-- Data for Name: t\n--\n\n"
    f"COPY public.t (a, b, c) FROM stdin;\n{DATA}\\.\n\n\n"
    "CREATE INDEX t_a ON public.t (a);\n\n"
    "\\unrestrict Vy2yDPuphEYBTz047WfVfOf1hf88ha54Ihd06fq9gE4mAqwqmyQEa7RsgMWdUjn\n\n"
)


def _located(text: str, parts: list[Chunk | CopyBlock]) -> None:
    """Every part sits at its offset in the file."""
    for part in parts:
        if isinstance(part, Chunk):
            assert text[part.offset : part.offset + len(part.text)] == part.text
        else:
            assert text[part.offset :].startswith(part.statement)
            assert text[part.data_offset :].startswith(part.data)


# --- COPY ... FROM stdin -------------------------------------------------------------------------


def test_copy_data_is_never_read_as_sql() -> None:
    text = f"CREATE TABLE t (a int, b text, c text);\nCOPY t FROM stdin;\n{DATA}\\.\nSELECT 1;\n"
    found = split_postgres(text)
    assert [(s.text, s.line, s.copy_data) for s in found] == [
        ("CREATE TABLE t (a int, b text, c text);", 1, None),
        ("\nCOPY t FROM stdin;", 2, DATA),
        ("SELECT 1;", 7, None),
    ]
    assert [statement_offset(text, i) for i in range(4)] == [*(s.offset for s in found), None]


def test_pg_dump_shape_becomes_chunks_and_a_copy_block() -> None:
    parts = postgres_parts(DUMP)
    assert [type(p).__name__ for p in parts] == ["Chunk", "CopyBlock", "Chunk"]
    first, copy, last = parts
    assert isinstance(first, Chunk) and isinstance(copy, CopyBlock) and isinstance(last, Chunk)
    assert "restrict" not in first.text and "restrict" not in last.text
    assert first.text.strip().endswith("c text);") and "SET client_encoding" in first.text
    assert copy.statement == "COPY public.t (a, b, c) FROM stdin;"
    assert copy.data == DATA
    assert last.text.strip() == "CREATE INDEX t_a ON public.t (a);"
    _located(DUMP, parts)
    assert client_commands(DUMP, "postgres") == []


def test_a_file_without_copy_or_backslash_is_one_chunk_as_it_is() -> None:
    text = "CREATE TABLE t (a int);\n-- copies of nothing\nINSERT INTO t VALUES (1);\n"
    assert postgres_parts(text) == [Chunk(text, 0)]
    assert postgres_parts(text)[0].text is text  # no copy of a large file


def test_e_strings_with_backslashes_do_not_split_a_chunk() -> None:
    text = "SELECT E'a\\\\b\\';';\nSELECT 'c:\\dir';\n"
    assert postgres_parts(text) == [Chunk(text, 0)]


@pytest.mark.parametrize(
    "statement",
    [
        "COPY t FROM stdin;",
        "copy t from STDIN;",
        "COPY t (a, b) FROM STDIN WITH (FORMAT csv, DELIMITER ';');",
        "COPY /* c */ t FROM\n  stdin;",
        "COPY BINARY t FROM stdin;",
    ],
)
def test_copy_from_stdin_forms(statement: str) -> None:
    text = f"{statement}\n1;2\n\\.\nSELECT 2;"
    parts = postgres_parts(text)
    assert parts == [
        CopyBlock(statement, 0, "1;2\n", len(statement) + 1),
        Chunk("SELECT 2;", len(text) - len("SELECT 2;")),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "COPY t TO stdout;",
        "COPY (SELECT 'from stdin') TO STDOUT;",
        "COPY t FROM '/tmp/stdin';",
        "COPY t FROM PROGRAM 'cat stdin';",
        'SELECT 1 AS "copy";',
    ],
)
def test_other_copies_are_plain_sql(statement: str) -> None:
    text = f"{statement}\nSELECT 2;\n"
    assert [s.copy_data for s in split_postgres(text)] == [None, None]
    assert postgres_parts(text) == [Chunk(text, 0)]


def test_copy_end_marker_variants() -> None:
    crlf = "COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 2;"
    assert [s.copy_data for s in split_postgres(crlf)] == ["1\r\n", None]
    at_eof = "COPY t FROM stdin;\n1\n2"  # psql reads to the end of the file
    assert split_postgres(at_eof)[0].copy_data == "1\n2"
    empty = "COPY t FROM stdin;\n\\.\nSELECT 2;"
    assert [s.copy_data for s in split_postgres(empty)] == ["", None]
    not_alone = "COPY t FROM stdin;\n\\.x\n \\.\n\\.\nSELECT 3;"  # only a line that is \. ends it
    assert [s.copy_data for s in split_postgres(not_alone)] == ["\\.x\n \\.\n", None]


def test_text_after_copy_on_its_line_is_refused() -> None:
    with pytest.raises(SplitError, match="line 1: text after COPY"):
        split_postgres("COPY t FROM stdin; SELECT 1;\n1\n\\.\n")
    assert [s.copy_data for s in split_postgres("COPY t FROM stdin; -- data:\n1\n\\.\n")] == ["1\n"]


# --- psql meta-commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["\\connect other", "\\c other", "\\i setup.sql", "\\set x 1", "\\gexec", "\\."]
)
def test_other_meta_commands_are_refused_by_line(command: str) -> None:
    text = f"SELECT 1;\n-- next\n{command}\nSELECT 2;\n"
    with pytest.raises(ClientCommandError) as info:
        split_postgres(text)
    assert (info.value.line, info.value.command) == (3, command)
    with pytest.raises(ClientCommandError, match="line 3"):
        postgres_parts(text)
    assert client_commands(text, "postgres") == [(3, command)]


def test_meta_command_inside_a_statement_is_refused_even_restrict() -> None:
    text = "SELECT 1,\n\\restrict k\n2;\nSELECT 3 \\gset\n"
    assert client_commands(text, "postgres") == [(2, "\\restrict k"), (4, "\\gset")]
    with pytest.raises(ClientCommandError):
        postgres_parts(text)


def test_backslashes_in_quotes_comments_and_data_are_not_commands() -> None:
    text = (
        "SELECT E'\\\\x', 'C:\\temp', \"a\\b\", $$\\n$$; -- \\c x\n/* \\i y */\n"
        "COPY t FROM stdin;\n\\N\t\\\\\n\\.\n"
    )
    assert client_commands(text, "postgres") == []
    assert len(postgres_parts(text)) == 2


def test_restrict_lines_are_skipped_by_split_postgres() -> None:
    found = split_postgres(DUMP)
    assert [DUMP[s.offset :].split()[0] for s in found] == ["SET", "CREATE", "COPY", "CREATE"]


def test_sqlite_dot_commands_are_reported() -> None:
    text = ".mode csv\nSELECT 1;\n.import x.csv t\nSELECT '.x';"
    assert client_commands(text, "sqlite") == [(1, ".mode csv"), (3, ".import x.csv t")]


# --- statement_offset --------------------------------------------------------------------------


def test_statement_offset_counts_as_the_server_does() -> None:
    text = ";; SELECT 1; /* a; */ ;\nSELECT $$;$$;\n-- x;\nSELECT 3"
    want = [text.index("SELECT 1"), text.index("SELECT $$"), text.index("SELECT 3"), None]
    assert [statement_offset(text, i) for i in range(4)] == want
    assert statement_offset(text, -1) is None


def test_statement_offset_before_and_after_an_unterminated_string() -> None:
    text = "SELECT 1; SELECT 2; SELECT 'open"
    assert statement_offset(text, 1) == 10
    assert statement_offset(text, 2) is None  # the scan failed before finding it
    with pytest.raises(SplitError):
        split_postgres(text)


def test_statement_offset_inside_a_chunk_maps_to_the_file() -> None:
    chunk = postgres_parts(DUMP)[0]
    assert isinstance(chunk, Chunk)
    offset = statement_offset(chunk.text, 1)
    assert offset is not None
    assert DUMP[chunk.offset + offset :].startswith("CREATE TABLE public.t")


_ROW = st.text(alphabet="ab;'\"$-/*\\\t ", max_size=12).filter(lambda r: r != "\\.")
_PIECE = st.one_of(
    st.sampled_from(
        ["SELECT 1;\n", "SELECT ';';\n", "-- c\n", "\\restrict k\n", "SELECT $$\\.$$;\n"]
    ),
    st.lists(_ROW, max_size=3).map(
        lambda rows: "COPY t FROM stdin;\n" + "".join(r + "\n" for r in rows) + "\\.\n"
    ),
)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(_PIECE, min_size=1, max_size=8))
def test_parts_hold_every_statement_and_row_once(pieces: list[str]) -> None:
    text = "".join(pieces)
    parts = postgres_parts(text)
    _located(text, parts)
    copies = [p for p in pieces if p.startswith("COPY")]
    assert [p.data for p in parts if isinstance(p, CopyBlock)] == [
        c.split("\n", 1)[1].removesuffix("\\.\n") for c in copies
    ]
    selects = sum(p.startswith("SELECT") for p in pieces)
    assert sum(len(split_postgres(p.text)) for p in parts if isinstance(p, Chunk)) == selects

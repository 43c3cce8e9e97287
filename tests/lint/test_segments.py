"""A big file is tokenized in slices of whole statements: the findings (and their lines and
columns) are those of tokenizing it whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.lint import lint_paths, segments

from .helpers import write

POSTGRES = """\
-- a comment; with a semicolon
SET lock_timeout = '5s';
CREATE TABLE "Orders" (id bigint PRIMARY KEY, note varchar(20), at timestamp);
CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.x := 1; RETURN NEW; END $body$
LANGUAGE plpgsql;
CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a; SELECT a + 1; END;
INSERT INTO t (a) VALUES ('x; y'), (E'it\\'s; fine'); ALTER TABLE t ADD COLUMN b int NOT NULL;
CREATE INDEX orders_at ON "Orders" (at);
ALTER TABLE t ALTER COLUMN a SET NOT NULL; /* a ; block comment */ DROP TABLE gone;
SELEC broken;
"""
SQLITE = """\
CREATE TABLE t (a int, b text);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = 'x;y' WHERE a = 1; END;
ALTER TABLE t DROP COLUMN b;
INSERT INTO t VALUES (1, 'a; b');
"""


@pytest.mark.parametrize(("dialect", "block"), [("postgres", POSTGRES), ("sqlite", SQLITE)])
def test_slices_find_what_the_whole_file_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str, block: str
) -> None:
    path = write(tmp_path, "0001_big.up.sql", block * 40)
    whole = lint_paths([path], dialect=dialect).findings
    monkeypatch.setattr(segments, "SLICE_CHARS", 300)
    text = path.read_text()
    assert len(segments.bounds(text, dialect)) > 10
    sliced = lint_paths([path], dialect=dialect).findings
    assert whole and sliced == whole
    last = max(f.line for f in sliced)  # past the first slice: file positions, not the slice's
    assert last > len(text.splitlines()) // 2


def test_a_file_the_splitter_refuses_is_tokenized_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segments, "SLICE_CHARS", 10)
    text = "SELECT 1;\nSELECT 'unterminated;\n"
    assert segments.bounds(text, "postgres") == [(0, len(text))]
    assert segments.bounds("SELECT 1; SELECT 2; SELECT 3;", "mysql") == [(0, 29)]
    path = write(tmp_path, "x.sql", text)
    assert [f.code for f in lint_paths([path]).findings] == ["S001"]  # cannot split, as before

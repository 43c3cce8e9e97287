"""A statement that makes sqlglot raise, recurse or loop becomes a finding, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot.parser import Parser

from sqlmig.lint import parse

from .helpers import lint_sql


def test_deep_nesting_is_a_syntax_finding(tmp_path: Path) -> None:
    sql = "SELECT 1;\nSELECT " + "(" * 5000 + "1" + ")" * 5000 + ";\nTRUNCATE t CASCADE;"
    found = lint_sql(tmp_path, sql, dialect="sqlite")
    assert [(f.line, f.rule) for f in found] == [(2, "syntax-error"), (3, "truncate-cascade")]
    assert "nested too deeply" in found[0].message
    # PostgreSQL's own parser reads it: valid SQL that no rule could check, not an error
    found = lint_sql(tmp_path / "pg", sql, ignore=["P109"])
    assert [(f.line, f.rule) for f in found] == [
        (2, "unchecked-statement"),
        (3, "truncate-cascade"),
    ]
    assert "parser accepts it" in found[0].message
    assert "sqlglot cannot read it (statement is nested too deeply" in found[0].message


def test_a_statement_that_keeps_sqlglot_busy_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Parser.parse

    def slow(self: Parser, tokens: list, sql: str) -> list:
        while any(t.text == "spin" for t in tokens):  # stands in for a parser bug that loops
            pass
        return real(self, tokens, sql)

    monkeypatch.setattr(parse, "PARSE_SECONDS", 0.2)
    monkeypatch.setattr(Parser, "parse", slow)
    found = lint_sql(tmp_path, "SELECT spin;\nTRUNCATE t CASCADE;", dialect="sqlite")
    assert [(f.line, f.rule) for f in found] == [(1, "syntax-error"), (2, "truncate-cascade")]
    assert "gave up after 0.2 s here" in found[0].message


def test_a_statement_waiting_for_a_cpu_is_not_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the deadline counts CPU time: a busy machine that leaves the parser waiting (a sleep here)
    # is not a statement sqlglot gave up on
    import time

    real = Parser.parse

    def waits(self: Parser, tokens: list, sql: str) -> list:
        time.sleep(0.5)
        return real(self, tokens, sql)

    monkeypatch.setattr(parse, "PARSE_SECONDS", 0.2)
    monkeypatch.setattr(Parser, "parse", waits)
    found = lint_sql(tmp_path, "SELECT 1;\nTRUNCATE t CASCADE;", dialect="sqlite")
    assert [(f.line, f.rule) for f in found] == [(2, "truncate-cascade")]


def test_any_exception_from_sqlglot_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Parser, tokens: list, sql: str) -> list:
        raise KeyError("boom")

    monkeypatch.setattr(Parser, "parse", broken)
    found = lint_sql(tmp_path, "SELECT 1;", dialect="sqlite")  # PostgreSQL's parser: valid
    assert [f.rule for f in found] == ["syntax-error"]
    assert "KeyError" in found[0].message


def test_an_unterminated_string_is_one_finding_for_the_file(tmp_path: Path) -> None:
    found = lint_sql(tmp_path, "SELECT 1;\nSELECT 'oops;\n")
    assert [f.rule for f in found] == ["syntax-error"]


def test_the_deadline_restores_the_previous_alarm_handler() -> None:
    import signal

    before = signal.getsignal(parse.ALARM)
    with parse.armed():
        assert signal.getsignal(parse.ALARM) is not before
        with parse.deadline(5):
            assert signal.getitimer(parse.TIMER)[0] > 4
    assert signal.getsignal(parse.ALARM) is before
    assert signal.getitimer(parse.TIMER) == (0.0, 0.0)


def test_pg_dump_restrict_lines_are_read_as_psql_reads_them(tmp_path: Path) -> None:
    """pg_dump 15.14+/16.10+/17.6+ brackets a dump with `\\restrict KEY` lines: `up` skips them,
    so lint does too, and the statement after one is still checked (not swallowed by it)."""
    sql = "\\restrict AbC123\nSET lock_timeout = '1s';\nDROP TABLE t;\n\\unrestrict AbC123\n"
    found = lint_sql(tmp_path, sql)
    assert [(f.line, f.rule) for f in found] == [(3, "drop-table")]
    found = lint_sql(tmp_path, sql.replace("\\restrict", "\\connect"))
    assert (1, "syntax-error") in [(f.line, f.rule) for f in found]


def test_postgres_comments_sqlglot_cannot_read_are_unchecked_not_syntax_errors(
    tmp_path: Path,
) -> None:
    """`IS NULL` removes a comment, and comments on a constraint or a trigger name their table:
    valid PostgreSQL that sqlglot fails on (diff writes them), so S002, never S001."""
    sql = (
        "COMMENT ON COLUMN t.c IS NULL;\n"
        "COMMENT ON CONSTRAINT c ON t IS 'x';\n"
        "COMMENT ON TRIGGER tr ON t IS 'x';\n"
        "COMMENT ON TABLE t IS 'x';\n"
    )
    found = [f.rule for f in lint_sql(tmp_path, sql)]
    assert "syntax-error" not in found and set(found) == {"unchecked-statement"}, found

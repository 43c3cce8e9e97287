"""`-- sqlmig:ignore RULE` and `-- sqlmig:ignore-file RULE`, and unused ignores."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_sql, names

DROP = "DROP TABLE books;"


def test_ignore_before_a_statement_silences_that_statement_only(tmp_path: Path) -> None:
    sql = f"-- sqlmig:ignore drop-table\n{DROP}\nDROP TABLE authors;"
    found = lint_sql(tmp_path, sql, select=["drop-table", "unused-ignore"])
    assert [(f.rule, f.line) for f in found] == [("drop-table", 3)]


def test_ignore_accepts_codes_and_lists(tmp_path: Path) -> None:
    sql = f"/* why */ -- sqlmig:ignore D201, P109\n{DROP}"
    assert names(lint_sql(tmp_path, sql)) == []


def test_ignore_file_silences_every_statement(tmp_path: Path) -> None:
    sql = f"-- sqlmig:ignore-file drop-table\nSET lock_timeout = '1s';\n{DROP}\nDROP TABLE authors;"
    assert names(lint_sql(tmp_path, sql)) == []


def test_an_ignore_that_matches_nothing_is_reported_where_it_is(tmp_path: Path) -> None:
    sql = "SET lock_timeout = '1s';\n\n-- sqlmig:ignore drop-column\nDROP TABLE books;"
    found = lint_sql(tmp_path, sql)
    assert [(f.line, f.col, f.rule) for f in found] == [
        (3, 1, "unused-ignore"),
        (4, 12, "drop-table"),
    ]
    assert "drop-column" in found[0].message


def test_an_unknown_rule_in_an_ignore_is_reported(tmp_path: Path) -> None:
    found = lint_sql(tmp_path, "-- sqlmig:ignore-file no-such-rule\nSELECT 1;")
    assert [f.rule for f in found] == ["unused-ignore"]
    assert "unknown rule 'no-such-rule'" in found[0].message


def test_an_ignore_for_a_rule_that_is_switched_off_is_not_reported(tmp_path: Path) -> None:
    sql = "-- sqlmig:ignore drop-table\nSELECT 1;"
    assert names(lint_sql(tmp_path, sql, ignore=["drop-table"])) == []


def test_file_rules_can_be_ignored_per_file(tmp_path: Path) -> None:
    sql = "-- sqlmig:ignore-file up-without-down\nCREATE TABLE t (id bigint PRIMARY KEY);"
    from sqlmig.lint import lint_paths

    from .helpers import write

    path = write(tmp_path, "0003_t.up.sql", sql)
    assert list(lint_paths([path]).findings) == []

"""What rules know about the file: new tables, down files, no-transaction, positions."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_sql, names, write


def test_index_on_a_table_made_in_the_same_file_needs_no_concurrently(tmp_path: Path) -> None:
    sql = """
        CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);
        CREATE INDEX orders_user_idx ON orders (user_id);
        ALTER TABLE orders ADD CONSTRAINT orders_user_fk
            FOREIGN KEY (user_id) REFERENCES users (id);
        ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;
        DROP TABLE orders;
    """
    assert names(lint_sql(tmp_path, sql)) == []


def test_the_same_statements_on_an_existing_table_are_reported(tmp_path: Path) -> None:
    sql = """
        SET lock_timeout = '2s'; SET statement_timeout = '1min';
        CREATE INDEX orders_user_idx ON orders (user_id);
        ALTER TABLE orders ADD CONSTRAINT orders_user_fk
            FOREIGN KEY (user_id) REFERENCES users (id);
        ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;
        DROP TABLE orders;
    """
    found = [(f.line, f.rule) for f in lint_sql(tmp_path, sql)]
    assert found == [
        (2, "index-without-concurrently"),
        (3, "constraint-without-not-valid"),
        (5, "set-not-null"),
        (6, "drop-table"),
    ]


def test_a_down_file_may_drop_what_its_up_file_created(tmp_path: Path) -> None:
    up = "CREATE TABLE tags (id bigint PRIMARY KEY);\nALTER TABLE books ADD COLUMN tag_id bigint;"
    down = "SET lock_timeout = '1s';\nALTER TABLE books DROP COLUMN tag_id;\nDROP TABLE tags;"
    assert names(lint_sql(tmp_path, up, down=down, ignore=["P109"])) == []


def test_a_down_file_that_drops_something_else_is_data_loss(tmp_path: Path) -> None:
    up = "CREATE TABLE tags (id bigint PRIMARY KEY);"
    down = "DROP TABLE tags;\nDROP TABLE books;"
    found = lint_sql(tmp_path, up, down=down, ignore=["P109"])
    assert [(Path(f.path).name, f.line, f.rule) for f in found] == [
        ("0001_change.down.sql", 2, "drop-table")
    ]


def test_down_missing_drop_names_the_up_line(tmp_path: Path) -> None:
    up = "CREATE TABLE tags (id bigint PRIMARY KEY);\n\nCREATE INDEX books_t ON books (t);"
    found = lint_sql(tmp_path, up, down="DROP TABLE tags;", select=["F702"])
    assert [(f.rule, f.message) for f in found] == [
        (
            "down-missing-drop",
            "0001_change.up.sql line 3 creates index books_t, and this down file does not drop it",
        )
    ]


def test_down_missing_drop_is_silent_when_the_files_cannot_be_fully_read(tmp_path: Path) -> None:
    up = "CREATE TABLE tags (id bigint PRIMARY KEY);"
    down = "-- sqlmig:ignore unchecked-statement\nCREATE PUBLICATION p FOR ALL TABLES;"
    assert names(lint_sql(tmp_path, up, down=down, select=["F702"])) == []


def test_up_without_down_checks_the_disk_not_only_the_given_paths(tmp_path: Path) -> None:
    from sqlmig.lint import lint_paths

    up = write(tmp_path, "0002_x.up.sql", "CREATE TABLE x (id bigint PRIMARY KEY);")
    assert [f.rule for f in lint_paths([up], select=["F701"]).findings] == ["up-without-down"]
    write(tmp_path, "0002_x.down.sql", "DROP TABLE x;")
    assert list(lint_paths([up], select=["F701"]).findings) == []


def test_positions_point_at_the_offending_name(tmp_path: Path) -> None:
    sql = '-- a comment\n\nCREATE TABLE t (\n  id bigint PRIMARY KEY,\n  "Big" json\n);'
    found = lint_sql(tmp_path, sql, select=["prefer-jsonb"])
    assert [(f.line, f.col) for f in found] == [(5, 3)]


def test_statement_after_a_multiline_statement_has_the_right_line(tmp_path: Path) -> None:
    sql = "CREATE TABLE t (\n  a text\n);\n\n  TRUNCATE t CASCADE;\n"
    found = lint_sql(tmp_path, sql)
    assert [(f.line, f.col, f.rule) for f in found] == [(5, 3, "truncate-cascade")]

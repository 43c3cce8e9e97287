"""Table rebuilds (rows copied, old table dropped, new one renamed into its place) are not drops;
a rebuild that does not copy every row of the old table still is one, on every dialect."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import lint_sql, names

DIALECTS = ("sqlite", "postgres", "mysql")

# rows copied into the new table, which then takes the old one's name: nothing is lost
KEPT = {
    "new_renamed_into_place": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books_new (id, title) SELECT id, title FROM books;
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO books;
        """,
    "select_star_and_quoted_names": """
        CREATE TABLE "_sqlmig_new_books" (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO "_sqlmig_new_books" SELECT * FROM "books";
        DROP TABLE "books";
        ALTER TABLE "_sqlmig_new_books" RENAME TO "books";
        """,
    "old_renamed_away_first": """
        ALTER TABLE books RENAME TO books_old;
        CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books (id, title) SELECT id, title FROM books_old;
        DROP TABLE books_old;
        """,
    "one_table_rebuilt_twice": """
        CREATE TABLE _books_tmp (id INTEGER PRIMARY KEY, title TEXT);
        INSERT INTO _books_tmp (id, title) SELECT id, title FROM books;
        DROP TABLE books;
        ALTER TABLE _books_tmp RENAME TO books;
        CREATE TABLE _books_tmp (id INTEGER PRIMARY KEY);
        INSERT INTO _books_tmp (id) SELECT id FROM books;
        DROP TABLE books;
        ALTER TABLE _books_tmp RENAME TO books;
        """,
    "two_tables_rebuilt_in_one_file": """
        CREATE TABLE a2 (id INTEGER PRIMARY KEY);
        INSERT INTO a2 SELECT id FROM a;
        CREATE TABLE b2 (id INTEGER PRIMARY KEY);
        INSERT INTO b2 SELECT id FROM b;
        DROP TABLE a;
        DROP TABLE b;
        ALTER TABLE a2 RENAME TO a;
        ALTER TABLE b2 RENAME TO b;
        """,
}

# looks like a rebuild, but rows of the dropped table are lost
LOST = {
    "rows_not_copied": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO books;
        """,
    "copied_from_another_table": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books_new SELECT id, title FROM archive;
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO books;
        """,
    "only_some_rows_copied": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books_new SELECT id, title FROM books WHERE id > 10;
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO books;
        """,
    "copied_but_never_renamed_into_place": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books_new SELECT id, title FROM books;
        DROP TABLE books;
        """,
    "copied_into_a_table_renamed_elsewhere": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        INSERT INTO books_new SELECT id, title FROM books;
        DROP TABLE books;
        ALTER TABLE books_new RENAME TO titles;
        """,
    "copied_after_the_drop": """
        CREATE TABLE books_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        DROP TABLE books;
        INSERT INTO books_new SELECT id, title FROM books;
        ALTER TABLE books_new RENAME TO books;
        """,
    "renamed_away_then_a_fresh_empty_table": """
        ALTER TABLE books RENAME TO books_old;
        CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        DROP TABLE books_old;
        """,
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_rebuild_is_not_a_drop(tmp_path: Path, dialect: str, name: str) -> None:
    found = lint_sql(tmp_path, KEPT[name], dialect=dialect)
    assert "drop-table" not in names(found), found
    assert "rename-table" not in names(found), found


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(LOST))
def test_a_rebuild_that_loses_rows_is_a_drop(tmp_path: Path, dialect: str, name: str) -> None:
    found = lint_sql(tmp_path, LOST[name], dialect=dialect)
    assert names(found).count("drop-table") == 1, found


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_table_rebuilt_twice_without_the_second_copy_loses_its_rows(
    tmp_path: Path, dialect: str
) -> None:
    sql = """
        CREATE TABLE _books_tmp (id INTEGER PRIMARY KEY, title TEXT);
        INSERT INTO _books_tmp (id, title) SELECT id, title FROM books;
        DROP TABLE books;
        ALTER TABLE _books_tmp RENAME TO books;
        CREATE TABLE _books_new (id INTEGER PRIMARY KEY);
        DROP TABLE books;
        ALTER TABLE _books_new RENAME TO books;
        """
    found = lint_sql(tmp_path, sql, dialect=dialect, select=["D201"])
    assert 6 in [f.line for f in found]  # the copy's table, dropped with the rows


def test_mysql_rename_table_swaps_the_copy_into_place(tmp_path: Path) -> None:
    sql = """
        CREATE TABLE books_new LIKE books;
        INSERT INTO books_new SELECT * FROM books;
        RENAME TABLE books TO books_old, books_new TO books;
        DROP TABLE books_old;
        """
    assert "drop-table" not in names(lint_sql(tmp_path, sql, dialect="mysql"))
    lost = sql.replace("INSERT INTO books_new SELECT * FROM books;", "")
    assert "drop-table" in names(lint_sql(tmp_path, lost, dialect="mysql"))


def test_the_down_of_a_rebuild_need_not_drop_the_tables_it_made(tmp_path: Path) -> None:
    """The up's new table became `books`, which existed before: nothing is left to drop."""
    rebuild = KEPT["new_renamed_into_place"]
    found = lint_sql(tmp_path, rebuild, dialect="sqlite", down=rebuild)
    assert "down-missing-drop" not in names(found), found
    fresh = "CREATE TABLE t_new (id INTEGER);\nALTER TABLE t_new RENAME TO t2;\nDROP TABLE x;"
    found = lint_sql(tmp_path, fresh, dialect="sqlite", down="SELECT 1;")
    assert "down-missing-drop" in names(found), found


def test_an_enum_rebuilt_under_its_name_is_not_a_dropped_type(tmp_path: Path) -> None:
    """PostgreSQL cannot remove an enum label: the type is renamed away, made again, the columns
    moved over, the old one dropped (what `sqlmig diff` writes); the drop fails while in use."""
    sql = """
        ALTER TYPE "mood" RENAME TO "mood_old";
        CREATE TYPE "mood" AS ENUM ('sad', 'ok');
        ALTER TABLE t ALTER COLUMN m TYPE mood USING m::text::mood;
        DROP TYPE "mood_old";
        """
    found = lint_sql(tmp_path, sql)
    assert "drop-type" not in names(found) and "unchecked-statement" not in names(found), found
    other = sql.replace('CREATE TYPE "mood"', 'CREATE TYPE "other"')
    cascade = sql.replace('DROP TYPE "mood_old";', 'DROP TYPE "mood_old" CASCADE;')
    for lost in (other, cascade):
        assert "drop-type" in names(lint_sql(tmp_path, lost)), lost


def test_a_mysql_procedure_with_parameter_modes_is_unchecked_not_invalid(tmp_path: Path) -> None:
    sql = "CREATE PROCEDURE trim_log(IN keep INT) BEGIN DELETE FROM log WHERE id > keep; END;"
    found = names(lint_sql(tmp_path, sql, dialect="mysql"))
    assert "syntax-error" not in found and "unchecked-statement" in found, found


def test_an_index_on_a_view_the_down_drops_goes_with_it(tmp_path: Path) -> None:
    up = "CREATE MATERIALIZED VIEW counts AS SELECT 1 AS n;\nCREATE INDEX counts_n ON counts (n);"
    found = lint_sql(tmp_path, up, down="DROP MATERIALIZED VIEW counts;")
    assert "down-missing-drop" not in names(found), found
    found = lint_sql(tmp_path, up, down="SELECT 1;")
    assert "down-missing-drop" in names(found), found


def test_a_rebuild_through_a_join_says_which_rows_it_loses(tmp_path: Path) -> None:
    sql = """\
        CREATE TABLE _d_tmp (id text PRIMARY KEY, s text NOT NULL);
        INSERT INTO _d_tmp (id, s) SELECT d.id, s.id FROM d JOIN s ON d.sid = s.id;
        DROP TABLE d;
        ALTER TABLE _d_tmp RENAME TO d;
    """
    found = lint_sql(tmp_path, sql, dialect="sqlite", select=["D201"])
    assert [f.message for f in found] == [
        'DROP TABLE "d" after copying its rows through a JOIN: the rows it left out are lost'
    ]


def test_a_column_swap_loses_no_data(tmp_path: Path) -> None:
    sql = """\
        ALTER TABLE codes ADD COLUMN kind_new varchar(36);
        UPDATE codes SET kind_new = kind;
        ALTER TABLE codes DROP COLUMN kind;
        ALTER TABLE codes RENAME COLUMN kind_new TO kind;
        ALTER TABLE sessions RENAME COLUMN token TO old_token;
        ALTER TABLE sessions ADD COLUMN token text;
        UPDATE sessions SET token = old_token WHERE true;
        ALTER TABLE sessions DROP COLUMN old_token;
        UPDATE flows SET b = a WHERE a IS NOT NULL;
        ALTER TABLE flows DROP COLUMN a;
        UPDATE flows SET d = c;
        ALTER TABLE flows DROP COLUMN c;
        ALTER TABLE flows DROP COLUMN d;
    """
    found = lint_sql(tmp_path, sql, dialect="sqlite", select=["D202"])
    assert [f.line for f in found] == [10, 12, 13]  # a copy of some rows, or dropped after

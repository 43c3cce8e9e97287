"""`sqlmig verify --data`: generated rows in every table before each up; a down that loses rows
or column values fails by migration, table and column, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from pathlib import Path

from sqlmig.schema.commands import verify
from tests.conftest import sqlmig, write

from .conftest import dialect
from .helpers import cfg


def _verify(url: str, folder: Path, rows: int | None = 4):  # type: ignore[no-untyped-def]
    """verify on the test's own empty database as the scratch one (no database made and
    dropped for each run: the tests stay quick)."""
    config = cfg(url, folder)
    return verify(config, scratch_url=url, start=None, notify=None, data_rows=rows)


def _problems(result) -> list[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    return [(e["migration"], e["problem"], list(e["details"])) for e in result.entries]


BOOKS = (
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(80) NOT NULL, isbn VARCHAR(13));",
    "DROP TABLE books;",
)
LOST = "down does not restore the data"


def test_a_down_that_drops_and_adds_a_column_again_loses_its_values(
    db_url: str, migrations: Path
) -> None:
    """The issue's case: schema-only verify passes it; with --data it fails, naming the column."""
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_note", "ALTER TABLE books ADD COLUMN note TEXT;",
          "ALTER TABLE books DROP COLUMN note;\nALTER TABLE books DROP COLUMN isbn;\n"
          "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);")  # fmt: skip
    plain = _verify(db_url, migrations, rows=None)
    assert plain.ok, plain.messages
    result = _verify(db_url, migrations)
    assert not result.ok
    assert _problems(result) == [
        ("0002_note", LOST, ["column books.isbn: 4 of 4 row(s) hold another value after the "
                             "down (e.g. '100000' became NULL)"]),
    ]  # fmt: skip
    assert result.messages[-1] == "verify: 2 migration(s) checked; 1 problem(s)"


def test_data_moved_to_a_new_table_and_dropped_by_the_down(db_url: str, migrations: Path) -> None:
    """The up moves isbn to a table of its own; a down that drops it without moving the values
    back loses them; one that copies them back passes, and so does a rename and its rename
    back."""
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_rename", "ALTER TABLE books RENAME COLUMN title TO name;",
          "ALTER TABLE books RENAME COLUMN name TO title;")  # fmt: skip
    up = ("CREATE TABLE isbns (book_id INTEGER PRIMARY KEY, isbn VARCHAR(13));\n"
          "INSERT INTO isbns (book_id, isbn) SELECT id, isbn FROM books;\n"
          "ALTER TABLE books DROP COLUMN isbn;")  # fmt: skip
    lossy = "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);\nDROP TABLE isbns;"
    write(migrations, "0003_move", up, lossy)
    result = _verify(db_url, migrations)
    assert [p[:2] for p in _problems(result)] == [("0003_move", LOST)]
    assert _problems(result)[0][2] == [
        "column books.isbn: 4 of 4 row(s) hold another value after the down (e.g. '100000' "
        "became NULL)"
    ]
    faithful = ("ALTER TABLE books ADD COLUMN isbn VARCHAR(13);\n"
                "UPDATE books SET isbn = (SELECT isbn FROM isbns WHERE book_id = books.id);\n"
                "DROP TABLE isbns;")  # fmt: skip
    write(migrations, "0003_move", up, faithful)
    result = _verify(db_url, migrations)
    assert result.ok, result.messages
    assert result.messages == [
        "verify: 3 migration(s) checked; every down undoes its up (schema and rows)"
    ]


def test_foreign_key_chains_are_filled_parents_first(db_url: str, migrations: Path) -> None:
    """Tables named against the order they must be filled in, NOT NULL keys all the way: the
    lossy down on the last child finds its rows, so each parent was filled before it."""
    write(migrations, "0001_chain",
          "CREATE TABLE z_authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE);\n"
          "CREATE TABLE m_books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL "
          "REFERENCES z_authors (id), title VARCHAR(40) NOT NULL);\n"
          "CREATE TABLE a_reviews (book_id INTEGER NOT NULL REFERENCES m_books (id), "
          "author_name VARCHAR(40) NOT NULL REFERENCES z_authors (name), stars INTEGER NOT NULL "
          "CHECK (stars BETWEEN 1 AND 5), parent_id INTEGER, PRIMARY KEY (book_id, stars));\n"
          "CREATE TABLE k_nodes (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
          "REFERENCES k_nodes (id), up_id INTEGER REFERENCES k_nodes (id), label TEXT);",
          "DROP TABLE a_reviews; DROP TABLE m_books; DROP TABLE z_authors;\n"
          "DROP TABLE k_nodes;")  # fmt: skip
    write(migrations, "0002_lossy", "ALTER TABLE m_books ADD COLUMN pages INTEGER;",
          "ALTER TABLE m_books DROP COLUMN pages;\n"
          "ALTER TABLE a_reviews DROP COLUMN parent_id;\n"
          "ALTER TABLE a_reviews ADD COLUMN parent_id INTEGER;\n"
          "ALTER TABLE k_nodes DROP COLUMN label;\n"
          "ALTER TABLE k_nodes ADD COLUMN label TEXT;")  # fmt: skip
    result = _verify(db_url, migrations)
    problems = _problems(result)
    assert [p[:2] for p in problems] == [("0002_lossy", LOST)], result.messages
    assert [line.split(":")[0] for line in problems[0][2]] == [
        "column a_reviews.parent_id",
        "column k_nodes.label",
    ]
    assert "4 of 4 row(s)" in problems[0][2][0]
    assert not [m for m in result.messages if m.startswith("data:")], result.messages


def test_a_check_it_cannot_satisfy_skips_the_table_with_a_note(
    db_url: str, migrations: Path
) -> None:
    """No generated row passes `a + 1 = b`: the table (and its child with a NOT NULL key to it)
    stays empty, with a note each, and verify goes on to check the rest."""
    write(migrations, "0001_odd",
          "CREATE TABLE odd (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL, "
          "CONSTRAINT odd_pair CHECK (a + 1 = b));\n"
          "CREATE TABLE odd_child (id INTEGER PRIMARY KEY, odd_id INTEGER NOT NULL "
          "REFERENCES odd (id));", "DROP TABLE odd_child; DROP TABLE odd;")  # fmt: skip
    write(migrations, "0002_books", *BOOKS)
    write(migrations, "0003_purge", "CREATE TABLE purged (id INTEGER);\nDELETE FROM books;",
          "DROP TABLE purged;")  # fmt: skip
    result = _verify(db_url, migrations, rows=3)
    assert _problems(result) == [
        ("0003_purge", LOST, ["table books: 3 row(s) before the up, 0 after the down"])
    ]
    notes = [m for m in result.messages if m.startswith("data:")]
    assert len(notes) == 2, result.messages
    assert notes[0].startswith("data: table odd left empty: the database refused every "
                               "generated row (")  # fmt: skip
    assert notes[1].startswith("data: table odd_child left empty: its foreign key ")
    assert notes[1].endswith(" needs a row in odd, which has none")


def test_an_up_that_fails_on_rows_is_named_and_the_rest_checked(
    pg_url: str, migrations: Path
) -> None:
    """PostgreSQL refuses a NOT NULL column without default on a table with rows: the up runs
    on an empty database (plain verify passes) but not on the live one."""
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_pages", "ALTER TABLE books ADD COLUMN pages INTEGER NOT NULL;",
          "ALTER TABLE books DROP COLUMN pages;")  # fmt: skip
    write(migrations, "0003_lossy", "ALTER TABLE books ADD COLUMN note TEXT;",
          "ALTER TABLE books DROP COLUMN note, DROP COLUMN isbn;\n"
          "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);")  # fmt: skip
    assert _verify(pg_url, migrations, rows=None).ok
    problems = _problems(_verify(pg_url, migrations))
    assert [p[:2] for p in problems] == [
        ("0002_pages", "up fails when its tables hold rows (it runs on empty ones)"),
        ("0003_lossy", LOST),
    ]
    assert 'column "pages" of relation "books" contains null values' in problems[0][2][0]


def test_hostile_names(db_url: str, migrations: Path) -> None:
    """Quotes, back-ticks and spaces in table and column names, quoted as each database does."""
    kind = dialect(db_url)
    q = (lambda s: "`" + s.replace("`", "``") + "`") if kind == "mysql" else (
        lambda s: '"' + s.replace('"', '""') + '"')  # fmt: skip
    table, parent, col = q("Bö'o\"k`s x"), q("Pa rent\"'`"), q("i's\"b`n")
    write(migrations, "0001_t",
          f"CREATE TABLE {parent} ({q('I d')} INTEGER PRIMARY KEY);\n"
          f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {col} VARCHAR(13), "
          f"p INTEGER NOT NULL REFERENCES {parent} ({q('I d')}));",
          f"DROP TABLE {table}; DROP TABLE {parent};")  # fmt: skip
    write(migrations, "0002_lossy", f"ALTER TABLE {table} ADD COLUMN n TEXT;",
          f"ALTER TABLE {table} DROP COLUMN n;\nALTER TABLE {table} DROP COLUMN {col};\n"
          f"ALTER TABLE {table} ADD COLUMN {col} VARCHAR(13);")  # fmt: skip
    result = _verify(db_url, migrations)
    details = _problems(result)[0][2]
    assert details == [
        "column Bö'o\"k`s x.i's\"b`n: 4 of 4 row(s) hold another value after the down "
        "(e.g. '100004' became NULL)"
    ], result.messages


def test_an_empty_set(db_url: str, migrations: Path) -> None:
    result = _verify(db_url, migrations)
    assert result.ok and result.messages == ["verify: 0 migration(s) checked"]


def test_cli_data_and_data_rows(sqlite_url: str, migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_lossy", "CREATE TABLE x (id INTEGER);",
          "DROP TABLE x; ALTER TABLE books DROP COLUMN isbn;\n"
          "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);")  # fmt: skip
    base = ("--url", sqlite_url, "--dir", str(migrations), "verify")
    plain = sqlmig(*base, cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    bad = sqlmig(*base, "--data-rows", "2", cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "0002_lossy: down does not restore the data" in bad.stdout
    assert "  - column books.isbn: 2 of 2 row(s) hold another value" in bad.stdout
    assert sqlmig(*base, "--data", cwd=tmp_path).returncode == 1
    refused = sqlmig(*base, "--data-rows", "0", cwd=tmp_path)
    assert refused.returncode == 2


# Every kind of column the generator knows, per database: each table must be filled (no note)
# and a lossy down on its `lost` column found in all of its rows.
TYPES = {
    "postgres": (
        "CREATE TYPE mood AS ENUM ('calm', 'cross');\n"
        "CREATE DOMAIN positive AS integer CHECK (VALUE > 0);\n"
        "CREATE SCHEMA other;\n"
        "CREATE TYPE other.\"Level\" AS ENUM ('low', 'high');\n"
        "CREATE TABLE other.kinds (id serial PRIMARY KEY, b bigint GENERATED BY DEFAULT AS "
        "IDENTITY UNIQUE, c bigint GENERATED ALWAYS AS IDENTITY, n numeric(5,2) NOT NULL, "
        "n2 numeric, r real, d double precision, s varchar(3) UNIQUE, ch char(2), bo boolean "
        "NOT NULL, da date UNIQUE, ts timestamp, tz timestamptz DEFAULT now(), ti time, "
        "u uuid UNIQUE NOT NULL, j json, jb jsonb NOT NULL, m mood NOT NULL, "
        'lv other."Level", p positive NOT NULL, g integer GENERATED ALWAYS AS (id * 2) STORED, '
        "arr integer[], by bytea, iv interval, ip inet, sm smallint CHECK (sm IN (1, 2, 3)), "
        "st text NOT NULL CHECK (st IN ('x', 'y')), lost text);"
    ),
    "mysql": (
        "CREATE TABLE kinds (id int AUTO_INCREMENT PRIMARY KEY, b bigint unsigned UNIQUE, "
        "ti tinyint, bo tinyint(1) NOT NULL, sm smallint, n decimal(5,2) NOT NULL, f float, "
        "d double, s varchar(3) UNIQUE, ch char(2), tx text, da date UNIQUE, dt datetime, "
        "ts timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, tm time, "
        "j json NOT NULL, e enum('a', 'b') NOT NULL, se set('x', 'y'), y year, bi binary(16), "
        "g int AS (b * 2) STORED, c int CHECK (c BETWEEN 1 AND 5), lost text);"
    ),
    "sqlite": (
        "CREATE TABLE kinds (id integer PRIMARY KEY AUTOINCREMENT, n numeric(5,2) NOT NULL, "
        "r real, s varchar(3) UNIQUE, tx text NOT NULL, b boolean NOT NULL, da date, "
        "ts timestamp, bl blob, untyped, c int CHECK (c IN (1, 2)), lost text);\n"
        "CREATE TABLE strict_kinds (a integer PRIMARY KEY, b text NOT NULL, r real, "
        "c any, lost text) STRICT;\n"
        "CREATE TABLE keyed (k text PRIMARY KEY, v int NOT NULL, lost text) WITHOUT ROWID;"
    ),
}


def test_every_kind_of_column_is_filled(db_url: str, migrations: Path) -> None:
    kind = dialect(db_url)
    tables = {"postgres": ["other.kinds"], "mysql": ["kinds"],
              "sqlite": ["kinds", "strict_kinds", "keyed"]}[kind]  # fmt: skip
    write(migrations, "0001_kinds", TYPES[kind])
    down = "".join(
        f"ALTER TABLE {t} DROP COLUMN lost;\nALTER TABLE {t} ADD COLUMN lost text;\n"
        for t in tables
    )
    write(migrations, "0002_lossy", "CREATE TABLE later (id int);", "DROP TABLE later;\n" + down)
    result = _verify(db_url, migrations)
    assert not [m for m in result.messages if m.startswith("data:")], result.messages
    details = _problems(result)[0][2]
    assert sorted(d.split(":")[0] for d in details) == sorted(f"column {t}.lost" for t in tables)
    assert all("4 of 4 row(s)" in d for d in details), details


def test_a_table_above_the_limit_has_its_count_compared(sqlite_url: str, migrations: Path) -> None:
    """A migration that inserts more rows than rows.LIMIT: the count is still compared, the
    values no longer (documented)."""
    write(migrations, "0001_big",
          "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n"
          "INSERT INTO big (id, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
          "FROM n WHERE i < 6000) SELECT i, 'x' FROM n;", "DROP TABLE big;")  # fmt: skip
    write(migrations, "0002_trim", "CREATE TABLE t (id INTEGER);",
          "DROP TABLE t; DELETE FROM big WHERE id <= 10; UPDATE big SET v = 'y';")  # fmt: skip
    assert _problems(_verify(sqlite_url, migrations)) == [
        ("0002_trim", LOST, ["table big: 6000 row(s) before the up, 5990 after the down"])
    ]


def test_a_down_that_fails_on_rows_says_the_tables_held_some(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_drop_title", "ALTER TABLE books DROP COLUMN title;",
          "ALTER TABLE books ADD COLUMN title VARCHAR(80) NOT NULL;")  # fmt: skip
    assert _verify(pg_url, migrations, rows=None).ok
    problems = _problems(_verify(pg_url, migrations))
    assert [p[:2] for p in problems] == [("0002_drop_title", "down failed")]
    assert 'column "title" of relation "books" contains null values' in problems[0][2][0]
    assert problems[0][2][-1] == "the tables held rows generated by verify --data"


def test_mysql_an_up_that_fails_on_rows_is_tried_again_on_a_fresh_database(
    mysql_url: str, migrations: Path
) -> None:
    """MySQL commits DDL as it goes, so the failed up is not rolled back whole: it is applied
    again on a fresh scratch database without rows, where it runs; the rest is checked."""
    write(migrations, "0001_books", *BOOKS)
    write(migrations, "0002_short", "ALTER TABLE books MODIFY isbn VARCHAR(3);",
          "ALTER TABLE books MODIFY isbn VARCHAR(13);")  # fmt: skip
    write(migrations, "0003_lossy", "ALTER TABLE books ADD COLUMN note TEXT;",
          "ALTER TABLE books DROP COLUMN note, DROP COLUMN title;\n"
          "ALTER TABLE books ADD COLUMN title VARCHAR(80) NOT NULL;")  # fmt: skip
    problems = _problems(_verify(mysql_url, migrations))
    assert [p[:2] for p in problems] == [
        ("0002_short", "up fails when its tables hold rows (it runs on empty ones)"),
        ("0003_lossy", LOST),
    ]
    assert "for column 'isbn'" in problems[0][2][0]
    assert problems[0][2][-1] == "its down was not checked (the up is not rolled back whole)"
    assert problems[1][2][0].startswith("column books.title: 4 of 4 row(s) hold another value")

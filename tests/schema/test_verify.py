"""`sqlmig verify`: passes on correct migrations, names every migration whose down does not
undo its up or whose up cannot run again, on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from pathlib import Path

from sqlmig.events import MIGRATION_CHECKED, Event
from sqlmig.schema.commands import verify
from tests.conftest import ROOT, execute, sqlmig, write

from .helpers import cfg


def checked(events: list[Event]) -> list[str]:
    """The `ok/FAIL  label` line of every migration_checked event, in order."""
    return [e.message for e in events if e.kind == MIGRATION_CHECKED]


# Twenty migrations whose downs are right, valid on both databases.
CORRECT = [
    ("create_authors", "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);",
     "DROP TABLE authors;"),
    ("create_books", "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
     "author_id INTEGER REFERENCES authors (id) ON DELETE CASCADE);", "DROP TABLE books;"),
    ("index_books_author", "CREATE INDEX books_author ON books (author_id);",
     "DROP INDEX books_author;"),
    ("add_isbn", "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);",
     "ALTER TABLE books DROP COLUMN isbn;"),
    ("unique_isbn", "CREATE UNIQUE INDEX books_isbn ON books (isbn);", "DROP INDEX books_isbn;"),
    ("view_titles", "CREATE VIEW titles AS SELECT id, title FROM books;", "DROP VIEW titles;"),
    ("create_tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);",
     "DROP TABLE tags;"),
    ("create_book_tags", "CREATE TABLE book_tags (book_id INTEGER REFERENCES books (id), "
     "tag_id INTEGER REFERENCES tags (id), PRIMARY KEY (book_id, tag_id));",
     "DROP TABLE book_tags;"),
    ("add_author_country", "ALTER TABLE authors ADD COLUMN country TEXT DEFAULT 'unknown';",
     "ALTER TABLE authors DROP COLUMN country;"),
    ("partial_index", "CREATE INDEX books_no_isbn ON books (title) WHERE isbn IS NULL;",
     "DROP INDEX books_no_isbn;"),
    ("create_publishers", "CREATE TABLE publishers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
     "founded INTEGER CHECK (founded > 1400));", "DROP TABLE publishers;"),
    ("add_publisher_name", "ALTER TABLE books ADD COLUMN publisher_name TEXT;",
     "ALTER TABLE books DROP COLUMN publisher_name;"),
    ("view_of_view", "CREATE VIEW short_titles AS SELECT title FROM titles WHERE id < 100;",
     "DROP VIEW short_titles;"),
    ("seed_tags", "INSERT INTO tags (id, label) VALUES (1, 'fiction'), (2, 'poetry');",
     "DELETE FROM tags WHERE id IN (1, 2);"),
    ("create_reviews", "CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL "
     "REFERENCES books (id), stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5));",
     "DROP TABLE reviews;"),
    ("expression_index", "CREATE INDEX authors_lower_name ON authors (lower(name));",
     "DROP INDEX authors_lower_name;"),
    ("rename_country", "ALTER TABLE authors RENAME COLUMN country TO nation;",
     "ALTER TABLE authors RENAME COLUMN nation TO country;"),
    ("drop_publishers", "DROP TABLE publishers;",
     "CREATE TABLE publishers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
     "founded INTEGER CHECK (founded > 1400));"),
    ("replace_view", "DROP VIEW short_titles; DROP VIEW titles;\n"
     "CREATE VIEW titles AS SELECT id, title, isbn FROM books;\n"
     "CREATE VIEW short_titles AS SELECT title FROM titles WHERE id < 100;",
     "DROP VIEW short_titles; DROP VIEW titles;\n"
     "CREATE VIEW titles AS SELECT id, title FROM books;\n"
     "CREATE VIEW short_titles AS SELECT title FROM titles WHERE id < 100;"),
    ("create_loans", "CREATE TABLE loans (book_id INTEGER NOT NULL, reader TEXT NOT NULL, "
     "since DATE DEFAULT CURRENT_DATE, PRIMARY KEY (book_id, reader));", "DROP TABLE loans;"),
]  # fmt: skip

# Each broken down or up, and what verify must say about it, by name.
BROKEN = [
    ("create_authors", "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);",
     "DROP TABLE authors;"),
    ("create_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
     "CREATE INDEX notes_body ON notes (body);", "DROP TABLE notes;"),
    ("add_isbn", "ALTER TABLE authors ADD COLUMN isbn VARCHAR(13);", "SELECT 1;"),
    ("index_name", "CREATE INDEX authors_name ON authors (name);", "SELECT 1;"),
    ("drop_notes_index", "DROP INDEX notes_body;", "SELECT 1;"),
    ("create_books", "CREATE TABLE books (id INTEGER PRIMARY KEY);",
     "DROP TABLE books; DROP TABLE notes;"),
    ("create_settings", "CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT);",
     "DROP TABLE settings;"),
    ("seed_settings", "CREATE TABLE flags (id INTEGER);\n"
     "INSERT INTO settings (k, v) VALUES ('mode', 'on');", "DROP TABLE flags;"),
    ("fine_after_all", "CREATE TABLE later (id INTEGER);", "DROP TABLE later;"),
]  # fmt: skip


# The same migrations as MySQL/MariaDB take them: DROP INDEX names its table; no partial or
# expression index (a prefix and a DESC key instead); no TEXT key without a prefix length.
MYSQL = {
    # an index on author_id would become the foreign key's, which no DROP INDEX can remove
    "index_books_author": ("CREATE INDEX books_author ON books (title(20), author_id);",
                           "DROP INDEX books_author ON books;"),
    "unique_isbn": (None, "DROP INDEX books_isbn ON books;"),
    "partial_index": ("CREATE INDEX books_no_isbn ON books (isbn, title(20));",
                      "DROP INDEX books_no_isbn ON books;"),
    "expression_index": ("CREATE INDEX authors_lower_name ON authors (name(10) DESC);",
                         "DROP INDEX authors_lower_name ON authors;"),
    "create_loans": ("CREATE TABLE loans (book_id INTEGER NOT NULL, reader VARCHAR(100) NOT NULL, "
                     "since DATE DEFAULT CURRENT_DATE, PRIMARY KEY (book_id, reader));", None),
    "drop_notes_index": ("DROP INDEX notes_body ON notes;", None),
    "create_settings": ("CREATE TABLE settings (k VARCHAR(20) PRIMARY KEY, v TEXT);", None),
}  # fmt: skip


def _write(folder: Path, migrations: list[tuple[str, str, str]], url: str = "") -> None:
    for i, (name, up, down) in enumerate(migrations, 1):
        if url.startswith("mysql") and name in MYSQL:
            up, down = (new or old for new, old in zip(MYSQL[name], (up, down), strict=True))
        write(folder, f"{i:04d}_{name}", up, down)


def test_the_example_migrations_pass(db_url: str) -> None:
    result = verify(cfg(db_url, ROOT / "migrations"), scratch_url=None, start=None, notify=None)
    assert result.ok, result.messages
    assert result.messages == ["verify: 5 migration(s) checked; every down undoes its up"]


def test_twenty_correct_migrations_pass(db_url: str, migrations: Path) -> None:
    _write(migrations, CORRECT, db_url)
    events: list[Event] = []
    result = verify(cfg(db_url, migrations), scratch_url=None, start=None, notify=events.append)
    seen = checked(events)
    assert result.ok, result.messages
    assert len(seen) == 20 and all(line.startswith("ok ") for line in seen)


def test_every_broken_migration_is_named(db_url: str, migrations: Path) -> None:
    _write(migrations, BROKEN, db_url)
    result = verify(cfg(db_url, migrations), scratch_url=None, start=None, notify=None)
    assert not result.ok
    problems = [(e["migration"], e["problem"], list(e["details"])) for e in result.entries]
    duplicate = problems[-1][2][0]
    undone = "down does not restore the schema"
    assert problems == [
        ("0003_add_isbn", undone, ["column authors.isbn still exists"]),
        ("0004_index_name", undone, ["index authors_name still exists"]),
        ("0005_drop_notes_index", undone, ["index notes_body missing"]),
        ("0006_create_books", undone, ["table notes missing"]),
        ("0008_seed_settings", "up is not repeatable: it failed after its down", [duplicate]),
    ]  # fmt: skip
    assert "0008_seed_settings (up) failed" in duplicate
    assert "settings" in duplicate or "UNIQUE" in duplicate or "Duplicate entry" in duplicate
    assert "0009_fine_after_all" not in str(problems)


def test_mysql_down_that_drops_an_index_a_foreign_key_took_over(
    mysql_url: str, migrations: Path
) -> None:
    """InnoDB drops the index it made for a key once another index can serve it; that index
    cannot be dropped while the key exists: verify names the down that tries."""
    write(migrations, "0001_authors", "CREATE TABLE authors (id INT PRIMARY KEY);",
          "DROP TABLE authors;")  # fmt: skip
    write(migrations, "0002_books", "CREATE TABLE books (id INT PRIMARY KEY, "
          "author_id INT REFERENCES authors (id));", "DROP TABLE books;")  # fmt: skip
    write(migrations, "0003_index", "CREATE INDEX books_author ON books (author_id);",
          "DROP INDEX books_author ON books;")  # fmt: skip
    result = verify(cfg(mysql_url, migrations), scratch_url=None, start=None, notify=None)
    assert [(e["migration"], e["problem"]) for e in result.entries] == [
        ("0003_index", "down failed")
    ]
    assert "needed in a foreign key constraint" in result.entries[0]["details"][0]


def test_from_skips_the_checks_of_earlier_migrations(sqlite_url: str, migrations: Path) -> None:
    _write(migrations, BROKEN[:3])
    result = verify(cfg(sqlite_url, migrations), scratch_url=None, start=4, notify=None)
    assert result.ok and "0 migration(s) checked" in result.messages[-1]
    result = verify(cfg(sqlite_url, migrations), scratch_url=None, start=3, notify=None)
    assert [e["migration"] for e in result.entries] == ["0003_add_isbn"]


def test_cli_exit_codes_and_report(db_url: str, migrations: Path, tmp_path: Path) -> None:
    _write(migrations, BROKEN[:4], db_url)
    bad = sqlmig("--url", db_url, "--dir", str(migrations), "verify", cwd=tmp_path)
    assert bad.returncode == 1, bad.stderr
    assert "0003_add_isbn: down does not restore the schema" in bad.stdout
    assert "  - column authors.isbn still exists" in bad.stdout
    assert "  - index authors_name still exists" in bad.stdout
    assert "FAIL   0003_add_isbn" in bad.stderr
    good = sqlmig("--url", db_url, "--dir", str(ROOT / "migrations"), "verify", cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "every down undoes its up" in good.stdout


def test_a_scratch_url_that_is_not_empty_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    execute(sqlite_url, "CREATE TABLE precious (id int);")
    proc = sqlmig("--dir", str(ROOT / "migrations"), "verify", "--scratch-url", sqlite_url,
                  cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    assert "is not empty" in proc.stderr


def test_an_irreversible_migration_is_noted_not_failed(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id int);")
    result = verify(cfg(sqlite_url, migrations), scratch_url=None, start=None, notify=None)
    assert result.ok
    assert result.messages[0] == "0001_t: no down file (irreversible); only its up was checked"


def test_an_up_that_builds_another_schema_the_second_time(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_seen", "CREATE TABLE seen (id int);", "DROP TABLE seen;")
    write(
        migrations,
        "0002_depends_on_data",
        "DO $$ BEGIN\n"
        "  IF EXISTS (SELECT 1 FROM seen) THEN CREATE TABLE second_time (id int);\n"
        "  ELSE CREATE TABLE first_time (id int); END IF;\n"
        "  INSERT INTO seen VALUES (1);\n"
        "END $$;",
        "DROP TABLE IF EXISTS first_time; DROP TABLE IF EXISTS second_time;",
    )
    result = verify(cfg(pg_url, migrations), scratch_url=None, start=None, notify=None)
    assert [(e["migration"], e["problem"], list(e["details"])) for e in result.entries] == [
        (
            "0002_depends_on_data",
            "up is not repeatable: a second up gives another schema",
            ["table first_time missing", "table second_time extra"],
        )
    ]


def test_a_failing_down_is_named_and_checking_goes_on(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);", "DROP TABLE no_such_table;")
    write(migrations, "0002_b", "CREATE TABLE b (id int);", "DROP TABLE b;")
    write(migrations, "0003_c", "CREATE TABLE c (id int);", "SELECT 1;")
    events: list[Event] = []
    result = verify(cfg(sqlite_url, migrations), scratch_url=None, start=None, notify=events.append)
    seen = checked(events)
    assert [(e["migration"], e["problem"]) for e in result.entries] == [
        ("0001_a", "down failed"),
        ("0003_c", "down does not restore the schema"),
    ]
    assert "no such table: no_such_table" in result.entries[0]["details"][0]
    assert seen == ["FAIL   0001_a", "ok   0002_b", "FAIL   0003_c"]


def test_help_and_readme_cover_the_schema_commands(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for command in (("verify",), ("diff",), ("schema", "dump"), ("status",)):
        proc = sqlmig(*command, "--help", cwd=tmp_path)
        assert proc.returncode == 0 and "Example" in proc.stdout, proc.stdout + proc.stderr
        assert f"`{' '.join(command)}" in readme
    assert "--schema" in sqlmig("status", "--help", cwd=tmp_path).stdout


def test_a_set_without_down_files_says_no_down_was_checked(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    """Not "every down undoes its up": there was none to check. Exit 0: a down file is
    optional, and every up was still applied."""
    write(migrations, "0001_a", "CREATE TABLE a (id int);")
    write(migrations, "0002_b", "CREATE TABLE b (id int);")
    proc = sqlmig("--url", sqlite_url, "--dir", str(migrations), "verify", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last == (
        "verify: 2 migration(s) checked; none has a down file, so no down was checked "
        "(only that each up runs)"
    )
    assert "every down undoes its up" not in proc.stdout


def test_a_set_with_some_down_files_says_how_many(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    write(migrations, "0002_b", "CREATE TABLE b (id int);")
    write(migrations, "0003_c", "CREATE TABLE c (id int);", "DROP TABLE c;")
    result = verify(cfg(sqlite_url, migrations), scratch_url=None, start=None, notify=None)
    assert result.ok
    assert result.messages == [
        "0002_b: no down file (irreversible); only its up was checked",
        "verify: 3 migration(s) checked; 2 with a down file, 1 without (listed above); "
        "every down undoes its up",
    ]

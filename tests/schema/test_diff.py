"""`sqlmig diff`: for 30+ (current, desired) pairs, on PostgreSQL, SQLite and MySQL/MariaDB, the
generated up turns current into desired exactly, and the generated down turns it back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig.schema import diffgen
from sqlmig.schema.build import builder
from sqlmig.schema.compare import VERIFY, compare, describe
from tests.conftest import execute, sqlmig, write

from .helpers import TABLE, snap
from .pairs import BASE, ONLY, PAIRS, SKIP

KINDS = ("sqlite", "postgres", "mysql")
# Each pair on every database it applies to: ONLY's pairs on their own database, and none that
# SKIP says the database cannot express (the reason is written there), so nothing is skipped.
CASES = [
    pytest.param(kind, name, cur, want, id=f"{kind}-{name}")
    for kind in KINDS
    for name, cur, want in [*PAIRS, *ONLY.get(kind, [])]
    if name not in SKIP.get(kind, {})
]


def test_there_are_at_least_thirty_pairs() -> None:
    assert len(PAIRS) >= 30


def test_every_skipped_pair_exists_and_says_why() -> None:
    names = {name for name, _, _ in PAIRS} | {n for pairs in ONLY.values() for n, _, _ in pairs}
    for kind, skipped in SKIP.items():
        assert kind in KINDS and set(skipped) <= names, (kind, set(skipped) - names)
        assert all(reason.strip() for reason in skipped.values())


@pytest.mark.parametrize(("two_dbs", "name", "current", "desired"), CASES, indirect=["two_dbs"])
def test_generated_up_and_down(
    two_dbs: tuple[str, str], name: str, current: str, desired: str, tmp_path: Path
) -> None:
    db_url, other_url = two_dbs
    execute(db_url, current or "SELECT 1;")
    execute(other_url, desired or "SELECT 1;")
    have, want = snap(db_url), snap(other_url)
    assert compare(have, want), "the pair must differ"
    up, down = diffgen.generate(have, want), diffgen.generate(want, have)
    with builder(db_url, TABLE) as b:
        b.run_sql(diffgen.render(up, title="up"), "up")
        assert describe(compare(want, b.snapshot()), VERIFY) == []
        b.run_sql(diffgen.render(down, title="down"), "down")
        assert describe(compare(have, b.snapshot()), VERIFY) == []
    _lint_accepts(tmp_path / "lint", db_url, name, up, down)


# Pairs whose up really drops a table with its rows: drop-table is right to say so there.
DROPS_ROWS = {
    "drop_tables_that_reference_each_other", "rename_table_looks_like_drop_and_create",
    "table_inheritance", "table_dropped_its_sequence_kept", "drop_partitioned_table",
}  # fmt: skip
# What lint never says about diff's output: a rebuild is no drop, the down undoes the up, every
# statement is valid, an enum rebuilt under its name is no dropped type.
NEVER = {"drop-type", "down-missing-drop", "syntax-error"}


def _lint_accepts(folder: Path, url: str, name: str, up: list, down: list) -> None:
    from sqlmig.lint import dialect_of_url, lint_paths

    folder.mkdir()
    (folder / f"0001_{name}.up.sql").write_text(diffgen.render(up, title="up"))
    (folder / f"0001_{name}.down.sql").write_text(diffgen.render(down, title="down"))
    findings = lint_paths([folder], dialect=dialect_of_url(url) or "postgres").findings
    drops = [f for f in findings if f.rule == "drop-table"]
    assert all(f.path.endswith(".up.sql") for f in drops) and bool(drops) == (name in DROPS_ROWS), (
        drops
    )
    assert [f for f in findings if f.rule in NEVER] == []


def test_a_new_table_comes_after_the_tables_it_references(two_dbs: tuple[str, str]) -> None:
    """post_tags sorts before tags, but references it: tags is created first (MySQL refuses a
    foreign key to a table that does not exist yet, errno 150)."""
    db_url, other_url = two_dbs
    execute(db_url, BASE)
    execute(other_url, BASE + "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(20));\n"
            "CREATE TABLE post_tags (book_id INTEGER REFERENCES books (id), "
            "tag_id INTEGER REFERENCES tags (id));")  # fmt: skip
    have, want = snap(db_url), snap(other_url)
    text = diffgen.render(diffgen.generate(have, want), title="up")
    creates = re.findall(r"CREATE TABLE [`\"](\w+)", text)
    assert creates == ["tags", "post_tags"], text
    with builder(db_url, TABLE) as b:
        b.run_sql(text, "up")
        assert describe(compare(want, b.snapshot()), VERIFY) == []


def test_drops_and_renames_are_marked_for_review() -> None:
    from .pairs import books

    stmts = _generate_sqlite(books(", isbn VARCHAR(13)"), books(", isbn13 VARCHAR(13)"))
    text = diffgen.render(stmts, title="up")
    assert "-- sqlmig:review drops column books.isbn and its data" in text
    assert text.splitlines()[1].startswith("-- sqlmig:review")


def _generate_sqlite(current: str, desired: str) -> list[diffgen.Stmt]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        a, b = f"sqlite:///{folder}/a.db", f"sqlite:///{folder}/b.db"
        execute(a, current)
        execute(b, desired)
        return diffgen.generate(snap(a), snap(b))


def test_postgres_rename_is_flagged_with_the_rename_to_write(pg_url: str, pg_url_2: str) -> None:
    from .pairs import books

    execute(pg_url, books(", isbn VARCHAR(13)"))
    execute(pg_url_2, books(", isbn13 VARCHAR(13)"))
    text = diffgen.render(diffgen.generate(snap(pg_url), snap(pg_url_2)), title="up")
    assert 'RENAME COLUMN "isbn" TO "isbn13" instead' in text
    assert text.index('ADD COLUMN "isbn13"') < text.index('DROP COLUMN "isbn"')


def test_sqlite_rebuild_keeps_the_rows(sqlite_url: str, tmp_path: Path) -> None:
    from tests.conftest import query

    execute(sqlite_url, BASE + "INSERT INTO authors VALUES (1, 'Le Guin');"
         "INSERT INTO books VALUES (7, 'Earthsea', 1, 9.5);")  # fmt: skip
    other = f"sqlite:///{tmp_path / 'want.db'}"
    execute(other, BASE.replace("price NUMERIC(10,2)", "price REAL NOT NULL DEFAULT 0"))
    stmts = diffgen.generate(snap(sqlite_url), snap(other))
    text = diffgen.render(stmts, title="up")
    assert 'CREATE TABLE "_sqlmig_new_books"' in text and 'RENAME TO "books"' in text
    with builder(sqlite_url, TABLE) as b:
        b.run_sql(text, "up")
    assert query(sqlite_url, "SELECT id, title, author_id, price FROM books") == [
        (7, "Earthsea", 1, 9.5)
    ]


def test_cli_check_and_write(db_url: str, migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_authors", "CREATE TABLE authors (id INTEGER PRIMARY KEY);",
          "DROP TABLE authors;")  # fmt: skip
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);\n"
                      "CREATE INDEX authors_name ON authors (name);\n")  # fmt: skip
    args = ("--url", db_url, "--dir", str(migrations))
    check = sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    assert "column authors.name is only in schema.sql" in check.stdout
    assert "index authors_name is only in schema.sql" in check.stdout
    assert sorted(p.name for p in migrations.iterdir()) == [
        "0001_authors.down.sql", "0001_authors.up.sql"
    ]  # fmt: skip

    made = sqlmig(*args, "diff", str(schema), "--name", "add_name", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    assert (migrations / "0002_add_name.up.sql").is_file()
    assert sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path).returncode == 0
    verified = sqlmig(*args, "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    applied = sqlmig(*args, "up", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert sqlmig(*args, "status", "--schema", "--exit-code", cwd=tmp_path).returncode == 0


def test_mysql_schema_file_cannot_leave_the_scratch_database(
    mysql_url: str, migrations: Path, tmp_path: Path
) -> None:
    """mysqldump --databases output starts with CREATE DATABASE and USE: run as they are, they
    would build (or drop) outside the scratch database; they are refused by file:line."""
    from tests.conftest import query

    stray = f"sqlmig_t_stray_{tmp_path.name[-8:]}".replace("-", "_")
    schema = tmp_path / "schema.sql"
    schema.write_text(f"CREATE TABLE a (id INT);\n/* x */ CREATE DATABASE IF NOT EXISTS {stray};\n"
                      f"USE {stray};\nCREATE TABLE t (id INT);\n")  # fmt: skip
    proc = sqlmig("--url", mysql_url, "--dir", str(migrations), "diff", "--check", str(schema),
                  cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{schema}:2: CREATE DATABASE would leave the scratch database" in proc.stderr
    assert query(mysql_url, f"SHOW DATABASES LIKE '{stray}'") == []


def test_up_lint_accepts_the_sqlite_rebuild_diff_writes(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_books", "CREATE TABLE books (id INTEGER PRIMARY KEY, price NUMERIC);",
          "DROP TABLE books;")  # fmt: skip
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE books (id INTEGER PRIMARY KEY, price REAL NOT NULL DEFAULT 0);")
    args = ("--url", sqlite_url, "--dir", str(migrations))
    made = sqlmig(*args, "diff", str(schema), "--name", "retype", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    up = (migrations / "0002_retype.up.sql").read_text()
    assert 'DROP TABLE "books"' in up and 'RENAME TO "books"' in up
    applied = sqlmig(*args, "up", "--lint", cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "0002_retype" in applied.stdout

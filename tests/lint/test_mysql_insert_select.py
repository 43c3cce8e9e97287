"""M503: an INSERT ... SELECT that leaves out a NOT NULL column without a default fails on
MySQL/MariaDB in strict mode even when the SELECT finds no rows; lint says so before the
server does. Each verdict is checked against the test server (MariaDB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import execute

from .helpers import lint_sql

OLD = "CREATE TABLE books (id bigint PRIMARY KEY, title varchar(50));\n"
CASES = [  # (the file after `books` exists, the columns lint reports missing)
    (
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);\n"
        "INSERT INTO books_new (id) SELECT id FROM books;",
        ["books_new.title"],
    ),
    (  # a key column without AUTO_INCREMENT needs a value too
        "CREATE TABLE books_new (id bigint, title varchar(50), PRIMARY KEY (id));\n"
        "INSERT INTO books_new (title) SELECT title FROM books WHERE 1 = 0;",
        ["books_new.id"],
    ),
    (  # an added column counts; two missing are named together
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50));\n"
        "ALTER TABLE books_new ADD COLUMN pages int NOT NULL;\n"
        "INSERT INTO books_new (title) SELECT title FROM books;",
        ["books_new.id", "books_new.pages"],
    ),
    (
        "CREATE TABLE books_new (id bigint AUTO_INCREMENT PRIMARY KEY, "
        "title varchar(50) NOT NULL DEFAULT '', note text NULL);\n"
        "INSERT INTO books_new (title) SELECT title FROM books;",
        [],
    ),
    (
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);\n"
        "INSERT INTO books_new (id, title) SELECT id, coalesce(title, '') FROM books;",
        [],
    ),
    (  # no column list: every column is given (or the server says the count is wrong)
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);\n"
        "INSERT INTO books_new SELECT id, coalesce(title, '') FROM books;",
        [],
    ),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_lint_names_what_the_server_refuses(case: int, tmp_path: Path, mysql_url: str) -> None:
    sql, missing = CASES[case]
    found = [f for f in lint_sql(tmp_path, sql, dialect="mysql") if f.code == "M503"]
    assert [f.message.split(" leaves out ")[1].split(":")[0] for f in found] == (
        [", ".join(missing)] if missing else []
    )
    if found:
        assert found[0].line == 2 + ("ALTER" in sql)  # the INSERT's line
    execute(mysql_url, OLD)  # no rows: strict mode refuses the statement itself
    if missing:
        with pytest.raises(Exception, match="doesn't have a default value"):
            execute(mysql_url, sql)
    else:
        execute(mysql_url, sql)


def test_a_table_the_file_does_not_create_is_not_judged(tmp_path: Path) -> None:
    found = lint_sql(tmp_path, "INSERT INTO books (id) SELECT id FROM old_books;", dialect="mysql")
    assert [f.code for f in found if f.code == "M503"] == []


def test_postgres_files_are_not_judged(tmp_path: Path) -> None:
    sql = CASES[0][0]
    assert [f.code for f in lint_sql(tmp_path, sql) if f.code == "M503"] == []


@pytest.mark.parametrize(
    "between",
    [
        "ALTER TABLE books_new ALTER COLUMN title SET DEFAULT ''",
        "ALTER TABLE books_new MODIFY title varchar(50) NULL",
        "DROP TABLE books_new;\nCREATE TABLE books_new LIKE books",
        "RENAME TABLE books_new TO books_x, books TO books_new;\nCREATE TABLE books LIKE books_new",
    ],
)
def test_a_table_changed_after_its_create_is_not_judged(
    between: str, tmp_path: Path, mysql_url: str
) -> None:
    """What lint does not follow it does not judge (each of these runs on the server)."""
    sql = (
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);\n"
        f"{between};\nINSERT INTO books_new (id) SELECT id FROM books;"
    )
    assert [f for f in lint_sql(tmp_path, sql, dialect="mysql") if f.code == "M503"] == []
    execute(mysql_url, OLD)
    execute(mysql_url, sql)


def test_insert_ignore_is_not_reported(tmp_path: Path, mysql_url: str) -> None:
    sql = (
        "CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);\n"
        "INSERT IGNORE INTO books_new (id) SELECT id FROM books;"
    )
    assert [f for f in lint_sql(tmp_path, sql, dialect="mysql") if f.code == "M503"] == []
    execute(mysql_url, OLD)
    execute(mysql_url, sql)  # the server gives title '' with a warning

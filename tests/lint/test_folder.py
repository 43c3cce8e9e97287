"""Folder-level findings, and dialect override files linted in their own dialect."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.lint import lint_paths
from tests.conftest import sqlmig

from .helpers import write


def codes(folder: Path, dialect: str = "postgres", **options: object) -> set[tuple[str, str]]:
    report = lint_paths([folder], dialect=dialect, **options)  # type: ignore[arg-type]
    return {(Path(f.path).name, f.code) for f in report.findings}


def test_names_up_refuses_are_errors_and_a_lone_file_is_not(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_a.up.sql", "CREATE TABLE a (id bigint PRIMARY KEY);")
    write(folder, "0001_a.down.sql", "DROP TABLE a;")
    write(folder, "0002_Add-B.up.sql", "SELECT 1;")
    write(folder, "schema.sql", "SELECT 1;")
    write(folder, "0003_c.down.sql", "SELECT 1;")
    write(folder, "R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS n;")
    write(folder, "R__My-Views.sql", "CREATE OR REPLACE VIEW w AS SELECT 1 AS n;")
    found = codes(folder)
    assert {("0002_Add-B.up.sql", "F705"), ("schema.sql", "F705")} <= found
    assert ("R__My-Views.sql", "F705") in found  # up refuses it: not a slug
    assert ("R__views.sql", "F705") not in found  # a repeatable migration
    assert ("0003_c.down.sql", "F706") in found
    assert ("0001_a.down.sql", "F706") not in found
    report = lint_paths([folder / "0002_Add-B.up.sql"])
    assert "rename it 0002_add_b.up.sql" in next(
        f.help for f in report.findings if f.code == "F705"
    )
    alone = tmp_path / "scripts"
    alone.mkdir()
    write(alone, "report.sql", "SELECT 1;")
    assert ("report.sql", "F705") not in codes(alone)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("SELECT 1;\n-- sqlmig:no-transaction\nSELECT 2;\n", 2, "`up` refuses the file"),
        ("-- sqlmig:no-transacton\nSELECT 1;\n", 1, "unknown directive"),
        ("-- sqlmig: no transaction\nSELECT 1;\n", 1, "directive"),
        ("SELECT 1;\n  -- sqlmig:no-foreign-key-check\n", 2, "`up` ignores it"),
        ("-- sqlmig:replaces 9..1\nSELECT 1;\n", 1, "malformed directive"),
        ("SELECT 1;\n-- sqlmig:phase post\nSELECT 2;\n", 2, "`up` refuses the file"),
        ("SELECT 1;\n-- sqlmig:placeholders\nSELECT '${x}';\n", 2, "`up` refuses the file"),
        ("-- sqlmig:phase pre\n-- sqlmig:phase post\nSELECT 1;\n", 1, "phase"),
    ],
)
def test_a_bad_directive_is_a_finding_and_the_run_goes_on(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_a.up.sql", text)
    write(folder, "0002_b.up.sql", "DROP TABLE books;")
    report = lint_paths([folder], ignore=["F701"])
    bad = [f for f in report.findings if f.code == "F707"]
    assert [(Path(f.path).name, f.line) for f in bad] == [("0001_a.up.sql", line)]
    assert words in bad[0].message
    assert "D201" in {f.code for f in report.findings}  # the other file was still linted


def test_good_directives_and_ignores_anywhere_are_not_findings(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(
        folder,
        "0001_a.up.sql",
        "-- sqlmig:no-transaction\n-- sqlmig:no-foreign-key-check\n-- sqlmig:phase post\n"
        "-- sqlmig:placeholders\nSELECT '${x}';\n"
        "-- sqlmig:ignore drop-table\nDROP TABLE IF EXISTS x;\n"
        "INSERT INTO notes VALUES ('a\n-- sqlmig:no-foreign-key-check\n');\n",
    )
    assert ("0001_a.up.sql", "F707") not in codes(folder)


def test_overrides_are_linted_in_their_dialect_and_paired_with_their_down(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    write(folder, "0001_a.down.sql", "DROP TABLE a;")
    # MySQL syntax SQLite rejects, and a MySQL-only danger (M502)
    write(
        folder,
        "0001_a.mysql.up.sql",
        "CREATE TABLE a (id bigint PRIMARY KEY, p bigint REFERENCES p (id)) ENGINE=InnoDB;\n"
        "ALTER TABLE a MODIFY COLUMN p bigint NOT NULL;\nCREATE TABLE b (id bigint PRIMARY KEY);",
    )
    write(folder, "0001_a.mysql.down.sql", "DROP TABLE a;")
    write(folder, "0001_a.postgres.up.sql", "CREATE INDEX i ON books (title);")
    found = codes(folder, "sqlite")
    assert ("0001_a.mysql.up.sql", "M502") in found
    assert ("0001_a.mysql.down.sql", "F702") in found  # pairs with the mysql up: b is left
    assert ("0001_a.postgres.up.sql", "P101") in found
    assert not {c for n, c in found if n == "0001_a.mysql.up.sql"} & {"S001", "L601", "F705"}
    assert ("0001_a.postgres.up.sql", "F701") not in found  # the generic down serves it
    assert ("0001_a.down.sql", "F702") not in found
    mariadb = codes(folder, "mariadb")
    assert ("0001_a.mysql.up.sql", "M502") not in mariadb  # MariaDB creates that key


def test_an_override_without_its_generic_file(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_a.up.sql", "SELECT 1;")
    write(folder, "0002_b.sqlite.up.sql", "SELECT 1;")
    assert ("0002_b.sqlite.up.sql", "F708") in codes(folder)
    assert ("0001_a.up.sql", "F708") not in codes(folder)


@pytest.mark.parametrize("any_url", ["sqlite", "pg", "mysql"], indirect=True)
def test_up_lint_skips_overrides_it_does_not_run(tmp_path: Path, any_url: str) -> None:
    """`up` runs the generic files only: an override's findings (here MySQL's M502) do not
    stop it, in any database; a finding in a generic file still does."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a.up.sql", "CREATE TABLE lint_a (id INT PRIMARY KEY);")
    write(folder, "0001_a.down.sql", "DROP TABLE lint_a;")
    write(folder, "0001_a.mysql.up.sql", "CREATE TABLE lint_a (id INT, p INT REFERENCES p (id));")
    proc = sqlmig("--url", any_url, "--dir", str(folder), "up", "--lint", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    write(folder, "0002_b.up.sql", "TRUNCATE lint_a CASCADE;")
    write(folder, "0002_b.down.sql", "SELECT 1;")
    proc = sqlmig("--url", any_url, "--dir", str(folder), "up", "--lint", cwd=tmp_path)
    assert proc.returncode == 1 and "D208" in proc.stderr

"""Other tools' folders read natively (issue 13, items 1-2): a small folder per format, written
with that format's documented features, applied with `up` then reverted with `down` on SQLite,
PostgreSQL and MariaDB; `convert` writes sqlmig's layout that gives the same database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, describe, kind_of
from tests.conftest import fresh_mysql_database, fresh_pg_database, query, sqlmig

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"
BOOKS = "CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(50));\n"
ADD = "ALTER TABLE users ADD COLUMN email VARCHAR(80);\n"
DROP_ADD = "ALTER TABLE users DROP COLUMN email;\n"
# a body with semicolons inside: goose's StatementBegin/End keeps it one statement
BLOCK = {
    "postgres": "CREATE FUNCTION one() RETURNS integer AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ "
    "LANGUAGE plpgsql;\n",
    "sqlite": "CREATE TRIGGER users_name AFTER INSERT ON users\nBEGIN\n"
    "  UPDATE users SET name = 'x' WHERE id = NEW.id;\n  UPDATE users SET name = 'y' "
    "WHERE id = NEW.id;\nEND;\n",
    "mysql": "CREATE TRIGGER users_name BEFORE INSERT ON users FOR EACH ROW\nBEGIN\n"
    "  SET NEW.name = 'x';\n  SET NEW.name = 'y';\nEND;\n",
}
DROP_BLOCK = {
    "postgres": "DROP FUNCTION one();\n",
    "sqlite": "DROP TRIGGER users_name;\n",
    "mysql": "DROP TRIGGER users_name;\n",
}


def folder_of(fmt: str, kind: str) -> dict[str, str]:
    """A small folder in `fmt`: three migrations (users, books, an added column)."""
    if fmt == "golang-migrate":
        return {
            "0001_create.users.up.sql": USERS, "0001_create.users.down.sql": "DROP TABLE users;\n",
            "0002_1.7.0_books.up.sql": BOOKS, "0002_1.7.0_books.down.sql": "DROP TABLE books;\n",
            "0003_add-email.up.sql": ADD, "0003_add-email.down.sql": DROP_ADD,
        }  # fmt: skip
    if fmt == "dbmate":
        return {
            "20240101000000_create_users.sql": f"-- migrate:up\n{USERS}\n-- migrate:down\n"
            "DROP TABLE users;\n",
            "20240102000000_create_books.sql": f"-- a comment before the marker\n-- migrate:up\n"
            f"{BOOKS}\n-- migrate:down\nDROP TABLE books;\n",
            "20240103000000_add_email.sql": f"-- migrate:up transaction:false\n{ADD}\n"
            f"-- migrate:down\n{DROP_ADD}",
        }
    if fmt == "goose":
        return {
            "00001_create_users.sql": f"-- +goose Up\n{USERS}\n-- +goose Down\nDROP TABLE users;\n",
            "00002_create_books.sql": f"-- +goose Up\n-- +goose StatementBegin\n{BOOKS}"
            f"{BLOCK[kind]}-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\n"
            f"{DROP_BLOCK[kind]}DROP TABLE books;\n-- +goose StatementEnd\n",
            "00003_add_email.sql": f"-- +goose NO TRANSACTION\n-- +goose Up\n{ADD}\n"
            f"-- +goose Down\n{DROP_ADD}",
        }
    if fmt == "flyway":  # versions that fit sqlmig's history today (under 2^63 as integers)
        return {
            "V1__create_users.sql": USERS, "U1__create_users.sql": "DROP TABLE users;\n",
            "V1_1__create_books.sql": BOOKS, "U1_1__create_books.sql": "DROP TABLE books;\n",
            "V2__add_email.sql": f"-- flyway:executeInTransaction=false\n{ADD}",
            "U2__add_email.sql": DROP_ADD,
        }  # fmt: skip
    if fmt == "diesel":
        return {
            "2019-02-26-002946_create_users/up.sql": USERS,
            "2019-02-26-002946_create_users/down.sql": "DROP TABLE users;\n",
            "2019-02-27-000000_create_books/up.sql": BOOKS,
            "2019-02-27-000000_create_books/down.sql": "DROP TABLE books;\n",
            "2019-03-01-120000_add_email/up.sql": ADD,
            "2019-03-01-120000_add_email/down.sql": DROP_ADD,
            "2019-03-01-120000_add_email/metadata.toml": "run_in_transaction = false\n",
        }
    if fmt == "prisma":
        return {
            "20240101000000_init/migration.sql": USERS,
            "20240102000000_books/migration.sql": BOOKS,
            "20240103000000_email/migration.sql": ADD,
            "migration_lock.toml": 'provider = "postgresql"\n',
        }
    assert fmt == "popx"
    popx = {"postgres": "postgres", "sqlite": "sqlite3", "mysql": "mysql"}[kind]
    return {
        "20200101000001_users.up.sql": USERS,
        "20200101000001_users.down.sql": "DROP TABLE users;\n",
        # for this database, the .<dialect>. file beats the generic one (which would fail)
        "20200101000002_books.up.sql": "THIS IS NOT SQL;\n",
        f"20200101000002_books.{popx}.up.sql": BOOKS,
        "20200101000002_books.down.sql": "DROP TABLE books;\n",
        # another database's files: not a migration here
        "20200101000003_other.cockroach.up.sql": "THIS IS NOT SQL EITHER;\n",
        "20200101000003_other.cockroach.down.sql": "SELECT 1;\n",
        f"20200101000004_email.{popx}.autocommit.up.sql": ADD,
        f"20200101000004_email.{popx}.down.sql": DROP_ADD,
    }  # fmt: skip


FORMATS = ["golang-migrate", "dbmate", "goose", "flyway", "diesel", "prisma", "popx"]
LABELS = {
    "golang-migrate": ["0001_create.users", "0002_1.7.0_books", "0003_add-email"],
    "dbmate": ["20240101000000_create_users", "20240102000000_create_books",
               "20240103000000_add_email"],
    "goose": ["00001_create_users", "00002_create_books", "00003_add_email"],
    "flyway": ["1_create_users", "1.1_create_books", "2_add_email"],
    "diesel": ["2019-02-26-002946_create_users", "2019-02-27-000000_create_books",
               "2019-03-01-120000_add_email"],
    "prisma": ["20240101000000_init", "20240102000000_books", "20240103000000_email"],
    "popx": ["20200101000001_users", "20200101000002_books", "20200101000004_email"],
}  # fmt: skip


def make(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return folder


def tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        where = (
            "table_schema = DATABASE()" if url.startswith("mysql") else "table_schema = 'public'"
        )
        sql = f"SELECT table_name FROM information_schema.tables WHERE {where}"
    return {r[0] for r in query(url, sql)} - {"sqlmig_history", "sqlmig_history_log"}


def columns(url: str, table: str) -> set[str]:
    if url.startswith("sqlite"):
        return {r[1] for r in query(url, f"PRAGMA table_info({table})")}
    where = "table_schema = DATABASE()" if url.startswith("mysql") else "table_schema = 'public'"
    sql = "SELECT column_name FROM information_schema.columns WHERE "
    sql += f"{where} AND table_name = '{table}'"
    return {r[0] for r in query(url, sql)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_folder_in_each_format_goes_up_and_down(fmt: str, any_url: str, tmp_path: Path) -> None:
    folder = make(tmp_path / "db" / "migrations", folder_of(fmt, kind_of(any_url)))
    cli = Cli(any_url, folder)
    done = cli.ok("up")
    assert done.stderr.count(f"as a {fmt} folder (detected") == 1, describe(done)
    assert tables(any_url) == {"users", "books"}
    assert "email" in columns(any_url, "users")
    status = json.loads(cli.ok("--json", "status").stdout)
    assert [r["label"] for r in status["rows"]] == LABELS[fmt]
    assert {r["state"] for r in status["rows"]} == {"applied"}
    cli.ok("validate")
    if fmt == "prisma":  # Prisma has no downs: each migration is irreversible
        done = cli("down")
        assert done.returncode == 2 and "20240103000000_email is irreversible" in done.stderr
        return
    cli.ok("down", "--all", "--yes")
    assert tables(any_url) == set()
    cli.ok("--dir-format", fmt, "up")  # told, not detected: nothing said about it
    assert tables(any_url) == {"users", "books"}


@pytest.mark.parametrize("fmt", ["dbmate", "goose", "flyway", "popx", "golang-migrate"])
def test_convert_then_up_gives_the_same_database(
    fmt: str, any_url: str, second_url: str, tmp_path: Path
) -> None:
    db_url, other = any_url, second_url
    kind = kind_of(db_url)
    folder = make(tmp_path / "old", folder_of(fmt, kind))
    Cli(db_url, folder).ok("up")
    converted = tmp_path / "new"
    done = sqlmig("--url", db_url, "convert", "--from", fmt, str(folder), "--to", str(converted))
    assert done.returncode == 0, describe(done)
    fresh = Cli(other, converted)
    up = fresh.ok("up")
    assert "detected" not in up.stderr  # sqlmig's own layout now
    versions = "SELECT version FROM sqlmig_history ORDER BY version"
    assert query(other, versions) == query(db_url, versions)
    assert tables(other) == tables(db_url) and columns(other, "users") == columns(db_url, "users")
    # the database migrated from the old folder validates against the new one: same checksums
    # (names made sqlmig names are renames, which `repair` records)
    check = Cli(db_url, converted)("validate")
    if fmt != "golang-migrate":  # the only folder here whose names convert changes
        assert check.returncode == 0, describe(check)
    else:
        assert check.returncode == 4 and "edited" not in check.stdout + check.stderr, describe(
            check
        )
        Cli(db_url, converted).ok("repair")
        Cli(db_url, converted).ok("validate")


@pytest.fixture
def second_url(any_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as any_url; dropped afterwards."""
    if any_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
    elif any_url.startswith("mysql"):
        yield from fresh_mysql_database()
    else:
        yield from fresh_pg_database()


def test_convert_names_what_it_renamed_and_never_overwrites(tmp_path: Path) -> None:
    folder = make(tmp_path / "old", folder_of("golang-migrate", "sqlite"))
    target = tmp_path / "new"
    done = sqlmig("convert", "--from", "golang-migrate", str(folder), "--to", str(target))
    assert done.returncode == 0, describe(done)
    rows = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert rows[:4] == [
        "renamed:",
        "0001_create.users -> 0001_create_users",
        "0002_1.7.0_books -> 0002_1_7_0_books",
        "0003_add-email -> 0003_add_email",
    ]
    assert sorted(p.name for p in target.iterdir())[:2] == [
        "0001_create_users.down.sql", "0001_create_users.up.sql"
    ]  # fmt: skip
    (target / "0003_add_email.up.sql").write_text("-- mine\n", "utf-8")
    before = {p.name: p.read_text("utf-8") for p in target.iterdir()}
    (target / "0001_create_users.up.sql").unlink()
    again = sqlmig("convert", "--from", "golang-migrate", str(folder), "--to", str(target))
    assert again.returncode == 2 and "nothing was written" in again.stderr, describe(again)
    assert not (target / "0001_create_users.up.sql").exists()  # not even the free one
    assert (target / "0003_add_email.up.sql").read_text("utf-8") == before["0003_add_email.up.sql"]


def test_a_mixed_folder_is_an_error_naming_the_option(tmp_path: Path) -> None:
    files = {**folder_of("dbmate", "sqlite"), **folder_of("goose", "sqlite")}
    folder = make(tmp_path / "migrations", files)
    done = Cli(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)("status")
    assert done.returncode == 2, describe(done)
    assert "--dir-format" in done.stderr, done.stderr
    assert not (tmp_path / "db.sqlite").exists()


def test_new_refuses_a_foreign_folder(tmp_path: Path) -> None:
    folder = make(tmp_path / "migrations", folder_of("dbmate", "sqlite"))
    done = Cli("", folder)("new", "more")
    assert done.returncode == 2, describe(done)
    assert "read as a dbmate folder" in done.stderr
    assert "sqlmig convert --from dbmate" in done.stderr
    assert len(list(folder.iterdir())) == 3


def test_dir_format_from_the_environment_and_a_bad_value(tmp_path: Path) -> None:
    folder = make(tmp_path / "migrations", folder_of("dbmate", "sqlite"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cli = Cli(url, folder, env={"SQLMIG_DIR_FORMAT": "dbmate"})
    done = cli.ok("up")
    assert "detected" not in done.stderr
    bad = Cli(url, folder, env={"SQLMIG_DIR_FORMAT": "liquibase"})("status")
    assert bad.returncode == 2 and "unknown folder format 'liquibase'" in bad.stderr
    assert "golang-migrate" in bad.stderr


def test_a_section_far_down_its_file_runs_on_every_database(any_url: str, tmp_path: Path) -> None:
    """A down section on line 60 runs after 59 empty lines (so that errors give the file's
    line): MySQL's XA check backtracked exponentially over them and hung."""
    comments = "".join(f"-- note {n}\n" for n in range(50))
    text = f"-- +goose Up\n{USERS}{comments}\n\n\n-- +goose Down\nDROP TABLE users;\n"
    folder = make(tmp_path / "migrations", {"00001_users.sql": text})
    cli = Cli(any_url, folder)
    cli.ok("up")
    done = cli("down")
    assert done.returncode == 0, describe(done)
    assert tables(any_url) == set()

"""Callbacks (DIR/callbacks/*.sql) on SQLite, PostgreSQL and MariaDB: run in the right order,
before/after each migration inside its transaction where the database has one for DDL, logged
in the audit log, skipped by --no-callbacks; a failing one fails the run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import UNREACHABLE, Cli, describe, kind_of
from tests.conftest import query, write

SEEN = "CREATE TABLE IF NOT EXISTS seen (what varchar(40), n int);\n"


def saw(what: str) -> str:
    return f"INSERT INTO seen SELECT '{what}', COUNT(*) FROM seen;\n"


def seen(url: str) -> list[str]:
    return [w for w, _n in sorted(query(url, "SELECT what, n FROM seen"), key=lambda r: r[1])]


def callback(folder: Path, name: str, text: str) -> None:
    (folder / "callbacks").mkdir(exist_ok=True)
    (folder / "callbacks" / name).write_text(text, "utf-8")


def table_exists(url: str, name: str) -> bool:
    if url.startswith("sqlite"):
        found = query(url, f"SELECT name FROM sqlite_master WHERE name = '{name}'")
    elif url.startswith("mysql"):
        found = query(url, f"SHOW TABLES LIKE '{name}'")
    else:
        found = query(url, f"SELECT 1 FROM pg_tables WHERE tablename = '{name}'")
    return bool(found)


def every_point(folder: Path) -> None:
    callback(folder, "beforeMigrate.sql", SEEN + saw("before"))
    callback(folder, "beforeEachMigrate.sql", saw("before-each"))
    callback(folder, "afterEachMigrate.sql", saw("after-each"))
    callback(folder, "afterMigrate.sql", saw("after"))
    callback(folder, "afterMigrate__second.sql", saw("after-2"))
    callback(folder, "afterMigrateError.sql", SEEN + saw("error"))


def test_callbacks_run_in_order_around_each_file_and_are_logged(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    every_point(migrations)
    write(migrations, "0001_a", saw("0001"))
    write(migrations, "0002_b", saw("0002"))
    (migrations / "R__r.sql").write_text(saw("R__r"), "utf-8")
    cli.ok("up")
    each = ["before-each", "{}", "after-each"]
    files = ["0001", "0002", "R__r"]
    around = [s.format(f) for f in files for s in each]
    assert seen(any_url) == ["before", *around, "after", "after-2"]
    events = json.loads(cli.ok("--json", "history").stdout)["entries"]
    logged = [(e["label"], e["detail"]) for e in events if e["event"] == "callback"]
    assert logged[0] == ("beforeMigrate.sql", "beforeMigrate")
    assert ("afterEachMigrate.sql", "afterEachMigrate of 0002_b") in logged
    assert logged[-2:] == [("afterMigrate.sql", "afterMigrate"),
                           ("afterMigrate__second.sql", "afterMigrate")]  # fmt: skip
    # not versioned, not checksummed as migrations: no history row, nothing drifted
    assert sorted(r[0] for r in query(any_url, "SELECT name FROM sqlmig_history")) == ["a", "b"]
    assert cli("validate").returncode == 0
    # before/after the run: on every up, also one with nothing to apply
    cli.ok("up")
    assert seen(any_url)[-3:] == ["before", "after", "after-2"]


def test_no_callbacks_skips_them(any_url: str, migrations: Path) -> None:
    cli = Cli(any_url, migrations)
    every_point(migrations)
    write(migrations, "0001_a", SEEN + saw("0001"))
    cli.ok("up", "--no-callbacks")
    assert seen(any_url) == ["0001"]
    events = json.loads(cli.ok("--json", "history").stdout)["entries"]
    assert [e for e in events if e["event"] == "callback"] == []


def test_a_failing_after_each_callback_fails_its_migration(any_url: str, migrations: Path) -> None:
    cli = Cli(any_url, migrations)
    callback(migrations, "afterEachMigrate.sql", "SELECT 1;\nSELECT * FROM no_such_table;\n")
    callback(migrations, "afterMigrateError.sql", SEEN + saw("error"))
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    failed = cli("up")
    assert failed.returncode == 1, describe(failed)
    assert "afterEachMigrate.sql:2" in failed.stderr
    assert seen(any_url) == ["error"]  # afterMigrateError ran, after the failed run
    if kind_of(any_url) == "mysql":
        # DDL commits by itself: the migration's statements ran and stay, its row says failed,
        # and the next up stops (exit 5) until the state is settled
        assert table_exists(any_url, "a")
        assert query(any_url, "SELECT status FROM sqlmig_history") == [("failed",)]
        assert cli("up").returncode == 5
        return
    # inside the migration's transaction: rolled back with it, no history row
    assert not table_exists(any_url, "a")
    assert query(any_url, "SELECT COUNT(*) FROM sqlmig_history") == [(0,)]
    (migrations / "callbacks" / "afterEachMigrate.sql").write_text("SELECT 1;\n", "utf-8")
    cli.ok("up")
    assert table_exists(any_url, "a")


def test_a_before_each_callback_runs_in_the_migrations_transaction(
    db_url: str, migrations: Path
) -> None:
    """Its writes roll back with the migration that fails after it (SQLite, PostgreSQL)."""
    cli = Cli(db_url, migrations)
    callback(migrations, "beforeMigrate.sql", SEEN)
    callback(migrations, "beforeEachMigrate.sql", saw("before-each"))
    write(migrations, "0001_ok", "SELECT 1;\n")
    write(migrations, "0002_bad", "SELECT * FROM no_such_table;\n")
    assert cli("up").returncode == 1
    assert seen(db_url) == ["before-each"]  # 0001's; 0002's rolled back with 0002


def test_a_failing_before_migrate_applies_nothing(any_url: str, migrations: Path) -> None:
    cli = Cli(any_url, migrations)
    callback(migrations, "beforeMigrate.sql", "SELECT * FROM no_such_table;\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    failed = cli("up")
    assert failed.returncode == 1 and "beforeMigrate.sql" in failed.stderr, describe(failed)
    assert "nothing was applied" in failed.stderr
    assert not table_exists(any_url, "a")


def test_a_failing_after_migrate_leaves_the_migrations_applied(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    callback(migrations, "afterMigrate.sql", "SELECT * FROM no_such_table;\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    failed = cli("up")
    assert failed.returncode == 1 and "afterMigrate.sql" in failed.stderr, describe(failed)
    assert "stay applied" in failed.stderr
    assert table_exists(any_url, "a")
    assert query(any_url, "SELECT status FROM sqlmig_history") == [("applied",)]


def test_a_bad_callback_name_stops_before_connecting(migrations: Path) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    callback(migrations, "afterMigrat.sql", "SELECT 1;\n")
    done = Cli(UNREACHABLE, migrations)("up")
    assert done.returncode == 2 and "not a callback name" in done.stderr, describe(done)


def test_a_callback_in_a_subfolder_of_callbacks_is_refused_not_skipped(migrations: Path) -> None:
    """It would never run, without a word (Flyway reads subfolders): refused before connecting;
    a hidden folder (.git, an editor's) is not looked into."""
    write(migrations, "0001_a", "SELECT 1;\n")
    (migrations / "callbacks" / "grants").mkdir(parents=True)
    (migrations / "callbacks" / "grants" / "afterMigrate__grants.sql").write_text("SELECT 1;\n")
    (migrations / "callbacks" / ".hidden").mkdir()
    (migrations / "callbacks" / ".hidden" / "x.sql").write_text("SELECT 1;\n")
    done = Cli(UNREACHABLE, migrations)("up")
    assert (
        done.returncode == 2
        and "grants/afterMigrate__grants.sql: a callback in a subfolder" in (done.stderr)
    ), describe(done)
    assert "(1 such file(s))" in done.stderr


def test_a_failing_before_each_callback_leaves_its_migration_unapplied(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    callback(migrations, "beforeEachMigrate.sql", "SELECT * FROM no_such_table;\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    failed = cli("up")
    assert failed.returncode == 1 and "beforeEachMigrate.sql:1" in failed.stderr, describe(failed)
    assert not table_exists(any_url, "a")
    assert query(any_url, "SELECT COUNT(*) FROM sqlmig_history") == [(0,)]
    assert cli("up", "--no-callbacks").returncode == 0 and table_exists(any_url, "a")


def test_a_callbacks_own_commit_is_named_and_recorded_failed(pg_url: str, migrations: Path) -> None:
    cli = Cli(pg_url, migrations)
    callback(migrations, "afterEachMigrate.sql", "SELECT 1;\nCOMMIT;\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    failed = cli("up")
    assert failed.returncode == 1, describe(failed)
    assert "callbacks/afterEachMigrate.sql: the file's own COMMIT" in failed.stderr
    assert "a callback of 0001_a" in failed.stderr
    assert query(pg_url, "SELECT status FROM sqlmig_history") == [("failed",)]
    assert cli("up").returncode == 5


def test_a_flyway_folder_keeps_its_callbacks_beside_its_migrations(
    sqlite_url: str, migrations: Path
) -> None:
    (migrations / "V1__init.sql").write_text(SEEN + saw("V1"), "utf-8")
    (migrations / "afterMigrate.sql").write_text(saw("after"), "utf-8")
    done = Cli(sqlite_url, migrations).ok("up")
    assert "reading" in done.stderr and "flyway" in done.stderr
    assert seen(sqlite_url) == ["V1", "after"]


def test_a_callback_beside_sqlmig_migrations_is_named_with_where_it_goes(
    migrations: Path,
) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    (migrations / "afterMigrate.sql").write_text("SELECT 1;\n", "utf-8")
    done = Cli(UNREACHABLE, migrations)("up")
    assert done.returncode == 2, describe(done)
    assert "a callback beside the migrations" in done.stderr
    assert f"move it to {migrations / 'callbacks' / 'afterMigrate.sql'}" in done.stderr


def test_a_folder_of_repeatables_and_callbacks_only_runs_them(
    any_url: str, migrations: Path
) -> None:
    callback(migrations, "beforeMigrate.sql", SEEN)
    (migrations / "R__r.sql").write_text(saw("R__r"), "utf-8")
    Cli(any_url, migrations).ok("up")
    assert seen(any_url) == ["R__r"]


def test_after_migrate_error_runs_in_the_runs_database_after_a_file_left_it(
    mysql_url: str, migrations: Path
) -> None:
    callback(migrations, "afterMigrateError.sql", SEEN + saw("error"))
    write(migrations, "0001_away", "USE information_schema;\nSELECT * FROM no_such_table;\n")
    assert Cli(mysql_url, migrations)("up").returncode == 1
    assert seen(mysql_url) == ["error"]  # in the URL's database, not information_schema


def test_callbacks_in_a_prisma_or_diesel_folder(sqlite_url: str, tmp_path: Path) -> None:
    """Prisma and diesel keep a folder per migration: callbacks/ beside them was refused as
    "not a Prisma migration folder"."""
    for layout, name, file in (("prisma", "20240101000000_t", "migration.sql"),
                                ("diesel", "2024-01-01-000000_t", "up.sql")):  # fmt: skip
        folder = tmp_path / layout
        (folder / name).mkdir(parents=True)
        (folder / name / file).write_text(saw(layout), "utf-8")
        if layout == "diesel":
            (folder / name / "down.sql").write_text("SELECT 1;\n", "utf-8")
        callback(folder, "beforeMigrate.sql", SEEN)
        url = f"{sqlite_url[: sqlite_url.rindex('/') + 1]}{layout}.db"
        done = Cli(url, folder).ok("up")
        assert f"as a {layout} folder" in done.stderr, describe(done)
        assert seen(url) == [layout]

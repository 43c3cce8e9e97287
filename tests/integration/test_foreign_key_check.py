"""A migration that leaves rows without a parent fails on SQLite as on PostgreSQL and MariaDB.

SQLite runs migrations with `foreign_keys` off: sqlmig runs PRAGMA foreign_key_check after each
file, inside its transaction, and fails it on orphans that were not there before it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import Cli, describe, execute
from tests.conftest import query, write
from tests.integration.procs import clean_env

PARENT_CHILD = (
    "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, FOREIGN KEY (pid) REFERENCES p (id));\n"
)
ORPHAN = "INSERT INTO c (id, pid) VALUES (7, 5);\n"


def applied(url: str) -> list[int]:
    rows = query(url, "SELECT version FROM sqlmig_history WHERE status = 'applied' ORDER BY 1")
    return [r[0] for r in rows]


def test_an_orphan_fails_the_migration_on_every_database(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_tables", PARENT_CHILD)
    write(migrations, "0002_orphan", "INSERT INTO p (id) VALUES (1);\n" + ORPHAN)
    cli = Cli(any_url, migrations)
    proc = cli("up")
    assert proc.returncode == 1, describe(proc)
    assert applied(any_url) == [1]
    assert query(any_url, "SELECT count(*) FROM c")[0][0] == 0


def test_sqlite_names_table_rowid_parent_and_file_and_rolls_back(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_orphan", PARENT_CHILD + ORPHAN)
    proc = Cli(sqlite_url, migrations)("up")
    assert proc.returncode == 1, describe(proc)
    assert "failed and was rolled back" in proc.stderr
    assert "0001_orphan.up.sql: FOREIGN KEY constraint failed" in proc.stderr
    assert 'table "c" rowid 7' in proc.stderr and 'no row of "p"' in proc.stderr
    tables = query(sqlite_url, "SELECT name FROM sqlite_master WHERE name IN ('p', 'c')")
    assert tables == [] and applied(sqlite_url) == []
    log = query(sqlite_url, "SELECT outcome, detail FROM sqlmig_history_log")
    assert log[-1][0] == "failed" and "rowid 7" in log[-1][1]


def test_a_file_that_turns_foreign_keys_on_and_off_is_still_checked(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_tables", PARENT_CHILD + "INSERT INTO p VALUES (5);\n")
    write(
        migrations,
        "0002_pragmas",
        "PRAGMA foreign_keys = ON;\nDELETE FROM p;\nPRAGMA foreign_keys = OFF;\n",
    )
    cli = Cli(sqlite_url, migrations)
    cli.ok("up", "--to", "1")
    execute(sqlite_url, "INSERT INTO c VALUES (1, 5)")  # a child of the parent row 5
    proc = cli("up")
    assert proc.returncode == 1, describe(proc)
    assert 'table "c" rowid 1' in proc.stderr
    assert query(sqlite_url, "SELECT id FROM p") == [(5,)]


def test_orphans_already_there_do_not_block_other_migrations(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_tables", PARENT_CHILD)
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    execute(sqlite_url, "INSERT INTO c VALUES (1, 99); INSERT INTO c VALUES (2, 98)")  # legacy
    write(migrations, "0002_other", "CREATE TABLE other (id INTEGER PRIMARY KEY);\n")
    # the 12-step table rebuild copies the legacy orphans: still the same two, not new ones
    write(
        migrations,
        "0003_rebuild",
        "CREATE TABLE c_new (id INTEGER PRIMARY KEY, pid INTEGER, note TEXT,\n"
        "  FOREIGN KEY (pid) REFERENCES p (id));\n"
        "INSERT INTO c_new (pid) SELECT pid FROM c ORDER BY id DESC;\n"
        "DROP TABLE c;\nALTER TABLE c_new RENAME TO c;\n",
    )
    cli.ok("up")
    assert applied(sqlite_url) == [1, 2, 3]
    write(migrations, "0004_more", "INSERT INTO c (pid) VALUES (97);\n")
    proc = cli("up")
    assert proc.returncode == 1, describe(proc)
    assert "3 row(s)" in proc.stderr and "2 of them were there before" in proc.stderr
    assert query(sqlite_url, "SELECT count(*) FROM c")[0][0] == 2


def test_a_key_sqlite_cannot_check_blocks_only_when_new(sqlite_url: str, migrations: Path) -> None:
    """A foreign key to a column without a unique index: PostgreSQL refuses the CREATE TABLE;
    SQLite fails the whole PRAGMA foreign_key_check ("foreign key mismatch")."""
    mismatch = "CREATE TABLE m (id INTEGER PRIMARY KEY, pv INTEGER REFERENCES p (v));\n"
    execute(sqlite_url, "CREATE TABLE p (id INTEGER PRIMARY KEY, v INTEGER);" + mismatch)
    write(migrations, "0001_child", PARENT_CHILD.replace("TABLE p ", "TABLE p2 ").replace(
        "REFERENCES p ", "REFERENCES p2 ") + "INSERT INTO c VALUES (1, 3);\n")  # fmt: skip
    cli = Cli(sqlite_url, migrations)
    # a legacy database: its tables were there before sqlmig (else `up` refuses, exit 7)
    proc = cli("up", "--allow-non-empty")  # the legacy mismatch does not hide the new orphan
    assert proc.returncode == 1 and 'table "c" rowid 1' in proc.stderr, describe(proc)
    write(migrations, "0001_child", mismatch.replace(" m ", " m2 "))
    proc = cli("up", "--allow-non-empty")
    assert proc.returncode == 1, describe(proc)
    assert 'table "m2": foreign key mismatch' in proc.stderr
    write(migrations, "0001_child", "CREATE TABLE fine (id INTEGER PRIMARY KEY);\n")
    cli.ok("up")


def test_no_transaction_file_is_marked_failed_with_what_stays(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_tables", PARENT_CHILD)
    write(migrations, "0002_orphan", "-- sqlmig:no-transaction\n" + ORPHAN + "SELECT 1;\n")
    cli = Cli(sqlite_url, migrations)
    proc = cli("up")
    assert proc.returncode == 1, describe(proc)
    assert "0002_orphan.up.sql: FOREIGN KEY constraint failed" in proc.stderr
    assert "all 2 statement(s) ran and stay applied" in proc.stderr
    assert query(
        sqlite_url, "SELECT status, statements_done FROM sqlmig_history WHERE version = 2"
    ) == [("failed", 2)]
    assert cli("up").returncode == 5
    assert "`sqlmig mark 2 --applied`" in proc.stderr  # repair would run the file again
    execute(sqlite_url, "DELETE FROM c; INSERT INTO p VALUES (5)")  # fixed by hand
    cli.ok("mark", "2", "--applied", "--reason", "orphans fixed by hand")
    cli.ok("up")
    assert query(sqlite_url, "SELECT count(*) FROM c") == [(0,)]  # not run a second time


def test_single_transaction_checks_each_file(sqlite_url: str, migrations: Path) -> None:
    """As when each file runs in its own transaction: a later file that adds the parent does
    not excuse the file that orphaned the row (PostgreSQL would refuse its INSERT)."""
    write(migrations, "0001_tables", PARENT_CHILD)
    write(migrations, "0002_child", ORPHAN)
    write(migrations, "0003_parent", "INSERT INTO p VALUES (5);\n")
    cli = Cli(sqlite_url, migrations)
    proc = cli("up", "--single-transaction")
    assert proc.returncode == 1, describe(proc)
    assert "0002_child.up.sql: FOREIGN KEY constraint failed" in proc.stderr
    assert "none of the 3 migrations ran" in proc.stderr
    assert query(sqlite_url, "SELECT count(*) FROM sqlmig_history")[0][0] == 0
    proc = cli("up")
    assert proc.returncode == 1 and "0002_child" in proc.stderr, describe(proc)
    assert applied(sqlite_url) == [1]


def test_a_down_that_orphans_rows_is_rolled_back(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_tables", PARENT_CHILD)
    write(migrations, "0002_parent", "INSERT INTO p VALUES (5);\n", "DELETE FROM p;\n")
    write(migrations, "0003_child", "INSERT INTO c VALUES (1, 5);\n", "SELECT 1;\n")
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    # 0003's down keeps the child; 0002's deletes its parent
    proc = cli("down", "--to", "1", "--yes")
    assert proc.returncode == 1, describe(proc)
    assert "0002_parent (down) failed and was rolled back" in proc.stderr
    assert "0002_parent.down.sql: FOREIGN KEY constraint failed" in proc.stderr
    assert applied(sqlite_url) == [1, 2] and query(sqlite_url, "SELECT id FROM p") == [(5,)]


def test_a_file_may_say_its_orphans_are_wanted(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_tables", PARENT_CHILD)
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    execute(sqlite_url, "INSERT INTO c VALUES (1, 99)")  # a legacy orphan
    write(migrations, "0002_rename", "ALTER TABLE c RENAME TO children;\n")
    proc = cli("up")  # the same row, under a new name: counted as new
    assert proc.returncode == 1 and 'table "children" rowid 1' in proc.stderr, describe(proc)
    write(
        migrations,
        "0002_rename",
        "-- legacy orphans move along\n-- sqlmig:no-foreign-key-check\n"
        "ALTER TABLE c RENAME TO children;\n",
    )
    cli.ok("up")
    write(migrations, "0003_next", "CREATE TABLE next_t (id INTEGER PRIMARY KEY);\n")
    cli.ok("up")  # what 0002 left is known to the files after it
    write(migrations, "0004_more", "INSERT INTO children VALUES (2, 98);\n")
    proc = cli("up")
    assert proc.returncode == 1 and "1 of them were there before" in proc.stderr, describe(proc)


def test_renaming_the_parent_of_a_legacy_mismatch_does_not_block(
    sqlite_url: str, migrations: Path
) -> None:
    execute(
        sqlite_url,
        "CREATE TABLE p (id INTEGER PRIMARY KEY, v INTEGER);"
        "CREATE TABLE m (id INTEGER PRIMARY KEY, pv INTEGER REFERENCES p (v));",
    )
    write(migrations, "0001_rename", "ALTER TABLE p RENAME TO parents;\n")
    Cli(sqlite_url, migrations).ok("up", "--allow-non-empty")  # tables from before sqlmig


def test_the_url_can_turn_the_check_off(sqlite_url: str, migrations: Path) -> None:
    """For a database too large to scan after each migration: the URL's own option."""
    write(migrations, "0001_orphan", PARENT_CHILD + ORPHAN)
    bad = Cli(sqlite_url + "?foreign_key_check=maybe", migrations)("up")
    assert bad.returncode == 2 and "foreign_key_check='maybe'" in bad.stderr, describe(bad)
    Cli(sqlite_url + "?foreign_key_check=off", migrations).ok("up")
    assert applied(sqlite_url) == [1]


def test_orphans_another_writer_adds_between_migrations_are_not_blamed_on_the_next(
    sqlite_url: str, migrations: Path
) -> None:
    """Each migration is compared with the database as it was when it began (in its own
    transaction), not as it was when the run began."""
    write(migrations, "0001_tables", PARENT_CHILD)
    write(migrations, "0002_other", "INSERT INTO p VALUES (1);\n")
    cli = Cli(sqlite_url, migrations)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *cli.argv("up")],
        cwd=cli.cwd,
        env={**clean_env(), "SQLMIG_TEST_FAULT": "before_migration:2:sleep=5"},
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("sqlmig-test-fault: before_migration"):
            break
    execute(sqlite_url, "INSERT INTO c VALUES (1, 99)")  # an application with foreign_keys off
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert applied(sqlite_url) == [1, 2]


def test_a_no_transaction_down_that_orphans_rows(sqlite_url: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_tables",
        PARENT_CHILD + "INSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1, 1);\n",
        "-- sqlmig:no-transaction\nDELETE FROM p;\n",
    )
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    proc = cli("down")
    assert proc.returncode == 1, describe(proc)
    assert "0001_tables.down.sql: FOREIGN KEY constraint failed" in proc.stderr
    assert "`sqlmig mark 1 --pending`" in proc.stderr
    assert cli("up").returncode == 5
    execute(sqlite_url, "DELETE FROM c")
    cli.ok("mark", "1", "--pending")
    assert applied(sqlite_url) == []

"""Callbacks in offline scripts (`up --sql`), applied with the database's own client (psql,
mariadb, sqlite3): the same callbacks run, in the same order, with the same log events as
`sqlmig up` on a twin database; --no-callbacks writes none; a failing one stops the script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, describe, kind_of
from tests.cli.test_offline import client
from tests.conftest import fresh_mysql_database, fresh_pg_database, query, write
from tests.integration.test_callbacks import callback, every_point, saw, seen, table_exists

BY = ", offline script written by "
WHO = ("--var", "who=dba")  # a placeholder in a callback


@pytest.fixture
def twin(any_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind: `up` on one, the script on the other."""
    kind = kind_of(any_url)
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'twin.db'}"
    else:
        yield from fresh_pg_database() if kind == "postgres" else fresh_mysql_database()


def events(url: str) -> list[tuple[str, str, str, str]]:
    """The audit log in order: event, name, checksum, and a callback's detail as `up` says it."""
    rows = query(url, "SELECT event, name, checksum, detail FROM sqlmig_history_log ORDER BY id")
    return [(e, n, c, (d or "").split(BY)[0] if e == "callback" else "") for e, n, c, d in rows]


def states(cli: Cli) -> list[tuple[str, str]]:
    rows = json.loads(cli.ok("--json", "status").stdout)["rows"]
    return [(r["label"], r["state"]) for r in rows]


def test_a_script_runs_the_callbacks_as_up_does(
    any_url: str, twin: str, migrations: Path, tmp_path: Path
) -> None:
    every_point(migrations)
    callback(migrations, "afterMigrate__who.sql", "-- sqlmig:placeholders\n" + saw("by ${who}"))
    write(migrations, "0001_a", saw("0001"))
    write(migrations, "0002_b", "-- sqlmig:no-transaction\n" + saw("0002"))
    (migrations / "R__r.sql").write_text(saw("R__r"), "utf-8")
    online, offline = Cli(any_url, migrations), Cli(twin, migrations)
    online.ok(*WHO, "up")
    script = offline.ok(*WHO, "up", "--sql").stdout
    assert "afterMigrateError.sql. The client stops at the first error" in script
    done = client(twin, script, tmp_path)
    assert done.returncode == 0, describe(done)

    each = [x for f in ("0001", "0002", "R__r") for x in ("before-each", f, "after-each")]
    expected = ["before", *each]
    assert seen(twin) == seen(any_url) == [*expected, "after", "after-2", "by dba"]
    assert events(twin) == events(any_url)
    logged = query(twin, "SELECT detail FROM sqlmig_history_log WHERE event = 'callback'")
    assert len(logged) == 10 and all(BY in d for (d,) in logged)
    assert states(offline) == states(online) == [("0001_a", "applied"), ("0002_b", "applied"),
                                                 ("R__r", "applied")]  # fmt: skip
    assert "files and history agree" in offline.ok("validate").stdout

    # nothing to apply: beforeMigrate and afterMigrate still run, as on every `up`
    online.ok(*WHO, "up")
    script = offline.ok(*WHO, "up", "--sql").stdout
    assert "-- up " not in script and "-- callback beforeMigrate.sql" in script
    done = client(twin, script, tmp_path)
    assert done.returncode == 0, describe(done)
    assert seen(twin) == seen(any_url) and seen(twin)[-4:] == ["before", "after", "after-2",
                                                               "by dba"]  # fmt: skip
    assert events(twin) == events(any_url)


def test_a_failing_after_each_callback_stops_the_script_with_its_migration_not_recorded(
    any_url: str, migrations: Path, tmp_path: Path
) -> None:
    callback(migrations, "afterEachMigrate.sql", "INSERT INTO nowhere VALUES (1);\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n")
    cli = Cli(any_url, migrations)
    done = client(any_url, cli.ok("up", "--sql").stdout, tmp_path)
    assert done.returncode != 0 and "nowhere" in done.stdout + done.stderr, describe(done)
    assert not table_exists(any_url, "b")  # the script stopped at 0001
    if kind_of(any_url) == "mysql":  # DDL commits by itself: applied, its row left `running`
        assert table_exists(any_url, "a")
        assert query(any_url, "SELECT version, status FROM sqlmig_history") == [(1, "running")]
        assert cli("up").returncode == 5
    else:  # rolled back with its transaction: neither applied nor recorded
        assert not table_exists(any_url, "a")
        assert query(any_url, "SELECT COUNT(*) FROM sqlmig_history") == [(0,)]
        assert states(cli) == [("0001_a", "pending"), ("0002_b", "pending")]


def test_no_callbacks_writes_none_and_secrets_and_client_commands_are_refused(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    every_point(migrations)
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(sqlite_url, migrations)
    script = cli.ok("up", "--sql", "--no-callbacks").stdout
    assert "-- callback" not in script and "Callbacks:" not in script
    done = client(sqlite_url, script, tmp_path)
    assert done.returncode == 0, describe(done)
    assert not table_exists(sqlite_url, "seen")
    assert [e for e, *_ in events(sqlite_url)] == ["up"]
    # nothing to apply (no connection: --from): nothing to do, unless callbacks run
    offline = Cli("", migrations)
    at_1 = ("up", "--sql", "--dialect", "sqlite", "--from", "1")
    assert "-- nothing to do" in offline.ok(*at_1, "--no-callbacks").stdout
    assert "-- callback afterMigrate__second.sql (afterMigrate)" in offline.ok(*at_1).stdout

    # a secret placeholder in a callback: refused, as in a migration, unless revealed
    callback(migrations, "afterMigrate__key.sql", "-- sqlmig:placeholders\nSELECT '${api_token}';")
    secret = offline(*at_1, "--var", "api_token=k3y-value")
    assert secret.returncode == 2, describe(secret)
    assert "afterMigrate__key.sql (${api_token})" in secret.stderr
    assert "k3y-value" not in secret.stdout + secret.stderr
    shown = offline.ok(*at_1, "--var", "api_token=k3y-value", "--reveal-secrets").stdout
    assert "SELECT 'k3y-value';" in shown
    # a password in a callback: never printed, nothing written
    callback(migrations, "afterMigrate__key.sql", "SELECT 'postgresql://app:s3cret@db/app';\n")
    secret = offline(*at_1)
    assert secret.returncode == 2 and "(a migration, repeatable or callback)" in secret.stderr
    assert "s3cret" not in secret.stdout + secret.stderr
    # a client command in a callback: refused, as in a migration
    callback(migrations, "afterMigrate__key.sql", ".read other.sql\n")
    refused = offline(*at_1)
    assert refused.returncode == 2 and "afterMigrate__key.sql" in refused.stderr, describe(refused)
    assert refused.stdout == ""


# Callbacks that move the session or end the transaction, as a migration may.
HOSTILE = {
    "mysql": {  # mysqldump's DELIMITER left on; a USE the script must undo
        "beforeMigrate.sql": "DELIMITER ;;\nCREATE PROCEDURE p1() BEGIN SELECT 1; END ;;\n",
        "afterEachMigrate.sql": "DROP PROCEDURE IF EXISTS p1;\nUSE information_schema;\n",
        "afterMigrate.sql": "CREATE TABLE IF NOT EXISTS z (id int)",  # no `;`, no newline
    },
    "sqlite": {  # outside any transaction; only a comment; no `;` after a comment
        "afterMigrate.sql": "-- sqlmig:no-transaction\nVACUUM;\n",
        "beforeEachMigrate.sql": "-- only a comment\n",
        "beforeMigrate.sql": "CREATE TABLE IF NOT EXISTS z (id int) -- made",
    },
    "postgres": {  # a callback's own COMMIT ends the migration's transaction: caught
        "beforeMigrate.sql": "SET ROLE pg_monitor;\nSET search_path = nowhere;\n",
        "beforeEachMigrate.sql": "CREATE TABLE z (id int);\nCOMMIT;\n",
    },
}


def test_callbacks_that_move_the_session_or_commit(
    any_url: str, migrations: Path, tmp_path: Path
) -> None:
    kind = kind_of(any_url)
    for name, text in HOSTILE[kind].items():
        callback(migrations, name, text)
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(any_url, migrations)
    done = client(any_url, cli.ok("up", "--sql").stdout, tmp_path)
    assert table_exists(any_url, "a") and table_exists(any_url, "z")
    if kind != "postgres":
        assert done.returncode == 0, describe(done)
        assert states(cli) == [("0001_a", "applied")]
        logged = [n for e, n, *_ in events(any_url) if e == "callback"]
        assert logged == sorted(HOSTILE[kind], key=["beforeMigrate.sql", "beforeEachMigrate.sql",
                                "afterEachMigrate.sql", "afterMigrate.sql"].index)  # fmt: skip
        return
    # its COMMIT committed part of the migration: recorded `failed`, naming the callback
    assert done.returncode != 0 and "sqlmig_precondition" in done.stderr, describe(done)
    (error,) = query(any_url, "SELECT error FROM sqlmig_history WHERE status = 'failed'")[0]
    assert "before/after-each callback's) own COMMIT" in error
    assert cli("up").returncode == 5


def test_a_before_migrate_callbacks_own_commit_stops_up_and_the_script(
    db_url: str, migrations: Path, tmp_path: Path
) -> None:
    """Was: `up` stopped with "internal error: TransactionEnded"; the PostgreSQL script went on
    and logged the callback `ok`."""
    callback(migrations, "beforeMigrate.sql", "CREATE TABLE IF NOT EXISTS bm (id int);\nCOMMIT;\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(db_url, migrations)
    r = cli("up")
    assert r.returncode == 1 and "internal error" not in r.stderr, describe(r)
    assert "callback beforeMigrate.sql (beforeMigrate) failed and stopped" in r.stderr
    assert "ended sqlmig's transaction: part or all of it is committed" in r.stderr
    done = client(db_url, cli.ok("up", "--sql").stdout, tmp_path)
    stop = "sqlmig_precondition" if kind_of(db_url) == "postgres" else "no transaction is active"
    assert done.returncode != 0 and stop in done.stderr, describe(done)
    assert table_exists(db_url, "bm") and not table_exists(db_url, "a")
    assert query(db_url, "SELECT COUNT(*) FROM sqlmig_history") == [(0,)]
    logged = query(db_url, "SELECT outcome FROM sqlmig_history_log WHERE event = 'callback'")
    # up's `failed`; the PostgreSQL script logs none (SQLite's, as for a migration, is not
    # guarded: the callback ran whole, its `ok` is written, and the COMMIT after it stops)
    assert logged[0] == ("failed",) and len(logged) == (1 if stop == "sqlmig_precondition" else 2)


def test_a_repeatables_own_commit_stops_a_postgres_script(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    """As a migration's: was logged `ok` with the rest of the file run outside a transaction."""
    callback(migrations, "afterEachMigrate.sql", "CREATE TABLE IF NOT EXISTS ae (id int);\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    (migrations / "R__r.sql").write_text("CREATE TABLE r1 (id int);\nCOMMIT;\n", "utf-8")
    cli = Cli(pg_url, migrations)
    done = client(pg_url, cli.ok("up", "--sql").stdout, tmp_path)
    assert done.returncode != 0 and "sqlmig_precondition" in done.stderr, describe(done)
    assert table_exists(pg_url, "r1") and table_exists(pg_url, "ae")
    assert states(cli) == [("0001_a", "applied"), ("R__r", "pending")]
    logged = query(pg_url, "SELECT event FROM sqlmig_history_log WHERE name = 'R__r'")
    assert logged == []


def test_a_mysql_script_sets_the_session_back_after_each_file_as_up_does(
    mysql_url: str, migrations: Path, tmp_path: Path
) -> None:
    """`up` resets its connection after each file; a script cannot (its lock would go), so it
    saves the usual settings when it starts and sets them again: a callback's or a migration's
    sql_mode, time_zone or foreign_key_checks do not change how the next file runs."""
    callback(migrations, "beforeMigrate.sql", "SET sql_mode = 'ANSI_QUOTES';\n")
    write(migrations, "0001_a", "SET time_zone = '+05:00';\nSET foreign_key_checks = 0;\n"
                                "CREATE TABLE a (id int, s text);\n")  # fmt: skip
    write(migrations, "0002_b", 'INSERT INTO a VALUES (1, "x");\n'
                                "INSERT INTO a SELECT 2, CONCAT(@@SESSION.time_zone, ' ', "
                                "@@SESSION.foreign_key_checks);\n")  # fmt: skip
    twin_gen = fresh_mysql_database()
    twin = next(twin_gen)
    try:
        Cli(mysql_url, migrations).ok("up")
        script = Cli(twin, migrations).ok("up", "--sql").stdout
        done = client(twin, script, tmp_path)
        assert done.returncode == 0, describe(done)
        rows = query(twin, "SELECT id, s FROM a ORDER BY id")
        assert rows == query(mysql_url, "SELECT id, s FROM a ORDER BY id")
        assert rows[0] == (1, "x") and not rows[1][1].startswith("+05:00"), rows
    finally:
        twin_gen.close()


def test_a_mysql_script_runs_in_its_urls_database_whatever_the_client_was_given(
    mysql_url: str, migrations: Path, tmp_path: Path
) -> None:
    """A DBA who runs `mysql other_db < up.sql`: the callbacks and the first migration ran in
    other_db, the history and the later files in the URL's (the script `USE`d it only after a
    file); now everything runs in the URL's database, as `up` runs it."""
    callback(migrations, "beforeMigrate.sql", "CREATE TABLE cb (id int);\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    script = Cli(mysql_url, migrations).ok("up", "--sql").stdout
    other_gen = fresh_mysql_database()
    other = next(other_gen)
    try:
        done = client(other, script, tmp_path)
        assert done.returncode == 0, describe(done)
        assert table_exists(mysql_url, "cb") and table_exists(mysql_url, "a")
        assert not table_exists(other, "cb") and not table_exists(other, "a")
    finally:
        other_gen.close()


def test_sqlite_pragmas_a_file_sets_are_set_back_by_up_and_the_script(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    """A callback's or migration's PRAGMA query_only = 1 neither stops the history writes
    (up said "the database file or its folder is read-only") nor the next files; its
    ignore_check_constraints does not let the next file skip a CHECK (the script did)."""
    callback(migrations, "beforeMigrate.sql", "PRAGMA ignore_check_constraints = 1;\n"
                                              "PRAGMA query_only = 1;\n")  # fmt: skip
    write(migrations, "0001_c", "CREATE TABLE c (x int CHECK (x > 0));\nPRAGMA query_only = 1;\n")
    write(migrations, "0002_d", "INSERT INTO c VALUES (-1);\n")
    twin = f"sqlite:///{tmp_path / 'twin.db'}"
    online = Cli(sqlite_url, migrations)("up")
    assert online.returncode == 1 and "CHECK constraint failed" in online.stderr, describe(online)
    offline = Cli(twin, migrations)
    done = client(twin, offline.ok("up", "--sql").stdout, tmp_path)
    assert done.returncode != 0 and "CHECK constraint failed" in done.stderr, describe(done)
    expected = [("0001_c", "applied"), ("0002_d", "pending")]
    assert states(offline) == states(Cli(sqlite_url, migrations)) == expected


def test_a_file_ending_inside_a_comment_or_string_does_not_swallow_the_script(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    """sqlite3 read the script's next lines into a callback's trailing open /* comment, ran
    nothing more and exited 0 with nothing applied; SQLite takes such a comment (up does), so
    the script closes it. An open string is refused (exit 2), here and for PostgreSQL."""
    callback(migrations, "afterEachMigrate.sql", "CREATE TABLE IF NOT EXISTS cb (id int);\n/* x\n")
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(sqlite_url, migrations)
    done = client(sqlite_url, cli.ok("up", "--sql").stdout, tmp_path)
    assert done.returncode == 0, describe(done)
    assert states(cli) == [("0001_a", "applied")] and table_exists(sqlite_url, "cb")
    callback(migrations, "afterEachMigrate.sql", "SELECT 'x;\n")
    for dialect in ("sqlite", "postgres"):
        refused = Cli("", migrations)("up", "--sql", "--dialect", dialect)
        assert refused.returncode == 2, describe(refused)
        assert "afterEachMigrate.sql: " in refused.stderr and "unterminated" in refused.stderr

"""Every documented exit code (0 1 2 3 4 5 6 8), each produced by a real scenario in a real process.

Exit 2 cases run against a URL nothing listens on: had sqlmig connected, it would exit 6.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.helpers import (
    GATED_SQL,
    SLOW_SQL,
    UNREACHABLE,
    Cli,
    describe,
    execute,
    gate,
    holding_lock,
    kind_of,
    run_many,
)
from tests.conftest import query, sqlmig, write


def versions(url: str) -> list[int]:
    """The versions recorded in the history table, oldest first."""
    return [r[0] for r in query(url, "SELECT version FROM sqlmig_history ORDER BY version")]


def table_exists(url: str, name: str) -> bool:
    if url.startswith("sqlite"):
        sql = f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'"
    else:
        sql = f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{name}'"
    return query(url, sql)[0][0] == 1


def expect(cli: Cli, code: int, *args: str) -> str:
    """Run a command, check its exit code, return stdout + stderr."""
    proc = cli(*args)
    assert proc.returncode == code, describe(proc)
    if code not in (0, 8) and "status" not in args:  # status --exit-code reports on stdout
        assert "\nerror: " in "\n" + proc.stderr, describe(proc)
    return proc.stdout + proc.stderr


def parser_error(cli: Cli, *args: str) -> str:
    """A usage error found by the option parser (typer's own format): exit 2, stderr only."""
    proc = cli(*args)
    assert proc.returncode == 2, describe(proc)
    assert proc.stdout == "", describe(proc)
    return proc.stderr


# -- 0 and 8 --------------------------------------------------------------------------------


def test_exit_0_for_success_and_nothing_to_do_and_8_while_pending(
    db_url: str, migrations: Path
) -> None:
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(migrations, "0002_create_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    cli = Cli(db_url, migrations)

    expect(cli, 8, "status", "--exit-code")
    expect(cli, 0, "status")  # without --exit-code, pending work is not an error
    assert "0001_create_a" in expect(cli, 0, "up", "--dry-run")
    expect(cli, 8, "status", "--exit-code")  # the dry run changed nothing
    expect(cli, 0, "up", "--steps", "1")
    assert versions(db_url) == [1]
    expect(cli, 8, "status", "--exit-code")
    expect(cli, 0, "up")
    assert versions(db_url) == [1, 2]
    assert table_exists(db_url, "b")
    expect(cli, 0, "status", "--exit-code")
    assert "nothing to apply" in expect(cli, 0, "up")
    assert expect(cli, 0, "current").startswith("0002_create_b")
    expect(cli, 0, "validate")
    expect(cli, 0, "history")
    expect(cli, 0, "redo")
    assert versions(db_url) == [1, 2]
    expect(cli, 0, "down")
    assert versions(db_url) == [1]
    assert not table_exists(db_url, "b")
    expect(cli, 8, "status", "--exit-code")
    expect(cli, 0, "down", "--all", "--yes")
    assert versions(db_url) == []
    assert "nothing to revert" in expect(cli, 0, "down")
    expect(cli, 0, "repair")
    expect(cli, 0, "baseline", "2")
    assert versions(db_url) == [1, 2]
    expect(cli, 0, "status", "--exit-code")


# -- 1 --------------------------------------------------------------------------------------


def test_exit_1_when_sql_fails_and_the_migration_is_rolled_back(
    db_url: str, migrations: Path
) -> None:
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(
        migrations,
        "0002_broken",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT * FROM no_such_table;\n",
    )
    cli = Cli(db_url, migrations)

    out = expect(cli, 1, "up", "--single-transaction")
    assert "0002_broken.up.sql:3" in out  # file and line of the failing statement
    assert "no_such_table" in out
    assert not table_exists(db_url, "a")  # all or none
    assert expect(cli, 0, "current").strip() == "no migration"

    out = expect(cli, 1, "up")
    assert "0002_broken.up.sql:3" in out
    assert "rolled back" in out
    assert versions(db_url) == [1]  # the good one stays applied
    assert table_exists(db_url, "a")
    assert not table_exists(db_url, "b")  # the broken one left nothing behind
    expect(cli, 8, "status", "--exit-code")  # still pending, not failed: no repair needed
    expect(cli, 1, "up")  # and it fails the same way again

    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE missing;\n")
    (migrations / "0002_broken.up.sql").unlink()
    out = expect(cli, 1, "down", "--allow-drift")
    assert "missing" in out
    assert versions(db_url) == [1]  # a failed down keeps the migration applied
    assert table_exists(db_url, "a")


# -- 2 --------------------------------------------------------------------------------------


def _bad_name(folder: Path) -> str:
    (folder / "1_Bad-Name.up.sql").write_text("SELECT 1;\n")
    return "1_Bad-Name.up.sql"


def _stray_sql(folder: Path) -> str:
    (folder / "foo.sql").write_text("SELECT 1;\n")
    return "foo.sql"


def _duplicate(folder: Path) -> str:
    (folder / "001_one.up.sql").write_text("SELECT 1;\n")
    return "0001_a.up.sql"


def _down_without_up(folder: Path) -> str:
    (folder / "0002_b.down.sql").write_text("SELECT 1;\n")
    return "0002_b.down.sql"


def _not_utf8(folder: Path) -> str:
    (folder / "0002_b.up.sql").write_bytes(b"SELECT 'caf\xe9';\n")
    return "0002_b.up.sql"


def _unknown_directive(folder: Path) -> str:
    (folder / "0002_b.up.sql").write_text("-- sqlmig:no-transactoin\nSELECT 1;\n")
    return "no-transactoin"


BAD_FOLDERS: dict[str, Callable[[Path], str]] = {
    "bad name": _bad_name,
    "stray sql": _stray_sql,
    "duplicate version": _duplicate,
    "down without up": _down_without_up,
    "not utf-8": _not_utf8,
    "unknown directive": _unknown_directive,
}


@pytest.mark.parametrize("case", BAD_FOLDERS)
def test_exit_2_for_bad_migration_files_before_connecting(case: str, migrations: Path) -> None:
    write(migrations, "0001_a", "SELECT 1;\n", "SELECT 1;\n")
    (migrations / "README.md").write_text("notes are ignored\n")
    named = BAD_FOLDERS[case](migrations)
    db_file = migrations.parent / "never.db"
    pg, lite = Cli(UNREACHABLE, migrations), Cli(f"sqlite:///{db_file}", migrations)
    calls = [(pg, ("up",)), (pg, ("validate",)), (lite, ("status",)), (lite, ("down",))]
    for proc in run_many(calls):
        assert proc.returncode == 2, describe(proc)
        assert named in proc.stderr, describe(proc)
        assert "hint: " in proc.stderr
    assert not db_file.exists()  # never opened


def test_exit_2_names_the_byte_offset_of_bad_utf8(migrations: Path) -> None:
    _not_utf8(migrations)
    assert "byte offset 11" in expect(Cli(UNREACHABLE, migrations), 2, "up")


def test_exit_2_for_a_missing_migrations_folder(tmp_path: Path) -> None:
    out = expect(Cli(UNREACHABLE, tmp_path / "nowhere"), 2, "up")
    assert "nowhere" in out


DB_COMMANDS = [
    ["up"],
    ["down"],
    ["redo"],
    ["status"],
    ["current"],
    ["history"],
    ["validate"],
    ["repair"],
    ["baseline", "1"],
]


def test_exit_2_when_no_url_is_configured_anywhere(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    write(tmp_path / "migrations", "0001_a", "SELECT 1;\n")
    with ThreadPoolExecutor(4) as pool:
        procs = list(pool.map(lambda command: sqlmig(*command, cwd=tmp_path), DB_COMMANDS))
    for proc in procs:
        assert proc.returncode == 2, describe(proc)
        assert "no database URL" in proc.stderr
        for where in ("--url", "SQLMIG_URL", "DATABASE_URL", "sqlmig.toml"):
            assert where in proc.stderr, describe(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migrations"]  # no default database


def test_exit_2_for_bad_configuration_before_connecting(migrations: Path) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    cli = Cli(UNREACHABLE, migrations)
    scheme = Cli("mysql2://root@127.0.0.1:1/x", migrations)
    assert "mysql2" in expect(scheme, 2, "up")
    assert "postgresql://" in expect(scheme, 2, "status")  # the hint shows a supported form

    assert "--lock-timeout must be between 0" in expect(cli, 2, "up", "--lock-timeout", "-1")
    # a duration, read by the same parser as lock_timeout in sqlmig.toml (not typer's float)
    assert "--lock-timeout has a bad value 'soon'" in expect(cli, 2, "up", "--lock-timeout", "soon")
    cli.env = {"SQLMIG_LOCK_TIMEOUT": "soon"}
    assert "SQLMIG_LOCK_TIMEOUT" in expect(cli, 2, "up")
    cli.env = {"SQLMIG_LOCK_TIMEOUT": "-3"}
    assert "SQLMIG_LOCK_TIMEOUT" in expect(cli, 2, "up")
    cli.env = {}

    (migrations.parent / "sqlmig.toml").write_text("lock_timout = 3\n")
    assert "lock_timout" in expect(cli, 2, "status")
    (migrations.parent / "sqlmig.toml").write_text('url = "postgresql://\n')
    assert "invalid TOML" in expect(cli, 2, "status")
    (migrations.parent / "sqlmig.toml").unlink()

    assert "--steps" in parser_error(cli, "up", "--steps", "0")
    assert "--no-such-option" in parser_error(cli, "up", "--no-such-option")
    assert "twelve" in parser_error(cli, "baseline", "twelve")
    assert "frobnicate" in parser_error(cli, "frobnicate")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:pw9@127.0.0.1:notaport/x",
        "postgresql://u:pw9@[127.0.0.1/x",
        "postgresql://u:bad%zz@127.0.0.1:1/x",  # invalid percent-encoding
    ],
)
def test_exit_2_for_a_malformed_url_not_6(url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    out = expect(Cli(url, migrations), 2, "status")
    assert "URL" in out


# -- 3 --------------------------------------------------------------------------------------


def test_exit_3_when_the_lock_is_held_longer_than_lock_timeout(
    any_url: str, migrations: Path
) -> None:
    """On PostgreSQL and MariaDB the holder's migration waits at a gate the test opens once every
    contender has given up; SQLite's holder runs a slow query instead."""
    kind = kind_of(any_url)
    write(migrations, "0001_slow", GATED_SQL.get(kind, SLOW_SQL[kind]), "SELECT 1;\n")
    cli = Cli(any_url, migrations)
    from_env = Cli(any_url, migrations, env={"SQLMIG_LOCK_TIMEOUT": "1"})
    contenders = [
        (cli, ["up", "--lock-timeout", "1"]),
        (cli, ["--lock-timeout", "1", "down"]),
        (cli, ["redo", "--lock-timeout", "1"]),
        (cli, ["repair", "--lock-timeout=1"]),
        (from_env, ["up"]),
    ]
    opened = gate(any_url) if kind in GATED_SQL else contextlib.nullcontext(lambda: None)
    with opened as open_gate, holding_lock(cli) as holder, ThreadPoolExecutor(5) as pool:
        start = time.monotonic()
        procs = list(pool.map(lambda c: c[0](*c[1]), contenders))
        elapsed = time.monotonic() - start
        open_gate()  # before holding_lock's exit waits for the holder to finish
    assert holder.proc.returncode == 0, holder.stderr
    for proc in procs:
        assert proc.returncode == 3, describe(proc)
        assert "lock" in proc.stderr
        # names the holder: its OS process (PostgreSQL's application_name, SQLite's lock file);
        # MySQL shows no client pid without performance_schema, so its connection id and host
        holder_named = (
            re.search(r"held by connection \d+ \(user \w+, from [\d.]+:\d+", proc.stderr)
            if kind == "mysql"
            else str(holder.proc.pid) in proc.stderr
        )
        assert holder_named, describe(proc)
    assert elapsed >= 1
    assert versions(any_url) == [1]  # applied exactly once, by the holder


# -- 4 --------------------------------------------------------------------------------------


def test_exit_4_on_drift_and_nothing_runs(db_url: str, migrations: Path) -> None:
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(migrations, "0002_create_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    cli = Cli(db_url, migrations)
    expect(cli, 0, "up")
    write(migrations, "0001_create_a", "CREATE TABLE a (id bigint);\n", "DROP TABLE a;\n")
    write(migrations, "0003_create_c", "CREATE TABLE c (id int);\n", "DROP TABLE c;\n")

    assert "0001_create_a.up.sql" in expect(cli, 4, "up")
    assert not table_exists(db_url, "c")
    assert "0001_create_a.up.sql" in expect(cli, 4, "validate")
    expect(cli, 4, "status", "--exit-code")
    assert "edited" in expect(cli, 0, "status")
    expect(cli, 0, "up", "--allow-drift")
    assert versions(db_url) == [1, 2, 3]

    write(migrations, "0003_create_c", "CREATE TABLE c (id int);\n", "DROP TABLE c CASCADE;\n")
    assert "0003_create_c.down.sql" in expect(cli, 4, "down")
    assert versions(db_url) == [1, 2, 3]
    write(migrations, "0003_create_c", "CREATE TABLE c (id int);\n", "DROP TABLE c;\n")

    for path in migrations.glob("0002_*"):
        path.unlink()
    write(migrations, "0004_create_d", "CREATE TABLE d (id int);\n")
    assert "missing" in expect(cli, 4, "up")
    assert not table_exists(db_url, "d")
    expect(cli, 4, "validate")
    expect(cli, 4, "status", "--exit-code")

    write(migrations, "0002_create_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    expect(cli, 4, "validate")  # 0001 is still edited
    expect(cli, 0, "repair")  # accept the reviewed edit
    expect(cli, 0, "validate")
    expect(cli, 0, "up")
    assert versions(db_url) == [1, 2, 3, 4]


# -- 5 --------------------------------------------------------------------------------------


def test_exit_5_after_a_no_transaction_file_fails_midway(db_url: str, migrations: Path) -> None:
    """The workflow a user follows: fail, read the hint, fix file and database, repair, up."""
    broken = "-- sqlmig:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO nope VALUES (1);\n"
    write(migrations, "0001_fill_a", broken, "DROP TABLE a;\n")
    cli = Cli(db_url, migrations)

    out = expect(cli, 1, "up")
    assert "statement 2 of 2" in out
    assert "repair" in out
    assert table_exists(db_url, "a")  # statement 1 ran and stays
    for command in (["up"], ["validate"], ["down"], ["redo"]):
        assert "repair" in expect(cli, 5, *command), command
    assert "failed" in expect(cli, 5, "status", "--exit-code")
    assert "failed" in expect(cli, 0, "status")

    fixed = "-- sqlmig:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n"
    write(migrations, "0001_fill_a", fixed, "DROP TABLE a;\n")
    expect(cli, 5, "up")  # fixing the file is not enough: the state needs a reviewed repair
    execute(db_url, "DROP TABLE a")  # undo the half-applied part by hand, as the hint says
    assert "cleared" in expect(cli, 0, "repair")
    expect(cli, 8, "status", "--exit-code")  # pending again
    expect(cli, 0, "up")
    assert query(db_url, "SELECT id FROM a") == [(1,)]
    expect(cli, 0, "validate")  # the fixed file's checksum is the one recorded
    expect(cli, 0, "status", "--exit-code")
    assert "nothing to repair" in expect(cli, 0, "repair")
    expect(cli, 0, "down")
    assert not table_exists(db_url, "a")


def test_exit_5_after_a_runner_dies_inside_a_no_transaction_file(
    db_url: str, migrations: Path
) -> None:
    slow = "-- sqlmig:no-transaction\n" + SLOW_SQL[kind_of(db_url)]
    write(migrations, "0001_slow", slow)
    cli = Cli(db_url, migrations)
    with holding_lock(cli) as holder:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if query(db_url, "SELECT status FROM sqlmig_history") == [("running",)]:
                break
            time.sleep(0.05)
        os.kill(holder.proc.pid, signal.SIGKILL)  # a crash, not a clean exit
    assert holder.proc.returncode == -signal.SIGKILL
    assert query(db_url, "SELECT status FROM sqlmig_history") == [("running",)]

    out = expect(cli, 5, "up", "--lock-timeout", "10")  # the dead runner's lock is gone
    assert "running" in out
    expect(cli, 5, "status", "--exit-code")
    expect(cli, 0, "repair")
    write(migrations, "0001_slow", "-- sqlmig:no-transaction\nSELECT 1;\n")
    expect(cli, 0, "up")
    assert versions(db_url) == [1]


# -- 6 --------------------------------------------------------------------------------------


def test_exit_6_when_the_database_cannot_be_reached(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    no_such_db = pg_url.rsplit("/", 1)[0] + "/sqlmig_no_such_database"
    urls = (UNREACHABLE, no_such_db, f"sqlite:///{tmp_path}/no/such/folder/x.db")
    commands = [("up",), ("current",), ("history",), ("status", "--exit-code")]
    for proc in run_many([(Cli(url, migrations), c) for url in urls for c in commands]):
        assert proc.returncode == 6, describe(proc)
        assert "\nerror: " in "\n" + proc.stderr, describe(proc)
        assert "hint: " in proc.stderr, describe(proc)
    assert not (tmp_path / "no").exists()

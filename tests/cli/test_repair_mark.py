"""repair that repairs, and mark: renamed files, edited down files, irreversible migrations,
work done by hand; on SQLite, PostgreSQL and MariaDB, through the real CLI."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from tests.cli.helpers import (
    GATED_SQL,
    SLOW_SQL,
    Cli,
    describe,
    execute,
    gate,
    holding_lock,
    kind_of,
    run_many,
)
from tests.conftest import query, write


def expect(cli: Cli, code: int, *args: str) -> str:
    proc = cli(*args)
    assert proc.returncode == code, describe(proc)
    return proc.stdout + proc.stderr


def by_hand(url: str, sql: str) -> None:
    """A user changing the database directly, without sqlmig."""
    if url.startswith("mysql"):
        query(url, sql)  # an autocommit connection
    else:
        execute(url, sql)


def rows(url: str) -> list[tuple]:
    return query(url, "SELECT version, name, status FROM sqlmig_history ORDER BY version")


def log(url: str) -> list[tuple]:
    return query(url, "SELECT version, event, actor, detail FROM sqlmig_history_log ORDER BY id")


def has_table(url: str, name: str) -> bool:
    if url.startswith("sqlite"):
        sql = f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'"
    elif url.startswith("mysql"):
        sql = (
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
            f"AND table_name = '{name}'"
        )
    else:
        sql = f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{name}'"
    return query(url, sql)[0][0] == 1


def rename(folder: Path, old: str, new: str) -> None:
    for path in folder.glob(f"{old}.*"):
        path.rename(folder / path.name.replace(old, new))


# -- item 1: a renamed applied file -----------------------------------------------------------


def test_repair_records_the_new_name_of_a_renamed_file(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    rename(migrations, "0001_a", "0001_create_a")

    out = expect(cli, 4, "validate")
    assert "0001_create_a.up.sql was applied under the name 'a'" in out
    assert "`sqlmig repair` records the new name" in out
    assert "--allow-drift" not in out  # validate has no such option
    assert "renamed" in expect(cli, 4, "status", "--exit-code")

    planned = expect(cli, 0, "repair", "--dry-run")
    assert "would re-record 0001_create_a: name a -> create_a" in planned
    assert rows(any_url)[0] == (1, "a", "applied")  # a dry run changes nothing
    assert [e[1] for e in log(any_url)] == ["up", "up"]

    assert "re-recorded 0001_create_a: name a -> create_a" in expect(cli, 0, "repair")
    assert rows(any_url) == [(1, "create_a", "applied"), (2, "b", "applied")]
    version, event, actor, detail = log(any_url)[-1]
    assert (version, event, detail) == (1, "repair", "name a -> create_a")
    assert "@" in actor
    expect(cli, 0, "validate")
    assert "nothing to repair" in expect(cli, 0, "repair")
    expect(cli, 0, "down", "--all", "--yes")
    assert not has_table(any_url, "a")


def test_repair_leaves_a_renamed_file_with_other_content(any_url: str, migrations: Path) -> None:
    """Another name and other content under an applied version may be another migration that
    took the number: repair must not record it as the applied one."""
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    for path in migrations.glob("0001_a.*"):
        path.unlink()
    write(migrations, "0001_orders", "CREATE TABLE orders (id int);\n", "DROP TABLE orders;\n")

    assert "holds other content" in expect(cli, 4, "validate")
    out = expect(cli, 4, "repair")
    assert "another name and other content; left as it is" in out
    assert "renumber it" in out
    assert rows(any_url) == [(1, "a", "applied")]
    assert [e[1] for e in log(any_url)] == ["up"]
    doc = json.loads(cli("--json", "repair", "--dry-run").stdout)
    assert doc["ok"] is False and doc["dry_run"] is True


def test_repair_exits_4_and_points_to_mark_when_a_file_is_missing(
    any_url: str, migrations: Path
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    (migrations / "0001_a.up.sql").unlink()
    assert "`sqlmig mark VERSION --pending`" in expect(cli, 4, "validate")
    assert "`sqlmig mark 1 --pending`" in expect(cli, 4, "repair")
    assert rows(any_url) == [(1, "a", "applied")]
    by_hand(any_url, "DROP TABLE a")  # reverted by hand, as that hint has it
    doc = json.loads(cli("--json", "mark", "1", "--pending").stdout)
    assert [(s["version"], s["name"], s["label"]) for s in doc["steps"]] == [("1", "a", "0001_a")]
    assert doc["messages"] == ["marked 0001_a pending (its row was applied): it has no file, so "
                               "`up` will not run it"]  # fmt: skip
    assert rows(any_url) == []
    expect(cli, 0, "validate")


# -- item 4: an edited down file --------------------------------------------------------------


def test_an_edited_down_file_is_reported_and_repaired(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    edited = "DROP TABLE a;\nCREATE TABLE a_gone (id int);\n"
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", edited)

    status = expect(cli, 4, "status", "--exit-code")
    assert "edited_down 0001_a" in status
    assert "0001_a.down.sql was edited after 1 (a) was applied" in status
    doc = json.loads(cli("--json", "status").stdout)
    assert doc["rows"][0]["state"] == "edited_down"
    out = expect(cli, 4, "validate")
    assert "restore an edited down file, or after review run `sqlmig repair`" in out
    assert "`sqlmig repair`" in expect(cli, 4, "down")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    expect(cli, 0, "up")  # up does not run down files: an edited one does not stop it

    assert "would re-record 0001_a: down SQL sha256:" in expect(cli, 0, "repair", "--dry-run")
    assert "re-recorded 0001_a: down SQL sha256:" in expect(cli, 0, "repair")
    stored = query(any_url, "SELECT down_sql FROM sqlmig_history WHERE version = 1")
    assert stored == [(edited,)]
    expect(cli, 0, "validate")
    expect(cli, 0, "status", "--exit-code")
    expect(cli, 0, "down", "--all", "--yes")
    assert has_table(any_url, "a_gone")  # the edited down file ran
    assert not has_table(any_url, "a")


# -- item 2 and mark --------------------------------------------------------------------------


def test_an_irreversible_migration_reverted_by_hand_is_marked_pending(
    any_url: str, migrations: Path
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")

    out = expect(cli, 2, "down")
    assert "irreversible" in out
    assert "`sqlmig mark 1 --pending --reason TEXT`" in out
    by_hand(any_url, "DROP TABLE a")
    said = expect(cli, 0, "mark", "1", "--pending", "--reason", "dropped a by hand; ticket 42")
    assert "marked 0001_a pending" in said
    assert rows(any_url) == []
    version, event, actor, detail = log(any_url)[-1]
    assert (version, event) == (1, "mark")
    assert "@" in actor
    assert detail.startswith("pending: reverted by hand; reason: dropped a by hand; ticket 42")
    assert "stored down SQL: none" in detail

    expect(cli, 8, "status", "--exit-code")
    expect(cli, 0, "up")
    assert has_table(any_url, "a")


def test_mark_pending_keeps_the_stored_down_sql_in_the_log(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    doc = json.loads(cli("--json", "mark", "1", "--pending").stdout)
    assert doc["ok"] is True
    assert [(s["version"], s["direction"]) for s in doc["steps"]] == [("1", "pending")]
    assert "current" not in doc
    detail = log(any_url)[-1][3]
    assert "reason: none given" in detail
    assert detail.endswith("stored down SQL: \nDROP TABLE a;\n")


def test_mark_applied_records_a_file_without_running_it(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    cli = Cli(any_url, migrations)
    by_hand(any_url, "CREATE TABLE a (id int)")  # run by hand, or by another tool

    doc = json.loads(cli("--json", "mark", "1", "--applied", "--reason", "ran by hand").stdout)
    assert doc["ok"] is True
    assert [(s["version"], s["label"], s["direction"]) for s in doc["steps"]] == [
        ("1", "0001_a", "applied")
    ]
    assert doc["current"] == "0001_a"
    assert rows(any_url) == [(1, "a", "applied")]
    assert query(any_url, "SELECT down_sql FROM sqlmig_history") == [("DROP TABLE a;\n",)]
    assert log(any_url)[-1][1:2] == ("mark",)
    assert log(any_url)[-1][3] == "applied by hand, not run; reason: ran by hand"
    expect(cli, 0, "validate")
    assert "already applied; nothing changed" in expect(cli, 0, "mark", "1", "--applied")
    assert len(log(any_url)) == 1  # nothing changed, nothing logged
    expect(cli, 0, "up")  # applies 2 only: 1 is recorded
    assert has_table(any_url, "b")
    expect(cli, 0, "down", "--all", "--yes")  # 1's stored down SQL runs
    assert not has_table(any_url, "a")


def test_mark_refuses_unknown_versions_and_marks_nothing(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(any_url, migrations)
    out = expect(cli, 2, "mark", "1", "77", "99", "--applied")
    assert "version(s) 77, 99; nothing was marked" in out
    assert "pass --applied or --pending" in expect(cli, 2, "mark", "1")
    expect(cli, 0, "up")
    assert rows(any_url) == [(1, "a", "applied")]
    assert "marked 0001_a pending" in expect(cli, 0, "mark", "1", "--pending")
    assert "0001_a is already pending; nothing changed" in expect(cli, 0, "mark", "1", "--pending")


def test_a_stopped_up_finished_by_hand_is_marked_applied(any_url: str, migrations: Path) -> None:
    broken = "-- sqlmig:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO nope VALUES (1);\n"
    write(migrations, "0001_fill_a", broken, "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    out = expect(cli, 1, "up")
    assert "`sqlmig mark 1 --applied`" in out  # the hint names both ways out
    assert "`sqlmig repair`" in out
    assert "`sqlmig mark 1 --applied`" in expect(cli, 5, "up")

    fixed = "-- sqlmig:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n"
    write(migrations, "0001_fill_a", fixed, "DROP TABLE a;\n")
    by_hand(any_url, "INSERT INTO a VALUES (1)")  # finish it by hand
    assert "marked 0001_fill_a applied (it was failed)" in expect(
        cli, 0, "mark", "1", "--applied", "--reason", "finished by hand"
    )
    assert rows(any_url) == [(1, "fill_a", "applied")]
    expect(cli, 0, "validate")  # the fixed file is what is recorded
    expect(cli, 0, "status", "--exit-code")
    expect(cli, 0, "down")
    assert not has_table(any_url, "a")


def test_a_stopped_down_finished_by_hand_is_marked_pending(any_url: str, migrations: Path) -> None:
    down = "-- sqlmig:no-transaction\nDROP TABLE b;\nDROP TABLE nope;\n"
    write(migrations, "0001_ab", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n", down)
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    out = expect(cli, 1, "down")
    assert "`sqlmig mark 1 --pending`" in out
    assert "`sqlmig repair` (the migration is applied again" in out
    by_hand(any_url, "DROP TABLE a")
    expect(cli, 0, "mark", "1", "--pending", "--reason", "finished the down by hand")
    assert rows(any_url) == []
    expect(cli, 0, "up")
    assert has_table(any_url, "a") and has_table(any_url, "b")


def test_mark_takes_the_lock_and_repair_dry_run_does_not(db_url: str, migrations: Path) -> None:
    """On PostgreSQL the holder waits at a gate the test opens at the end; SQLite's holder runs a
    slow query (a few seconds) instead."""
    kind = kind_of(db_url)
    write(migrations, "0001_slow", GATED_SQL.get(kind, SLOW_SQL[kind]))
    write(migrations, "0002_a", "CREATE TABLE a (id int);\n")
    cli = Cli(db_url, migrations)
    opened = gate(db_url) if kind in GATED_SQL else contextlib.nullcontext(lambda: None)
    with opened as open_gate, holding_lock(cli) as holder:
        dry = cli("repair", "--dry-run", "--lock-timeout", "60")
        # had the dry run waited for the lock, it would have returned after the holder ended
        still_running = holder.proc.poll() is None
        contender = cli("mark", "2", "--applied", "--lock-timeout", "1")
        open_gate()  # before holding_lock's exit waits for the holder to finish
    assert holder.proc.returncode == 0, holder.stderr
    assert dry.returncode == 0, describe(dry)
    assert still_running
    assert contender.returncode == 3, describe(contender)
    assert str(holder.proc.pid) in contender.stderr
    assert rows(db_url) == [(1, "slow", "applied"), (2, "a", "applied")]  # by the holder's up
    assert [e[1] for e in log(db_url)] == ["up", "up"]


def test_mark_applied_keeps_the_stored_down_sql_when_the_down_file_is_gone(
    any_url: str, migrations: Path
) -> None:
    down = "-- sqlmig:no-transaction\nDROP TABLE b;\nDROP TABLE nope;\n"
    write(migrations, "0001_ab", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n", down)
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    expect(cli, 1, "down")  # stops after DROP TABLE b
    (migrations / "0001_ab.down.sql").unlink()  # an older build, without the down file
    by_hand(any_url, "CREATE TABLE b (id int)")  # undo what ran of the down
    expect(cli, 0, "mark", "1", "--applied", "--reason", "undid the down by hand")
    assert rows(any_url) == [(1, "ab", "applied")]
    stored = query(any_url, "SELECT down_sql FROM sqlmig_history WHERE version = 1")
    assert stored == [(down,)]
    expect(cli, 0, "validate")


def test_runners_marking_at_once_mark_exactly_once(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    procs = run_many([(cli, ("mark", "1", "--pending", "--lock-timeout", "60"))] * 4)
    assert [p.returncode for p in procs] == [0] * 4, [describe(p) for p in procs]
    said = [p.stdout for p in procs]
    assert sum("marked 0001_a pending" in out for out in said) == 1, said
    assert sum("already pending; nothing changed" in out for out in said) == 3, said
    assert [e[1] for e in log(any_url)] == ["up", "mark"]


def test_one_repair_settles_a_stopped_down_of_a_renamed_file(
    any_url: str, migrations: Path
) -> None:
    """A down that stopped goes back to applied, and then is recorded as its file is now, like
    any applied row: one repair leaves nothing for a second one."""
    down = "-- sqlmig:no-transaction\nDROP TABLE nope;\nDROP TABLE a;\n"
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", down)
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    expect(cli, 1, "down")  # stops at its first statement: nothing of it ran
    rename(migrations, "0001_a", "0001_create_a")
    fixed = "DROP TABLE a;\n"
    (migrations / "0001_create_a.down.sql").write_text(fixed, "utf-8")

    out = expect(cli, 0, "repair")
    assert "marked applied again" in out
    assert "re-recorded 0001_create_a: name a -> create_a; down SQL sha256:" in out
    assert rows(any_url) == [(1, "create_a", "applied")]
    assert "nothing to repair" in expect(cli, 0, "repair")
    expect(cli, 0, "validate")
    expect(cli, 0, "down")
    assert not has_table(any_url, "a")


def test_marking_an_older_version_pending_says_up_needs_out_of_order(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n")
    cli = Cli(sqlite_url, migrations)
    expect(cli, 0, "up")
    by_hand(sqlite_url, "DROP TABLE a")
    said = expect(cli, 0, "mark", "1", "--pending")
    assert "`up` runs it again with --allow-out-of-order" in said
    assert "numbered below the newest applied" in expect(cli, 2, "up")
    expect(cli, 0, "up", "--allow-out-of-order")
    assert has_table(sqlite_url, "a")


def test_a_reason_on_several_lines_stays_one_history_line(any_url: str, migrations: Path) -> None:
    """One line per event: a newline or a terminal escape in --reason is shown escaped by
    `history` (it spilled onto a line of its own, escape and all), and kept as given."""
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(any_url, migrations)
    expect(cli, 0, "up")
    expect(cli, 0, "mark", "1", "--pending", "--reason", "line one\nline two \x1b[31mred")
    shown = cli("history").stdout
    lines = [line for line in shown.splitlines() if " mark " in line]
    assert len(lines) == 1 and len(shown.splitlines()) == 2, shown
    assert "reason: line one\\nline two \\x1b[31mred" in lines[0] and "\x1b" not in shown
    assert "reason: line one\nline two \x1b[31mred" in log(any_url)[-1][3]

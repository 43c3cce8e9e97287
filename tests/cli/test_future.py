"""App rollbacks (issue 15 item 3): an older build whose folder lacks the newest applied
migrations sees them as `future`, not drift; on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.helpers import GATED_SQL, Cli, describe, gate, holding_lock, kind_of
from tests.conftest import query, write


def expect(cli: Cli, code: int, *args: str) -> str:
    proc = cli(*args)
    assert proc.returncode == code, describe(proc)
    return proc.stdout + proc.stderr


def folders(tmp: Path, third: str = "CREATE TABLE c (id int);\n") -> tuple[Path, Path]:
    """The new build's folder (0001..0003) and the old build's (0001, 0002)."""
    new, old = tmp / "new", tmp / "old"
    for folder in (new, old):
        folder.mkdir()
        write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
        write(folder, "0002_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    write(new, "0003_c", third, "DROP TABLE c;\n")
    return new, old


def versions(url: str) -> list[tuple[int, str]]:
    return [
        (int(v), s) for v, s in query(url, "SELECT version, status FROM sqlmig_history ORDER BY 1")
    ]


def test_an_older_build_leaves_future_migrations_and_reverts_them_from_stored_sql(
    any_url: str, tmp_path: Path
) -> None:
    new, old = folders(tmp_path)
    Cli(any_url, new).ok("up")
    cli = Cli(any_url, old)

    said = expect(cli, 0, "up")
    assert "1 applied migration(s) newer than every file" in said and "0003_c" in said
    assert versions(any_url) == [(1, "applied"), (2, "applied"), (3, "applied")]
    rows = json.loads(cli.ok("--json", "status", "--exit-code").stdout)["rows"]
    assert [(r["label"], r["state"]) for r in rows] == [
        ("0001_a", "applied"),
        ("0002_b", "applied"),
        ("0003_c", "future"),
    ]
    assert "the down SQL stored" in rows[2]["detail"]

    reverted = expect(cli, 0, "down", "--to", "2")
    assert "0003_c: ran the down SQL stored in the history" in reverted
    assert versions(any_url) == [(1, "applied"), (2, "applied")]
    assert {"a", "b"} <= tables(any_url) and "c" not in tables(any_url)


def tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        return {r[0] for r in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    where = "DATABASE()" if url.startswith("mysql") else "current_schema()"
    sql = f"SELECT table_name FROM information_schema.tables WHERE table_schema = {where}"
    return {r[0] for r in query(url, sql)}


def test_strict_refuses_future_migrations_and_a_missing_middle_file_stays_drift(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Planning alone, the same on every database: run on SQLite."""
    new, old = folders(tmp_path)
    Cli(sqlite_url, new).ok("up")
    cli = Cli(sqlite_url, old)
    assert "0003_c" in expect(cli, 4, "up", "--strict")
    assert "--strict refuses" in expect(Cli(sqlite_url, old, {"SQLMIG_STRICT": "true"}), 4, "up")
    assert "0003_c (future" in expect(cli, 0, "validate")
    expect(cli, 4, "validate", "--strict")

    middle = tmp_path / "middle"
    middle.mkdir()
    for path in new.glob("000[13]_*"):
        (middle / path.name).write_bytes(path.read_bytes())
    assert "0002_b is applied but its file is missing" in expect(Cli(sqlite_url, middle), 4, "up")
    assert versions(sqlite_url) == [(1, "applied"), (2, "applied"), (3, "applied")]


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_an_old_replica_starting_beside_a_new_one_neither_fails_nor_undoes(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{kind}_url")
    # the new build's 0003 waits at the gate while its run holds the migration lock
    new, old = folders(tmp_path, third=GATED_SQL[kind_of(url)] + "CREATE TABLE c (id int);\n")
    Cli(url, old).ok("up")
    with (
        gate(url) as open_gate,
        holding_lock(Cli(url, new)) as holder,
        ThreadPoolExecutor(1) as pool,
    ):
        started = pool.submit(Cli(url, old), "up")  # waits for the lock 0003's run holds
        open_gate()
        old_run = started.result()
    assert holder.proc.returncode == 0, holder.stderr
    assert old_run.returncode == 0, describe(old_run)
    assert "0003_c" in old_run.stderr and "newer than every file" in old_run.stderr
    assert versions(url) == [(1, "applied"), (2, "applied"), (3, "applied")]


def test_future_messages_are_true_and_another_projects_folder_is_not_a_rollback(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Planning alone, the same on every database: run on SQLite."""
    new, old = folders(tmp_path)
    (new / "0003_c.up.sql").rename(new / "0010_c.up.sql")
    (new / "0003_c.down.sql").rename(new / "0010_c.down.sql")
    write(new, "0011_d", "CREATE TABLE d (id int);\n")  # no down file: irreversible
    Cli(sqlite_url, new).ok("up")
    write(old, "0005_hotfix", "CREATE TABLE h (id int);\n", "DROP TABLE h;\n")
    cli = Cli(sqlite_url, old)
    # --json: the warning is in the document (nothing else listens); applied out of order
    # below them, the database is still at the newest applied one
    doc = json.loads(cli.ok("--json", "up", "--allow-out-of-order").stdout)
    assert "0010_c, 0011_d" in doc["messages"][0] and doc["current"] == "0011_d"
    script = json.loads(cli.ok("--json", "up", "--sql").stdout)["messages"]
    assert "0011_d (the same" in script[0] and script[1].startswith("-- warning: 2 applied")
    # a hint may not say to write a down file that would be refused without its up file
    said = expect(cli, 2, "down")
    assert "0011_d is irreversible" in said and "down.sql" not in said and "mark 11" in said
    assert "the stored down SQL" not in expect(cli, 4, "up", "--strict")

    # a folder sharing no version with the history is another project's, not an older build
    other = tmp_path / "other"
    other.mkdir()
    write(other, "0000_x", "CREATE TABLE x (id int);\n")
    stranger = Cli(sqlite_url, other, {"SQLMIG_ALLOW_OUT_OF_ORDER": "true"})
    assert "0001_a is applied but its file is missing" in expect(stranger, 4, "up")
    assert "x" not in tables(sqlite_url)

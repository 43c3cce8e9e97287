"""Deploy phases (issue 17 item 4): `-- sqlmig:phase post`, `up --phase pre|post`, on SQLite,
PostgreSQL and MariaDB, with numbering that interleaves pre- and post-deploy migrations."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, describe, run_many
from tests.conftest import query, write

POST = "-- sqlmig:phase post\n"


def interleaved(folder: Path) -> None:
    """1 pre, 2 post, 3 pre, 4 post, 5 pre: an expand/contract pair per release."""
    write(folder, "0001_users", "CREATE TABLE users (id int, name varchar(50));\n")
    write(folder, "0002_drop_legacy", POST + "CREATE TABLE legacy_done (id int);\n")
    write(folder, "0003_add_email", "ALTER TABLE users ADD COLUMN email varchar(50);\n")
    write(folder, "0004_drop_name", POST + "ALTER TABLE users DROP COLUMN name;\n")
    write(folder, "0005_orders", "CREATE TABLE orders (id int);\n")


def applied(url: str) -> list[int]:
    return [int(v) for (v,) in query(url, "SELECT version FROM sqlmig_history ORDER BY 1")]


def rows(cli: Cli) -> list[tuple[str, str, str | None]]:
    doc = json.loads(cli.ok("--json", "status").stdout)
    return [(r["label"], r["state"], r.get("phase")) for r in doc["rows"]]


def test_pre_then_post_then_all_with_interleaved_numbers(any_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    interleaved(folder)
    cli = Cli(any_url, folder)

    said = cli.ok("up", "--phase", "pre")
    assert applied(any_url) == [1, 3, 5], describe(said)
    assert rows(cli) == [
        ("0001_users", "applied", "pre"),
        ("0002_drop_legacy", "pending", "post"),
        ("0003_add_email", "applied", "pre"),
        ("0004_drop_name", "pending", "post"),
        ("0005_orders", "applied", "pre"),
    ]
    status = cli("status", "--exit-code")
    assert status.returncode == 8
    assert "pending: 2 post-deploy (0002_drop_legacy, 0004_drop_name: `sqlmig up --phase post`" in (
        status.stdout
    )
    # left pending by the pre-deploy phase: not out of order, not drift
    assert "files and history agree" in cli.ok("validate").stdout
    assert "numbered below" not in cli.ok("validate").stdout
    again = cli.ok("up", "--phase", "pre").stdout
    assert "nothing to apply" in again
    assert "2 post-deploy migration(s) left pending (0002_drop_legacy, 0004_drop_name)" in again
    assert applied(any_url) == [1, 3, 5]

    cli.ok("up", "--phase", "post")
    assert applied(any_url) == [1, 2, 3, 4, 5]
    columns = [c.lower() for (c,) in query(any_url, _columns(any_url, "users"))]
    assert "name" not in columns and "email" in columns

    # the next release: 6 pre, 7 post, 8 pre; `up` alone applies all in order
    write(folder, "0006_a", "CREATE TABLE a6 (id int);\n")
    write(folder, "0007_b", POST + "CREATE TABLE b7 (id int);\n")
    write(folder, "0008_c", "CREATE TABLE c8 (id int);\n")
    refused = cli("up", "--phase", "post")
    assert refused.returncode == 2, describe(refused)
    assert "pre-deploy migration(s) 0006_a are pending, numbered below post-deploy 0007_b" in (
        refused.stderr
    )
    assert applied(any_url) == [1, 2, 3, 4, 5]
    cli.ok("up", "--phase", "pre", "--steps", "1")
    assert applied(any_url) == [1, 2, 3, 4, 5, 6]
    cli.ok("up")
    assert applied(any_url) == [1, 2, 3, 4, 5, 6, 7, 8]


def _columns(url: str, table: str) -> str:
    if url.startswith("sqlite"):
        return f"SELECT name FROM pragma_table_info('{table}')"
    if url.startswith("mysql"):
        return (
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = DATABASE() AND table_name = '{table}'"
        )
    return f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"


def test_plain_up_after_a_pre_phase_applies_the_post_ones_left_below(
    any_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    interleaved(folder)
    cli = Cli(any_url, folder)
    cli.ok("up", "--phase", "pre")
    dry = cli.ok("up", "--dry-run").stdout
    assert "0002_drop_legacy" in dry and "0004_drop_name" in dry
    cli.ok("up")
    assert applied(any_url) == [1, 2, 3, 4, 5]


def test_a_post_migration_below_an_applied_post_one_is_out_of_order(
    any_url: str, tmp_path: Path
) -> None:
    """Its phase would have applied it before the later one: it came late (a merge)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    write(folder, "0003_c", POST + "CREATE TABLE c (id int);\n")
    cli = Cli(any_url, folder)
    cli.ok("up")
    write(folder, "0002_b", POST + "CREATE TABLE b (id int);\n")
    for phase in ((), ("--phase", "post")):
        proc = cli("up", *phase)
        assert proc.returncode == 2, describe(proc)
        assert "numbered below the newest applied one: 0002_b" in proc.stderr
    assert "0002_b is pending but numbered below" in cli.ok("validate").stdout


def test_phase_flag_and_directive_errors(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "-- sqlmig:phase sometime\nSELECT 1;\n")
    cli = Cli(sqlite_url, folder)
    proc = cli("up")
    assert proc.returncode == 2 and "0001_a.up.sql: malformed directive" in proc.stderr
    write(folder, "0001_a", "SELECT 1;\n")
    proc = cli("up", "--phase", "later")
    assert proc.returncode == 2 and "--phase: unknown phase 'later'" in proc.stderr
    # a folder without post-deploy migrations: status shows no phase at all
    cli.ok("up")
    assert rows(cli) == [("0001_a", "applied", None)]


def test_an_offline_script_of_one_phase(any_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    interleaved(folder)
    cli = Cli(any_url, folder)
    script = cli.ok("up", "--sql", "--phase", "pre").stdout
    assert "CREATE TABLE orders" in script and "DROP COLUMN name" not in script
    refused = cli("up", "--sql", "--from", "0", "--phase", "post")
    assert refused.returncode == 2 and "run `sqlmig up --phase pre` first" in refused.stderr
    cli.ok("up", "--phase", "pre")
    post = cli.ok("up", "--sql", "--phase", "post").stdout
    assert "DROP COLUMN name" in post and "CREATE TABLE orders" not in post


def test_lint_drop_and_rename_help_suggests_the_post_deploy_phase(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int, b int);\n")
    write(folder, "0002_b", "ALTER TABLE a DROP COLUMN b;\nALTER TABLE a RENAME TO z;\n")
    proc = Cli(sqlite_url, folder)("lint")
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout.count("-- sqlmig:phase post") >= 2, describe(proc)


def test_runners_of_both_phases_at_once_apply_each_migration_once(
    any_url: str, tmp_path: Path
) -> None:
    """Replicas of a deploy's two steps started together: the lock serialises them; a post run
    that comes first refuses (the pre-deploy ones below are pending), none applies twice."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    interleaved(folder)
    cli = Cli(any_url, folder)
    procs = run_many([(cli, ("up", "--phase", p)) for p in ("pre", "post") * 3], workers=6)
    pre, post = procs[0::2], procs[1::2]
    assert all(p.returncode == 0 for p in pre), [describe(p) for p in pre]
    assert all(p.returncode in (0, 2) for p in post), [describe(p) for p in post]
    refused = [p for p in post if p.returncode == 2]
    assert all("run `sqlmig up --phase pre` first" in p.stderr for p in refused)
    events = query(any_url, "SELECT version FROM sqlmig_history_log WHERE event = 'up'")
    done = sorted(int(v) for (v,) in events)
    assert done == sorted(set(done)), done  # none twice
    assert {1, 3, 5} <= set(done)
    assert set(done) == ({1, 3, 5} if len(refused) == 3 else {1, 2, 3, 4, 5})

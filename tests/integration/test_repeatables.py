"""Repeatable migrations (R__name.sql) on SQLite, PostgreSQL and MariaDB: applied after the
versioned ones, in name order, again only when their checksum changed, exactly once per
checksum with ten runners; a failing one fails the run; `down` never reverts one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import UNREACHABLE, Cli, describe, kind_of
from tests.conftest import query, write
from tests.integration.procs import Runner, release_all

# each run of a repeatable appends (file, how many rows were there before) to `runs`
RUNS = "CREATE TABLE runs (what varchar(20), n int);\n"


def ran(what: str) -> str:
    return f"INSERT INTO runs SELECT '{what}', COUNT(*) FROM runs;\n"


def runs(url: str) -> list[str]:
    return [w for w, _n in sorted(query(url, "SELECT what, n FROM runs"), key=lambda r: r[1])]


def view(columns: str) -> str:
    """A view every dialect takes (SQLite has no CREATE OR REPLACE VIEW)."""
    return f"DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT {columns} FROM t;\n"


def status_of(cli: Cli) -> dict[str, str]:
    done = cli("--json", "status")
    assert done.returncode in (0, 8), describe(done)
    return {r["label"]: r["state"] for r in json.loads(done.stdout)["rows"]}


def test_applied_after_the_versioned_in_name_order_and_again_only_when_changed(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", RUNS + "CREATE TABLE t (id int);\n")
    # the view uses a column the later migration adds: it must run after every versioned one
    write(migrations, "0002_email", "ALTER TABLE t ADD COLUMN email varchar(50);\n")
    (migrations / "R__b_view.sql").write_text(view("id, email") + ran("b"), "utf-8")
    (migrations / "R__a_first.sql").write_text(ran("a"), "utf-8")
    assert status_of(cli)["R__b_view"] == "pending"
    cli.ok("up")
    assert runs(any_url) == ["a", "b"]
    assert status_of(cli) == {
        "0001_t": "applied", "0002_email": "applied", "R__a_first": "applied",
        "R__b_view": "applied",
    }  # fmt: skip
    assert "nothing to apply" in cli.ok("up").stdout
    assert runs(any_url) == ["a", "b"]

    (migrations / "R__b_view.sql").write_text(view("id, email, 1 AS one") + ran("b"), "utf-8")
    assert status_of(cli)["R__b_view"] == "changed"
    assert cli("status", "--exit-code").returncode == 8  # changed is pending, not drift (4)
    assert cli("validate").returncode == 0
    dry = cli.ok("up", "--dry-run")
    assert "R__b_view" in dry.stdout and "1 AS one" in dry.stdout and "R__a_first" not in dry.stdout
    assert runs(any_url) == ["a", "b"]
    cli.ok("up")
    assert runs(any_url) == ["a", "b", "b"]
    assert [c.lower() for c in _columns(any_url)] == ["id", "email", "one"]
    events = json.loads(cli.ok("--json", "history").stdout)["entries"]
    repeats = [(e["label"], e["outcome"]) for e in events if e["event"] == "repeatable"]
    assert repeats == [("R__a_first", "ok"), ("R__b_view", "ok"), ("R__b_view", "ok")]


def _columns(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return [r[1] for r in query(url, "PRAGMA table_info(v)")]
    where = "table_schema = DATABASE()" if url.startswith("mysql") else "table_schema = 'public'"
    sql = (
        "SELECT column_name FROM information_schema.columns WHERE "
        f"table_name = 'v' AND {where} ORDER BY ordinal_position"
    )
    return [r[0] for r in query(url, sql)]


def test_a_failing_repeatable_fails_the_run_and_runs_again_whole_once_fixed(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", RUNS)
    (migrations / "R__a.sql").write_text(ran("a"), "utf-8")
    (migrations / "R__b.sql").write_text(ran("b") + "SELECT * FROM no_such_table;\n", "utf-8")
    failed = cli("up")
    assert failed.returncode == 1, describe(failed)
    assert "R__b (repeatable)" in failed.stderr and "R__b.sql:2" in failed.stderr
    # the versioned migration and R__a stay applied; R__b's insert rolled back with it, except
    # where DDL and DML commit statement by statement (MariaDB): there it stays
    rolled_back = kind_of(any_url) != "mysql"
    assert runs(any_url) == (["a"] if rolled_back else ["a", "b"])
    assert status_of(cli) == {"0001_t": "applied", "R__a": "applied", "R__b": "pending"}
    assert cli("status").returncode == 0  # no failed state to repair: a repeatable runs again
    (migrations / "R__b.sql").write_text(ran("b"), "utf-8")
    cli.ok("up")
    assert runs(any_url) == (["a", "b"] if rolled_back else ["a", "b", "b"])
    assert status_of(cli)["R__b"] == "applied"


def test_down_never_reverts_a_repeatable(any_url: str, migrations: Path) -> None:
    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", RUNS, "DROP TABLE runs;\n")
    write(migrations, "0002_u", "CREATE TABLE u (id int);\n", "DROP TABLE u;\n")
    (migrations / "R__a.sql").write_text(ran("a"), "utf-8")
    cli.ok("up")
    down = cli.ok("down")
    assert "0002_u" in down.stdout and "R__a" not in down.stdout
    assert status_of(cli) == {"0001_t": "applied", "0002_u": "pending", "R__a": "applied"}
    cli.ok("up")  # the repeatable is unchanged: not run again
    assert runs(any_url) == ["a"]


def test_up_to_or_steps_leaves_repeatables_for_the_whole_up(any_url: str, migrations: Path) -> None:
    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", RUNS)
    write(migrations, "0002_u", "CREATE TABLE u (id int);\n")
    (migrations / "R__a.sql").write_text(ran("a"), "utf-8")
    cli.ok("up", "--steps", "1")
    assert status_of(cli)["R__a"] == "pending"
    cli.ok("up")
    assert runs(any_url) == ["a"]


@pytest.mark.timeout(120)
def test_ten_runners_apply_each_checksum_once(any_url: str, migrations: Path) -> None:
    slow = {
        "postgres": "SELECT pg_sleep(1);\n",
        "mysql": "SELECT SLEEP(1);\n",
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 3000000) SELECT count(*) FROM c;\n",
    }[kind_of(any_url)]
    write(migrations, "0001_t", RUNS)
    # ten runners meet a new file, then three an edited one (the same lock, fewer starts)
    for round_, many in (("one", 10), ("two", 3)):
        (migrations / "R__slow.sql").write_text(f"-- {round_}\n{slow}{ran('slow')}", "utf-8")
        args = ("--url", any_url, "--dir", str(migrations), "up")
        spawn = [Runner(*args, gated=True) for _ in range(many)]
        try:
            release_all(spawn)
            done = [r.finish(timeout=90) for r in spawn]
        finally:
            for r in spawn:
                r.kill()
        report = "\n".join(f"--- exit {d.returncode}\n{d.stderr}" for d in done)
        assert [d.returncode for d in done] == [0] * many, report
        applied = [d for d in done if "applied R__slow" in d.stderr]
        assert len(applied) == 1, report
        # the runners met at the lock: otherwise this proved nothing
        assert any("waiting for the migration lock" in d.stderr for d in done), report
    assert runs(any_url) == ["slow", "slow"]


def test_a_flyway_folder_runs_its_repeatables(sqlite_url: str, migrations: Path) -> None:
    cli = Cli(sqlite_url, migrations)
    (migrations / "V1__init.sql").write_text(RUNS, "utf-8")
    (migrations / "R__Any Description.sql").write_text(ran("r"), "utf-8")
    done = cli.ok("up")
    assert "R__Any Description" in done.stderr
    assert runs(sqlite_url) == ["r"]


@pytest.mark.parametrize(
    ("name", "words"),
    [("R__Views.sql", "not a repeatable migration name"), ("R__a b.sql", "R__slug.sql")],
)
def test_a_bad_repeatable_name_stops_before_connecting(
    migrations: Path, name: str, words: str
) -> None:
    write(migrations, "0001_t", "SELECT 1;\n")
    (migrations / name).write_text("SELECT 1;\n", "utf-8")
    done = Cli(UNREACHABLE, migrations)("up")
    assert done.returncode == 2 and words in done.stderr, describe(done)


def test_a_folder_of_repeatables_only_is_not_an_empty_folder(
    sqlite_url: str, migrations: Path
) -> None:
    (migrations / "R__a.sql").write_text(RUNS.replace("TABLE", "TABLE IF NOT EXISTS"), "utf-8")
    Cli(sqlite_url, migrations).ok("up")
    assert query(sqlite_url, "SELECT COUNT(*) FROM runs") == [(0,)]


def test_offline_scripts_apply_the_changed_repeatables(
    any_url: str, migrations: Path, tmp_path: Path
) -> None:
    from tests.cli.test_offline import client

    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", RUNS + "CREATE TABLE t (id int);\n")
    (migrations / "R__a.sql").write_text(ran("a"), "utf-8")
    (migrations / "R__v.sql").write_text(view("id") + ran("v"), "utf-8")
    cli.ok("up", "--steps", "1")
    script = cli.ok("up", "--sql").stdout
    assert "-- repeatable R__a" in script and "-- repeatable R__v" in script
    done = client(any_url, script, tmp_path)
    assert done.returncode == 0, describe(done)
    assert runs(any_url) == ["a", "v"]
    assert set(status_of(cli).values()) == {"applied"}
    (migrations / "R__v.sql").write_text(view("id, 2 AS two") + ran("v"), "utf-8")
    script = cli.ok("up", "--sql").stdout
    assert "-- repeatable R__v" in script and "R__a" not in script
    assert client(any_url, script, tmp_path).returncode == 0
    assert runs(any_url) == ["a", "v", "v"] and set(status_of(cli).values()) == {"applied"}
    # --to: none, as `up --to`; --from without a URL: every one (each may run again)
    assert (
        "repeatable"
        not in Cli("", migrations)
        .ok("up", "--sql", "--dialect", kind_of(any_url), "--to", "1")
        .stdout
    )
    offline = Cli("", migrations).ok("up", "--sql", "--dialect", kind_of(any_url), "--from", "1")
    assert "-- repeatable R__a" in offline.stdout and "-- repeatable R__v" in offline.stdout


def test_lint_reads_repeatables_and_callbacks(migrations: Path) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n")
    (migrations / "R__drop.sql").write_text("DROP TABLE t;\n", "utf-8")
    (migrations / "callbacks").mkdir()
    (migrations / "callbacks" / "afterMigrate.sql").write_text("DROP TABLE u;\n", "utf-8")
    done = Cli("", migrations)("lint")
    assert done.returncode == 1, describe(done)
    assert "R__drop.sql:1:1" in done.stdout and "afterMigrate.sql:1:1" in done.stdout


def test_the_schema_check_builds_repeatables_as_applied(any_url: str, migrations: Path) -> None:
    """A view made by a repeatable is not drift; nor is the file edited and not yet applied
    (the database keeps what it applied): `up --check-schema` goes ahead and applies it."""
    cli = Cli(any_url, migrations)
    write(migrations, "0001_t", "CREATE TABLE t (id int);\n")
    (migrations / "R__v.sql").write_text(view("id"), "utf-8")
    cli.ok("up")
    assert "schema: matches" in cli.ok("status", "--schema").stdout
    (migrations / "R__v.sql").write_text(view("id, 1 AS one"), "utf-8")
    assert "schema: matches" in cli.ok("status", "--schema").stdout
    cli.ok("up", "--check-schema")
    assert [c.lower() for c in _columns(any_url)] == ["id", "one"]
    assert "schema: matches" in cli.ok("status", "--schema").stdout
    # a change by hand to what a repeatable made is still found
    execute_sql = "DROP VIEW v;\nCREATE VIEW v AS SELECT id FROM t;\n"
    from tests.conftest import execute

    execute(any_url, execute_sql)
    drift = cli("status", "--schema")
    assert "view v was changed outside the migrations" in drift.stdout, describe(drift)


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("CREATE VIEW v AS SELECT 1;\n", True),
        ("CREATE TABLE audit (id int);\n", True),
        ("CREATE INDEX ON t (id);\n", True),
        ("CREATE OR REPLACE VIEW v AS SELECT 1;\n", False),
        ("CREATE TABLE IF NOT EXISTS audit (id int);\n", False),
        ("DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1;\n", False),
    ],
)
def test_lint_finds_a_repeatable_that_cannot_run_again(
    migrations: Path, sql: str, found: bool
) -> None:
    from sqlmig.lint import lint_paths

    (migrations / "R__x.sql").write_text(sql, "utf-8")
    (migrations / "0001_x.up.sql").write_text(sql, "utf-8")  # a migration runs once: quiet
    hits = lint_paths([migrations], select=["F709"]).findings
    assert [Path(h.path).name for h in hits] == (["R__x.sql"] if found else [])


@pytest.mark.timeout(60)
def test_sigterm_during_a_repeatable_rolls_it_back_and_says_so(
    db_url: str, migrations: Path
) -> None:
    import os
    import signal

    slow = {
        "postgres": "SELECT pg_sleep(20);\n",
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 300000000) SELECT count(*) FROM c;\n",
    }[kind_of(db_url)]
    write(migrations, "0001_t", RUNS)
    (migrations / "R__slow.sql").write_text(ran("slow") + slow, "utf-8")
    runner = Runner("--url", db_url, "--dir", str(migrations), "up")
    try:
        runner.wait_for_stderr("applying R__slow", timeout=30)
        os.kill(runner.proc.pid, signal.SIGTERM)
        done = runner.finish(timeout=30)
    finally:
        runner.kill()
    assert done.returncode == 143, done.stderr
    assert "interrupted; R__slow (repeatable) was rolled back" in done.stderr
    assert runs(db_url) == []
    assert status_of(Cli(db_url, migrations))["R__slow"] == "pending"


def test_new_repeatable_writes_a_file_up_applies_and_never_overwrites(
    sqlite_url: str, migrations: Path
) -> None:
    cli = Cli(sqlite_url, migrations)
    write(migrations, "0001_t", RUNS + "CREATE TABLE t (id int);\n")
    done = cli.ok("new", "--repeatable", "Reporting views")
    path = migrations / "R__reporting_views.sql"
    assert f"created {path}" in done.stdout
    assert "applied again by `sqlmig up` whenever this file changes" in path.read_text("utf-8")
    assert not list(migrations.glob("*reporting_views*.up.sql"))  # no versioned pair
    path.write_text(path.read_text("utf-8") + view("id") + ran("r"), "utf-8")
    cli.ok("up")
    assert runs(sqlite_url) == ["r"]
    again = cli("new", "--repeatable", "reporting views")
    assert again.returncode == 2 and "exists already" in again.stderr, describe(again)
    assert "CREATE VIEW v" in path.read_text("utf-8")  # kept as it was
    mixed = cli("new", "--repeatable", "x", "--timestamp")
    assert mixed.returncode == 2 and "--repeatable takes no version" in mixed.stderr
    assert not (migrations / "R__x.sql").exists()


def test_new_repeatable_in_a_flyway_folder_and_refused_in_others(
    sqlite_url: str, tmp_path: Path
) -> None:
    flyway = tmp_path / "fw"
    flyway.mkdir()
    (flyway / "V1__t.sql").write_text("CREATE TABLE t (id int);\n", "utf-8")
    Cli(sqlite_url, flyway).ok("new", "--repeatable", "views")
    assert (flyway / "R__views.sql").is_file()
    dbmate = tmp_path / "dbm"
    dbmate.mkdir()
    (dbmate / "20240101000000_t.sql").write_text("-- migrate:up\nSELECT 1;\n", "utf-8")
    refused = Cli(sqlite_url, dbmate)("new", "--repeatable", "views")
    assert refused.returncode == 2, describe(refused)
    assert "read as a dbmate folder, which has no repeatable migrations" in refused.stderr
    assert not (dbmate / "R__views.sql").exists()


def test_new_repeatable_odd_names_and_folders_give_clear_errors(
    sqlite_url: str, tmp_path: Path
) -> None:
    flyway = tmp_path / "fw"
    flyway.mkdir()
    (flyway / "V1__t.sql").write_text("CREATE TABLE t (id int);\n", "utf-8")
    (flyway / "R__Views.sql").write_text("SELECT 1;\n", "utf-8")
    cli = Cli(sqlite_url, flyway)
    # one file on macOS/Windows file systems: refused, the other one kept as it was
    same = cli("new", "--repeatable", "views")
    assert same.returncode == 2 and "R__Views.sql exists already" in same.stderr, describe(same)
    assert "but for case" in same.stderr and not (flyway / "R__views.sql").exists()
    long = cli("new", "--repeatable", "a" * 300)
    assert long.returncode == 2 and "longer than the 255 bytes" in long.stderr, describe(long)
    missing = Cli(sqlite_url, tmp_path / "missing")("new", "--repeatable", "v")
    assert missing.returncode == 2 and "does not exist" in missing.stderr, describe(missing)
    assert not (tmp_path / "missing").exists()

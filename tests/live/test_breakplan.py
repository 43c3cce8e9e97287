"""Hostile but ordinary migrations for plan and preflight on PostgreSQL: session settings a
file makes inside its own BEGIN ... COMMIT."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, describe
from tests.conftest import execute, write

INIT = """\
CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY, v text);
CREATE TABLE public.t (id int PRIMARY KEY, v text);
"""
# SET LOCAL inside the file's own transaction: up runs it so; app.t has a NULL, public.t not
LOCAL = """\
BEGIN;
SET LOCAL search_path = app;
ALTER TABLE t ALTER COLUMN v SET NOT NULL;
COMMIT;
ALTER TABLE t ADD CONSTRAINT t_v UNIQUE (v);
"""


def test_set_local_search_path_in_a_files_own_transaction(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_init", INIT)
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    execute(pg_url, "INSERT INTO app.t VALUES (7, NULL); INSERT INTO public.t VALUES (1, 'a')")
    write(migrations, "0002_local", LOCAL)
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    assert "0002_local.up.sql:3: v SET NOT NULL on t: 1 rows; id = 7" in proc.stdout, describe(proc)
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    entries = {e["where"].rsplit(":", 1)[1]: e for e in json.loads(proc.stdout)["entries"]}
    assert [t["table"] for t in entries["3"]["touches"]] == ["app.t"], describe(proc)
    # after the file's COMMIT the session's search_path is back: the UNIQUE is on public.t
    assert [t["table"] for t in entries["5"]["touches"]] == ["public.t"], describe(proc)


def test_a_function_call_before_a_check_is_said_to_maybe_change_rows(
    pg_url: str, migrations: Path
) -> None:
    write(migrations, "0001_init", INIT)
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    sql = "SELECT set_config('search_path', 'app', false);\nALTER TABLE t ADD UNIQUE (v);\n"
    write(migrations, "0002_call", sql)
    proc = cli("preflight")
    assert proc.returncode == 0, describe(proc)
    assert "0002_call.up.sql:1 may change rows first (a DO block, CALL or function" in proc.stdout


def test_mysql_backquoted_names_and_use(mysql_url: str, migrations: Path) -> None:
    init = "CREATE TABLE t (id int PRIMARY KEY, v varchar(20));\n"
    init += "CREATE TABLE `we``ird` (id int PRIMARY KEY, `Va l` varchar(20));\n"
    write(migrations, "0001_init", init)
    cli = Cli(mysql_url, migrations)
    cli.ok("up")
    database = mysql_url.rsplit("/", 1)[1].split("?")[0]
    execute(mysql_url, "INSERT INTO t VALUES (1, NULL)")
    execute(mysql_url, "INSERT INTO `we``ird` VALUES (1, 'a'), (2, 'a')")
    sql = "ALTER TABLE `we``ird` ADD UNIQUE KEY u (`Va l`);\n"
    sql += f"USE {database};\nALTER TABLE t MODIFY v varchar(20) NOT NULL;\n"
    write(migrations, "0002_next", sql)
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    first = json.loads(proc.stdout)["entries"][0]
    assert [t["table"] for t in first["touches"]] == ["we`ird"], describe(proc)
    assert first["touches"][0]["new"] is False, describe(proc)  # it said "a new table" before
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    assert "2 rows share a value" in proc.stdout, describe(proc)
    # after USE an unqualified name may be another database's table: not checked here
    assert "0002_next.up.sql:3: v SET NOT NULL on t: skipped: " in proc.stdout, describe(proc)
    assert "0002_next.up.sql:2 switches the database (USE)" in proc.stdout, describe(proc)


def test_reset_search_path_puts_the_checks_back_on_public(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_init", INIT)
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    execute(pg_url, "INSERT INTO public.t VALUES (7, NULL)")
    sql = "SET search_path = app;\nRESET search_path;\nALTER TABLE t ALTER COLUMN v SET NOT NULL;\n"
    write(migrations, "0002_reset", sql)
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    assert "0002_reset.up.sql:3: v SET NOT NULL on t: 1 rows; id = 7" in proc.stdout, describe(proc)


def test_sqlite_a_quote_in_a_table_name_is_shown_doubled(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_init", 'CREATE TABLE "we""ird t" (id INTEGER PRIMARY KEY, v text);\n')
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    execute(sqlite_url, "INSERT INTO \"we\"\"ird t\" VALUES (1, 'a'), (2, 'a')")
    write(migrations, "0002_u", 'CREATE UNIQUE INDEX u ON "we""ird t" (v);\n')
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    assert 'UNIQUE (v) on "we""ird t": 2 rows share' in proc.stdout, describe(proc)


def test_a_migrations_own_timeout_and_read_only_default_do_not_break_the_trace(
    pg_url: str, migrations: Path
) -> None:
    write(migrations, "0001_init", INIT)
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    sql = """\
SET statement_timeout = '1ms';
SET default_transaction_read_only = on;
ALTER TABLE app.t ADD COLUMN w int;
"""
    write(migrations, "0002_settings", sql)
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    entries = json.loads(proc.stdout)["entries"]
    assert [e["verdict"] for e in entries[:2]] == ["safe", "safe"], describe(proc)
    assert [t["table"] for t in entries[2]["touches"]] == ["app.t"], describe(proc)
    assert entries[2]["touches"][0]["lock"] == "AccessExclusiveLock", describe(proc)


def test_a_check_with_a_secret_placeholder_queries_the_value_and_prints_stars(
    pg_url: str, migrations: Path
) -> None:
    write(migrations, "0001_init", "CREATE TABLE acct (id int PRIMARY KEY, token text);\n")
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    execute(pg_url, "INSERT INTO acct VALUES (1, 'hunter2hunter2'), (2, 'other')")
    sql = "-- sqlmig:placeholders\n"
    sql += "ALTER TABLE acct ADD CONSTRAINT c CHECK (token <> '${api_token}');\n"
    write(migrations, "0002_check", sql)
    for args in (("preflight",), ("--json", "preflight"), ("up", "--preflight")):
        proc = cli("--var", "api_token=hunter2hunter2", *args)
        assert proc.returncode == 9, describe(proc)  # it said passed: it queried '***'
        assert "hunter2" not in proc.stdout + proc.stderr, describe(proc)
    assert "CHECK (token <> '***') on acct: 1 rows; id = 1" in proc.stderr, describe(proc)


def test_up_preflight_and_plan_take_the_phase(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_init", "CREATE TABLE u (id INTEGER PRIMARY KEY, name text);\n")
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    execute(sqlite_url, "INSERT INTO u VALUES (1, 'a'), (2, 'a')")
    write(migrations, "0002_post", "-- sqlmig:phase post\nCREATE UNIQUE INDEX un ON u (name);\n")
    write(migrations, "0003_pre", "ALTER TABLE u ADD COLUMN x int;\n")
    proc = cli("up", "--plan", "--phase", "pre")
    assert proc.returncode == 0 and "0002_post" not in proc.stdout, describe(proc)
    assert "0003_pre.up.sql:1" in proc.stdout, describe(proc)
    # the post-deploy duplicate does not stop the pre-deploy phase (it refused with exit 9)
    proc = cli("up", "--preflight", "--phase", "pre")
    assert proc.returncode == 0, describe(proc)
    proc = cli("preflight", "--phase", "post")
    assert proc.returncode == 9 and "0002_post.up.sql:2: UNIQUE (name) on u" in proc.stdout


def test_a_statement_ending_its_own_session_is_named(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_init", INIT)
    cli = Cli(pg_url, migrations)
    cli.ok("up")
    sql = "SELECT pg_terminate_backend(pg_backend_pid());\nALTER TABLE app.t ADD COLUMN z int;\n"
    write(migrations, "0002_kill", sql)
    proc = cli("plan")
    assert proc.returncode == 6, describe(proc)
    assert "while tracing " in proc.stderr and "0002_kill.up.sql:1: " in proc.stderr, describe(proc)
    assert "--to the version before it" in proc.stderr, describe(proc)

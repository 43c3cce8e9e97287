"""Issue 17's features under hostile but ordinary use (placeholders, phases, repeatables,
callbacks), on SQLite, PostgreSQL and MariaDB: each test here failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.conftest import query, write

ON = "-- sqlmig:placeholders\n"
LONG_SECRET = "Q" + "abcdefghij" * 12  # longer than MariaDB quotes (80) and a PG name (63)


@pytest.mark.parametrize(
    "sql", ["SELECT (1 ${api_token});\n", "CREATE TABLE ${api_token} (id int);\n"]
)
def test_a_long_secret_cut_short_by_the_database_error_is_masked(
    pg_url: str, mysql_url: str, tmp_path: Path, sql: str
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", ON + sql + sql)  # a syntax error, or a table made twice
    for url in (pg_url, mysql_url):
        r = Cli(url, folder, env={"SQLMIG_VAR_api_token": LONG_SECRET})("up")
        assert r.returncode == 1, r.stderr
        out = r.stdout + r.stderr
        assert "abcdefghij" not in out.lower() and "***" in out, out
        log = query(url, "SELECT detail FROM sqlmig_history_log")
        assert log and all("abcdefghij" not in (d or "").lower() for (d,) in log), log


def test_status_names_the_last_repeatable_deleted_after_it_was_applied(
    any_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_base", "CREATE TABLE base (id int);\n")
    (folder / "R__base_view.sql").write_text(
        "DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS a;\n"
    )
    cli = Cli(any_url, folder)
    assert cli("up").returncode == 0
    (folder / "R__base_view.sql").unlink()  # the folder has no repeatable left
    r = cli("status")
    assert r.returncode == 0, r.stderr
    assert "R__base_view (repeatable) was applied but its file is gone" in r.stdout + r.stderr


def test_status_schema_rebuilds_a_repeatable_with_a_secret_and_never_prints_it(
    pg_url: str, mysql_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_base", "CREATE TABLE base (id int);\n")
    view = ON + "CREATE OR REPLACE VIEW vv AS SELECT '${db_password}' AS p;\n"
    (folder / "R__vv.sql").write_text(view)
    for url in (pg_url, mysql_url):
        cli = Cli(url, folder, env={"SQLMIG_VAR_db_password": "Hunter2Hunter2"})
        assert cli("up").returncode == 0
        r = cli("status", "--schema")
        out = r.stdout + r.stderr
        assert "hunter2" not in out.lower(), out
        assert r.returncode == 0 and "schema: matches" in out, out  # the view is no drift


def test_verify_and_diff_mask_a_secret_a_scratch_run_error_quotes(
    pg_url: str, mysql_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    bad = ON + "SELECT (1 ${db_password});\n"  # a syntax error quoting the value
    write(folder, "0001_a", ON + "CREATE TABLE vt (id int);\n", bad)
    write(folder, "0002_b", bad)
    (tmp_path / "schema.sql").write_text("CREATE TABLE vt (id int);\n")
    for url in (pg_url, mysql_url):
        cli = Cli(url, folder, env={"SQLMIG_VAR_db_password": "Hunter2Hunter2"})
        for args in (("verify",), ("verify", "--json"), ("diff", "--check")):
            r = cli(*args)
            out = r.stdout + r.stderr
            assert r.returncode != 0 and "***" in out, (args, out)
            assert "hunter2" not in out.lower(), (args, out)


def test_up_sql_fills_in_a_repeatable_and_leaves_it_out_of_the_pre_phase(
    any_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_base", "CREATE TABLE base (id int);\n")
    view = ON + "CREATE VIEW ${view_name} AS SELECT '${db_password}' AS p;\n"
    (folder / "R__vv.sql").write_text(view)
    env = {"SQLMIG_VAR_view_name": "vv_named", "SQLMIG_VAR_db_password": "Hunter2Hunter2"}
    cli = Cli(any_url, folder, env=env)
    pre = cli("up", "--sql", "--phase", "pre")
    assert pre.returncode == 0 and "0001_base" in pre.stdout, pre.stderr
    assert "R__vv" not in pre.stdout  # a repeatable waits for the post phase, as `up` does
    refused = cli("up", "--sql")
    assert refused.returncode == 2 and "R__vv.sql (${db_password})" in refused.stderr
    r = cli("up", "--sql", "--reveal-secrets")
    assert r.returncode == 0, r.stderr
    assert "CREATE VIEW vv_named AS SELECT 'Hunter2Hunter2' AS p;" in r.stdout, r.stdout
    assert "${" not in r.stdout
    missing = Cli(any_url, folder, env={"SQLMIG_VAR_db_password": "x"})("up", "--sql")
    assert missing.returncode == 2 and "R__vv.sql:2: placeholder ${view_name}" in missing.stderr


def test_a_failing_after_migrate_with_nothing_to_apply_claims_no_migration(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    (folder / "callbacks").mkdir(parents=True)
    write(folder, "0001_a", "CREATE TABLE cbt (id int);\n")
    cli = Cli(sqlite_url, folder)
    assert cli("up").returncode == 0
    (folder / "callbacks" / "afterMigrate.sql").write_text("SELECT * FROM nosuch_after;\n")
    r = cli("up")  # nothing to apply; afterMigrate runs and fails
    assert r.returncode == 1 and "callbacks/afterMigrate.sql:1:" in r.stderr, r.stderr
    assert "the migrations of this run stay applied" not in r.stderr  # there were none
    assert "--no-callbacks" in r.stderr


def test_a_value_with_a_quote_that_breaks_splitting_is_named_as_the_cause(
    mysql_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(
        folder,
        "0001_a",
        ON + "CREATE TABLE qt (n varchar(50));\nINSERT INTO qt VALUES ('${note}');\n",
    )
    r = Cli(mysql_url, folder, env={"SQLMIG_VAR_note": "it's"})("up")
    assert r.returncode == 2, r.stderr  # the file as written splits; filled in, it does not
    assert "cannot split" in r.stderr and "placeholders filled in: ${note}" in r.stderr, r.stderr
    assert query(mysql_url, "SHOW TABLES LIKE 'qt'") == []  # refused before anything ran


@pytest.mark.parametrize("said", ["phase post", "no-transaction", "placeholders"])
def test_a_directive_in_a_block_comment_is_refused_not_ignored(
    any_url: str, tmp_path: Path, said: str
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    write(folder, "0002_drop_a", f"/* sqlmig:{said} */\nDROP TABLE a;\n")
    r = Cli(any_url, folder)("up", "--phase", "pre")
    assert r.returncode == 2, r.stdout + r.stderr  # the DROP did not run before the deploy
    assert "0002_drop_a.up.sql:1: `sqlmig:" in r.stderr and "/* */ comment" in r.stderr
    assert f"-- sqlmig:{said}" in r.stderr


STATEMENTS = (
    "-- sqlmig:no-transaction\nSELECT 1;\n-- a comment\n-- another\nSELECT nosuch FROM b;\n"
)


@pytest.mark.parametrize("where", ["R__x.sql", "callbacks/afterMigrate.sql"])
def test_a_statement_by_statement_error_names_its_line_and_column(
    pg_url: str, tmp_path: Path, where: str
) -> None:
    folder = tmp_path / "migrations"
    (folder / "callbacks").mkdir(parents=True)
    write(folder, "0001_b", "CREATE TABLE b (id int);\n")
    (folder / where).write_text(STATEMENTS)
    r = Cli(pg_url, folder)("up")
    assert r.returncode == 1, r.stderr
    assert f'{where}:5:8: column "nosuch" does not exist' in r.stderr, r.stderr


def test_a_repeatable_bigger_than_mariadb_takes_in_one_insert_is_recorded(
    mysql_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE bgt (id int);\n")
    padding = "".join(f"-- line {i:06d} {'x' * 60}\n" for i in range(250_000))  # 18 MB
    (folder / "R__big.sql").write_text(f"CREATE OR REPLACE VIEW bgv AS SELECT 1 AS a;\n{padding}")
    cli = Cli(mysql_url, folder)
    r = cli("up")
    assert r.returncode == 0, r.stderr  # was: the lock was lost (max_allowed_packet, 16 MB)
    again = cli("up")
    assert again.returncode == 0 and "R__big" not in again.stdout + again.stderr, again.stderr
    assert query(mysql_url, "SELECT a FROM bgv") == [(1,)]


def test_a_repeatable_that_asks_for_the_pre_phase_is_refused_not_ignored(
    any_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    view = "-- sqlmig:phase pre\nDROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS x;\n"
    (folder / "R__v.sql").write_text(view)
    cli = Cli(any_url, folder)
    r = cli("up", "--phase", "pre")
    assert r.returncode == 2, r.stdout + r.stderr  # was: 0001 applied, R__v silently left
    assert "R__v.sql: a repeatable migration has no pre-deploy phase" in r.stderr
    (folder / "R__v.sql").write_text(view.replace("phase pre", "phase post"))  # true: kept
    assert cli("up").returncode == 0


def test_masking_a_long_secret_cut_short_and_only_that() -> None:
    from sqlmig.placeholders import Vars

    v = Vars(values={"replica_secret": "postgresql://app:Hunter2Hunter2@db/app"})
    shown = "Database: postgresql://postgres@127.0.0.1/x"  # shares the value's first 13
    assert v.mask(shown) == shown
    assert v.mask("near 'postgresql://app:Hunt...' at line 1") == "near '***...' at line 1"
    assert v.mask('"postgresql://app:Hunter2Hunter2@db/app"') == '"***"'
    assert (
        v.mask("x postgresql://app:Hunter2Hunter2@db/appendix") == "x ***endix"
    )  # the whole value, even inside a word


def test_up_that_stops_short_names_the_repeatables_it_leaves(any_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    view = "DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS x;\n"
    (folder / "R__v.sql").write_text(view)
    cli = Cli(any_url, folder)
    assert cli("up").returncode == 0
    (folder / "R__v.sql").write_text(view + "-- edited\n")
    for args in (("--steps", "1"), ("--to", "1"), ("--phase", "pre")):
        r = cli("up", *args)
        assert r.returncode == 0, r.stderr
        assert "repeatable migration(s) left pending (R__v)" in r.stdout + r.stderr, (args, r)

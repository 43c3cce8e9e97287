"""Placeholders (issue 17 item 2): ${name} filled in from --var, SQLMIG_VAR_NAME and [vars], on
SQLite, PostgreSQL and MariaDB; errors before connecting; checksums of the files as written."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from tests.cli.helpers import UNREACHABLE, Cli, describe
from tests.conftest import query, write

ON = "-- sqlmig:placeholders\n"
UP = ON + (
    "CREATE TABLE ${tbl} (id int, note varchar(100));\n"
    "INSERT INTO ${tbl} VALUES (1, '${note}'), (2, '${sqlmig.database}'), (3, '$${literal}'),\n"
    "  (4, '${api_token}');\n"
)
DOWN = ON + "DROP TABLE ${tbl};\n"


def project(tmp_path: Path, url: str, **env: str) -> Cli:
    """A folder with one migration using placeholders, [vars] in sqlmig.toml beside it."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_items", UP, DOWN)
    (tmp_path / "sqlmig.toml").write_text('[vars]\nnote = "from-file"\ntbl = "from_file"\n')
    return Cli(url, folder, env={"SQLMIG_VAR_tbl": "items", "SQLMIG_VAR_api_token": "tk-1", **env})


def database_of(url: str) -> str:
    if url.startswith("sqlite"):
        return Path(url.split("///", 1)[1]).name
    return urlsplit(url).path.lstrip("/")


def test_values_fill_the_file_and_the_log_says_which_secrets_masked(
    any_url: str, tmp_path: Path
) -> None:
    cli = project(tmp_path, any_url)
    cli.ok("up", "--var", "note=from flag")
    rows = query(any_url, "SELECT id, note FROM items ORDER BY id")
    assert rows == [(1, "from flag"), (2, database_of(any_url)), (3, "${literal}"), (4, "tk-1")]
    entries = json.loads(cli.ok("--json", "history").stdout)["entries"]
    detail = entries[-1]["detail"]
    assert detail == (
        f"placeholders: tbl=items, note=from flag, sqlmig.database={database_of(any_url)}, "
        "api_token=***"
    )

    # another value is not drift: the checksum is that of the file as written
    assert "files and history agree" in cli.ok("validate").stdout
    statuses = json.loads(cli.ok("--json", "status").stdout)["rows"]
    assert [r["state"] for r in statuses] == ["applied"]

    # the down file is filled in too; and the copy stored in the history, once it is gone
    cli.ok("down")
    assert not any(t.lower() == "items" for t in tables(any_url))
    last = json.loads(cli.ok("--json", "history").stdout)["entries"][-1]
    assert (last["event"], last["detail"]) == ("down", "placeholders: tbl=items")
    cli.ok("up", "--var", "note=x")
    (cli.folder / "0001_items.down.sql").unlink()
    proc = cli.ok("down", "--var", "tbl=items")
    assert "stored" in proc.stdout + proc.stderr
    assert not any(t.lower() == "items" for t in tables(any_url))


def tables(url: str) -> list[str]:
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    elif url.startswith("mysql"):
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return [name for (name,) in query(url, sql)]


def test_an_unset_name_is_an_error_before_connecting(any_url: str, tmp_path: Path) -> None:
    cli = project(tmp_path, any_url, SQLMIG_VAR_api_token="")
    (tmp_path / "sqlmig.toml").write_text("")
    del cli.env["SQLMIG_VAR_api_token"], cli.env["SQLMIG_VAR_tbl"]
    for args in (("up",), ("up", "--dry-run"), ("up", "--sql"), ("redo",), ("down",)):
        # a server that is not there (once): exit 2 all the same, so nothing connected
        for url in (any_url, UNREACHABLE) if any_url.startswith("sqlite") else (any_url,):
            proc = Cli(url, cli.folder, env=cli.env)(*args)
            assert proc.returncode == 2, describe(proc)
            where = f"{cli.folder / '0001_items'}.{'down' if args == ('down',) else 'up'}.sql"
            assert f"{where}:2: placeholder ${{tbl}}: it has no value" in proc.stderr, describe(
                proc
            )
    assert "sqlmig_history" not in tables(any_url)
    proc = cli("up", "--var", "note=1", "--var", "tbl=t")
    assert proc.returncode == 2 and "${api_token}: it has no value" in proc.stderr
    assert "${note}" not in proc.stderr and "${tbl}" not in proc.stderr


def test_a_dry_run_masks_secrets_and_a_script_holds_them_only_when_told(
    any_url: str, tmp_path: Path
) -> None:
    cli = project(tmp_path, any_url, SQLMIG_VAR_api_token="tk-SECRET-9")
    shown = cli.ok("up", "--dry-run").stdout
    assert "INSERT INTO items VALUES (1, 'from-file')" in shown
    assert "(4, '***')" in shown and "tk-SECRET-9" not in shown
    refused = cli("up", "--sql")
    assert refused.returncode == 2, describe(refused)
    assert "secret placeholder(s): 0001_items.up.sql (${api_token})" in refused.stderr
    assert "tk-SECRET-9" not in refused.stdout + refused.stderr
    alone = cli("up", "--reveal-secrets")
    assert alone.returncode == 2 and "--reveal-secrets is for --sql scripts only" in alone.stderr
    script = cli.ok("up", "--sql", "--reveal-secrets").stdout
    assert "(4, 'tk-SECRET-9')" in script and "CREATE TABLE items" in script
    # not secret: the script holds the value without being told
    write(cli.folder, "0001_items", UP.replace("${api_token}", "${plain}"), DOWN)
    plain = cli.ok("up", "--sql", "--var", "plain=visible").stdout
    assert "(4, 'visible')" in plain


def test_postgres_dollar_quotes_and_placeholders_in_a_function_body(
    pg_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    body = ON + (
        "CREATE SCHEMA ${schema};\n"
        "CREATE FUNCTION ${schema}.greet(who text) RETURNS text AS $$\n"
        "  SELECT '${greeting}, ' || who || ' $${not_a_placeholder} $1'\n"
        "$$ LANGUAGE sql;\n"
        "CREATE FUNCTION ${schema}.js() RETURNS json AS $f$ "
        'SELECT $j$${"k": "${greeting}"}$j$::json $f$ LANGUAGE sql;\n'
        "DO $do$ BEGIN PERFORM 1; END $do$;\n"
    )
    write(folder, "0001_fn", body, "DROP SCHEMA ${schema} CASCADE;\n")
    cli = Cli(pg_url, folder)
    cli.ok("up", "--var", "schema=app", "--var", "greeting=Hello")
    assert query(pg_url, "SELECT app.greet('Ann')") == [("Hello, Ann ${not_a_placeholder} $1",)]
    assert query(pg_url, "SELECT app.js()::text") == [('{"k": "Hello"}',)]


def test_lint_reads_placeholders_as_names_of_their_length(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    body = ON + "CREATE TABLE ${schema}.t (id int);\nSELECT 1 FROM ${schema}.t WHERE id = 1 +;\n"
    write(folder, "0001_a", body, ON + "DROP TABLE ${schema}.t;\n")
    proc = Cli("", folder)("lint", "--dialect", "postgres")
    assert proc.returncode == 1, describe(proc)
    # the one syntax error is the real one, at its column in the file as written
    assert proc.stdout.count("syntax-error") == 1, describe(proc)
    assert "0001_a.up.sql:3:" in proc.stdout, describe(proc)


def test_verify_and_status_schema_fill_in_both_files(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", ON + "CREATE TABLE ${t} (id int);\n", ON + "DROP TABLE ${t};\n")
    cli = Cli(sqlite_url, folder)
    refused = cli("verify")
    assert refused.returncode == 2 and "${t}: it has no value" in refused.stderr
    assert "every down undoes its up" in cli.ok("--var", "t=x", "verify").stdout
    cli.ok("--var", "t=x", "up")
    assert "matches" in cli.ok("--var", "t=x", "status", "--schema").stdout

"""Which database: `init` sets none (an unset or mistyped DATABASE_URL is an error, not a new
local file), and up, down and redo name their target first, redacted, with its server's
version, as Flyway's "Database:" line (issue 11, item 7)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.cli.helpers import Cli, describe
from tests.conftest import ROOT, sqlmig, write

PASSWORD = "Tr0ub4dor-pw"
SERVER = re.compile(
    r"\((SQLite 3\.\d+\.\d+(, /\S+)?|PostgreSQL \d+\.\d+|MariaDB \d+\.\d+\.\d+|MySQL \d+\.\d+\.\d+)"
)


def test_init_names_no_database_and_up_then_says_how_to_give_one(tmp_path: Path) -> None:
    done = sqlmig("init", cwd=tmp_path)
    assert done.returncode == 0, describe(done)
    assert "names no database yet" in done.stdout, done.stdout
    config = (tmp_path / "sqlmig.toml").read_text("utf-8")
    assert not re.search(r"^\s*url\s*=", config, re.M), config  # only commented examples
    assert '# url = "sqlite:///app.db"' in config
    write(tmp_path / "migrations", "0001_a", "CREATE TABLE a (id int);\n")
    # DATABSE_URL: a mistyped variable name must not fall back to a local file
    for args in (("up",), ("down",), ("redo",), ("status",)):
        done = sqlmig(*args, cwd=tmp_path, env={"DATABSE_URL": "postgresql://x@db/app"})
        assert done.returncode == 2, describe(done)
        assert "no database URL is configured" in done.stderr
        for way in ("--url", "SQLMIG_URL", "DATABASE_URL", "SQLMIG_URL_FILE", "sqlmig.toml"):
            assert way in done.stderr, (way, done.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migrations", "sqlmig.toml"]


def _with_password(url: str) -> str:
    """PostgreSQL here trusts 127.0.0.1, so a password is accepted and ignored: it must not leak.
    (MariaDB's root has none, and SQLite takes none: their URLs stay as they are.)"""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1) if "postgres@" in url else url


def _database_line(stderr: str) -> str:
    return stderr.splitlines()[0] if stderr else ""


def test_up_down_redo_name_the_database_first(any_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    url = _with_password(any_url)
    shown = url.replace(PASSWORD, "***")
    cli = Cli(url, migrations)
    for args in (("up", "--dry-run"), ("up",), ("redo",), ("down", "--dry-run"), ("down",)):
        done = cli.ok(*args)
        line = _database_line(done.stderr)
        assert line.startswith(f"Database: {shown} ("), (args, done.stderr)
        assert SERVER.search(line), line
        assert PASSWORD not in done.stderr + done.stdout
    assert cli.ok("up").stderr.startswith("Database: ")  # also when there is nothing to do


def test_quiet_and_json_keep_it_off_stderr_and_logs_get_an_event(
    any_url: str, migrations: Path
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    url = _with_password(any_url)
    cli = Cli(url, migrations)
    assert cli.ok("--quiet", "up").stderr == ""
    doc = json.loads(cli.ok("--json", "redo").stdout)  # stdout: the JSON document alone
    assert doc["ok"] and "Database" not in json.dumps(doc)
    logged = cli.ok("--log-format", "json", "down")
    records = [json.loads(line) for line in logged.stderr.splitlines()]
    assert records[0]["event"] == "database" and records[0]["level"] == "info", records
    assert records[0]["url"] == url.replace(PASSWORD, "***")
    assert SERVER.search("(" + records[0]["server"]), records[0]
    assert PASSWORD not in logged.stderr


def test_status_and_other_reads_do_not_print_it(sqlite_url: str, migrations: Path) -> None:
    cli = Cli(sqlite_url, migrations)
    for args in (("status",), ("current",), ("history",), ("validate",)):
        assert "Database:" not in cli.ok(*args).stderr


def test_make_run_still_works_with_the_repository_config(tmp_path: Path) -> None:
    """`make run` is `sqlmig up && sqlmig status` beside the repository's own sqlmig.toml, whose
    url stays set (only `init`'s template leaves it out)."""
    shutil.copy(ROOT / "sqlmig.toml", tmp_path / "sqlmig.toml")
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    up = sqlmig("up", cwd=tmp_path)
    assert up.returncode == 0, describe(up)
    # a relative SQLite path in a config file is beside that file: the line names it whole
    assert up.stderr.startswith(f"Database: sqlite:///{tmp_path / 'sqlmig.db'} (SQLite 3.")
    assert up.stderr.splitlines()[0].endswith(", a new file)")  # the path once, in the URL
    status = sqlmig("status", cwd=tmp_path)
    assert status.returncode == 0 and "pending: 0" in status.stdout, describe(status)


def test_each_commented_url_of_init_works_uncommented(tmp_path: Path) -> None:
    """The file says "uncomment one of these": the SQLite line, uncommented, was invalid TOML
    (a note in parentheses after the value)."""
    assert sqlmig("init", cwd=tmp_path).returncode == 0
    config = tmp_path / "sqlmig.toml"
    text = config.read_text("utf-8")
    examples = re.findall(r"^# (url = .*)$", text, re.M)
    assert len(examples) == 2, text
    for example in examples:
        config.write_text(text.replace(f"# {example}", example), "utf-8")
        done = sqlmig("status", cwd=tmp_path)
        assert "invalid TOML" not in done.stderr, (example, done.stderr)
        assert "no database URL is configured" not in done.stderr, (example, done.stderr)

"""`sqlmig lint` and `sqlmig up --lint` as users run them: real processes, real exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import sqlmig

from .helpers import write

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def test_lint_of_the_example_migrations_is_clean_and_exits_0() -> None:
    proc = sqlmig("lint", cwd=ROOT)  # sqlmig.toml: sqlite URL, dir = migrations
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "10 file(s) checked (sqlite): no problems"


def test_errors_exit_1_with_path_line_col_code_and_help(tmp_path: Path) -> None:
    write(
        tmp_path,
        "0001_a.up.sql",
        "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\nCREATE INDEX i ON t (a);\n",
    )
    write(tmp_path, "0001_a.down.sql", "-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY i;\n")
    proc = sqlmig("lint", "--dialect", "postgres", "0001_a.up.sql", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("0001_a.up.sql:3:14: P101 index-without-concurrently: ")
    assert lines[1].startswith("  help: use CREATE/DROP INDEX CONCURRENTLY")


def test_warnings_only_exit_0_and_select_ignore_work(tmp_path: Path) -> None:
    write(tmp_path, "x.sql", "CREATE TABLE t (id bigint PRIMARY KEY, a json, b varchar(3));\n")
    proc = sqlmig("lint", "--dialect", "postgres", "x.sql", cwd=tmp_path)
    assert proc.returncode == 0 and "T304" in proc.stdout and "T301" in proc.stdout
    proc = sqlmig("lint", "--dialect=postgres", "--ignore", "T301", "x.sql", cwd=tmp_path)
    assert "T304" in proc.stdout and "T301" not in proc.stdout
    proc = sqlmig("lint", "--dialect=postgres", "--select", "T301,T303", "x.sql", cwd=tmp_path)
    assert "T304" not in proc.stdout and "T301" in proc.stdout


def test_config_file_sets_dialect_and_rules(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'dialect = "mysql"\nlint_ignore = ["M502"]\n')
    (tmp_path / "migrations").mkdir()
    write(tmp_path / "migrations", "0001_a.up.sql", "CREATE TABLE a (b int REFERENCES c (d));")
    write(tmp_path / "migrations", "0001_a.down.sql", "DROP TABLE a;")
    proc = sqlmig("lint", "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert doc["dialect"] == "mysql" and doc["findings"] == [] and proc.returncode == 0


def test_unknown_rule_or_dialect_is_a_usage_error(tmp_path: Path) -> None:
    assert sqlmig("lint", "--select", "nope", ".", cwd=tmp_path).returncode == 2
    proc = sqlmig("lint", "--dialect", "oracle", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown dialect" in proc.stderr


def test_explain_prints_the_examples() -> None:
    proc = sqlmig("lint", "--explain", "missing-lock-timeout", cwd=ROOT)
    assert proc.returncode == 0
    assert "P109 missing-lock-timeout (warning; postgres)" in proc.stdout
    assert "Bad:" in proc.stdout and "SET lock_timeout = '5s';" in proc.stdout


def test_up_with_lint_refuses_to_start_on_errors(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    write(folder, "0002_b.up.sql", "ALTER TABLE a ALTER COLUMN id TYPE text;")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    proc = sqlmig("--url", url, "up", "--lint", cwd=tmp_path)
    assert proc.returncode == 1
    assert "0002_b.up.sql:1:28: L601 sqlite-unsupported-alter" in proc.stderr
    db = sqlite3.connect(tmp_path / "app.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "a" not in tables  # nothing was applied
    proc = sqlmig("--url", url, "up", "--steps", "1", "--lint", "--dir", str(folder), cwd=tmp_path)
    assert proc.returncode == 1  # still refused: lint reads every file, not just the pending ones
    write(folder, "0002_b.up.sql", "ALTER TABLE a ADD COLUMN b text;")
    proc = sqlmig("--url", url, "up", "--lint", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_global_json_gives_the_findings_as_entries(tmp_path: Path) -> None:
    write(tmp_path, "x.sql", "TRUNCATE t CASCADE;\n")
    proc = sqlmig("--json", "lint", "--dialect", "sqlite", "x.sql", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["ok"] is False and "messages" not in doc
    assert [(e["code"], e["line"], e["col"]) for e in doc["entries"]] == [("D208", 1, 1)]


def test_lint_settings_from_the_environment(tmp_path: Path) -> None:
    from sqlmig import config

    env = {"SQLMIG_DIALECT": "mysql", "SQLMIG_LINT_IGNORE": "M501, T302", "SQLMIG_PG_VERSION": "12"}
    cfg = config.load({}, environ=env, cwd=tmp_path)
    assert (cfg.dialect, cfg.lint_ignore, cfg.pg_version) == ("mysql", ("M501", "T302"), 12)


def test_statement_lock_timeout_in_the_config_silences_missing_lock_timeout(tmp_path: Path) -> None:
    from sqlmig import config
    from sqlmig.lint.commands import lint

    path = write(tmp_path, "x.sql", "ALTER TABLE t ADD COLUMN a text;")
    cfg = config.load({}, environ={}, cwd=tmp_path)
    assert [f.rule for f in lint(cfg, paths=[path]).findings] == ["missing-lock-timeout"]
    cfg = config.load({}, environ={"SQLMIG_STATEMENT_LOCK_TIMEOUT": "2s"}, cwd=tmp_path)
    assert list(lint(cfg, paths=[path]).findings) == []

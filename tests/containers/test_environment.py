"""Configuration entirely from the environment, SQLMIG_URL_FILE secrets, and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig.config import load
from sqlmig.errors import UsageError
from tests.conftest import ROOT, query, sqlmig, write

FLAG = "sqlite:///flag.db"
ENV = "sqlite:///env.db"
FROM_FILE = "sqlite:///file.db"
DATABASE_URL = "sqlite:///database_url.db"
TOML = "sqlite:///toml.db"


def _resolve(tmp_path: Path, *, flag: bool, env: bool, file: bool, database_url: bool) -> str:
    (tmp_path / "sqlmig.toml").write_text(f'url = "{TOML}"\n')
    (tmp_path / "secret").write_text(FROM_FILE + "\n")  # secrets often end with a newline
    environ = {"SQLMIG_URL": ENV} if env else {}
    environ |= {"SQLMIG_URL_FILE": "secret"} if file else {}
    environ |= {"DATABASE_URL": DATABASE_URL} if database_url else {}
    cfg = load({"url": FLAG if flag else None}, environ=environ, cwd=tmp_path)
    assert cfg.url is not None
    return cfg.url


@pytest.mark.parametrize(
    ("flag", "env", "file", "database_url", "expected"),
    [
        (True, True, True, True, FLAG),
        (False, True, True, True, ENV),
        (False, False, True, True, FROM_FILE),
        (False, False, False, True, DATABASE_URL),
        (False, False, False, False, TOML),
    ],
)
def test_url_precedence(
    tmp_path: Path, flag: bool, env: bool, file: bool, database_url: bool, expected: str
) -> None:
    """flag > SQLMIG_URL > SQLMIG_URL_FILE > DATABASE_URL > sqlmig.toml."""
    if expected == TOML:  # a relative SQLite file in sqlmig.toml is beside that file
        expected = f"sqlite:///{tmp_path}/toml.db"
    assert _resolve(tmp_path, flag=flag, env=env, file=file, database_url=database_url) == expected


def test_url_file_is_read_only_when_it_would_be_used(tmp_path: Path) -> None:
    environ = {"SQLMIG_URL": ENV, "SQLMIG_URL_FILE": "no-such-file"}
    assert load({}, environ=environ, cwd=tmp_path).url == ENV
    assert load({"url": FLAG}, environ={"SQLMIG_URL_FILE": "nope"}, cwd=tmp_path).url == FLAG


SECRET = "postgresql://app:Hunter2-secret@db:5432/app"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read the file: No such file or directory"),
        ("DIR", "cannot read the file: Is a directory"),
        ("", "the file is empty"),
        (b"\xff\xfe" + SECRET.encode(), "the file is not UTF-8 text"),
    ],
    ids=["missing", "directory", "empty", "not-utf8"],
)
def test_a_bad_url_file_is_exit_2_naming_the_variable_never_the_content(
    tmp_path: Path, content: str | bytes | None, problem: str
) -> None:
    secret = tmp_path / "url"
    if content == "DIR":
        secret.mkdir()
    elif isinstance(content, bytes):
        secret.write_bytes(content)
    elif content is not None:
        secret.write_text(content)
    with pytest.raises(UsageError) as info:
        load({}, environ={"SQLMIG_URL_FILE": str(secret)}, cwd=tmp_path)
    assert info.value.message == f"SQLMIG_URL_FILE={secret}: {problem}"
    proc = sqlmig("status", env={"SQLMIG_URL_FILE": str(secret)}, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"error: SQLMIG_URL_FILE={secret}: {problem}" in proc.stderr
    assert "Hunter2" not in proc.stderr + proc.stdout


def test_everything_from_the_environment(pg_url: str, tmp_path: Path) -> None:
    """No flags and no config file, as in a container: URL from a secret file, folder, table."""
    folder = tmp_path / "migrations-volume"
    folder.mkdir()
    write(folder, "0001_users", "CREATE TABLE users (id int);\n")
    secret = tmp_path / "database-url"
    secret.write_text(pg_url + "\n")
    env = {
        "SQLMIG_URL_FILE": str(secret),
        "SQLMIG_DIR": str(folder),
        "SQLMIG_TABLE": "deploy_history",
        "SQLMIG_LOCK_TIMEOUT": "5",
        "DATABASE_URL": "postgresql://wrong@127.0.0.1:1/wrong",  # SQLMIG_URL_FILE wins
    }
    workdir = tmp_path / "empty"
    workdir.mkdir()
    for args in (["wait", "--timeout", "5"], ["up"], ["status", "--exit-code"]):
        proc = sqlmig(*args, env=env, cwd=workdir)
        assert proc.returncode == 0, (args, proc.stderr)
    assert query(pg_url, "SELECT version, name FROM deploy_history") == [(1, "users")]


def _readme_config_table() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows, "README.md has no configuration table"
    return "\n".join(rows)


def test_every_environment_variable_is_in_the_one_readme_table() -> None:
    source = (ROOT / "sqlmig" / "config.py").read_text("utf-8")
    names = set(re.findall(r'"((?:SQLMIG|DATABASE)_[A-Z_]+)"', source))
    assert {"SQLMIG_URL", "SQLMIG_URL_FILE", "DATABASE_URL", "SQLMIG_LOG_FORMAT"} <= names
    table = _readme_config_table()
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert not missing, f"not in README.md's configuration table: {missing}"
    assert "`--log-format`" in table
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.count("| flag | environment |") == 1, "one configuration table, not two"

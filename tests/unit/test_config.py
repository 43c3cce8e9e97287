"""config.load with an explicit environment and working folder: precedence, files and parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqlmig import config
from sqlmig.config import NO_URL_HINT, Config, load
from sqlmig.errors import UsageError

NO_FLAGS: dict[str, Any] = {}
FULL_TOML = """\
url = "sqlite:///from_toml.db"
dir = "toml_migrations"
table = "toml_history"
lock_timeout = 7
allow_out_of_order = true
"""
PYPROJECT = """\
[project]
name = "app"

[tool.sqlmig]
url = "sqlite:///from_pyproject.db"
table = "ops.pyproject_history"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def usage_error(flags: dict[str, Any], environ: dict[str, str], cwd: Path) -> UsageError:
    with pytest.raises(UsageError) as info:
        load(flags, environ=environ, cwd=cwd)
    assert info.value.exit_code == 2
    return info.value


# --- defaults and files -----------------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    assert load(NO_FLAGS, environ={}, cwd=tmp_path) == Config(
        url=None,
        dir=Path("migrations"),
        table="sqlmig_history",
        lock_timeout=60.0,
        allow_out_of_order=False,
        config_file=None,
        sources={},
    )


def test_pyproject_tool_section(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", PYPROJECT)
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert cfg.url == f"sqlite:///{tmp_path}/from_pyproject.db"  # beside the file
    assert cfg.table == "ops.pyproject_history"
    assert cfg.dir == tmp_path / "migrations"  # the default folder, beside the config file
    assert cfg.config_file == path
    assert cfg.sources == {"url": str(path), "table": str(path)}


def test_pyproject_without_tool_section_is_not_a_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "app"\n[tool.ruff]\nline-length = 99\n')
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert (cfg.config_file, cfg.url, cfg.sources) == (None, None, {})


@pytest.mark.parametrize(
    "text",
    [
        '[ tool.sqlmig ]\nurl = "sqlite:///a.db"\n',
        '[tool."sqlmig"]\nurl = "sqlite:///a.db"\n',
        '[tool]\nsqlmig = { url = "sqlite:///a.db" }\n',
        'tool.sqlmig.url = "sqlite:///a.db"\n',
        '[tool.sqlmig]  # the migrations\nurl = "sqlite:///a.db"\n',
    ],
)
def test_pyproject_tool_section_however_toml_spells_it(text: str, tmp_path: Path) -> None:
    """Not only the literal `[tool.sqlmig]`: the others read as 'no database URL' before."""
    path = write(tmp_path, "pyproject.toml", text)
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert (cfg.config_file, cfg.url) == (path, f"sqlite:///{tmp_path}/a.db")


def test_pyproject_naming_sqlmig_only_elsewhere_is_not_a_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["sqlmig"]\n# [tool.sqlmig]\n')
    assert load(NO_FLAGS, environ={}, cwd=tmp_path).config_file is None


def test_invalid_pyproject_with_the_tool_section_says_so(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[ tool.sqlmig ]\nurl = "sqlite:///a.db\n')
    with pytest.raises(UsageError, match="invalid TOML"):
        load(NO_FLAGS, environ={}, cwd=tmp_path)


def test_sqlmig_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlmig.toml", FULL_TOML)
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert cfg == Config(
        url=f"sqlite:///{tmp_path}/from_toml.db",
        dir=tmp_path / "toml_migrations",
        table="toml_history",
        lock_timeout=7.0,
        allow_out_of_order=True,
        config_file=path,
        sources={
            k: str(path) for k in ("url", "dir", "table", "lock_timeout", "allow_out_of_order")
        },
    )


def test_sqlmig_toml_beats_pyproject(tmp_path: Path) -> None:
    """One config file is read: sqlmig.toml when it exists; pyproject.toml is then ignored."""
    path = write(tmp_path, "sqlmig.toml", 'url = "sqlite:///from_toml.db"\n')
    write(tmp_path, "pyproject.toml", PYPROJECT)
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert (cfg.config_file, cfg.url, cfg.table) == (
        path,
        f"sqlite:///{tmp_path}/from_toml.db",
        "sqlmig_history",
    )


def test_explicit_config_flag_and_env(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'url = "sqlite:///cwd.db"\n')
    a = write(tmp_path, "conf/a.toml", 'url = "sqlite:///a.db"\n')
    b = write(tmp_path, "conf/b.toml", 'url = "sqlite:///b.db"\n')
    by_env = load(NO_FLAGS, environ={"SQLMIG_CONFIG": str(a)}, cwd=tmp_path)
    assert (by_env.config_file, by_env.url) == (a, f"sqlite:///{a.parent}/a.db")
    by_flag = load({"config": str(b)}, environ={"SQLMIG_CONFIG": str(a)}, cwd=tmp_path)
    assert (by_flag.config_file, by_flag.url) == (b, f"sqlite:///{b.parent}/b.db")


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    error = usage_error({"config": str(missing)}, {}, tmp_path)
    assert error.message == f"config file {missing} does not exist"
    assert error.hint == "check --config / SQLMIG_CONFIG"


@pytest.mark.parametrize("name", ["sqlmig.toml", "pyproject.toml"])
def test_unknown_key_is_named(tmp_path: Path, name: str) -> None:
    header = "[tool.sqlmig]\n" if name == "pyproject.toml" else ""
    path = write(tmp_path, name, f'{header}url = "sqlite:///x.db"\nurll = 1\ncolour = "red"\n')
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.message == f"{path}: unknown setting(s) colour, urll"
    assert error.hint == "urll: did you mean `url`?; known settings: " + ", ".join(config.KEYS)
    assert {"url", "dir", "table", "lock_timeout", "allow_out_of_order"} <= set(config.KEYS)


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlmig.toml", 'url = "sqlite:///x.db\n')
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.message.startswith(f"{path}: invalid TOML: ")
    assert error.hint == (
        "fix the file; see 'Configuration' in the sqlmig documentation: "
        "https://github.com/sqlmig/sqlmig#configuration"
    )


def test_relative_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, "deploy/sqlmig.toml", 'dir = "db/migrations"\n')
    cfg = load({"config": str(path)}, environ={}, cwd=tmp_path)
    assert cfg.dir == tmp_path / "deploy" / "db" / "migrations"


def test_absolute_dir_in_config_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    path = write(tmp_path, "deploy/sqlmig.toml", f'dir = "{target.as_posix()}"\n')
    assert load({"config": str(path)}, environ={}, cwd=tmp_path).dir == target


def test_dir_from_env_or_flag_is_not_rebased_on_the_config_file(tmp_path: Path) -> None:
    write(tmp_path, "deploy/sqlmig.toml", 'dir = "from_file"\n')
    flags = {"config": str(tmp_path / "deploy/sqlmig.toml")}
    by_env = load(flags, environ={"SQLMIG_DIR": "env_dir"}, cwd=tmp_path)
    assert by_env.dir == Path("env_dir")
    by_flag = load({**flags, "dir": "flag_dir"}, environ={"SQLMIG_DIR": "env_dir"}, cwd=tmp_path)
    assert by_flag.dir == Path("flag_dir")


# --- precedence -------------------------------------------------------------------------------


def test_database_url_beats_the_config_file(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", FULL_TOML)
    cfg = load(NO_FLAGS, environ={"DATABASE_URL": "sqlite:///dburl.db"}, cwd=tmp_path)
    assert cfg.url == "sqlite:///dburl.db"
    assert cfg.sources["url"] == "DATABASE_URL"
    assert cfg.table == "toml_history"


def test_sqlmig_url_beats_database_url(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite:///dburl.db", "SQLMIG_URL": "sqlite:///sqlmig.db"}
    cfg = load(NO_FLAGS, environ=env, cwd=tmp_path)
    assert (cfg.url, cfg.sources["url"]) == ("sqlite:///sqlmig.db", "SQLMIG_URL")


def test_empty_env_values_are_not_set(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite:///dburl.db", "SQLMIG_URL": "", "SQLMIG_TABLE": ""}
    cfg = load(NO_FLAGS, environ=env, cwd=tmp_path)
    assert (cfg.url, cfg.table) == ("sqlite:///dburl.db", "sqlmig_history")


def test_sqlmig_env_beats_the_config_file(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", FULL_TOML)
    env = {
        "SQLMIG_URL": "sqlite:///env.db",
        "SQLMIG_DIR": "env_dir",
        "SQLMIG_TABLE": "env_history",
        "SQLMIG_LOCK_TIMEOUT": "2.5",
        "SQLMIG_ALLOW_OUT_OF_ORDER": "no",
    }
    cfg = load(NO_FLAGS, environ=env, cwd=tmp_path)
    assert (cfg.url, cfg.dir, cfg.table, cfg.lock_timeout, cfg.allow_out_of_order) == (
        "sqlite:///env.db",
        Path("env_dir"),
        "env_history",
        2.5,
        False,
    )
    assert dict(cfg.sources) == {
        "url": "SQLMIG_URL",
        "dir": "SQLMIG_DIR",
        "table": "SQLMIG_TABLE",
        "lock_timeout": "SQLMIG_LOCK_TIMEOUT",
        "allow_out_of_order": "SQLMIG_ALLOW_OUT_OF_ORDER",
    }


def test_flags_beat_everything(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", FULL_TOML)
    env = {
        "DATABASE_URL": "sqlite:///dburl.db",
        "SQLMIG_URL": "sqlite:///env.db",
        "SQLMIG_TABLE": "env_history",
        "SQLMIG_LOCK_TIMEOUT": "2.5",
        "SQLMIG_ALLOW_OUT_OF_ORDER": "1",
    }
    flags = {
        "url": "sqlite:///flag.db",
        "dir": "flag_dir",
        "table": "flag_history",
        "lock_timeout": 0.0,
        "allow_out_of_order": False,
    }
    cfg = load(flags, environ=env, cwd=tmp_path)
    assert (cfg.url, cfg.dir, cfg.table, cfg.lock_timeout, cfg.allow_out_of_order) == (
        "sqlite:///flag.db",
        Path("flag_dir"),
        "flag_history",
        0.0,
        False,
    )
    assert dict(cfg.sources) == {
        "url": "--url",
        "dir": "--dir",
        "table": "--table",
        "lock_timeout": "--lock-timeout",
        "allow_out_of_order": "--allow-out-of-order",
    }


def test_flags_given_as_none_do_not_override(tmp_path: Path) -> None:
    flags = {"url": None, "dir": None, "table": None, "lock_timeout": None}
    cfg = load(flags, environ={"SQLMIG_URL": "sqlite:///env.db"}, cwd=tmp_path)
    assert (cfg.url, cfg.dir, cfg.table) == (
        "sqlite:///env.db",
        Path("migrations"),
        "sqlmig_history",
    )


def test_require_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load(NO_FLAGS, environ={}, cwd=tmp_path).require_url()
    assert info.value.message == "no database URL is configured"
    assert info.value.hint == NO_URL_HINT
    for where in ("--url", "SQLMIG_URL", "DATABASE_URL", "sqlmig.toml"):
        assert where in NO_URL_HINT
    cfg = load(NO_FLAGS, environ={"DATABASE_URL": "sqlite:///x.db"}, cwd=tmp_path)
    assert cfg.require_url() == "sqlite:///x.db"


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", " on "])
def test_allow_out_of_order_true(tmp_path: Path, text: str) -> None:
    cfg = load(NO_FLAGS, environ={"SQLMIG_ALLOW_OUT_OF_ORDER": text}, cwd=tmp_path)
    assert cfg.allow_out_of_order is True


@pytest.mark.parametrize("text", ["0", "false", "False", "no", "OFF", " "])
def test_allow_out_of_order_false(tmp_path: Path, text: str) -> None:
    write(tmp_path, "sqlmig.toml", "allow_out_of_order = true\n")
    cfg = load(NO_FLAGS, environ={"SQLMIG_ALLOW_OUT_OF_ORDER": text}, cwd=tmp_path)
    assert cfg.allow_out_of_order is False


def test_allow_out_of_order_bad_value(tmp_path: Path) -> None:
    error = usage_error(NO_FLAGS, {"SQLMIG_ALLOW_OUT_OF_ORDER": "maybe"}, tmp_path)
    assert error.message == (
        "SQLMIG_ALLOW_OUT_OF_ORDER: allow_out_of_order must be true or false, got 'maybe'"
    )


def test_allow_out_of_order_bad_value_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlmig.toml", 'allow_out_of_order = "sometimes"\n')
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.message == f"{path}: allow_out_of_order must be true or false, got 'sometimes'"


def test_lock_timeout_zero_is_allowed(tmp_path: Path) -> None:
    cfg = load(NO_FLAGS, environ={"SQLMIG_LOCK_TIMEOUT": "0"}, cwd=tmp_path)
    assert cfg.lock_timeout == 0.0


def test_negative_lock_timeout_from_env(tmp_path: Path) -> None:
    error = usage_error(NO_FLAGS, {"SQLMIG_LOCK_TIMEOUT": "-1"}, tmp_path)
    assert error.message == (
        "SQLMIG_LOCK_TIMEOUT: lock_timeout must be between 0 and 1e7 seconds, got '-1'"
    )
    assert error.hint == config.DURATION_HINT


def test_negative_lock_timeout_from_flag(tmp_path: Path) -> None:
    error = usage_error({"lock_timeout": -0.5}, {}, tmp_path)
    assert error.message == "--lock-timeout must be between 0 and 1e7 seconds, got -0.5"
    assert error.hint == config.DURATION_HINT


def test_negative_lock_timeout_from_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlmig.toml", "lock_timeout = -3\n")
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.message == f"{path}: lock_timeout must be between 0 and 1e7 seconds, got -3"
    assert error.hint == config.DURATION_HINT


@pytest.mark.parametrize("text", ["nan", "inf"])
def test_non_finite_lock_timeout_is_rejected(tmp_path: Path, text: str) -> None:
    """NaN and infinity pass the `< 0` check; the SQLite driver then crashes on int(nan * 1000)."""
    error = usage_error(NO_FLAGS, {"SQLMIG_LOCK_TIMEOUT": text}, tmp_path)
    assert "lock_timeout" in error.message


def test_bad_lock_timeout(tmp_path: Path) -> None:
    error = usage_error(NO_FLAGS, {"SQLMIG_LOCK_TIMEOUT": "soon"}, tmp_path)
    assert error.message == "SQLMIG_LOCK_TIMEOUT: lock_timeout has a bad value 'soon'"
    path = write(tmp_path, "sqlmig.toml", 'lock_timeout = "soon"\n')
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.message == f"{path}: lock_timeout has a bad value 'soon'"


# --- source_dialect (running PostgreSQL-written files on another dialect) -------------------


def test_source_dialect_from_file_and_env(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'source_dialect = "postgres"\n')
    assert load(NO_FLAGS, environ={}, cwd=tmp_path).source_dialect == "postgres"
    env = {"SQLMIG_SOURCE_DIALECT": "sqlite"}
    assert load(NO_FLAGS, environ=env, cwd=tmp_path).source_dialect == "sqlite"


def test_source_dialect_must_be_known(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'source_dialect = "oracle"\n')
    assert "source_dialect" in usage_error(NO_FLAGS, {}, tmp_path).message


# --- durations: one parser for the config file, the environment and the flags ------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("60", 60.0), ("2min", 120.0), ("2m", 120.0), ("500ms", 0.5), ("1h", 3600.0)],
)
def test_lock_timeout_is_a_duration_everywhere(tmp_path: Path, text: str, seconds: float) -> None:
    """lock_timeout = "60s" is read like statement_lock_timeout = "2s", from every source."""
    path = write(
        tmp_path, "sqlmig.toml", f'lock_timeout = "{text}"\nstatement_lock_timeout = "2s"\n'
    )
    from_file = load(NO_FLAGS, environ={}, cwd=tmp_path)
    assert (from_file.lock_timeout, from_file.statement_lock_timeout) == (seconds, 2.0)
    path.unlink()
    assert (
        load(NO_FLAGS, environ={"SQLMIG_LOCK_TIMEOUT": text}, cwd=tmp_path).lock_timeout == seconds
    )
    assert load({"lock_timeout": text}, environ={}, cwd=tmp_path).lock_timeout == seconds


def test_a_near_miss_gets_did_you_mean(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'dri = "db"\nlock_timout = "5s"\nzzz = 1\n')
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert error.hint is not None
    assert error.hint.startswith(
        "dri: did you mean `dir`?; lock_timout: did you mean `lock_timeout`?; known settings: "
    )


# --- the config file is found upward, like git finds .git -----------------------------------


def test_config_found_in_a_folder_above(tmp_path: Path) -> None:
    path = write(tmp_path, "sqlmig.toml", 'url = "sqlite:///app.db"\ndir = "db"\n')
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    cfg = load(NO_FLAGS, environ={}, cwd=deep)
    assert cfg.config_file == path
    # relative to the file, not to where sqlmig runs: the same database and folder from anywhere
    assert (cfg.url, cfg.dir) == (f"sqlite:///{tmp_path}/app.db", tmp_path / "db")


def test_nearest_config_wins_and_pyproject_counts(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'table = "outer"\n')
    inner = write(tmp_path, "svc/pyproject.toml", '[tool.sqlmig]\ntable = "inner"\n')
    write(tmp_path, "svc/a/pyproject.toml", '[project]\nname = "a"\n')  # no [tool.sqlmig]
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path / "svc" / "a")
    assert (cfg.config_file, cfg.table) == (inner, "inner")


def test_search_stops_at_the_git_root(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'table = "above_the_repo"\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    assert load(NO_FLAGS, environ={}, cwd=tmp_path / "repo" / "sub").config_file is None
    inside = write(tmp_path, "repo/sqlmig.toml", 'table = "at_the_root"\n')
    assert load(NO_FLAGS, environ={}, cwd=tmp_path / "repo" / "sub").config_file == inside


@pytest.mark.parametrize(
    "url", ["sqlite:///:memory:", "sqlite:////abs/x.db", "postgresql://u@h/db", "mysql://r@h/d"]
)
def test_only_relative_sqlite_files_move_beside_the_config(tmp_path: Path, url: str) -> None:
    write(tmp_path, "sqlmig.toml", f'url = "{url}"\n')
    assert load(NO_FLAGS, environ={}, cwd=tmp_path / ".").url == url


def test_default_dir_is_beside_a_config_file_found_upward(tmp_path: Path) -> None:
    write(tmp_path, "sqlmig.toml", 'url = "sqlite:///app.db"\n')  # no dir: the default one
    (tmp_path / "src").mkdir()
    cfg = load(NO_FLAGS, environ={}, cwd=tmp_path / "src")
    assert cfg.dir == tmp_path / "migrations"
    by_env = load(NO_FLAGS, environ={"SQLMIG_DIR": "here"}, cwd=tmp_path / "src")
    assert by_env.dir == Path("here")  # the environment and flags: relative to the working folder


@pytest.mark.parametrize("value", ["2.7", '"two"', "true", "-1", "101"])
def test_retries_must_be_a_whole_number_from_0_to_100(tmp_path: Path, value: str) -> None:
    write(tmp_path, "sqlmig.toml", f"retries = {value}\n")
    error = usage_error(NO_FLAGS, {}, tmp_path)
    assert "retries" in error.message
    assert value.strip('"') in error.message.lower()


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ('"4"', 4), ("0", 0)])
def test_retries_whole_numbers_are_kept(tmp_path: Path, value: str, expected: int) -> None:
    write(tmp_path, "sqlmig.toml", f"retries = {value}\n")
    assert load(NO_FLAGS, environ={}, cwd=tmp_path).retries == expected

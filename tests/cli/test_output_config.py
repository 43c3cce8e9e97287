"""Issue 11's output and configuration items, through the real CLI: labels, one line per
migration, timestamps, durations, the config file found upward, `new`'s guards."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import sqlmig, write


def test_config_file_is_found_upward_and_its_paths_are_its_own(tmp_path: Path) -> None:
    """From a subfolder, sqlmig.toml above is used, and its sqlite:///app.db and dir name the
    files beside it, not a new empty database in the subfolder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "sqlmig.toml").write_text(
        'url = "sqlite:///app.db"\ndir = "db"\nlock_timeout = "60s"\n', "utf-8"
    )
    (tmp_path / "db").mkdir()
    write(tmp_path / "db", "0001_users", "CREATE TABLE users (id int);\n")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    done = sqlmig("up", cwd=deep)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app.db").is_file()
    assert not (deep / "app.db").exists()
    assert sqlmig("current", cwd=deep).stdout.strip() == "0001_users"


def test_durations_are_read_the_same_way_by_every_flag(sqlite_url: str, migrations: Path) -> None:
    args = ("--url", sqlite_url, "--dir", str(migrations))
    assert sqlmig(*args, "--lock-timeout", "2min", "status").returncode == 0
    assert sqlmig(*args, "wait", "--timeout", "1500ms").returncode == 0
    assert sqlmig(*args, "up", "--wait", "30s").returncode == 0
    bad = sqlmig(*args, "--lock-timeout", "soon", "status")
    assert bad.returncode == 2
    assert "--lock-timeout has a bad value 'soon'" in bad.stderr
    assert "60s" in bad.stderr  # the hint shows the accepted forms


def test_unknown_setting_gets_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('url = "sqlite:///x.db"\ndri = "db"\n', "utf-8")
    proc = sqlmig("status", cwd=tmp_path)
    assert proc.returncode == 2
    assert "dri: did you mean `dir`?" in proc.stderr

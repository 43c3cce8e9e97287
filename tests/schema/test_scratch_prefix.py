"""The scratch databases sqlmig makes are named `<prefix><12 hex>`: `scratch_prefix` in
sqlmig.toml, SQLMIG_SCRATCH_PREFIX, --scratch-prefix (default `sqlmig_scratch_`); a prefix no
server would keep as given is a usage error before anything is made."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig import config
from sqlmig.errors import UsageError
from tests.conftest import sqlmig, write

from .test_scratch_mysql import scratch_databases


def test_flag_over_environment_over_file(tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('scratch_prefix = "from_file_"\n', "utf-8")
    assert config.load({}, environ={}, cwd=tmp_path).scratch_prefix == "from_file_"
    env = {"SQLMIG_SCRATCH_PREFIX": "from_env_"}
    assert config.load({}, environ=env, cwd=tmp_path).scratch_prefix == "from_env_"
    flags = {"scratch_prefix": "from_flag_"}
    assert config.load(flags, environ=env, cwd=tmp_path).scratch_prefix == "from_flag_"
    assert config.load({}, environ={}).scratch_prefix == "sqlmig_scratch_"


@pytest.mark.parametrize(
    "prefix, says",
    [
        ("ci scratch_", "is not a usable database name prefix"),
        ('x"; DROP DATABASE prod; --', "is not a usable database name prefix"),
        ("x'", "is not a usable database name prefix"),
        ("Upper_", "is not a usable database name prefix"),
        ("1st_", "is not a usable database name prefix"),
        ("", "is not a usable database name prefix"),
        ("p" * 41, "is 41 characters long: with the 12 hex digits after it the name would be cut"),
    ],
)
def test_a_prefix_no_server_keeps_as_given_is_refused(prefix: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        config.load({"scratch_prefix": prefix}, environ={})
    assert caught.value.message.startswith(f"--scratch-prefix {prefix!r} " if "long" not in says
                                           else "--scratch-prefix is 41")  # fmt: skip
    assert says in caught.value.message
    assert "lower-case letters, digits and _" in (caught.value.hint or "")


def test_the_cli_names_where_the_bad_prefix_came_from(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('scratch_prefix = "a b"\n', "utf-8")
    bad = sqlmig("--url", sqlite_url, "verify", cwd=tmp_path)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "sqlmig.toml: scratch_prefix 'a b' is not a usable database name prefix" in bad.stderr
    flag = sqlmig("--url", sqlite_url, "diff", "--check", "--scratch-prefix", "x;y", cwd=tmp_path)
    assert flag.returncode == 2 and "--scratch-prefix 'x;y' is not" in flag.stderr


def test_postgres_scratch_database_has_the_prefix(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_where", "DO $$ BEGIN RAISE EXCEPTION 'in %', current_database(); "
          "END $$;", "SELECT 1;")  # fmt: skip
    args = ("--url", pg_url, "--dir", str(migrations), "verify")
    done = sqlmig(*args, "--scratch-prefix", "ci_check_", cwd=migrations.parent)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"in ci_check_[0-9a-f]{12}\b", done.stdout), done.stdout
    env = {"SQLMIG_SCRATCH_PREFIX": "from_env_"}
    done = sqlmig(*args, cwd=migrations.parent, env=env)
    assert re.search(r"in from_env_[0-9a-f]{12}\b", done.stdout), done.stdout + done.stderr


def test_mysql_scratch_database_has_the_prefix_and_is_dropped(
    mysql_url: str, migrations: Path
) -> None:
    write(migrations, "0001_where", "SELECT * FROM no_such_table;", "SELECT 1;")
    before = scratch_databases()
    up = sqlmig("--url", mysql_url, "--dir", str(migrations), "verify", "--scratch-prefix",
                "sqlmig_scratch_ci_", cwd=migrations.parent)  # fmt: skip
    assert up.returncode == 1, up.stdout + up.stderr
    assert re.search(r"sqlmig_scratch_ci_[0-9a-f]{12}\.no_such_table", up.stdout), up.stdout
    assert scratch_databases() == before

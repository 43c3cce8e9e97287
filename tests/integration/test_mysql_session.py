"""MySQL/MariaDB session variables from the URL (`?sql_mode=...`, `?session.NAME=VALUE`): set on
sqlmig's connection before any migration runs, set again after a file changes them, and a bad
name or value is a usage error naming the setting before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write

pytestmark = pytest.mark.timeout(90)
# MariaDB's default sql_mode has STRICT_TRANS_TABLES: this INSERT (no value for a NOT NULL
# column without a default) fails under it, and is accepted with an implicit '' without it.
NEEDS_RELAXED = (
    "CREATE TABLE person (id int NOT NULL, name varchar(20) NOT NULL);\n"
    "INSERT INTO person (id) VALUES (1);\n"
)
RELAXED = "sql_mode=NO_ENGINE_SUBSTITUTION"


def _up(url: str, folder: Path) -> tuple[int, str]:
    done = sqlmig("--url", url, "--dir", str(folder), "up")
    return done.returncode, done.stderr


def test_a_file_needing_a_relaxed_sql_mode_fails_without_it(
    mysql_url: str, migrations: Path
) -> None:
    write(migrations, "0001_person", NEEDS_RELAXED)
    code, stderr = _up(mysql_url, migrations)
    assert code == 1, stderr
    assert "doesn't have a default value" in stderr


def test_sql_mode_from_the_url_holds_for_every_file(mysql_url: str, migrations: Path) -> None:
    write(migrations, "0001_person", NEEDS_RELAXED)
    # a file that changes sql_mode: the next file still starts with the URL's
    write(migrations, "0002_strict", "SET SESSION sql_mode = 'STRICT_ALL_TABLES';\n")
    write(migrations, "0003_more", "INSERT INTO person (id) VALUES (2);\n")
    code, stderr = _up(f"{mysql_url}?{RELAXED}&session.innodb_lock_wait_timeout=7", migrations)
    assert code == 0, stderr
    assert query(mysql_url, "SELECT id, name FROM person ORDER BY id") == [(1, ""), (2, "")]


def test_a_bad_session_setting_names_it_before_anything_runs(
    mysql_url: str, migrations: Path
) -> None:
    write(migrations, "0001_person", "CREATE TABLE person (id int);\n")
    for option, said in [
        ("session.no_such_variable=1", "session.no_such_variable"),
        ("sql_mode=NOT_A_MODE", "sql_mode"),
        ("session.innodb_lock_wait_timeout=soon", "session.innodb_lock_wait_timeout"),
        ("session.bad-name=1", "'bad-name'"),
        ("session.max_connections=5", "session.max_connections"),  # GLOBAL only
        ("session.time_zone=bogus", "session.time_zone"),
        ("session.wait_timeout=5&session.WAIT_TIMEOUT=6", "set twice"),
    ]:
        code, stderr = _up(f"{mysql_url}?{option}", migrations)
        assert code == 2, (option, stderr)
        assert said in stderr and "Traceback" not in stderr, stderr
    assert query(mysql_url, "SHOW TABLES") == []  # nothing ran, not even the history


def test_sql_mode_from_sqlmig_toml(mysql_url: str, migrations: Path) -> None:
    write(migrations, "0001_person", NEEDS_RELAXED)
    config = migrations.parent / "sqlmig.toml"
    config.write_text('[mysql]\nsession = { sql_mode = "NO_ENGINE_SUBSTITUTION" }\n')
    done = sqlmig("--config", str(config), "--url", mysql_url, "--dir", str(migrations), "up")
    assert done.returncode == 0, done.stderr
    assert query(mysql_url, "SELECT id, name FROM person") == [(1, "")]


def test_the_url_wins_over_sqlmig_toml_and_a_bad_shape_is_named(
    mysql_url: str, migrations: Path
) -> None:
    write(migrations, "0001_person", NEEDS_RELAXED)
    config = migrations.parent / "sqlmig.toml"
    config.write_text('[mysql]\nsession = { sql_mode = "NO_ENGINE_SUBSTITUTION" }\n')
    strict = f"{mysql_url}?sql_mode=STRICT_ALL_TABLES"
    done = sqlmig("--config", str(config), "--url", strict, "--dir", str(migrations), "up")
    assert done.returncode == 1, done.stderr  # the URL's strict mode, not the file's
    config.write_text('[mysql]\nsql_mode = "NO_ENGINE_SUBSTITUTION"\n')
    done = sqlmig("--config", str(config), "--url", mysql_url, "--dir", str(migrations), "up")
    assert done.returncode == 2 and "[mysql] takes one setting, session" in done.stderr


def test_the_url_wins_whatever_the_case_of_the_name(mysql_url: str, migrations: Path) -> None:
    """Variable names ignore case on the server, so `session.SQL_MODE` in the URL is the same
    setting as sqlmig.toml's `sql_mode`, and the URL's wins."""
    write(migrations, "0001_person", NEEDS_RELAXED)
    config = migrations.parent / "sqlmig.toml"
    config.write_text('[mysql]\nsession = { sql_mode = "NO_ENGINE_SUBSTITUTION" }\n')
    strict = f"{mysql_url}?session.SQL_MODE=STRICT_ALL_TABLES"
    done = sqlmig("--config", str(config), "--url", strict, "--dir", str(migrations), "up")
    assert done.returncode == 1, done.stderr  # strict: the URL's, not the file's relaxed mode
    assert "doesn't have a default value" in done.stderr

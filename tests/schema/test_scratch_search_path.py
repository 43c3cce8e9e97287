"""A PostgreSQL URL whose search_path names a schema made outside the migrations (a DBA's
`CREATE SCHEMA app`, a Django OPTIONS search_path): the scratch database gets that schema, so
verify and status --schema build there instead of stopping at "current_schema() is NULL"."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import describe
from tests.conftest import execute, query, sqlmig, write


def test_verify_and_status_schema_build_in_the_search_path_schema(
    pg_url: str, migrations: Path
) -> None:
    execute(pg_url, 'CREATE SCHEMA "App-Data"')  # quoted: mixed case and a dash
    url = pg_url + "?options=-csearch_path%3D%22App-Data%22"
    write(migrations, "0001_t", "CREATE TABLE t (id int PRIMARY KEY);", "DROP TABLE t;")
    write(migrations, "0002_u", "CREATE TABLE u (id int);", "SELECT 1;")  # undoes nothing
    base = ("--url", url, "--dir", str(migrations))
    assert sqlmig(*base, "up", "--to", "1").returncode == 0
    tables = "SELECT table_schema FROM information_schema.tables WHERE table_name = 't'"
    assert query(pg_url, tables) == [("App-Data",)]  # the history and t live in that schema

    status = sqlmig(*base, "status", "--schema")
    assert status.returncode == 0, describe(status)
    assert "matches what the 1 applied migration(s) build" in status.stdout, describe(status)
    verified = sqlmig(*base, "verify")
    assert verified.returncode == 1, describe(verified)  # 0002's down is found, 0001's is fine
    assert "0002_u" in verified.stdout and "0001_t" not in verified.stdout.split("FAIL")[-1]

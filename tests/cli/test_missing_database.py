"""A database that does not exist on a running server: exit 6, and a hint that says so, with
the way to create it (issue 11, item 12), not "check that the server is running"."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import MYSQL_URL, PG_URL, _with_db, require_mysql, require_pg, sqlmig


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_a_missing_database_is_named_with_the_way_to_create_it(kind: str, tmp_path: Path) -> None:
    name = f"sqlmig_missing_{uuid.uuid4().hex[:8]}"
    if kind == "pg":
        require_pg()
        url = _with_db(PG_URL, name)
    else:
        require_mysql()
        url = f"{MYSQL_URL.rsplit('/', 1)[0]}/{name}"
    done = sqlmig("--url", url, "--dir", str(tmp_path), "status")
    assert done.returncode == 6, done.stderr
    assert f"has no database '{name}'" in done.stderr and "CREATE DATABASE" in done.stderr
    assert "check that the server is running" not in done.stderr, done.stderr

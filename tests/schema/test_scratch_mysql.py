"""Scratch databases on MySQL/MariaDB: `verify`, `status --schema` and `up --check-schema` make a
temporary database next to the live one (as on PostgreSQL) and drop it, `diff` too."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import ROOT, _mysql_admin, sqlmig

EXAMPLES = str(ROOT / "migrations")
# this module's own scratch names: other tests (other pytest workers) make scratch databases too
PREFIX = f"sqlmig_scratch_{uuid.uuid4().hex[:6]}_"
ENV = {"SQLMIG_SCRATCH_PREFIX": PREFIX}


def scratch_databases() -> set[str]:
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE %s", (PREFIX.replace("_", "\\_") + "%",))
            return {row[0] for row in cur.fetchall()}
    finally:
        admin.close()


def test_verify_makes_and_drops_a_scratch_database(mysql_url: str, tmp_path: Path) -> None:
    before = scratch_databases()
    done = sqlmig(
        "--url", mysql_url, "--dir", EXAMPLES, "verify", env=ENV, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 migration(s) checked; every down undoes its up" in done.stdout
    assert scratch_databases() == before


def test_schema_drift_by_hand_is_found(mysql_url: str, tmp_path: Path) -> None:
    url = ["--url", mysql_url, "--dir", EXAMPLES]
    assert sqlmig(*url, "up", cwd=tmp_path).returncode == 0
    same = sqlmig(*url, "status", "--schema", "--exit-code", cwd=tmp_path, timeout=120)
    assert same.returncode == 0, same.stdout + same.stderr
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"ALTER TABLE `{mysql_url.rsplit('/', 1)[1]}`.users ADD nick varchar(20)")
    finally:
        admin.close()
    drift = sqlmig(*url, "status", "--schema", "--exit-code", cwd=tmp_path, timeout=120)
    assert drift.returncode == 4, drift.stdout + drift.stderr
    assert "column users.nick was added outside the migrations" in drift.stdout
    checked = sqlmig(*url, "up", "--check-schema", cwd=tmp_path, timeout=120)
    assert checked.returncode == 4, checked.stdout + checked.stderr


def test_diff_on_mysql_writes_nothing_and_drops_its_scratch_databases(
    mysql_url: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (id int PRIMARY KEY);\n", "utf-8")
    url = ["--url", mysql_url, "--dir", EXAMPLES]
    before = scratch_databases()
    done = sqlmig(*url, "diff", "--check", str(schema), env=ENV, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr  # the examples build other tables
    assert "internal error" not in done.stderr
    assert scratch_databases() == before

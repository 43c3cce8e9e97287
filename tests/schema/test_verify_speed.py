"""What makes verify fast on PostgreSQL without changing what it finds: the scratch database's
commits do not wait for the disk, for every migration, whatever the migration sets."""

from __future__ import annotations

from pathlib import Path

from sqlmig.files import discover
from sqlmig.schema.build import builder

from .helpers import TABLE


def _setting(b, name: str) -> str:  # type: ignore[no-untyped-def]
    return str(b.driver.query(f"SHOW {name}")[0][0])


def test_scratch_commits_do_not_wait_for_the_disk_after_any_migration(
    pg_url: str, tmp_path: Path
) -> None:
    """A plain SET at connect lasted until the reset after the first migration (RESET ALL):
    every later commit waited for the disk. A migration that sets it on for itself does not
    turn it on for the next one either."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.up.sql").write_text("CREATE TABLE a (id int);\n")
    (folder / "0002_b.up.sql").write_text(
        "SET synchronous_commit = on;\nCREATE TABLE b (id int);\n"
    )
    (folder / "0003_c.up.sql").write_text("CREATE TABLE c (id int);\n")
    with builder(pg_url, TABLE) as b:
        assert _setting(b, "synchronous_commit") == "off"
        for m in discover(folder):
            b.up(m)
            assert _setting(b, "synchronous_commit") == "off", m.label

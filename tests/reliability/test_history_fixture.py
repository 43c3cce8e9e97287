"""Scenario 15: a history table written by sqlmig 0.1.0 (kept as a dump in fixtures/) is read
back by the current code: status, validate, the stored checksums and down SQL, and `up` applies
only what is new. (Checksum golden values are tests/unit/test_checksum.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import query, sqlmig, write
from tests.reliability.harness import args, assert_exactly_once, is_pg, sqlite_path

pytestmark = pytest.mark.timeout(60)
FIXTURES = Path(__file__).parent / "fixtures"
RELEASE = "0.1.0"


def _load(url: str) -> None:
    dump = (FIXTURES / f"sqlmig-{RELEASE}.{'postgres' if is_pg(url) else 'sqlite'}.sql").read_text()
    if is_pg(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(dump)  # type: ignore[arg-type]
    else:
        import sqlite3

        conn = sqlite3.connect(sqlite_path(url))
        conn.executescript(dump)
        conn.close()


@pytest.fixture
def old_db(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    _load(db_url)
    folder = tmp_path / "migrations"
    shutil.copytree(FIXTURES / f"migrations_{RELEASE.replace('.', '_')}", folder)
    return db_url, folder


def test_old_history_reads_back(old_db: tuple[str, Path]) -> None:
    url, folder = old_db
    validate = sqlmig(*args(url, folder, "validate"))
    assert validate.returncode == 0, validate.stderr  # checksums of 0.1.0 == checksums now
    status = sqlmig(*args(url, folder, "--json", "status", "--exit-code"))
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["rows"]
    assert [(r["version"], r["state"], r["applied_by"]) for r in rows] == [
        ("1", "applied", "root@vm"), ("2", "applied", "root@vm"), ("3", "applied", "root@vm")
    ]  # fmt: skip
    history = json.loads(sqlmig(*args(url, folder, "--json", "history")).stdout)
    assert [(e["version"], e["event"], e["outcome"]) for e in history["entries"]] == [
        ("1", "up", "ok"), ("2", "up", "ok"), ("3", "up", "ok")
    ]  # fmt: skip
    assert_exactly_once(url, [1, 2, 3])


def test_new_migrations_and_down_on_old_history(old_db: tuple[str, Path]) -> None:
    url, folder = old_db
    write(
        folder,
        "0004_new",
        "CREATE TABLE t_4 (id int);\nINSERT INTO ledger VALUES (4);\n",
        "DROP TABLE t_4;\nDELETE FROM ledger WHERE version = 4;\n",
    )
    up = sqlmig(*args(url, folder, "up"))
    assert up.returncode == 0, up.stderr
    assert "0001" not in up.stderr and "applied 0004_new" in up.stderr
    assert_exactly_once(url, [1, 2, 3, 4])
    (folder / "0003_third.down.sql").unlink()  # the down SQL stored by 0.1.0 is used instead
    down = sqlmig(*args(url, folder, "down", "--steps", "2", "--yes"))
    assert down.returncode == 0, down.stderr
    assert_exactly_once(url, [1, 2])
    log = query(url, "SELECT max(id), count(*) FROM sqlmig_history_log")
    # ids go on from 0.1.0's rows: its 3 ups, the upgrade to 38-digit versions, 1 up, 2 downs
    assert (int(log[0][0]), int(log[0][1])) == (7, 7)


def test_an_old_history_takes_repeatables_and_callbacks(old_db: tuple[str, Path]) -> None:
    """They add no column or table (only the version widening of any 0.1.0 history runs):
    their runs are events of its log."""
    url, folder = old_db
    (folder / "R__later.sql").write_text("CREATE TABLE later_r (id int);\n", "utf-8")
    (folder / "callbacks").mkdir()
    (folder / "callbacks" / "afterMigrate.sql").write_text("SELECT 1;\n", "utf-8")
    done = sqlmig(*args(url, folder, "up"))
    assert done.returncode == 0, done.stderr
    status = json.loads(sqlmig(*args(url, folder, "--json", "status")).stdout)["rows"]
    assert [(r["label"], r["state"]) for r in status][-1] == ("R__later", "applied")
    again = sqlmig(*args(url, folder, "up"))
    assert again.returncode == 0 and "applying R__later" not in again.stderr, again.stderr
    assert len(query(url, "SELECT id FROM later_r")) == 0  # made once: a second would fail
    events = json.loads(sqlmig(*args(url, folder, "--json", "history")).stdout)["entries"]
    kinds = [e["event"] for e in events if e["event"] != "upgrade"]
    assert kinds[3:] == ["repeatable", "callback", "callback"]

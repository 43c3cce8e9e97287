"""Versions of up to 38 digits (popx writes 20) on every database: applied, listed, reverted
and ordered as integers, around 2**63 and 10**37 alike; and a history written by sqlmig 0.1.0
(64-bit version columns, tests/reliability/fixtures/) upgraded in place, once, under the lock,
also when two runners race to do it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import execute, query, sqlmig, write
from tests.integration.procs import Runner, release_all

pytestmark = pytest.mark.timeout(120)
FIXTURES = Path(__file__).parent.parent / "reliability" / "fixtures"
POPX = 20260506000000000001
# around 2**63 (where SQLite's INTEGER ends) and 10**37; 20 nines against 21 digits ("9" > "1")
VERSIONS = [
    1,
    2**63 - 1,
    2**63,
    2**63 + 1,
    10**20 - 1,
    10**20,
    10**37 - 1,
    10**37,
    10**37 + 1,
    10**38 - 1,
]
OLD_TYPES = {"bigint", "bigint(20)", "integer"}  # PostgreSQL, MariaDB, SQLite
NEW_TYPES = {"numeric(38,0)", "decimal(38,0)", ""}  # SQLite: none, see drivers/sqlite.py


def _args(url: str, folder: Path, *rest: str) -> list[str]:
    return ["--url", url, "--dir", str(folder), *rest]


def _ordered_set(folder: Path, versions: list[int]) -> None:
    """One migration per version, in shuffled file order; each appends its version to `seen`
    (as text: every database keeps it exactly) and its down removes it."""
    for i, v in enumerate(sorted(versions, key=lambda v: str(v))):
        up = f"INSERT INTO seen (v) VALUES ('{v}');\n"
        if v == versions[0]:
            up = "CREATE TABLE seen (v varchar(40) NOT NULL);\n" + up
        write(folder, f"{v}_m{i}", up, f"DELETE FROM seen WHERE v = '{v}';\n")


def _applied_order(stderr: str, verb: str = "applied") -> list[int]:
    return [int(m) for m in re.findall(rf"^{verb} 0*(\d+)_m\d+ ", stderr, re.M)]


def _column_type(url: str, table: str) -> str:
    if url.startswith("postgres"):
        sql = (
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            f"WHERE attrelid = '{table}'::regclass AND attname = 'version'"
        )
    elif url.startswith("mysql"):
        sql = (
            "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            f"AND TABLE_NAME = '{table}' AND COLUMN_NAME = 'version'"
        )
    else:
        sql = f"SELECT type FROM pragma_table_info('{table}') WHERE name = 'version'"
    return str(query(url, sql)[0][0]).lower()


def test_versions_up_to_38_digits_apply_list_and_revert_in_order(
    any_url: str, migrations: Path
) -> None:
    _ordered_set(migrations, VERSIONS)
    up = sqlmig(*_args(any_url, migrations, "up"))
    assert up.returncode == 0, up.stderr
    assert _applied_order(up.stderr) == VERSIONS
    # the database itself orders them as integers, and max() is the newest
    assert _column_type(any_url, "sqlmig_history") in NEW_TYPES
    stored = query(any_url, "SELECT version FROM sqlmig_history ORDER BY version")
    assert [int(v) for (v,) in stored] == VERSIONS
    assert int(query(any_url, "SELECT max(version) FROM sqlmig_history")[0][0]) == 10**38 - 1
    logged = query(any_url, "SELECT version FROM sqlmig_history_log ORDER BY id")
    assert [int(v) for (v,) in logged] == VERSIONS

    status = json.loads(sqlmig(*_args(any_url, migrations, "--json", "status")).stdout)
    # strings in JSON: a JavaScript reader's JSON.parse would round the large ones
    assert [r["version"] for r in status["rows"]] == [str(v) for v in VERSIONS]
    assert {r["state"] for r in status["rows"]} == {"applied"}
    current = sqlmig(*_args(any_url, migrations, "current"))
    assert current.stdout.strip().startswith(f"{10**38 - 1}_m"), current.stdout

    down = sqlmig(*_args(any_url, migrations, "down", "--to", str(2**63 - 1), "--yes"))
    assert down.returncode == 0, down.stderr
    assert _applied_order(down.stderr, "reverted") == VERSIONS[:1:-1]
    assert sorted(int(v) for (v,) in query(any_url, "SELECT v FROM seen")) == VERSIONS[:2]
    validate = sqlmig(*_args(any_url, migrations, "validate"))
    assert validate.returncode == 0, validate.stderr

    again = sqlmig(*_args(any_url, migrations, "up", "--to", str(10**37)))
    assert again.returncode == 0, again.stderr
    assert _applied_order(again.stderr) == VERSIONS[2:8]
    assert int(query(any_url, "SELECT max(version) FROM sqlmig_history")[0][0]) == 10**37


def test_a_popx_version_reads_back_exactly(any_url: str, migrations: Path) -> None:
    write(
        migrations,
        f"{POPX}_create_identities",
        "CREATE TABLE identities (id int);\n",
        "DROP TABLE identities;\n",
    )
    up = sqlmig(*_args(any_url, migrations, "up"))
    assert up.returncode == 0, up.stderr
    assert f"applied {POPX}_create_identities" in up.stderr
    rows = query(any_url, "SELECT version, name FROM sqlmig_history")
    assert [(int(v), n) for v, n in rows] == [(POPX, "create_identities")]
    history = json.loads(sqlmig(*_args(any_url, migrations, "--json", "history")).stdout)
    assert [e["version"] for e in history["entries"]] == ["20260506000000000001"]
    logged = sqlmig(*_args(any_url, migrations, "--log-format", "json", "redo"))
    records = [json.loads(line) for line in logged.stderr.splitlines()]
    assert {r["version"] for r in records if "version" in r} == {"20260506000000000001"}
    redo = sqlmig(*_args(any_url, migrations, "validate"))
    assert redo.returncode == 0, redo.stderr


# -- a history written by 0.1.0 ---------------------------------------------------------------


def _dialect(url: str) -> str:
    return "postgres" if url.startswith("postgres") else url.split(":", 1)[0]


@pytest.fixture
def old_db(any_url: str, tmp_path: Path) -> tuple[str, Path]:
    """The database 0.1.0 left (ledger, t_1..t_3, a history of 1..3 with bigint versions) and
    its migrations, plus a new one numbered like popx's."""
    execute(any_url, (FIXTURES / f"sqlmig-0.1.0.{_dialect(any_url)}.sql").read_text())
    folder = tmp_path / "migrations"
    shutil.copytree(FIXTURES / "migrations_0_1_0", folder)
    write(
        folder,
        f"{POPX}_popx",
        "CREATE TABLE t_popx (id int);\nINSERT INTO ledger (version) VALUES (4);\n",
        "DROP TABLE t_popx;\nDELETE FROM ledger WHERE version = 4;\n",
    )
    return any_url, folder


def _upgrades(url: str) -> list[tuple[str, str]]:
    rows = query(url, "SELECT event, detail FROM sqlmig_history_log WHERE event = 'upgrade'")
    return [(e, d) for e, d in rows]


def test_old_history_upgrades_in_place_once(old_db: tuple[str, Path]) -> None:
    url, folder = old_db
    before = query(url, "SELECT version, checksum, applied_at FROM sqlmig_history ORDER BY 1")
    assert _column_type(url, "sqlmig_history") in OLD_TYPES
    status = sqlmig(*_args(url, folder, "--json", "status"))  # reads, takes no lock: no upgrade
    assert status.returncode == 0, status.stderr
    assert _column_type(url, "sqlmig_history") in OLD_TYPES

    up = sqlmig(*_args(url, folder, "up"))
    assert up.returncode == 0, up.stderr
    assert "upgraded the history table (sqlmig_history, sqlmig_history_log)" in up.stderr
    assert "0001_ledger" not in up.stderr and f"applied {POPX}_popx" in up.stderr
    for table in ("sqlmig_history", "sqlmig_history_log"):
        assert _column_type(url, table) in NEW_TYPES
    after = query(url, "SELECT version, checksum, applied_at FROM sqlmig_history ORDER BY 1")
    assert [(int(v), c, str(a)) for v, c, a in after[:3]] == [
        (int(v), c, str(a)) for v, c, a in before
    ]
    assert int(after[3][0]) == POPX
    assert _upgrades(url) == [
        ("upgrade", "version column of sqlmig_history, sqlmig_history_log widened to 38 digits")
    ]

    down = sqlmig(*_args(url, folder, "down", "--steps", "2", "--yes"))
    assert down.returncode == 0, down.stderr
    assert "upgraded" not in down.stderr
    assert len(_upgrades(url)) == 1
    assert sorted(int(v) for (v,) in query(url, "SELECT version FROM ledger")) == [1, 2]
    ids = [int(i) for (i,) in query(url, "SELECT id FROM sqlmig_history_log ORDER BY id")]
    assert ids == list(range(1, 8))  # ids go on from 0.1.0's rows: 3 ups, upgrade, up, 2 downs


def test_two_runners_race_to_upgrade(old_db: tuple[str, Path]) -> None:
    url, folder = old_db
    runners = [Runner(*_args(url, folder, "up"), gated=True) for _ in range(2)]
    release_all(runners)
    done = [r.finish(timeout=90) for r in runners]
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    assert sum("upgraded the history table" in d.stderr for d in done) == 1
    assert sum(f"applied {POPX}_popx" in d.stderr for d in done) == 1
    assert len(_upgrades(url)) == 1
    assert sorted(int(v) for (v,) in query(url, "SELECT version FROM ledger")) == [1, 2, 3, 4]

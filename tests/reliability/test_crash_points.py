"""Scenario 6 between migrations, and every fault point: a runner killed at any point leaves
each migration wholly applied or not at all, and the next runner proceeds within seconds.

(Killing the holder mid-statement is tests/integration/test_concurrency.py; here the kill lands
between two migrations, before the history rows are queued, right before COMMIT, and between
two statements of a no-transaction file.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlmig, write
from tests.integration.procs import Runner
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    fault,
    history_rows,
    ledger_counts,
    lock_free,
    write_versions,
)

pytestmark = pytest.mark.timeout(90)
VERSIONS = range(1, 5)


def test_kill_9_between_two_migrations(ledger_db: str, migrations: Path) -> None:
    write_versions(migrations, VERSIONS)
    holder = Runner(*args(ledger_db, migrations, "up"), env=fault("after_migration:2:hang"))
    holder.wait_for_stderr("sqlmig-test-fault: after_migration:2", timeout=30)
    assert_exactly_once(ledger_db, [1, 2])  # 1 and 2 committed, 3 not begun
    nxt = Runner(*args(ledger_db, migrations, "--lock-timeout", "30", "up"))
    holder.kill()
    done = nxt.finish(timeout=30)
    assert holder.finish(timeout=10).returncode == -9
    assert done.returncode == 0, done.stderr
    assert done.seconds < 10, f"the next runner took {done.seconds:.1f} s"
    assert "applied 0003_v3" in done.stderr and "0001_v1" not in done.stderr
    assert_exactly_once(ledger_db, VERSIONS)


@pytest.mark.parametrize("point", ["before_history:3", "before_commit:3", "after_migration:3"])
def test_crash_at_a_fault_point(ledger_db: str, migrations: Path, point: str) -> None:
    """SIGKILL (by the process itself) at the point: 3 is all or nothing, the rest exactly once."""
    write_versions(migrations, VERSIONS)
    crashed = sqlmig(*args(ledger_db, migrations, "up"), env=fault(f"{point}:crash"))
    assert crashed.returncode == -9, crashed.stderr
    assert f"sqlmig-test-fault: {point} crash" in crashed.stderr
    committed = [1, 2, 3] if point.startswith("after") else [1, 2]
    assert_exactly_once(ledger_db, committed)
    assert lock_free(ledger_db)
    again = sqlmig(*args(ledger_db, migrations, "--lock-timeout", "10", "up"))
    assert again.returncode == 0, again.stderr
    assert_exactly_once(ledger_db, VERSIONS)


def test_crash_between_statements_of_a_no_transaction_file(
    ledger_db: str, migrations: Path
) -> None:
    """Outside a transaction the `running` row survives the crash: exit 5 until repair."""
    write_versions(migrations, [1])
    write(
        migrations,
        "0002_nt",
        "-- sqlmig:no-transaction\nCREATE TABLE t_2 (id int);\n"
        "INSERT INTO ledger (version) VALUES (2);\nCREATE TABLE t_2b (id int);\n",
    )
    crashed = sqlmig(*args(ledger_db, migrations, "up"), env=fault("after_statement:2:crash"))
    assert crashed.returncode == -9, crashed.stderr
    assert ledger_counts(ledger_db) == {1: 1, 2: 1}
    assert history_rows(ledger_db) == {1: "applied", 2: "running"}
    blocked = sqlmig(*args(ledger_db, migrations, "up"))
    assert blocked.returncode == 5, blocked.stderr
    assert "repair" in blocked.stderr
    assert ledger_counts(ledger_db) == {1: 1, 2: 1}  # nothing ran again

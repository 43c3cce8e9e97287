"""Scenario 8: PgBouncer in pool_mode = transaction in front of PostgreSQL.

A session advisory lock taken through a transaction pooler lands on whichever server connection
the pooler picks, and stays there when the client's next transaction goes elsewhere: two
runners can both "hold" the lock, and a lock is left behind. sqlmig sees the pooler (the server
pid differs from the pid the connection announced) and refuses before it locks anything, naming
pool_mode; read-only commands, which take no lock, still work through it.

PgBouncer's own md5 login is a real password check (the test server trusts everyone), so the
hostile-password and wrong-password cases of scenarios 18 and 19 run here too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import sqlmig
from tests.integration.procs import Runner
from tests.reliability.conftest import BOUNCER_PASSWORD
from tests.reliability.harness import (
    advisory_locks,
    args,
    assert_exactly_once,
    history_rows,
    secret_free,
    write_versions,
)

pytestmark = pytest.mark.timeout(90)


def _bounced(port: int, url: str, password: str = BOUNCER_PASSWORD) -> str:
    return (
        f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}/{url.rsplit('/', 1)[1]}"
    )


@pytest.mark.parametrize(
    "command",
    [["up"], ["down"], ["redo"], ["baseline", "1"], ["repair"], ["mark", "1", "--applied"]],
)
def test_locking_commands_refuse_a_transaction_pooler(
    ledger_pg: str, migrations: Path, pgbouncer: int, command: list[str]
) -> None:
    write_versions(migrations, range(1, 3))
    url = _bounced(pgbouncer, ledger_pg)
    done = sqlmig(*args(url, migrations, *command))
    assert done.returncode == 2, done.stderr
    assert "connection pooler" in done.stderr and "pool_mode" in done.stderr, done.stderr
    secret_free(done.stdout + done.stderr, BOUNCER_PASSWORD)
    assert advisory_locks(ledger_pg) == 0  # nothing orphaned on any server connection
    assert history_rows(ledger_pg) == {}
    assert_exactly_once(ledger_pg, [])


def test_concurrent_runners_through_the_pooler_leave_no_lock(
    ledger_pg: str, migrations: Path, pgbouncer: int
) -> None:
    write_versions(migrations, range(1, 3))
    url = _bounced(pgbouncer, ledger_pg)
    runners = [Runner(*args(url, migrations, "up")) for _ in range(5)]
    results = [r.finish(timeout=60) for r in runners]
    assert [r.returncode for r in results] == [2] * 5, [r.stderr for r in results]
    assert advisory_locks(ledger_pg) == 0
    assert_exactly_once(ledger_pg, [])
    direct = sqlmig(*args(ledger_pg, migrations, "up"))  # PostgreSQL itself: fine
    assert direct.returncode == 0, direct.stderr
    assert_exactly_once(ledger_pg, [1, 2])
    assert advisory_locks(ledger_pg) == 0


def test_read_only_commands_work_through_the_pooler_with_a_hostile_password(
    ledger_pg: str, migrations: Path, pgbouncer: int
) -> None:
    """Scenario 18: a password holding @ : / % is percent-decoded correctly (md5 accepts it)."""
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(ledger_pg, migrations, "up", "--to", "1")).returncode == 0
    url = _bounced(pgbouncer, ledger_pg)
    for command in (["status"], ["validate"], ["history"], ["current"], ["repair", "--dry-run"]):
        done = sqlmig(*args(url, migrations, *command))
        assert done.returncode == 0, (command, done.stderr)
        secret_free(done.stdout + done.stderr, BOUNCER_PASSWORD)
    status = sqlmig(*args(url, migrations, "status"))
    assert "pending" in status.stdout and "0001_v1" in status.stdout


@pytest.mark.parametrize(
    "command", [["up"], ["down"], ["status"], ["validate"], ["history"], ["current"], ["redo"]]
)
def test_wrong_password_is_exit_6_and_never_printed(
    pg_url: str, migrations: Path, pgbouncer: int, command: list[str]
) -> None:
    """Scenario 19 with a real password check: the wrong password is in no output, any spelling."""
    wrong = "Wr0ng@:/%Sentinel-" + "x" * 8
    write_versions(migrations, [1])
    done = sqlmig(*args(_bounced(pgbouncer, pg_url, wrong), migrations, *command))
    assert done.returncode == 6, done.stderr
    assert "password authentication failed" in done.stderr, done.stderr
    secret_free(done.stdout + done.stderr, wrong)
    json_done = sqlmig(*args(_bounced(pgbouncer, pg_url, wrong), migrations, "--json", *command))
    assert json_done.returncode == 6
    secret_free(json_done.stdout + json_done.stderr, wrong)

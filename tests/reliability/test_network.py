"""Scenario 7: the connection is reset or black-holed mid-migration, or lost after COMMIT was sent.

sqlmig talks to PostgreSQL through tests/reliability/proxy.py. A lost connection is exit 6 with
a clear message; the server rolls back what it had not committed; the next runner applies every
migration exactly once. When the connection drops after COMMIT was sent, sqlmig reconnects,
makes sure the old session is gone (so its transaction is over), reads the history and says
whether the migration was committed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import query, sqlmig
from tests.integration.procs import Runner
from tests.reliability.harness import (
    PG_SLEEPING,
    args,
    assert_exactly_once,
    wait_in_slow,
    write_versions,
)
from tests.reliability.proxy import Proxy

pytestmark = pytest.mark.timeout(90)


def _via(proxy: Proxy, url: str) -> str:
    return proxy.url(url.rsplit("/", 1)[1])


def _server_done(url: str) -> None:
    """Wait until the server no longer runs the cut-off statement (it then rolls back)."""
    deadline = time.monotonic() + 20
    while query(url, PG_SLEEPING)[0][0] and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.parametrize("how", ["reset", "blackhole"])
def test_connection_lost_mid_migration(
    ledger_pg: str, migrations: Path, proxy: Proxy, how: str
) -> None:
    write_versions(migrations, range(1, 4), extra={2: "SELECT pg_sleep(2);\n"})
    runner = Runner(*args(_via(proxy, ledger_pg), migrations, "up"))
    wait_in_slow(ledger_pg, runner, "0002_v2")
    if how == "blackhole":
        proxy.blackhole()
        time.sleep(3)  # the statement is over on the server; its reply goes nowhere
        assert runner.running(), "sqlmig cannot know yet: the TCP connection is still up"
        proxy.reset()  # the network failure is finally noticed (keepalive, tcp timeout)
    else:
        proxy.reset()
    done = runner.finish(timeout=20)
    assert done.returncode == 6, done.stderr
    assert "lost the connection to PostgreSQL" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    _server_done(ledger_pg)
    assert_exactly_once(ledger_pg, [1])  # 2 was rolled back by the server
    again = sqlmig(*args(ledger_pg, migrations, "--lock-timeout", "20", "up"))
    assert again.returncode == 0, again.stderr
    assert_exactly_once(ledger_pg, range(1, 4))


@pytest.mark.parametrize(
    ("when", "committed"), [("after_reply", True), ("before", False)], ids=["committed", "lost"]
)
def test_connection_lost_after_commit_was_sent(
    ledger_pg: str, migrations: Path, proxy: Proxy, when: str, committed: bool
) -> None:
    write_versions(migrations, range(1, 4))
    assert sqlmig(*args(ledger_pg, migrations, "up", "--to", "1")).returncode == 0
    proxy.cut_at(b"COMMIT", when=when)
    done = sqlmig(*args(_via(proxy, ledger_pg), migrations, "up"), timeout=60)
    assert proxy.cut_done.is_set()
    assert done.returncode == 6, done.stderr
    assert "after COMMIT was sent" in done.stderr, done.stderr
    if committed:
        assert "0002_v2 (up) WAS committed" in done.stderr, done.stderr
        assert_exactly_once(ledger_pg, [1, 2])
    else:
        assert "0002_v2 (up) was NOT committed" in done.stderr, done.stderr
        assert_exactly_once(ledger_pg, [1])
    again = sqlmig(*args(ledger_pg, migrations, "up"))
    assert again.returncode == 0, again.stderr
    assert_exactly_once(ledger_pg, range(1, 4))


def test_connection_lost_after_commit_of_a_down(
    ledger_pg: str, migrations: Path, proxy: Proxy
) -> None:
    write_versions(migrations, range(1, 3))
    assert sqlmig(*args(ledger_pg, migrations, "up")).returncode == 0
    proxy.cut_at(b"COMMIT", when="after_reply")
    done = sqlmig(*args(_via(proxy, ledger_pg), migrations, "down"), timeout=60)
    assert done.returncode == 6, done.stderr
    assert "0002_v2 (down) WAS committed" in done.stderr, done.stderr
    assert_exactly_once(ledger_pg, [1])

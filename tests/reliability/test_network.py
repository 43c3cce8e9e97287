"""Scenario 7: the connection is reset or black-holed mid-migration, or lost after COMMIT was sent.

sqlmig talks to PostgreSQL through tests/reliability/proxy.py. A lost connection is exit 6 with
a clear message; the server rolls back what it had not committed; the next runner applies every
migration exactly once. When the connection drops after COMMIT was sent, sqlmig reconnects,
makes sure the old session is gone (so its transaction is over), reads the history and says
whether the migration was committed.

The proxy's black hole is make-believe (its kernel still ACKs keepalive probes), so
test_packets_dropped_mid_migration drops packets for real: the proxy listens inside a network
namespace joined to the host by a veth pair (tests/reliability/netns.py), and mid-migration every
packet into or out of that namespace is silently discarded; sqlmig must notice by itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, query, require_pg, skip_or_fail, sqlmig
from tests.integration.procs import Runner
from tests.reliability.harness import (
    PG_SLEEPING,
    args,
    assert_exactly_once,
    fault,
    wait_in_slow,
    write_versions,
)
from tests.reliability.netns import NetNs, NetNsUnavailable
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


@pytest.fixture
def far_proxy() -> Iterator[tuple[NetNs, Proxy]]:
    """A Proxy to the test server that listens inside a fresh network namespace; sqlmig reaches
    it only through a veth pair. The namespace and the link are removed even when the test fails.
    """
    require_pg()
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(PG_URL)
    ns = NetNs()
    proxy = None
    try:
        try:
            ns.create()
        except NetNsUnavailable as exc:
            skip_or_fail(f"cannot drop packets for real: {exc}")
        upstream = (params.get("host", "127.0.0.1"), int(params.get("port", 5432)))
        proxy = Proxy(upstream, listener=ns.listen())
        yield ns, proxy
    finally:
        if proxy is not None:
            proxy.close()
        ns.close()


# Short keepalives: silence is fatal after 1 s plus 2 unanswered probes 1 s apart. No
# tcp_user_timeout: sqlmig derives it from these (3 s) unless the URL sets it.
FAST_KEEPALIVES = "keepalives_idle=1&keepalives_interval=1&keepalives_count=2"
STALE = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND application_name LIKE '%% {pid}@%%'"
)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("when", ["waiting", "sending"])
def test_packets_dropped_mid_migration(
    ledger_pg: str, migrations: Path, far_proxy: tuple[NetNs, Proxy], when: str
) -> None:
    """Every packet to and from the server is dropped, silently, in the middle of a migration.

    waiting: during the pg_sleep of 0002, while sqlmig waits for the reply; its request was
    sent (and normally ACKed), so only keepalive probes can find the peer gone.
    sending: right before 0002's SQL goes out, which is then never ACKed; keepalives do not
    probe a connection with unacknowledged data, Linux retransmits it for ~15 minutes
    (tcp_retries2), and only TCP_USER_TIMEOUT ends that sooner.
    """
    ns, proxy = far_proxy
    write_versions(migrations, range(1, 4), extra={2: "SELECT pg_sleep(3);\n"})
    url = f"{_via(proxy, ledger_pg)}?{FAST_KEEPALIVES}"
    env = fault("before_migration:2:sleep=1") if when == "sending" else None
    runner = Runner(*args(url, migrations, "--lock-timeout", "5", "up"), env=env)
    if when == "sending":
        runner.wait_for_stderr("sqlmig-test-fault: before_migration:2", timeout=30)
    else:
        wait_in_slow(ledger_pg, runner, "0002_v2")
        time.sleep(0.5)  # past the far side's delayed ACK (at most 200 ms): nothing unacked
    ns.blackhole()  # from here on nothing gets through, and nobody is told
    dropped = time.monotonic()
    done = runner.finish(timeout=15)
    noticed = time.monotonic() - dropped
    assert done.returncode == 6, done.stderr
    assert "lost the connection to PostgreSQL" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert noticed < 10, f"sqlmig took {noticed:.1f} s to notice the black hole"
    # The server never heard of it: the proxy still holds both sessions (the lock's, and the
    # migration's with 0002 open or not yet begun). A new runner must wait, not apply 2 again.
    stale = [pid for (pid,) in query(ledger_pg, STALE.format(pid=runner.pid))]
    assert len(stale) == 2, f"sqlmig's sessions (migration and lock): {stale}"
    blocked = sqlmig(*args(ledger_pg, migrations, "--lock-timeout", "1", "up"))
    assert blocked.returncode == 3, blocked.stderr
    assert_exactly_once(ledger_pg, [1])
    # What the server's own tcp_keepalives_* would do in time: end the stale sessions.
    for pid in stale:
        query(ledger_pg, f"SELECT pg_terminate_backend({pid})")
    deadline = time.monotonic() + 10
    while query(ledger_pg, STALE.format(pid=runner.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not query(ledger_pg, STALE.format(pid=runner.pid)), "the stale sessions did not end"
    assert_exactly_once(ledger_pg, [1])  # the server rolled back whatever 2 had done
    again = sqlmig(*args(ledger_pg, migrations, "--lock-timeout", "10", "up"))
    assert again.returncode == 0, again.stderr
    assert_exactly_once(ledger_pg, range(1, 4))

"""The lock's identity is fixed before any migration runs, and the lock is proven held.

1. (PostgreSQL) A migration that creates the schema named like the role (the "$user" entry of
   the default search_path) changes current_schema() mid-run: a second runner must still meet
   the same lock (and wait), and a later run must find the same history.
2. (PostgreSQL) A server that ends idle sessions (idle_session_timeout) must not end the lock's.
3. (PostgreSQL, MariaDB) When the lock's connection is ended anyway (pg_terminate_backend, KILL:
   what pt-kill does), nothing more commits: the run stops with exit 3 and says what stays.
4. (PostgreSQL) current_schema() NULL at the start is a clear usage error, not "a pooler".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import execute, query, sqlmig, write
from tests.integration.procs import Runner, wait_until
from tests.reliability.harness import (
    args,
    assert_exactly_once,
    history_rows,
    ledger_counts,
    ledger_sql,
    sleeping,
    slow,
    wait_in_slow,
    write_versions,
)

pytestmark = pytest.mark.timeout(90)


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_user_schema_made_mid_run_does_not_move_the_lock(
    ledger_pg: str, migrations: Path
) -> None:
    url = ledger_pg
    write(migrations, "0001_user_schema", "CREATE SCHEMA postgres;\n" + ledger_sql(1))
    # no transaction: a `running` row stands for the live run, which status must see as live
    no_tx = "-- sqlmig:no-transaction\n"
    write(migrations, "0002_slow", no_tx + slow(url, 4) + ledger_sql(2))
    holder = Runner(*args(url, migrations, "up"))
    try:
        wait_in_slow(url, holder, "0002_slow")
        other = sqlmig(*args(url, migrations, "--lock-timeout", "1", "up"))
        assert other.returncode == 3, other.stdout + other.stderr  # waited, not "crashed"
        status = sqlmig(*args(url, migrations, "status"))
        assert "being applied now" in status.stdout + status.stderr, status.stdout
        first = holder.finish(timeout=30)
    finally:
        holder.kill()
    assert first.returncode == 0, first.stderr
    assert query(url, "SELECT to_regclass('public.sqlmig_history') IS NOT NULL") == [(True,)]
    again = sqlmig(*args(url, migrations, "up"))
    assert again.returncode == 0 and "applying" not in again.stderr, again.stderr
    assert_exactly_once(url, [1, 2])


def test_idle_session_timeout_does_not_end_the_lock(ledger_pg: str, migrations: Path) -> None:
    url = ledger_pg
    execute(url, f"ALTER DATABASE \"{_database(url)}\" SET idle_session_timeout = '500ms'")
    write(migrations, "0001_slow", slow(url, 3) + ledger_sql(1))
    holder = Runner(*args(url, migrations, "up"))
    try:
        wait_in_slow(url, holder, "0001_slow")
        waiter = Runner(*args(url, migrations, "--lock-timeout", "30", "up"))
        first, second = holder.finish(timeout=30), waiter.finish(timeout=30)
    finally:
        holder.kill()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "applying" not in second.stderr, second.stderr
    assert_exactly_once(url, [1])


def _end_lock_session(url: str) -> None:
    if url.startswith("mysql"):
        rows = query(
            url,
            "SELECT ID FROM information_schema.PROCESSLIST WHERE ID = "
            "IS_USED_LOCK(CONCAT('sqlmig/', DATABASE(), '.sqlmig_history'))",
        )
        assert rows, "no lock holder to end"
        execute_mysql(url, f"KILL {int(rows[0][0])}")
        return
    ended = query(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name LIKE 'sqlmig-lock %' AND datname = current_database()",
    )
    assert ended == [(True,)], ended


def execute_mysql(url: str, sql: str) -> None:
    query(url, sql)


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_a_lost_lock_stops_the_run_before_anything_more_commits(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    url = request.getfixturevalue(f"ledger_{kind}")
    write(migrations, "0001_slow", ledger_sql(1) + slow(url, 3))
    write_versions(migrations, [2])
    run = Runner(*args(url, migrations, "up"))
    try:
        wait_in_slow(url, run, "0001_slow")
        _end_lock_session(url)
        done = run.finish(timeout=30)
    finally:
        run.kill()
    assert done.returncode == 3, done.stderr
    assert "lock was lost" in done.stderr, done.stderr
    assert 2 not in ledger_counts(url)  # nothing after the loss ran
    if kind == "pg":  # the file's transaction rolled back with the failed guard
        assert ledger_counts(url) == {} and history_rows(url) == {}
        again = sqlmig(*args(url, migrations, "up"))
        assert again.returncode == 0, again.stderr
        assert_exactly_once(url, [1, 2])
    else:  # MariaDB: the statements ran and stay; the row says so and blocks the next run
        assert ledger_counts(url) == {1: 1}
        assert "stay applied" in done.stderr, done.stderr
        assert history_rows(url) == {1: "running"}
        blocked = sqlmig(*args(url, migrations, "up"))
        assert blocked.returncode == 5, blocked.stderr
    wait_until(lambda: sleeping(url) == 0, 20, "the slow statement to end")


def test_no_current_schema_is_a_clear_usage_error(pg_url: str, migrations: Path) -> None:
    execute(pg_url, f'ALTER DATABASE "{_database(pg_url)}" SET search_path = app')
    write(migrations, "0001_app", "CREATE SCHEMA app;\nCREATE TABLE app.t (a int);\n")
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 2, done.stderr
    assert "pooler" not in done.stderr and "current_schema" in done.stderr, done.stderr
    assert "--table" in done.stderr
    ok = sqlmig(*args(pg_url, migrations, "--table", "public.sqlmig_history", "up"))
    assert ok.returncode == 0, ok.stderr


def _public_ledger(url: str) -> list[tuple]:
    return query(url, "SELECT version FROM public.ledger ORDER BY version")


def test_a_history_off_search_path_is_neither_adopted_nor_doubled(
    ledger_pg: str, migrations: Path
) -> None:
    """A migration moves the database's search_path away from the history's schema: the next
    run must not start an empty history (and apply everything again); another project's
    history in another schema must not be taken for this one's either."""
    url = ledger_pg
    write(
        migrations,
        "0001_move",
        "CREATE SCHEMA app;\n"
        f'ALTER DATABASE "{_database(url)}" SET search_path = app;\n'
        + ledger_sql(1).replace("ledger", "public.ledger").replace("t_1", "public.t_1"),
    )
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    write(migrations, "0002_next", "INSERT INTO public.ledger VALUES (2);\n")
    again = sqlmig(*args(url, migrations, "up"))
    assert again.returncode == 2, again.stderr
    assert "public.sqlmig_history" in again.stderr and "--table" in again.stderr, again.stderr
    assert _public_ledger(url) == [(1,)]
    named = sqlmig(*args(url, migrations, "--table", "public.sqlmig_history", "up"))
    assert named.returncode == 0, named.stderr
    assert _public_ledger(url) == [(1,), (2,)]


def test_another_schemas_history_is_not_taken_for_this_one(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_accounts", "CREATE TABLE accounts (id int);\n")
    execute(pg_url, "CREATE SCHEMA tenant_a")
    tenant = sqlmig(*args(pg_url, migrations, "--table", "tenant_a.sqlmig_history", "up"))
    assert tenant.returncode == 0, tenant.stderr
    execute(pg_url, "DROP TABLE public.accounts")  # the tenant's run made it in public too
    plain = sqlmig(*args(pg_url, migrations, "up"))
    assert plain.returncode == 2 and "tenant_a.sqlmig_history" in plain.stderr, plain.stderr
    assert query(pg_url, "SELECT to_regclass('public.sqlmig_history') IS NULL") == [(True,)]


def test_a_view_named_like_the_history_is_not_the_history(pg_url: str, migrations: Path) -> None:
    """A migration makes the "$user" schema and a view named sqlmig_history in it: the view,
    first on search_path, is no history table (nor the lock's name)."""
    write(
        migrations,
        "0001_view",
        "CREATE SCHEMA postgres;\nCREATE VIEW postgres.sqlmig_history AS "
        "SELECT * FROM public.sqlmig_history;\n",
    )
    assert sqlmig(*args(pg_url, migrations, "up")).returncode == 0
    status = sqlmig(*args(pg_url, migrations, "status"))
    assert status.returncode == 2 and "public.sqlmig_history" in status.stderr, status.stderr

"""The driver conformance suite: every driver passes the same checks on a real database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import nullcontext, suppress

import pytest

from sqlmig.drivers import connect
from sqlmig.drivers.base import Driver, MissingTable, ScriptError, TransactionEnded
from sqlmig.errors import ConnectError, LockTimeout
from sqlmig.urls import parse_url
from tests.conftest import query

TABLE = "sqlmig_history"


@pytest.fixture
def driver(any_url: str) -> Iterator[Driver]:
    d = connect(parse_url(any_url), table=TABLE)
    try:
        yield d
    finally:
        d.close()


@pytest.fixture
def db_url(any_url: str) -> str:  # the same database as `driver`, for reading it directly
    return any_url


def test_script_and_records_commit_together(driver: Driver, db_url: str) -> None:
    p = driver.PARAM
    driver.execute("CREATE TABLE marks (v INTEGER)")
    driver.execute("CREATE TABLE a (x INTEGER)")
    driver.begin()
    driver.run_script("INSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);\n")
    # record() is for sqlmig's own writes, which always name the schema (or database)
    driver.record(f"INSERT INTO {driver.quote(driver.home)}.marks VALUES ({p})", (7,))
    driver.commit()
    assert query(db_url, "SELECT x FROM a ORDER BY x") == [(1,), (2,)]
    assert query(db_url, "SELECT v FROM marks") == [(7,)]


def test_rollback_discards_script_and_records(driver: Driver, db_url: str) -> None:
    driver.execute("CREATE TABLE marks (v INTEGER)")
    driver.execute("CREATE TABLE b (x INTEGER)")
    driver.begin()
    driver.run_script("INSERT INTO b VALUES (1); INSERT INTO b VALUES (2);")
    driver.record(f"INSERT INTO {driver.quote(driver.home)}.marks VALUES ({driver.PARAM})", (1,))
    driver.rollback()
    assert query(db_url, "SELECT count(*) FROM marks") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM b") == [(0,)]


def test_ddl_rolls_back_exactly_where_the_driver_says_so(driver: Driver) -> None:
    """ATOMIC_DDL decides whether files run in a transaction; it must tell the truth."""
    driver.begin()
    with suppress(TransactionEnded):  # MySQL: the DDL committed the transaction by itself
        driver.run_script("CREATE TABLE ddl_probe (x INTEGER);")
    driver.rollback()
    try:
        driver.query("SELECT * FROM ddl_probe")
        kept = True
    except MissingTable:
        kept = False
    assert kept is not driver.ATOMIC_DDL


def test_failing_statement_reports_its_offset_and_leaves_nothing(
    driver: Driver, db_url: str
) -> None:
    driver.execute("CREATE TABLE c (x INTEGER)")
    text = "INSERT INTO c VALUES (1);\nINSERT INTO c VALUES (2);\nINSERT INTO nope VALUES (1);\n"
    driver.begin()
    with pytest.raises(ScriptError) as caught:
        driver.run_script(text)
    driver.rollback()
    assert caught.value.offset is not None
    assert text[caught.value.offset :].startswith("INSERT INTO nope") or text[
        caught.value.offset :
    ].startswith("nope")
    assert "nope" in caught.value.message
    assert query(db_url, "SELECT count(*) FROM c") == [(0,)]


def test_commit_inside_the_script_is_detected(driver: Driver) -> None:
    driver.execute("CREATE TABLE d (x INTEGER)")
    driver.begin()
    with pytest.raises(TransactionEnded):
        driver.run_script("INSERT INTO d VALUES (1);\nCOMMIT;\n")
    driver.rollback()


def test_query_of_a_missing_table_is_missing_table(driver: Driver) -> None:
    with pytest.raises(MissingTable):
        driver.query(f"SELECT * FROM {driver.quote('no_such_table')}")


def test_run_statement_runs_outside_a_transaction(driver: Driver, db_url: str) -> None:
    statements = driver.split("CREATE TABLE e (x INTEGER);\nINSERT INTO e VALUES (5);")
    assert len(statements) == 2
    for stmt in statements:
        driver.run_statement(stmt.text)
    assert query(db_url, "SELECT x FROM e") == [(5,)]
    with pytest.raises(ScriptError):
        driver.run_statement("INSERT INTO e VALUES ('not a number', 2)")


def test_quote_survives_hostile_names(driver: Driver, db_url: str) -> None:
    name = 'we"ird; DROP TABLE x; --'
    driver.execute(f"CREATE TABLE {driver.quote(name)} (v INTEGER)")
    driver.execute(f"INSERT INTO {driver.quote(name)} VALUES (1)")
    assert driver.query(f"SELECT v FROM {driver.quote(name)}") == [(1,)]


def test_lock_is_exclusive_and_names_the_holder(driver: Driver, db_url: str) -> None:
    other = connect(parse_url(db_url), table=TABLE)
    try:
        with driver.lock(5):
            started = time.monotonic()
            with pytest.raises(LockTimeout) as caught, other.lock(0.5):
                pass
            assert 0.4 < time.monotonic() - started < 5
            assert "held by" in caught.value.message
        with other.lock(1):  # released: the other runner gets it at once
            pass
    finally:
        other.close()


def test_lock_holder_sees_the_lock_without_taking_it(driver: Driver, db_url: str) -> None:
    other = connect(parse_url(db_url), table=TABLE)
    try:
        assert other.lock_holder() is None
        with driver.lock(5):
            holder = other.lock_holder()
            assert holder and "another" not in holder, holder  # names the holder
            assert other.lock_holder() == holder  # looking took nothing
        assert other.lock_holder() is None
        with other.lock(1):  # nor did it keep anything
            pass
    finally:
        other.close()


@pytest.mark.parametrize("server", ["pg_url", "mysql_url"])
def test_locks_for_different_tables_are_independent(
    server: str, request: pytest.FixtureRequest
) -> None:
    """(SQLite's lock is the database file itself: one writer at a time, see README.)"""
    url = request.getfixturevalue(server)
    one = connect(parse_url(url), table="hist_a")
    two = connect(parse_url(url), table="hist_b")
    try:
        with one.lock(1), two.lock(1):
            pass
    finally:
        one.close()
        two.close()


def test_unreachable_server_is_connect_error() -> None:
    with pytest.raises(ConnectError) as caught:
        connect(parse_url("postgresql://u:secret-pw@127.0.0.1:1/x"), table=TABLE)
    assert "secret-pw" not in caught.value.message
    assert caught.value.exit_code == 6


def test_sqlite_in_missing_folder_is_connect_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectError):
        connect(parse_url(f"sqlite:///{tmp_path}/missing/dir/x.db"), table=TABLE)


def test_qualified_and_unqualified_names_of_one_table_share_the_lock(pg_url: str) -> None:
    plain = connect(parse_url(pg_url), table="sqlmig_history")
    qualified = connect(parse_url(pg_url), table="public.sqlmig_history")
    try:
        with plain.lock(1), pytest.raises(LockTimeout), qualified.lock(0.3):
            pass
    finally:
        plain.close()
        qualified.close()


def test_home_is_resolved_at_connect(driver: Driver) -> None:
    """Where an unqualified history table lives, fixed before any migration runs."""
    assert driver.home, driver.home


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
def test_every_history_write_and_check_must_match_one_row(
    driver: Driver, db_url: str, locked: bool
) -> None:
    from sqlmig.errors import HistoryError

    marks = f"{driver.quote(driver.home)}.marks"  # type: ignore[arg-type]
    p = driver.PARAM
    driver.execute(f"CREATE TABLE {marks} (v INTEGER)")
    with driver.lock(5) if locked else nullcontext():
        driver.write((f"INSERT INTO {marks} VALUES ({p})", (1,)))
        driver.write((f"SELECT v FROM {marks} WHERE v = {p}", (1,)))  # a check finding its row
        for missed in (
            (f"UPDATE {marks} SET v = 2 WHERE v = {p}", (99,)),
            (f"SELECT v FROM {marks} WHERE v = {p}", (99,)),
        ):
            with pytest.raises(HistoryError, match="matched 0 rows instead of 1"):
                driver.write(missed)
        driver.begin()
        driver.run_script("SELECT 1;")
        with pytest.raises(HistoryError, match="matched 0 rows instead of 1"):
            driver.record(f"DELETE FROM {marks} WHERE v = {p}", (99,))
            driver.commit()  # PostgreSQL checks the queued writes here
        driver.rollback()
    assert query(db_url, "SELECT v FROM marks") == [(1,)]


def test_in_transaction_follows_the_files_own_transaction(driver: Driver) -> None:
    begin = "START TRANSACTION" if driver.dialect == "mysql" else "BEGIN"
    assert not driver.in_transaction()
    driver.run_statement(begin)
    assert driver.in_transaction()
    driver.run_statement("COMMIT")
    assert not driver.in_transaction()

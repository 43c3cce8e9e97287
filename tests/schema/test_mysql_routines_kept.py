"""MariaDB/MySQL snapshots taken again and again (verify): SHOW CREATE of a routine is asked
again only when its information_schema rows changed (schema/mysql.py `shown`); every change
of a routine, even within the same second as the read before, gives the full read's snapshot."""

from __future__ import annotations

from sqlmig.drivers import connect
from sqlmig.schema import mysql, snapshot
from sqlmig.schema.model import sort_snapshot
from sqlmig.urls import parse_url

TABLE = "sqlmig_history"

STEPS = [
    "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
    "DROP FUNCTION f; CREATE FUNCTION f(x BIGINT) RETURNS INT DETERMINISTIC RETURN x + 1",
    "DROP FUNCTION f; CREATE FUNCTION f(x BIGINT) RETURNS BIGINT DETERMINISTIC RETURN x + 1",
    "DROP FUNCTION f; CREATE FUNCTION f(y BIGINT) RETURNS BIGINT DETERMINISTIC RETURN y + 1",
    "DROP FUNCTION f; CREATE FUNCTION f(y BIGINT) RETURNS BIGINT DETERMINISTIC RETURN y + 2",
    "ALTER FUNCTION f COMMENT 'two'",
    "ALTER FUNCTION f SQL SECURITY INVOKER",
    "DROP FUNCTION f; CREATE FUNCTION f(y BIGINT) RETURNS BIGINT RETURN y + 2",
    "CREATE PROCEDURE f(IN y INT) SELECT y",  # a procedure of the same name
    "DROP PROCEDURE f; CREATE PROCEDURE f(OUT y INT) SET y = 1",
    "DROP FUNCTION f",
    "DROP PROCEDURE f",
]


def test_every_routine_change_is_seen(mysql_url: str) -> None:
    driver = connect(parse_url(mysql_url), table=TABLE)
    shown: mysql.Shown = {}
    try:
        for step in STEPS:
            for statement in step.split("; "):
                driver.execute(statement)
            full = snapshot(driver, table=TABLE)
            kept = sort_snapshot(mysql.read(driver, (TABLE, f"{TABLE}_log"), shown))
            assert kept == full, step
            assert len(shown) == len(full.routines), step  # only what is there is kept
    finally:
        driver.close()


def test_an_unchanged_routine_is_not_asked_again(mysql_url: str) -> None:
    driver = connect(parse_url(mysql_url), table=TABLE)
    shown: mysql.Shown = {}
    try:
        driver.execute("CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1")
        mysql.read(driver, (TABLE,), shown)
        asked: list[str] = []
        query = driver.query
        driver.query = lambda sql, *a: (asked.append(sql), query(sql, *a))[1]  # type: ignore[method-assign]
        driver.execute("CREATE TABLE t (id int PRIMARY KEY)")
        mysql.read(driver, (TABLE,), shown)
        assert not [q for q in asked if q.startswith("SHOW CREATE")]
    finally:
        driver.close()


def test_a_routine_made_again_within_the_same_second_is_seen(mysql_url: str) -> None:
    """Its ROUTINES row is then the same (CREATED and LAST_ALTERED are whole seconds): only
    its PARAMETERS rows show the change."""
    driver = connect(parse_url(mysql_url), table=TABLE)
    created = "SELECT CREATED FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"
    try:
        for _attempt in range(50):  # until both fall within one second
            driver.execute("DROP FUNCTION IF EXISTS f")
            driver.execute("CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN 1")
            shown: mysql.Shown = {}
            mysql.read(driver, (TABLE,), shown)
            before = driver.query(created)
            driver.execute("DROP FUNCTION f")
            driver.execute("CREATE FUNCTION f(x BIGINT) RETURNS INT DETERMINISTIC RETURN 1")
            if driver.query(created) == before:
                break
        kept = sort_snapshot(mysql.read(driver, (TABLE, f"{TABLE}_log"), shown))
        assert kept == snapshot(driver, table=TABLE)
        assert "BIGINT" in kept.routines[0].definition
    finally:
        driver.close()

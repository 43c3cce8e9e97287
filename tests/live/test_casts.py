"""The type-change pre-check against the server itself: for each value, the statement is run on
a one-row table (PostgreSQL: in a transaction rolled back; MariaDB: a table of its own) and the
check must call it failing exactly when the server refuses it, or say it cannot tell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sqlmig.drivers import connect
from sqlmig.live import conditions, parse
from sqlmig.live.readonly import READERS, Reader
from sqlmig.urls import parse_url
from tests.conftest import execute

INTS = ["1", " 1 ", "+1", "-1", "1.5", "1e3", "", "abc", "12abc", "0x10", "1_000", "\t3", "3\n"]
INTS += ["32767", "32768", "-32769", "2147483648", "9223372036854775808", "-0", None]
DECIMALS = ["1", "1.234", "1.235", "999.99", "999.995", "-999.995", ".5", "5.", "1e1", "1e3"]
DECIMALS += ["abc", "", " 2 ", "1,5", "+.5", ".", "-.", "1.5x", None]
PG_DECIMALS = [*DECIMALS, "NaN", "Infinity", "-inf", "nan "]
UUID = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
UUIDS = [UUID, UUID.upper(), UUID.replace("-", ""), "{" + UUID + "}", "{" + UUID, UUID[:-1]]
UUIDS += [" " + UUID, UUID + " ", "g" + UUID[1:], UUID.replace("-", "--", 1), "", None]
UUIDS += ["a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11"]
BOOLS = ["t", "TRUE", "tr", "yes", "Y", "no", "n", "on", "of", "off", "o", "1", "0", " true "]
BOOLS += ["2", "truee", "", "maybe", "f", "FALSE", None]
DATES = ["2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-5"]
DATES += ["0000-01-01", "2024-01-05 10:00", "2024-01-05T10:00:00Z", "2024-01-05 25:00"]
DATES += ["2024-01-05 24:00", "2024-01-05 23:59:60", "2024-01-05 10:61", "2024-04-31"]
DATES += ["2024-01-05 10:00:00.123+02:00", " 2024-01-05 ", "today", "infinity", "epoch", None]
DATES += ["Jan 5 2024", "05/01/2024", "20240105", "garbage", "", "2024-01-05 10:00 Europe/Paris"]
TEXTS = ["abc", "abcd", "ab  ", "abc   ", "abcd ", "", "ééé", "éééé", None]

PG_CASES = [  # (source type, ALTER ... TYPE ..., values)
    ("text", "smallint USING c::smallint", INTS),
    ("text", "int USING c::int", INTS),
    ("varchar(40)", "bigint USING c::bigint", INTS),
    ("text", "int USING trim(c)::int", INTS),
    ("text", "numeric(5,2) USING c::numeric(5,2)", PG_DECIMALS),
    ("text", "numeric USING c::numeric", PG_DECIMALS),
    ("text", "uuid USING c::uuid", UUIDS),
    ("text", "boolean USING c::boolean", BOOLS),
    ("text", "date USING c::date", DATES),
    ("text", "timestamp USING c::timestamp", DATES),
    ("text", "timestamptz USING c::timestamptz", DATES),
    ("text", "varchar(3)", TEXTS),
    ("varchar(10)", "varchar(3)", TEXTS),
    ("char(6)", "char(3)", TEXTS),
    ("numeric", "int", ["1.5", "2147483647.4", "2147483647.5", "-2147483648.5", "NaN", None]),
    ("numeric(10,3)", "numeric(5,2)", ["999.994", "999.995", "-999.995", "1", None]),
    ("text", "numeric(4) USING c::numeric(4)", [*PG_DECIMALS, "9999.4", "9999.5"]),
    ("bigint", "smallint", ["32767", "32768", "-32768", "-32769", None]),
]
MY_CASES = [
    ("varchar(40)", "INT", INTS),
    ("varchar(40)", "TINYINT", INTS),
    ("varchar(40)", "DECIMAL(5,2)", DECIMALS),
    ("varchar(40)", "DECIMAL", DECIMALS),
    ("varchar(40)", "VARCHAR(3)", TEXTS),
    ("varchar(40)", "INT UNSIGNED", [*INTS, "4294967295", "4294967296"]),
    ("varchar(40)", "DECIMAL(4)", [*DECIMALS, "9999.4", "9999.5"]),
    ("decimal(12,2)", "TINYINT UNSIGNED", ["255.4", "255.5", "-0.4", "-0.5", "0", None]),
    ("decimal(10,3)", "DECIMAL(5,2)", ["999.994", "999.995", "-999.995", "1", None]),
    ("decimal(12,2)", "INT", ["1.5", "2147483647.4", "2147483647.5", "-2147483648.5", None]),
]


@contextmanager
def _reader(url: str) -> Iterator[Reader]:
    driver = connect(parse_url(url), table="sqlmig_history", create=False)
    try:
        yield READERS[driver.dialect](driver)
    finally:
        driver.close()


def _ids(r: Reader, where: str) -> set[int]:
    return (
        {row[0] for row in r.run(f"SELECT id FROM vals t WHERE {where}", 10.0)} if where else set()
    )


def _judged(url: str, dialect: str, source: str, change: str, values: list) -> tuple[Any, ...]:
    verb = "ALTER COLUMN c TYPE" if dialect == "postgres" else "MODIFY c"
    (check,) = parse.read(f"ALTER TABLE vals {verb} {change}", dialect).checks
    with _reader(url) as r:
        types = {"id": "integer", "c": source}
        query = conditions.build(r, check, types, ["id"])
        assert isinstance(query, conditions.Query), query
        return _ids(r, query.where), _ids(r, query.unknown)


def _fill(url: str, source: str, values: list) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vals")
        conn.execute(f"CREATE TABLE vals (id int PRIMARY KEY, c {source})")  # type: ignore[arg-type]
        for i, v in enumerate(values):
            conn.execute("INSERT INTO vals VALUES (%s, %s)", (i, v))


def _pg_refused(url: str, source: str, change: str, values: list) -> set[int]:
    import psycopg

    refused = set()
    with psycopg.connect(url, autocommit=True) as conn:
        for i, v in enumerate(values):
            try:
                with conn.transaction():
                    conn.execute(f"CREATE TEMP TABLE one (c {source})")  # type: ignore[arg-type]
                    conn.execute("INSERT INTO one VALUES (%s)", (v,))
                    conn.execute(f"ALTER TABLE one ALTER COLUMN c TYPE {change}")  # type: ignore[arg-type]
                    raise _Rollback
            except _Rollback:
                pass
            except psycopg.Error:
                refused.add(i)
    return refused


class _Rollback(Exception):
    pass


@pytest.mark.parametrize(("source", "change", "values"), PG_CASES, ids=lambda x: str(x)[:30])
def test_postgres_check_agrees_with_the_server(pg_url: str, source, change, values) -> None:
    _fill(pg_url, source, values)
    bad, unknown = _judged(pg_url, "postgres", source, change, values)
    refused = _pg_refused(pg_url, source, change, values)
    shown = {i: values[i] for i in range(len(values))}
    assert bad <= refused, {shown[i] for i in bad - refused}  # never a false alarm
    assert refused <= bad | unknown, {shown[i] for i in refused - bad - unknown}  # never missed
    assert bad and len(refused) < len(values)  # the case has both kinds


def _my_refused(url: str, source: str, change: str, values: list) -> set[int]:
    import pymysql

    from tests.conftest import _mysql_admin

    conn = _mysql_admin(database=url.rsplit("/", 1)[1])
    refused = set()
    try:
        with conn.cursor() as cur:
            for i, v in enumerate(values):
                cur.execute("DROP TABLE IF EXISTS one")
                cur.execute(f"CREATE TABLE one (c {source})")
                cur.execute("INSERT INTO one VALUES (%s)", (v,))
                try:
                    cur.execute(f"ALTER TABLE one MODIFY c {change}")
                except pymysql.Error:
                    refused.add(i)
    finally:
        conn.close()
    return refused


@pytest.mark.parametrize(("source", "change", "values"), MY_CASES, ids=lambda x: str(x)[:30])
def test_mariadb_check_agrees_with_strict_mode(mysql_url: str, source, change, values) -> None:
    execute(mysql_url, f"CREATE TABLE vals (id int PRIMARY KEY, c {source});")
    from tests.conftest import _mysql_admin

    conn = _mysql_admin(database=mysql_url.rsplit("/", 1)[1])
    try:
        with conn.cursor() as cur:
            for i, v in enumerate(values):
                cur.execute("INSERT INTO vals VALUES (%s, %s)", (i, v))
        conn.commit()
    finally:
        conn.close()
    bad, unknown = _judged(mysql_url, "mysql", source, change, values)
    refused = _my_refused(mysql_url, source, change, values)
    shown = {i: values[i] for i in range(len(values))}
    assert not unknown
    assert bad == refused, ({shown[i] for i in bad - refused}, {shown[i] for i in refused - bad})
    assert bad and len(refused) < len(values)


CLI_INIT = """\
CREATE TABLE acct (id int PRIMARY KEY, qty text, ref text, born text, code varchar(20));
INSERT INTO acct VALUES (1, '5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', 'ab'),
  (2, ' 7 ', 'not-a-uuid', '2023-02-29', 'abcdef'), (3, NULL, NULL, '05/01/2024', 'abc   ');
"""
CLI_NEXT = """\
ALTER TABLE acct ALTER COLUMN qty TYPE int;
ALTER TABLE acct ALTER COLUMN qty TYPE int USING (qty || random()::int::text)::int;
ALTER TABLE acct ALTER COLUMN ref TYPE uuid USING ref::uuid;
ALTER TABLE acct ALTER COLUMN born TYPE date USING born::date;
ALTER TABLE acct ALTER COLUMN code TYPE varchar(3);
ALTER TABLE acct ALTER COLUMN qty TYPE bigint USING NULLIF(trim(qty), '')::bigint;
ALTER TABLE acct ALTER COLUMN born TYPE timestamptz USING born::timestamp AT TIME ZONE 'UTC';
"""


def test_postgres_type_prechecks_through_preflight(pg_url: str, migrations) -> None:
    from tests.cli.helpers import Cli, describe
    from tests.conftest import write

    cli = Cli(pg_url, migrations)
    write(migrations, "0001_init", CLI_INIT)
    cli.ok("up")
    write(migrations, "0002_next", CLI_NEXT)
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    out = proc.stdout.replace(str(migrations) + "/", "")
    assert (
        "0002_next.up.sql:1: qty TYPE INT on acct: fails whatever the rows hold: PostgreSQL has "
        "no automatic cast from text to INT, so the statement fails on any rows, even none; "
        "write USING qty::int" in out
    )
    assert "sql:2: qty TYPE INT on acct: not checked: USING calls random(), a volatile" in out
    assert "0002_next.up.sql:3: ref TYPE UUID on acct: 1 rows are not UUIDs; id = 2" in out
    assert "0002_next.up.sql:4: born TYPE DATE on acct: 1 rows are not valid dates; id = 2" in out
    assert "sql:5: code TYPE VARCHAR(3) on acct: 1 rows are longer than 3 characters; id = 2" in out
    assert "0002_next.up.sql:6: qty TYPE BIGINT on acct: passed" in out
    assert "0002_next.up.sql:7: born TYPE TIMESTAMPTZ on acct: not checked: a USING" in out
    assert "abcdef" not in out and "not-a-uuid" not in out and "2023-02-29" not in out
    # an ISO date that is fine, and one in another form: not known, so not refused
    from tests.conftest import execute

    execute(pg_url, "UPDATE acct SET born = '2024-03-01' WHERE id = 2")
    write(
        migrations, "0002_next", "ALTER TABLE acct ALTER COLUMN born TYPE date USING born::date;\n"
    )
    proc = cli("preflight")
    assert proc.returncode == 0, describe(proc)
    assert (
        "born TYPE DATE on acct: not checked: 1 rows are not in ISO 8601 form (YYYY-MM-DD"
        in proc.stdout
    )
    assert cli.ok("up", "--preflight").returncode == 0  # 05/01/2024 reads as a date (DateStyle)


AUTOMATIC = [  # (source, target): does PostgreSQL convert it without USING?
    ("text", "int"),
    ("int", "positive"),
    ("int[]", "bigint[]"),
    ("text[]", "int[]"),
    ("int", "boolean"),
    ("text", "jsonb"),
    ("numeric", "int"),
    ("timestamp", "timestamptz"),
    ("varchar(10)", "text"),
    ("int", "text"),
    ("text", "mood"),
    ("positive", "bigint"),
    ("date", "timestamp"),
]


def test_postgres_no_automatic_cast_is_said_only_where_the_server_refuses(pg_url: str) -> None:
    import psycopg

    from sqlmig.live import preflight_casts

    execute(pg_url, "CREATE DOMAIN positive AS int CHECK (VALUE > 0);")
    execute(pg_url, "CREATE TYPE mood AS ENUM ('ok');")
    said = {}
    with psycopg.connect(pg_url, autocommit=True) as conn, _reader(pg_url) as r:
        for source, target in AUTOMATIC:
            refused = False
            try:
                with conn.transaction():
                    conn.execute(f"CREATE TEMP TABLE e (c {source})")  # type: ignore[arg-type]
                    conn.execute(f"ALTER TABLE e ALTER COLUMN c TYPE {target}")  # type: ignore[arg-type]
                    raise _Rollback
            except _Rollback:
                pass
            except psycopg.Error:
                refused = True
            (check,) = parse.read(f"ALTER TABLE e ALTER COLUMN c TYPE {target}", "postgres").checks
            source_type = r.run("SELECT format_type(to_regtype(%s), NULL)", 2.0, (source,))[0][0]
            found = preflight_casts._no_automatic_cast(r, source_type, check)
            said[(source, target)] = (found is not None, refused)
    assert all(refused for fails, refused in said.values() if fails), said  # never a false alarm
    assert said[("text", "int")] == (True, True) and said[("text", "mood")] == (True, True)
    assert said[("int", "positive")] == (False, False)
    assert said[("int[]", "bigint[]")] == (False, False)


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_type_check_past_its_time_limit_is_skipped_not_passed(
    kind: str, request: pytest.FixtureRequest, migrations
) -> None:
    from tests.cli.helpers import Cli, describe
    from tests.conftest import write

    url = request.getfixturevalue("pg_url" if kind == "postgres" else "mysql_url")
    cli = Cli(url, migrations)
    write(migrations, "0001_init", "CREATE TABLE t (id int PRIMARY KEY, v varchar(20));\n")
    cli.ok("up")
    if kind == "postgres":
        execute(url, "INSERT INTO t SELECT g, g::text FROM generate_series(1, 300000) g;")
        change = "ALTER TABLE t ALTER COLUMN v TYPE int USING v::int;\n"
    else:  # 2^18 rows, by doubling
        execute(url, "INSERT INTO t VALUES (1, '1');")
        for step in range(18):
            execute(url, f"INSERT INTO t SELECT id + {2**step}, id FROM t;")
        change = "ALTER TABLE t MODIFY v int;\n"
    write(migrations, "0002_next", change)
    proc = cli("preflight", "--preflight-timeout", "0.01")
    assert proc.returncode == 0, describe(proc)
    assert "v TYPE INT on t: skipped: timed out after 0.01 s" in proc.stdout, describe(proc)
    assert "1 skipped or not checked: not known to pass" in proc.stdout
    proc = cli("preflight", "--preflight-timeout", "60")
    assert proc.returncode == 0 and "v TYPE INT on t: passed (" in proc.stdout, describe(proc)

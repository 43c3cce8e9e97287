"""`ALTER COLUMN ... TYPE [USING]` transpiled for SQLite (a guarded table rebuild), compared with
PostgreSQL on the same rows: where PostgreSQL converts, SQLite holds the same values; where it
fails, the SQLite file fails too, naming the table and column, and leaves the table as it was."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqlmig.drivers import connect
from sqlmig.transpile import Catalog, transpile_text
from sqlmig.urls import parse_url
from tests.conftest import (
    PG_URL,
    _with_db,
    fresh_mysql_database,
    query,
    require_pg,
    sqlmig,
    write,
)

from .harness import _run, _run_file, _value

A = "ALTER TABLE t ALTER COLUMN c TYPE "
# (column type, values of c in rows 1.., the ALTER): each converts on PostgreSQL or fails there
CASES = [
    ("text", ["' 42 '", "'+7'", "'-0012'", "NULL", "'2147483647'", "'000000000000000000001'"],
     A + "integer USING c::integer"),
    ("text", ["'1'", "'abc'"], A + "integer USING c::integer"),
    ("text", ["''"], A + "integer USING c::integer"),
    ("text", ["'1.5'"], A + "integer USING c::integer"),
    ("text", ["'1e3'"], A + "integer USING c::integer"),
    ("text", ["'- 1'"], A + "integer USING c::integer"),
    ("text", ["'2147483648'"], A + "integer USING c::integer"),
    ("text", ["'-2147483648'"], A + "integer USING c::integer"),
    ("text", ["'32768'"], A + "smallint USING c::smallint"),
    ("text", ["'9223372036854775807'", "'-9223372036854775808'"],
     A + "bigint USING c::bigint"),
    ("text", ["'9223372036854775808'"], A + "bigint USING c::bigint"),
    ("text", ["'99999999999999999999'"], A + "bigint USING c::bigint"),
    ("varchar(50)", ["'abcdefghij'", "'abcdefghij   '", "NULL", "'é€𝄞'"],
     A + "varchar(10)"),
    ("varchar(50)", ["'abcdefghijk'"], A + "varchar(10)"),
    ("varchar(50)", ["'abcdefghij  x'"], A + "varchar(10)"),
    ("text", ["'abcdef'", "'ab'"], A + "varchar(3) USING c::varchar(3)"),
    ("integer", ["32767", "-32768", "NULL"], A + "smallint"),
    ("integer", ["40000"], A + "smallint"),
    ("bigint", ["3000000000"], A + "integer"),
    ("smallint", ["7"], A + "bigint"),
    ("integer", ["12345", "-1"], A + "text"),
    ("integer", ["123"], A + "varchar(3)"),
    ("integer", ["-123"], A + "varchar(3)"),
    ("integer", ["12345"], A + "varchar(3) USING c::varchar(3)"),
    ("numeric(12,2)", ["1234.56", "-9999.99", "0.01"], A + "numeric(6,2)"),
    ("numeric(12,2)", ["10000.00"], A + "numeric(6,2)"),
    ("numeric(6,2)", ["1234.56"], A + "numeric(8,4)"),
    ("numeric(6,2)", ["1234.56"], A + "numeric(7,4)"),
    ("numeric(8,2)", ["2.5", "-2.5", "2.49", "-0.5", "NULL"], A + "integer"),
    ("numeric(12,2)", ["2147483647.50"], A + "integer"),
    ("numeric(8,2)", ["12.3", "5", "-0.05"], A + "text"),
    ("numeric(8,2)", ["12.3"], A + "varchar(4)"),
    ("integer", ["999", "-999"], A + "numeric(4,1)"),
    ("integer", ["1000"], A + "numeric(4,1)"),
    ("integer", ["5", "NULL"], A + "double precision"),
    ("numeric(8,3)", ["5.125"], A + "double precision"),
    ("boolean", ["true", "false", "NULL"], A + "text"),
    ("boolean", ["false"], A + "varchar(4)"),
    ("boolean", ["true"], A + "varchar(4)"),
    ("boolean", ["true", "false"], A + "integer USING c::integer"),
    ("integer", ["5", "0", "-1", "NULL"], A + "boolean USING c::boolean"),
    ("text", ["' YeS'", "'of'", "'TRU'", "'0'", "'n'", "NULL"],
     A + "boolean USING c::boolean"),
    ("text", ["'o'"], A + "boolean USING c::boolean"),
    ("text", ["'maybe'"], A + "boolean USING c::boolean"),
    ("varchar(20)", ["'héllo'", "''", "NULL"], A + "integer USING length(c)"),
    ("text", ["'5'"], A + "bigint USING (c::bigint)"),
    ("varchar(9) UNIQUE", ["'1'", "'01'"], A + "integer USING c::integer"),
    ("varchar(9) UNIQUE", ["'1'", "'02'"], A + "integer USING c::integer"),
]  # fmt: skip

# Refused on SQLite, translated for MySQL (MODIFY converts as PostgreSQL does)
MYSQL_ONLY = [
    ("numeric(8,3)", ["1.005", "-1.005", "2.004", "NULL"], A + "numeric(8,2)"),
    ("numeric(8,3)", ["99999.995"], A + "numeric(7,2)"),
    ("text", ["' 1.5 '", "'1e3'", "'-0.005'"], A + "numeric(8,2) USING c::numeric(8,2)"),
    ("text", ["'abc'"], A + "numeric(8,2) USING c::numeric(8,2)"),
    ("text", ["'1.5'", "' 2 '"], A + "double precision USING c::double precision"),
    ("double precision", ["2.5", "3.5", "-2.5"], A + "integer"),
    ("double precision", ["2.5"], A + "numeric(8,0)"),
    ("double precision", ["0.1"], A + "text"),
    ("date", ["'2024-01-02'"], A + "timestamp"),
]  # fmt: skip

# Refused: PostgreSQL itself fails (on an empty table), or sqlmig cannot write the conversion
REFUSED = [
    ("text", A + "integer", "only with USING c", True),
    ("boolean", A + "integer", "only with USING", True),
    ("boolean", A + "bigint USING c::bigint", "no cast", True),
    ("bigint", A + "boolean USING c::boolean", "no cast", True),
    ("numeric(8,2)", A + "boolean USING c::boolean", "no cast", True),
    ("text", A + "numeric(8,2)", "only with USING", True),
    ("text", A + "numeric(8,2) USING c::numeric(8,2)",
     "number input", False),
    ("numeric(8,3)", A + "numeric(8,2)", "fewer decimals", False),
    ("double precision", A + "integer", "floating-point", False),
    ("text", A + "date USING c::date", "date and time", False),
    ("timestamp", A + "timestamptz", "time zones", False),
    ("text", A + "integer USING to_number(c, '999')",
     "USING calls to_number()", False),
    ("text", A + "integer USING c::bigint", "not to the new type",
     False),
    ("integer", A + "integer USING c + 1", "only a column", False),
    ("integer DEFAULT 0", A + "text", "has a default", False),
    ("text CHECK (c <> '')", A + "integer USING c::integer",
     "re-evaluates", True),
    ("text CHECK (length(c) < 9)", A + "varchar(5) USING c::varchar(5)",
     "", False),
    ("varchar(9) CHECK (length(c) < 9)", A + "integer USING c::integer",
     "re-evaluates", False),
]  # fmt: skip


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    require_pg()
    import psycopg

    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg.connect(_with_db(PG_URL, name), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def mysql() -> Iterator[Any]:
    url = fresh_mysql_database()
    driver = connect(parse_url(next(url)), table="sqlmig_history")
    try:
        yield driver
    finally:
        driver.close()
        url.close()


def _setup(ctype: str, values: list[str]) -> list[str]:
    rows = ", ".join(f"({i + 1}, {v})" for i, v in enumerate(values))
    return [f"CREATE TABLE t (id integer PRIMARY KEY, c {ctype})"] + (
        [f"INSERT INTO t (id, c) VALUES {rows}"] if values else []
    )


def _rows(rows: list[tuple]) -> list[tuple]:
    return [tuple(_value(v, False) for v in r) for r in rows]


def on_postgres(pg: Any, setup: list[str], alter: str) -> tuple[str | None, list[tuple]]:
    import psycopg

    pg.execute("DROP TABLE IF EXISTS t")
    for stmt in setup:
        pg.execute(stmt)
    error = None
    try:
        with pg.transaction():
            pg.execute(alter)
    except psycopg.Error as exc:
        error = str(exc).splitlines()[0]
    return error, _rows(pg.execute("SELECT id, c FROM t ORDER BY id").fetchall())


def on_sqlite(setup: list[str], alter: str) -> tuple[str | None, list[tuple], str, bool]:
    """(error, rows, the transpiled ALTER, schema and rows unchanged on error)."""
    catalog = Catalog()
    made = transpile_text(";\n".join(setup) + ";", target="sqlite", catalog=catalog)
    assert made.ok, made.refusals
    out = transpile_text(alter + ";", target="sqlite", catalog=catalog)
    assert out.ok, [r.reason for r in out.refusals]
    driver = connect(parse_url("sqlite:///:memory:"), table="sqlmig_history")
    try:
        assert _run_file(driver, made.text, "sqlite") is None
        before = driver.query("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        rows_before = driver.query("SELECT id, c FROM t ORDER BY id")
        error = _run_file(driver, out.text, "sqlite")
        rows = driver.query("SELECT id, c FROM t ORDER BY id")
        after = driver.query("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        temps = driver.query("SELECT name FROM sqlite_temp_master")
        unchanged = before == after and rows == rows_before and temps == []
        return error, _rows(rows), out.text, unchanged
    finally:
        driver.close()


@pytest.mark.parametrize(
    ("ctype", "values", "alter"), CASES, ids=[str(i) for i in range(len(CASES))]
)
def test_sqlite_converts_as_postgresql_or_fails_as_it_does(
    pg: Any, ctype: str, values: list[str], alter: str
) -> None:
    setup = _setup(ctype, values)
    pg_error, pg_rows = on_postgres(pg, setup, alter)
    error, rows, text, unchanged = on_sqlite(setup, alter)
    assert (error is None) == (pg_error is None), (pg_error, error, text)
    assert rows == pg_rows, text
    if error is not None and "UNIQUE constraint failed" in error:
        assert "unique" in (pg_error or ""), pg_error  # the converted values collide in both
        assert unchanged, "the failed file left the table changed"
    elif error is not None:
        assert "ALTER COLUMN t.c TYPE " in error, error
        assert "a row holds a value PostgreSQL rejects" in error, error
        assert unchanged, "the failed file left the table changed"


def on_mysql(mysql: Any, setup: list[str], alter: str) -> tuple[str | None, list[tuple], str]:
    """(error, rows, the transpiled ALTER) on MariaDB; the error "refused: ..." when refused."""
    catalog = Catalog()
    made = transpile_text(";\n".join(setup) + ";", target="mysql", catalog=catalog)
    assert made.ok, made.refusals
    out = transpile_text(alter + ";", target="mysql", catalog=catalog)
    if not out.ok:
        return "refused: " + out.refusals[0].reason, [], ""
    mysql.execute("DROP TABLE IF EXISTS t")
    assert _run(mysql, made.text, "mysql") is None
    error = _run(mysql, out.text, "mysql")
    return error, _rows(mysql.query("SELECT id, c FROM t ORDER BY id")), out.text


@pytest.mark.parametrize(
    ("ctype", "values", "alter"),
    CASES + MYSQL_ONLY,
    ids=[str(i) for i in range(len(CASES + MYSQL_ONLY))],
)
def test_mysql_converts_as_postgresql_fails_as_it_does_or_refuses(
    pg: Any, mysql: Any, ctype: str, values: list[str], alter: str
) -> None:
    setup = _setup(ctype, values)
    pg_error, pg_rows = on_postgres(pg, setup, alter)
    error, rows, text = on_mysql(mysql, setup, alter)
    if error is not None and error.startswith("refused: "):
        assert "MySQL" in error, error  # a reason about MySQL, not a crash
        return
    assert (error is None) == (pg_error is None), (pg_error, error, text)
    assert rows == pg_rows, text  # on failure: the rows as they were


@pytest.mark.parametrize(("ctype", "alter", "reason", "pg_fails"), REFUSED,
                         ids=[str(i) for i in range(len(REFUSED))])  # fmt: skip
def test_refusals_are_true(pg: Any, ctype: str, alter: str, reason: str, pg_fails: bool) -> None:
    catalog = Catalog()
    setup = _setup(ctype, [])
    assert transpile_text(";\n".join(setup) + ";", target="sqlite", catalog=catalog).ok
    out = transpile_text(alter + ";", target="sqlite", catalog=catalog)
    if reason:
        assert not out.ok and reason in out.refusals[0].reason, out.refusals or out.text
    else:  # the same family: the check keeps its meaning, the rebuild keeps the check
        assert out.ok and "CHECK (LENGTH(c) < 9)" in out.text.replace('"', ""), out.text
    pg_error, _rows = on_postgres(pg, setup, alter)  # on an empty table
    assert (pg_error is not None) == pg_fails, pg_error
    if pg_fails:  # MySQL would convert what PostgreSQL never does: refused there too
        catalog = Catalog()
        assert transpile_text(";\n".join(setup) + ";", target="mysql", catalog=catalog).ok
        out = transpile_text(alter + ";", target="mysql", catalog=catalog)
        assert not out.ok, out.text


def test_a_failing_type_change_stops_up_and_leaves_nothing_applied(
    migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id int PRIMARY KEY, c text);\n"
          "CREATE INDEX t_c ON t (c);\nINSERT INTO t VALUES (1, '7'), (2, 'seven');\n")  # fmt: skip
    write(migrations, "0002_c", "ALTER TABLE t ADD COLUMN d int;\n"
          "ALTER TABLE t ALTER COLUMN c TYPE integer USING c::integer;\n")  # fmt: skip
    (tmp_path / "sqlmig.toml").write_text(f'source_dialect = "postgres"\ndir = "{migrations}"\n')
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "ALTER COLUMN t.c TYPE integer: a row holds a value PostgreSQL rejects" in done.stderr
    assert f"{migrations / '0002_c.up.sql'}:2:" in done.stderr  # the ALTER's line
    assert query(url, "SELECT version FROM sqlmig_history") == [(1,)]
    assert query(url, "SELECT * FROM t ORDER BY id") == [(1, "7"), (2, "seven")]  # no column d
    # fixed by hand, the same file then converts
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.execute("UPDATE t SET c = ' 8 ' WHERE id = 2")
    assert sqlmig("up", "-u", url, cwd=tmp_path).returncode == 0
    assert query(url, "SELECT id, c, typeof(c), d FROM t ORDER BY id") == [
        (1, 7, "integer", None), (2, 8, "integer", None)
    ]  # fmt: skip
    indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    assert query(url, indexes) == [("t_c",)]


RETYPE_UP = (
    "ALTER TABLE t ALTER COLUMN qty TYPE integer USING qty::integer;\n"
    "ALTER TABLE t ALTER COLUMN code TYPE varchar(5);\n"
    "ALTER TABLE t ALTER COLUMN amount TYPE integer;\n"
)
RETYPE_DOWN = (
    "ALTER TABLE t ALTER COLUMN amount TYPE numeric(8,2);\n"
    "ALTER TABLE t ALTER COLUMN code TYPE varchar(50);\n"
    "ALTER TABLE t ALTER COLUMN qty TYPE text;\n"
)


@pytest.mark.parametrize("target", ["sqlite", "mysql"])
def test_transpile_check_agrees_on_type_changes(migrations: Path, target: str) -> None:
    require_pg()
    write(migrations, "0001_t", "CREATE TABLE t (id int PRIMARY KEY, qty text, code varchar(50), "
          "amount numeric(8,2));\nINSERT INTO t VALUES (1, ' 42 ', 'ab   ', 2.5), "
          "(2, NULL, 'abcde', -2.5);\n", "DROP TABLE t;\n")  # fmt: skip
    write(migrations, "0002_retype", RETYPE_UP, RETYPE_DOWN)
    args = ["transpile", "--to", target, "-d", str(migrations), "--check", "--source-url", PG_URL]
    second = fresh_mysql_database() if target == "mysql" else None
    try:
        if second is not None:
            args += ["--target-url", next(second)]
        done = sqlmig(*args)
    finally:
        if second is not None:
            second.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"build the same schema on {target}" in done.stdout
    assert "2 down file(s) revert it alike" in done.stdout


def test_odd_names_and_a_second_change_that_fails_leave_nothing_half_applied(
    migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_t", 'CREATE TABLE "we""ird" (id int PRIMARY KEY, "Co l" text, '
          "n integer);\nINSERT INTO \"we\"\"ird\" VALUES (1, ' 5', 70000);\n")  # fmt: skip
    change = ('ALTER TABLE "we""ird" ALTER COLUMN "Co l" TYPE integer USING "Co l"::integer, '
              "ALTER COLUMN n TYPE smallint;\n")  # fmt: skip
    write(migrations, "0002_c", change)
    (tmp_path / "sqlmig.toml").write_text(f'source_dialect = "postgres"\ndir = "{migrations}"\n')
    url = f"sqlite:///{tmp_path / 'app.db'}"
    done = sqlmig("up", "-u", url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert 'ALTER COLUMN we"ird.n TYPE smallint: a row holds a value PostgreSQL rejects' in (
        done.stderr
    )
    # the first change's rebuild ran before the second failed: all of it is rolled back
    assert query(url, 'SELECT id, "Co l", typeof("Co l"), n FROM "we""ird"') == [
        (1, " 5", "text", 70000)
    ]
    assert query(url, "SELECT version FROM sqlmig_history") == [(1,)]
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.execute('UPDATE "we""ird" SET n = 7')
    assert sqlmig("up", "-u", url, cwd=tmp_path).returncode == 0
    assert query(url, 'SELECT id, "Co l", typeof("Co l"), n FROM "we""ird"') == [
        (1, 5, "integer", 7)
    ]


def test_a_collation_other_than_byte_order_is_refused() -> None:
    for target in ("sqlite", "mysql"):
        catalog = Catalog()
        assert transpile_text("CREATE TABLE t (id int PRIMARY KEY, c varchar(9));", target=target,
                              catalog=catalog).ok  # fmt: skip
        out = transpile_text('ALTER TABLE t ALTER COLUMN c TYPE text COLLATE "de_DE";',
                             target=target, catalog=catalog)  # fmt: skip
        assert "collation de_DE has no verified" in out.refusals[0].reason
        out = transpile_text('ALTER TABLE t ALTER COLUMN c TYPE text COLLATE "C";',
                             target=target, catalog=catalog)  # fmt: skip
        assert out.ok, out.refusals

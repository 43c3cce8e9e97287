"""The rules squawk has that sqlmig added (issue 16): a hit and a near miss for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.lint import lint_paths
from tests.conftest import sqlmig

from .helpers import lint_sql, names

NO_TX = "-- sqlmig:no-transaction\n"
TIMEOUTS = "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"

# (rule, dialect, SQL that fires it, SQL that must not)
CASES = [
    ("detach-partition-without-concurrently", "postgres",
     "ALTER TABLE events DETACH PARTITION events_2019;",
     NO_TX + "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;"),
    ("detach-partition-without-concurrently", "postgres",
     'ALTER TABLE ONLY public."Events" DETACH PARTITION public.e2019;',
     "CREATE TABLE events (at date) PARTITION BY RANGE (at);\n"
     "ALTER TABLE events DETACH PARTITION events_2019;"),
    ("detach-partition-without-concurrently", "postgres",
     "ALTER TABLE events DETACH PARTITION events_2019;",
     "ALTER TABLE events DETACH PARTITION events_2019 FINALIZE;"),
    ("concurrently-in-transaction", "postgres",
     "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;",
     NO_TX + "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;"),
    ("missing-statement-timeout", "postgres",
     "-- sqlmig:ignore P106\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
     TIMEOUTS + "-- sqlmig:ignore P106\nALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    ("missing-statement-timeout", "postgres",
     "SET statement_timeout = 0;\n-- sqlmig:ignore-file index-without-concurrently\n"
     "CREATE INDEX i ON t (a);",
     "SET lock_timeout = '1s';\n-- sqlmig:ignore all\nALTER TABLE t ADD COLUMN a text;"),
    ("missing-statement-timeout", "postgres",
     "-- sqlmig:ignore vacuum-full-or-cluster\nCLUSTER t USING i;",
     "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),  # the error stands: fixing it is the answer
    ("missing-statement-timeout", "postgres",
     "-- sqlmig:ignore set-not-null\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
     "ALTER TABLE t DROP CONSTRAINT c;"),
    ("domain-constraint-without-not-valid", "postgres",
     "ALTER DOMAIN amount ADD CONSTRAINT positive CHECK (VALUE > 0);",
     "ALTER DOMAIN amount ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;"),
    ("domain-constraint-without-not-valid", "postgres",
     "ALTER DOMAIN amount ADD CHECK (VALUE > 0 AND (VALUE < 10));",
     "CREATE DOMAIN amount AS numeric;\nALTER DOMAIN amount ADD CHECK (VALUE > 0);"),
    ("enum-value-without-position", "postgres",
     "ALTER TYPE mood ADD VALUE 'meh';",
     "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'happy';"),
    ("drop-not-null", "postgres",
     "ALTER TABLE books ALTER COLUMN title DROP NOT NULL;",
     "ALTER TABLE books ADD COLUMN t text NOT NULL DEFAULT '';\n"
     "ALTER TABLE books ALTER COLUMN t DROP NOT NULL;"),
    ("drop-not-null", "postgres",
     'ALTER TABLE "Books" ALTER COLUMN "title" DROP NOT NULL, ALTER COLUMN b TYPE text;',
     'ALTER TABLE "Books" ALTER COLUMN "title" TYPE uuid, ALTER COLUMN "title" DROP NOT NULL;'),
    ("avoid-char", "postgres",
     "CREATE TABLE c (code character(2));",
     'CREATE TABLE c (code varchar(2), kind "char", name character varying, t text);'),
    ("avoid-char", "postgres",
     "ALTER TABLE c ADD COLUMN flag char;",
     "ALTER TABLE c ADD COLUMN flag boolean;"),
    ("vacuum-full-or-cluster", "postgres",
     NO_TX + "VACUUM (VERBOSE, FULL) public.orders;",
     NO_TX + "VACUUM (FULL false, ANALYZE) orders;"),
    ("vacuum-full-or-cluster", "postgres",
     "CLUSTER orders USING orders_pkey;",
     "CREATE TABLE o (id int PRIMARY KEY);\nCLUSTER o USING o_pkey;"),
    ("outside-transaction-only", "postgres",
     "VACUUM ANALYZE orders;", NO_TX + "VACUUM ANALYZE orders;"),
    ("outside-transaction-only", "postgres",
     "ALTER SYSTEM SET work_mem = '64MB';", "SET work_mem = '64MB';"),
    ("outside-transaction-only", "sqlite", "VACUUM;", NO_TX + "VACUUM;"),
    ("uncommitted-transaction", "postgres",
     NO_TX + "BEGIN;\nCREATE TABLE users (id bigint);",
     NO_TX + "BEGIN;\nCREATE TABLE users (id bigint);\nCOMMIT;"),
    ("uncommitted-transaction", "mysql",
     NO_TX + "SET autocommit = 0;\nINSERT INTO t VALUES (1);",
     NO_TX + "SET autocommit = 0;\nINSERT INTO t VALUES (1);\nCOMMIT;"),
    ("uncommitted-transaction", "mysql",
     NO_TX + "SET autocommit = 1;\nSET @@autocommit = OFF;\nINSERT INTO t VALUES (1);",
     NO_TX + "SET autocommit = 0;\nINSERT INTO t VALUES (1);\nSET SESSION autocommit = 1;"),
    ("uncommitted-transaction", "sqlite",
     NO_TX + "BEGIN;\nCOMMIT;\nBEGIN;\nINSERT INTO t VALUES (1);",
     NO_TX + "BEGIN;\nSAVEPOINT s;\nROLLBACK TO s;\nROLLBACK;"),
    ("prefer-robust-statements", "postgres",
     NO_TX + "ALTER TABLE a ADD COLUMN b text;\nCREATE INDEX CONCURRENTLY i ON a (b);",
     NO_TX + "ALTER TABLE a ADD COLUMN IF NOT EXISTS b text;\n"
     "CREATE INDEX CONCURRENTLY i ON a (b);"),
    ("prefer-robust-statements", "postgres",
     NO_TX + "DROP INDEX CONCURRENTLY old_i;\nCREATE INDEX CONCURRENTLY i ON a (b);",
     "DROP INDEX old_i;\nCREATE INDEX i ON a (b);"),
    ("prefer-robust-statements", "postgres",
     NO_TX + "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nVACUUM t;",
     NO_TX + "ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\nVACUUM t;"),
    ("prefer-robust-statements", "postgres",
     NO_TX + "CREATE TABLE t (a int);\nALTER TABLE t DROP COLUMN a;\nSELECT 1;",
     NO_TX + "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON a (b);"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "dialect", "bad", "good"), CASES)
def test_case(tmp_path: Path, rule: str, dialect: str, bad: str, good: str) -> None:
    on = [f"+{rule}"]  # opt-in rules too
    assert rule in names(lint_sql(tmp_path / "bad", bad, dialect=dialect, down="", select=on))
    assert rule not in names(lint_sql(tmp_path / "good", good, dialect=dialect, down="", select=on))


def test_messages_name_the_objects(tmp_path: Path) -> None:
    sql = (
        TIMEOUTS + 'ALTER TABLE "Events" DETACH PARTITION e2019;\n'
        "ALTER DOMAIN money_amount ADD CONSTRAINT positive CHECK (VALUE > 0);\n"
        "ALTER TYPE mood ADD VALUE 'meh';\n"
        "ALTER TABLE Books ALTER COLUMN Title DROP NOT NULL;\n"
        "CREATE TABLE c (flag character);\n"
    )
    found = {f.rule: f.message for f in lint_sql(tmp_path, sql, select=["+P114"])}
    assert '"e2019"' in found["detach-partition-without-concurrently"]
    assert '"Events"' in found["detach-partition-without-concurrently"]
    assert 'CONSTRAINT "positive"' in found["domain-constraint-without-not-valid"]
    assert "'meh'" in found["enum-value-without-position"]
    assert '"mood"' in found["enum-value-without-position"]
    assert "Books.Title" in found["drop-not-null"]
    assert "char(1)" in found["avoid-char"] and "c.flag" in found["avoid-char"]


def test_detach_on_postgres_13_says_it_has_no_concurrently(tmp_path: Path) -> None:
    """PostgreSQL 13 has no DETACH ... CONCURRENTLY: the finding says so."""
    found = lint_sql(tmp_path, "ALTER TABLE e DETACH PARTITION p;", pg_version=13)
    message = next(f.message for f in found if f.code == "P111")
    assert "PostgreSQL 13 has no CONCURRENTLY form" in message


def test_drop_not_null_in_a_down_file_is_not_reported(tmp_path: Path) -> None:
    up = "ALTER TABLE books ALTER COLUMN title SET NOT NULL;"
    down = "ALTER TABLE books ALTER COLUMN title DROP NOT NULL;"
    found = lint_sql(tmp_path, up, down=down)
    assert [f.rule for f in found if f.path.endswith("down.sql")] == ["missing-lock-timeout"]


def test_the_parts_the_forms_read_are_not_unchecked(tmp_path: Path) -> None:
    sql = (
        "ALTER TABLE e ATTACH PARTITION p FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');\n"
        "ALTER DOMAIN d DROP CONSTRAINT IF EXISTS c;\n"
    )
    assert "unchecked-statement" not in names(lint_sql(tmp_path, sql))


def test_an_opt_in_rule_runs_only_when_named(tmp_path: Path) -> None:
    sql = "SET lock_timeout = '1s';\nALTER TYPE mood ADD VALUE 'meh';\nDROP TABLE t;"
    assert names(lint_sql(tmp_path / "a", sql)) == ["drop-table"]
    assert names(lint_sql(tmp_path / "b", sql, select=["P"])) == []  # a prefix: not opt-in ones
    assert names(lint_sql(tmp_path / "c", sql, select=["P114"])) == ["enum-value-without-position"]
    both = names(lint_sql(tmp_path / "d", sql, select=["+enum-value-without-position"]))
    assert sorted(both) == ["drop-table", "enum-value-without-position"]


@pytest.mark.parametrize("db", ["sqlite_url", "pg_url"])
def test_what_outside_transaction_only_says_is_what_up_does(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    """The database refuses VACUUM in the transaction `up` runs the file in."""
    url = request.getfixturevalue(db)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.up.sql").write_text("CREATE TABLE lint_v (id int);\nVACUUM;\n")
    (folder / "0001_a.down.sql").write_text("DROP TABLE lint_v;\n")
    dialect = "sqlite" if db == "sqlite_url" else "postgres"
    assert "X404" in {f.code for f in lint_paths([folder], dialect=dialect).findings}
    proc = sqlmig("--url", url, "--dir", str(folder), "up", cwd=tmp_path)
    assert proc.returncode == 1 and "transaction" in proc.stderr, proc.stderr
    (folder / "0001_a.up.sql").write_text(
        "-- sqlmig:no-transaction\nCREATE TABLE lint_v (id int);\nVACUUM;\n"
    )
    assert "X404" not in {f.code for f in lint_paths([folder], dialect=dialect).findings}
    proc = sqlmig("--url", url, "--dir", str(folder), "up", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("any_url", ["sqlite", "pg", "mysql"], indirect=True)
def test_what_uncommitted_transaction_says_is_what_up_does(tmp_path: Path, any_url: str) -> None:
    """`up` rolls back a no-transaction file's own unfinished transaction and fails."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.up.sql").write_text(
        "-- sqlmig:no-transaction\nCREATE TABLE lint_u (id int);\nBEGIN;\n"
        "INSERT INTO lint_u VALUES (1);\n"
    )
    dialect = {"sqlite": "sqlite", "postgresql": "postgres"}.get(any_url.split(":")[0], "mysql")
    found = lint_paths([folder], dialect=dialect).findings
    assert [(f.code, f.line) for f in found if f.code == "X402"] == [("X402", 3)]
    proc = sqlmig("--url", any_url, "--dir", str(folder), "up", cwd=tmp_path)
    assert proc.returncode == 1 and "never ended it" in proc.stderr, proc.stderr
    assert "rolled it back" in proc.stderr

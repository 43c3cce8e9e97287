"""Every rule: its docstring's Bad example fires it, its Good example does not, plus edge cases."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sqlmig.lint import REGISTRY
from sqlmig.lint.rules import load_all

from .helpers import examples, lint_sql, names

load_all()
STATEMENT_RULES = sorted(
    c for c, r in REGISTRY.items() if r.scope == "statement" or c in ("P105", "P109", "M501")
)


def dialect_of(code: str) -> str:
    dialects = REGISTRY[code].dialects
    return "postgres" if "postgres" in dialects else sorted(dialects)[0]


@pytest.mark.parametrize("code", STATEMENT_RULES)
def test_bad_example_fires_the_rule(tmp_path: Path, code: str) -> None:
    rule = REGISTRY[code]
    bad = examples(rule)["Bad"]
    found = lint_sql(tmp_path, bad, dialect=dialect_of(code), down="", select=[f"+{code}"])
    assert rule.name in names(found)


@pytest.mark.parametrize("code", STATEMENT_RULES)
def test_good_example_is_clean_for_the_rule(tmp_path: Path, code: str) -> None:
    rule = REGISTRY[code]
    good = examples(rule)["Good"]
    found = lint_sql(tmp_path, good, dialect=dialect_of(code), down="", select=[f"+{code}"])
    assert rule.name not in names(found)


def test_every_rule_is_documented() -> None:
    for rule in REGISTRY.values():
        assert rule.code[0] in "SPDTXMLF" and rule.code[1:].isdigit()
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert {"Bad", "Good"} <= set(examples(rule)), rule.code
        assert rule.help and rule.severity in ("error", "warning")


# (rule, dialect, SQL that must fire it, SQL that must not)
CASES = [
    ("syntax-error", "postgres", "SELEC 1;", "SELECT 1;"),
    ("syntax-error", "postgres", "INSERT INTO t VALUES (1,;", "INSERT INTO t VALUES (1);"),
    ("syntax-error", "sqlite", "CREATE TABLE t (a int;", "CREATE TABLE t (a int);"),
    ("syntax-error", "mysql", "ALTER TABLE t ADD COLUMN x int DEFAULT;", "SELECT 1;"),
    ("unchecked-statement", "postgres", "CREATE EXTENSION pgcrypto FROM 1;",
     "CREATE EXTENSION IF NOT EXISTS pgcrypto;"),
    ("unchecked-statement", "postgres", "ALTER TABLE t VALIDATE CONSTRAINT;",
     "ALTER TABLE t VALIDATE CONSTRAINT c;"),
    ("index-without-concurrently", "postgres", "DROP INDEX books_idx;",
     "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);"),
    ("concurrently-in-transaction", "postgres", "DROP INDEX CONCURRENTLY i;",
     "-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY i;"),
    ("concurrently-in-transaction", "postgres", "REINDEX INDEX CONCURRENTLY i;",
     "REINDEX INDEX i;"),
    ("constraint-without-not-valid", "postgres", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
     "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);"),
    ("validate-in-same-transaction", "postgres",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
     "ALTER TABLE t VALIDATE CONSTRAINT c;",
     "-- sqlmig:no-transaction\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
     "ALTER TABLE t VALIDATE CONSTRAINT c;"),
    ("set-not-null", "postgres", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
     "-- sqlmig:no-transaction\nALTER TABLE t ADD CONSTRAINT c CHECK (b IS NOT NULL) NOT VALID;\n"
     "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN b SET NOT NULL;"),
    ("set-not-null", "postgres",
     "ALTER TABLE t ADD COLUMN b int DEFAULT 0;\nALTER TABLE t ALTER COLUMN b SET NOT NULL;",
     "CREATE TABLE t (b int);\nALTER TABLE t ALTER COLUMN b SET NOT NULL;"),
    ("column-type-change", "postgres",
     "ALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ALTER COLUMN b TYPE bigint;",
     "ALTER TABLE t ADD COLUMN b bigint;"),
    ("index-without-concurrently", "postgres", "DROP INDEX a, b;", "DROP INDEX CONCURRENTLY a;"),
    ("concurrently-in-transaction", "postgres", "DROP INDEX CONCURRENTLY a, b;",
     "DROP INDEX a, b;"),
    ("constraint-without-not-valid", "postgres", "ALTER TABLE t ADD CHECK (a > 0);",
     "ALTER TABLE t ADD CHECK (a > 0) NOT VALID;"),
    ("constraint-without-not-valid", "postgres", "ALTER TABLE t ADD COLUMN u bigint REFERENCES u;",
     "ALTER TABLE t ADD COLUMN u bigint;"),
    ("volatile-default", "postgres",
     "ALTER TABLE t ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;",
     "ALTER TABLE t ADD COLUMN n bigint;"),
    ("volatile-default", "postgres",
     "ALTER TABLE t ADD COLUMN f text GENERATED ALWAYS AS (a || b) STORED;",
     "CREATE TABLE t (a text, b text, f text GENERATED ALWAYS AS (a || b) STORED);"),
    ("syntax-error", "postgres", "CLUSTER t USING;", "CLUSTER t USING t_pkey;"),
    ("column-type-change", "postgres", "ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint;",
     "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    ("unique-without-index", "postgres", "ALTER TABLE t ADD PRIMARY KEY (id);",
     "ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX k;"),
    ("unique-without-index", "postgres", "ALTER TABLE t ADD COLUMN code text UNIQUE;",
     "ALTER TABLE t ADD COLUMN code text;"),
    ("volatile-default", "postgres", "ALTER TABLE t ADD COLUMN n bigserial;",
     "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now();"),
    ("volatile-default", "postgres", "ALTER TABLE t ADD COLUMN r float DEFAULT random();",
     "ALTER TABLE t ADD COLUMN r float DEFAULT 0.5;"),
    ("missing-lock-timeout", "postgres", "SELECT 1;\nDROP TABLE IF EXISTS t;",
     "SET lock_timeout TO '1s';\nALTER TABLE t ADD COLUMN a int;"),
    ("drop-table", "sqlite", "DROP TABLE IF EXISTS a, b;",
     "CREATE TABLE a (x int);\nDROP TABLE a;"),
    ("drop-column", "mysql", "ALTER TABLE t DROP COLUMN a;",
     "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t DROP COLUMN a;"),
    ("rename-column", "mysql", "ALTER TABLE t CHANGE a b int;", "ALTER TABLE t MODIFY a bigint;"),
    ("rename-table", "sqlite", "ALTER TABLE t RENAME TO u;",
     "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;"),
    ("add-column-not-null-without-default", "postgres",
     "ALTER TABLE t ADD COLUMN a int NOT NULL;",
     "ALTER TABLE t ADD COLUMN a bigint GENERATED ALWAYS AS IDENTITY NOT NULL;"),
    ("add-column-not-null-without-default", "sqlite",
     "CREATE TABLE t (x int);\nALTER TABLE t ADD COLUMN a int NOT NULL;",
     "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;"),
    ("truncate-cascade", "postgres", "TRUNCATE TABLE a, b CASCADE;", "TRUNCATE TABLE a, b;"),
    ("prefer-text", "postgres", "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);",
     "CREATE TABLE t (a varchar, b text);"),
    ("prefer-bigint-identity", "postgres", "CREATE TABLE t (id int, PRIMARY KEY (id));",
     "CREATE TABLE t (id bigint PRIMARY KEY, n int);"),
    ("prefer-bigint-identity", "mysql", "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY);",
     "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY);"),
    ("prefer-timestamptz", "postgres", "CREATE TABLE t (a timestamp without time zone);",
     "CREATE TABLE t (a timestamp with time zone);"),
    ("prefer-jsonb", "postgres", "ALTER TABLE t ADD COLUMN doc json;",
     "ALTER TABLE t ADD COLUMN doc jsonb;"),
    ("identifier-too-long", "mysql", f"CREATE TABLE t ({'c' * 65} int);",
     f"CREATE TABLE t ({'c' * 64} int);"),
    ("identifier-too-long", "postgres", f"CREATE TABLE t ({'é' * 32} int);",
     f"CREATE TABLE t ({'c' * 63} int);"),
    ("transaction-control", "postgres", "START TRANSACTION;\nSELECT 1;\nEND;",
     "SAVEPOINT a;\nROLLBACK TO SAVEPOINT a;\nRELEASE SAVEPOINT a;"),
    ("transaction-control", "sqlite", "BEGIN TRANSACTION;\nCOMMIT;",
     "-- sqlmig:no-transaction\nBEGIN;\nCOMMIT;"),
    ("mysql-multi-ddl", "mysql", "CREATE TABLE a (x int);\nDROP TABLE b;",
     "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);"),
    ("mysql-column-references", "mysql", "ALTER TABLE t ADD COLUMN a int REFERENCES u (id);",
     "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);"),
    ("reindex-without-concurrently", "postgres", "REINDEX (VERBOSE) SCHEMA public;",
     "-- sqlmig:no-transaction\nREINDEX (VERBOSE) SCHEMA CONCURRENTLY public;"),
    ("sqlite-unsupported-alter", "sqlite", "ALTER TABLE t DROP CONSTRAINT c;",
     "ALTER TABLE t RENAME COLUMN a TO b;"),
    ("sqlite-unsupported-alter", "sqlite", "ALTER TABLE t ADD CONSTRAINT c UNIQUE (a);",
     "ALTER TABLE t ADD COLUMN a int;"),
    ("sqlite-unsupported-alter", "sqlite", "ALTER TABLE t ADD COLUMN a int PRIMARY KEY;",
     "ALTER TABLE t DROP COLUMN a;"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "dialect", "bad", "good"), CASES)
def test_case(tmp_path: Path, rule: str, dialect: str, bad: str, good: str) -> None:
    assert rule in names(lint_sql(tmp_path / "bad", bad, dialect=dialect, down=""))
    assert rule not in names(lint_sql(tmp_path / "good", good, dialect=dialect, down=""))


def test_rules_only_run_in_their_dialect(tmp_path: Path) -> None:
    sql = "CREATE INDEX i ON t (a);\nALTER TABLE t ALTER COLUMN a TYPE bigint;"
    down = "DROP INDEX i ON t;"
    assert names(lint_sql(tmp_path, sql, dialect="mysql", down=down)) == ["mysql-multi-ddl"]
    found = names(lint_sql(tmp_path / "pg", sql, dialect="postgres"))
    assert found == ["missing-lock-timeout", "index-without-concurrently", "column-type-change"]


def test_old_postgres_versions(tmp_path: Path) -> None:
    constant = (
        "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"
        "ALTER TABLE t ADD COLUMN a int DEFAULT 0;"
    )
    assert names(lint_sql(tmp_path, constant, pg_version=10)) == ["volatile-default"]
    assert names(lint_sql(tmp_path, constant, pg_version=11)) == []
    enum = "ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';"
    assert names(lint_sql(tmp_path, enum, pg_version=11)) == ["concurrently-in-transaction"]
    assert names(lint_sql(tmp_path, enum, pg_version=12)) == []
    reindex = "SET statement_timeout = '1h';\nREINDEX TABLE t;"  # no CONCURRENTLY before 12
    assert names(lint_sql(tmp_path, reindex, pg_version=11)) == []
    assert names(lint_sql(tmp_path, reindex, pg_version=12)) == ["reindex-without-concurrently"]


def test_set_local_lock_timeout_does_not_count_outside_a_transaction(tmp_path: Path) -> None:
    sql = "-- sqlmig:no-transaction\nSET LOCAL lock_timeout = '1s';\nALTER TABLE t DROP COLUMN a;"
    found = lint_sql(tmp_path, sql, down="", ignore=["drop-column"])
    assert [(f.rule, f.line) for f in found] == [("missing-lock-timeout", 3)]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite", "mysql"])
def test_a_comment_only_up_file_has_no_statements(tmp_path: Path, dialect: str) -> None:
    """F703: a `sqlmig new` template never filled in; an ignore-file comment silences it, and
    MySQL's executable comment `/*! ... */` is a statement there (up runs it)."""
    empty = "-- 0001_change: up\n\n/* to do */\n;\n"
    assert "no-statements" in names(lint_sql(tmp_path, empty, dialect=dialect, down=""))
    quiet = "-- sqlmig:ignore-file no-statements\n-- kept on purpose\n"
    assert names(lint_sql(tmp_path / "q", quiet, dialect=dialect, down="")) == []
    assert "no-statements" not in names(lint_sql(tmp_path / "s", "SELECT 1;", dialect=dialect))
    executable = "/*!40101 SET NAMES utf8 */;\n"
    found = names(lint_sql(tmp_path / "x", executable, dialect=dialect, down=""))
    assert ("no-statements" in found) == (dialect != "mysql")


VALID_FOR_POSTGRES = """\
DROP FUNCTION f (_tbl regclass);
DROP FUNCTION hot_rank (numeric, published timestamp with time zone);
DROP FUNCTION a, b CASCADE;
DROP FUNCTION a, b CASCAD;
"""


def test_postgres_parser_judges_what_sqlglot_cannot_read(tmp_path: Path) -> None:
    found = lint_sql(tmp_path, VALID_FOR_POSTGRES, down="", pg_version=15)
    by_line = {(f.line, f.code): f.message for f in found}
    for line in (1, 2, 3):  # valid: not checked by the rules, but no error
        assert (line, "S001") not in by_line
        said = by_line[line, "S002"]
        assert re.search(r"PostgreSQL 1[78]'s parser accepts it \(you target PostgreSQL 15", said)
    assert 'rejects it: syntax error at or near "CASCAD"' in by_line[4, "S001"]
    assert [f.col for f in found if f.code == "S001"] == [20]  # at the server parser's position


def test_without_pglast_sqlglot_failures_stay_errors_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmig.lint import pgparser

    monkeypatch.setitem(sys.modules, "pglast", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pglast.parser", None)
    pgparser._pglast.cache_clear()
    try:
        found = lint_sql(tmp_path, "DROP FUNCTION a, b CASCADE;", down="")
    finally:
        pgparser._pglast.cache_clear()
    assert [f.code for f in found] == ["S001"]
    assert "pip install 'sqlmig[pgparser]'" in found[0].help


@pytest.mark.parametrize(
    ("dialect", "up", "down"),
    [
        ("postgres", "ALTER TABLE t RENAME COLUMN a TO b;", "ALTER TABLE t RENAME COLUMN b TO a;"),
        ("mysql", "ALTER TABLE t CHANGE a b int;", "ALTER TABLE t CHANGE b a int;"),
    ],
)
def test_a_down_file_renaming_back_its_ups_rename_is_not_reported(
    tmp_path: Path, dialect: str, up: str, down: str
) -> None:
    found = lint_sql(tmp_path, up, down=down, dialect=dialect, select=["D206"])
    assert [(f.path.endswith(".up.sql"), f.rule) for f in found] == [(True, "rename-column")]
    other = "ALTER TABLE t RENAME COLUMN c TO d;"  # not the up's rename: still reported
    found = lint_sql(tmp_path / "x", up, down=other, dialect=dialect, select=["D206"])
    assert [f.path.endswith(".down.sql") for f in found] == [False, True]


def test_a_down_file_undoing_its_ups_table_rename_and_added_column(tmp_path: Path) -> None:
    up = "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE t RENAME TO u;"
    down = "ALTER TABLE u DROP COLUMN c;\nALTER TABLE u RENAME TO t;"
    found = lint_sql(tmp_path, up, down=down, select=["D202", "D205", "F702"])
    assert [(f.path.endswith(".down.sql"), f.code) for f in found] == [(False, "D205")]


def test_drop_index_on_an_unknown_table_names_the_index_not_a_placeholder(tmp_path: Path) -> None:
    found = lint_sql(tmp_path, "DROP INDEX idx_digest;\nDROP INDEX IF EXISTS s.i2;", down="")
    assert [f.message for f in found if f.code == "P101"] == [
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table of index "
        f'"{name}" until it finishes'
        for name in ("idx_digest", "i2")
    ]


def test_missing_lock_timeout_in_a_down_file_says_how_to_silence_it_project_wide(
    tmp_path: Path,
) -> None:
    up = "CREATE TABLE t (id bigint PRIMARY KEY);"  # a greenfield app: its down drops the table
    found = lint_sql(tmp_path, up, down="DROP TABLE t;", select=["P109"])
    assert [f.path.endswith(".down.sql") for f in found] == [True]
    assert "(a down file takes it when `sqlmig down` runs)" in found[0].message
    assert 'statement_lock_timeout = "5s" in sqlmig.toml' in found[0].help
    assert 'lint_ignore = ["missing-lock-timeout"]' in found[0].help


def test_column_references_is_not_reported_for_mariadb_which_creates_the_key(
    tmp_path: Path,
) -> None:
    sql = "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a (id));"
    assert names(lint_sql(tmp_path, sql, dialect="mysql")) == ["mysql-column-references"]
    assert names(lint_sql(tmp_path / "m", sql, dialect="mariadb")) == []


def test_a_32_bit_key_column_that_is_a_foreign_key_is_not_reported(tmp_path: Path) -> None:
    sql = """\
        CREATE TABLE tag_map (post_id int REFERENCES posts (id), tag_id int,
            PRIMARY KEY (post_id, tag_id), FOREIGN KEY (tag_id) REFERENCES tags (id));
        CREATE TABLE team_email ("teamId" INTEGER NOT NULL, CONSTRAINT p PRIMARY KEY ("teamId"));
        ALTER TABLE team_email ADD CONSTRAINT f FOREIGN KEY ("teamId") REFERENCES team (id);
        CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b));
    """
    found = lint_sql(tmp_path, sql, select=["T302"])
    assert [f.message for f in found] == [
        f"primary key pair.{c} is INT, a 32-bit type or smaller" for c in ("a", "b")
    ]


def test_renaming_a_column_swapped_in_by_the_same_migration_is_not_reported(
    tmp_path: Path,
) -> None:
    sql = """\
        ALTER TABLE codes ADD COLUMN kind_new varchar(36);
        UPDATE codes SET kind_new = kind;
        ALTER TABLE codes DROP COLUMN kind;
        ALTER TABLE codes RENAME COLUMN kind_new TO kind;
        ALTER TABLE sessions RENAME COLUMN token TO old_token;
        ALTER TABLE sessions ADD COLUMN token text;
        ALTER TABLE sessions RENAME COLUMN logout TO old_logout;
    """
    found = lint_sql(tmp_path, sql, dialect="sqlite", select=["D206"])
    assert [f.message for f in found] == [
        "renaming column sessions.logout to old_logout breaks code that still uses the old name"
    ]


def test_messages_name_objects_as_the_file_spells_them(tmp_path: Path) -> None:
    sql = """\
        ALTER TABLE "UserProfile" DROP COLUMN "profileURL";
        DROP INDEX "Document_documentMetaId_key";
        ALTER TABLE "revenue" ALTER COLUMN "currency" SET DATA TYPE VARCHAR(10);
    """
    found = lint_sql(tmp_path, sql, select=["D202", "P101", "T301"])
    assert [f.message for f in found] == [
        "DROP COLUMN UserProfile.profileURL deletes the column's data",
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table of index "
        '"Document_documentMetaId_key" until it finishes',
        "revenue.currency is VARCHAR(10): prefer text",
    ]


def test_sqlite_drop_without_the_column_keyword_drops_the_column(tmp_path: Path) -> None:
    up = "ALTER TABLE flows ADD submit_count int NOT NULL DEFAULT 0;"
    found = lint_sql(tmp_path, up, down="ALTER TABLE flows DROP submit_count;", dialect="sqlite")
    assert found == []  # the down drops what its up added (F702 quiet), which loses nothing
    found = lint_sql(tmp_path / "x", "ALTER TABLE flows DROP submit_count;", dialect="sqlite")
    assert [f.message for f in found] == [
        "DROP COLUMN flows.submit_count deletes the column's data"
    ]


def test_column_references_says_which_mysql_and_how_mariadb_users_silence_it(
    tmp_path: Path,
) -> None:
    """Found on flipt-io/flipt b2393f0 (MySQL files run by MariaDB, linted with a mysql:// URL)."""
    sql = "ALTER TABLE flags ADD COLUMN v varchar(255) REFERENCES variants (id);"
    (found,) = lint_sql(tmp_path, sql, dialect="mysql", select=["M502"])
    assert (
        found.message
        == "REFERENCES on column flags.v creates no foreign key in MySQL 8.0 and earlier"
    )
    assert "--dialect mariadb" in (found.help or "")
    assert lint_sql(tmp_path / "m", sql, dialect="mariadb", select=["M502"]) == []


def test_mariadb_creates_the_key_of_a_column_references(mysql_url: str) -> None:
    """Why M502 is off for MariaDB: the test server (MariaDB, as in CI) makes the foreign key."""
    from tests.conftest import execute, query

    execute(
        mysql_url,
        "CREATE TABLE a (id bigint PRIMARY KEY);\n"
        "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a (id));",
    )
    assert "mariadb" in query(mysql_url, "SELECT VERSION()")[0][0].lower()
    keys = query(
        mysql_url,
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'b' AND REFERENCED_TABLE_NAME = 'a'",
    )
    assert keys[0][0] == 1

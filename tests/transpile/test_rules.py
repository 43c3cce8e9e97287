"""The transpiler's rewrites and refusals, statement by statement (no database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sqlmig.transpile import Catalog, transpile_text


def sql(text: str, target: str, catalog: Catalog | None = None) -> str:
    out = transpile_text(text, target=target, path="m.sql", catalog=catalog)
    assert out.ok, [r.describe() for r in out.refusals]
    return " ".join(out.text.split()).replace('"', "").replace("`", "")  # names: see test_names


def refusal(text: str, target: str) -> str:
    out = transpile_text(text, target=target, path="m.sql")
    assert not out.ok and out.text == "", out.text
    return out.refusals[0].reason


def test_bigserial_becomes_the_targets_auto_increment() -> None:
    text = "CREATE TABLE t (id bigserial PRIMARY KEY, n text);"
    assert "id INTEGER PRIMARY KEY AUTOINCREMENT" in sql(text, "sqlite")
    assert "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" in sql(text, "mysql")


def test_sqlite_auto_increment_needs_a_single_column_primary_key() -> None:
    reason = refusal("CREATE TABLE t (id serial, rev int, PRIMARY KEY (id, rev));", "sqlite")
    assert "single-column primary key" in reason


def test_numeric_stays_exact() -> None:
    text = "CREATE TABLE t (id int PRIMARY KEY, price numeric(12,2) NOT NULL DEFAULT 0);"
    assert "price NUMERIC(12, 2) NOT NULL DEFAULT 0" in sql(text, "sqlite")
    assert "price DECIMAL(12, 2) NOT NULL DEFAULT 0" in sql(text, "mysql")
    assert "15 digits" in refusal("CREATE TABLE t (a numeric(20,4));", "sqlite")
    assert "unbounded numeric" in refusal("CREATE TABLE t (a numeric);", "mysql")


def test_no_nulls_ordering_is_added_to_index_keys() -> None:
    text = "CREATE INDEX CONCURRENTLY i ON t (a DESC NULLS LAST, b);"
    cat = Catalog()
    sql("CREATE TABLE t (a int, b varchar(9));", "mysql", cat)
    for target, catalog in (("sqlite", None), ("mysql", cat)):
        out = sql(text, target, catalog)
        assert "NULLS" not in out and "CONCURRENTLY" not in out
        assert "(a DESC, b)" in out


def test_defaults_keep_their_meaning() -> None:
    text = "CREATE TABLE t (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), " \
        "d jsonb DEFAULT '{}'::jsonb);"  # fmt: skip
    assert "DEFAULT CURRENT_TIMESTAMP," in sql(text, "sqlite")
    assert "DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)" in sql(text, "mysql")
    assert "d TEXT DEFAULT '{}'" in sql(text, "sqlite")
    assert "no verified" in refusal("CREATE TABLE t (s text DEFAULT lower('X'));", "sqlite")


def test_enums_become_checks_or_mysql_enums() -> None:
    text = "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE p (m mood NOT NULL);"
    assert "m TEXT NOT NULL CHECK (m IN ('happy', 'sad'))" in sql(text, "sqlite")
    assert "m ENUM('happy', 'sad') NOT NULL" in sql(text, "mysql")


def test_mysql_alter_column_keeps_null_ness_and_default() -> None:
    cat = Catalog()
    sql("CREATE TABLE t (id int PRIMARY KEY, s varchar(10) NOT NULL DEFAULT 'x');", "mysql", cat)
    out = sql("ALTER TABLE t ALTER COLUMN s TYPE varchar(20);", "mysql", cat)
    assert "MODIFY COLUMN s VARCHAR(20) COLLATE utf8mb4_bin NOT NULL DEFAULT 'x'" in out


def test_sqlite_alter_column_is_a_rebuild_that_keeps_indexes() -> None:
    cat = Catalog()
    sql("CREATE TABLE t (id serial PRIMARY KEY, a varchar(9)); CREATE INDEX t_a ON t (a);",
        "sqlite", cat)  # fmt: skip
    out = sql("ALTER TABLE t ALTER COLUMN a SET NOT NULL;", "sqlite", cat)
    assert out.split("; ") == [
        "CREATE TABLE _sqlmig_new_t ( id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "a VARCHAR(9) NOT NULL )",
        "INSERT INTO _sqlmig_new_t (id, a) SELECT id, a FROM t",
        "DROP TABLE t",
        "ALTER TABLE _sqlmig_new_t RENAME TO t",
        "CREATE INDEX t_a ON t (a);",
    ]
    # the catalog follows: a second change starts from NOT NULL
    assert "a VARCHAR(9) NOT NULL DEFAULT 'x'" in sql(
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x';", "sqlite", cat
    )


def test_sqlite_rebuild_refuses_narrowing_and_tables_with_dependents() -> None:
    cat = Catalog()
    sql("CREATE TABLE p (id int PRIMARY KEY, v varchar(20));", "sqlite", cat)
    sql("CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id));", "sqlite", cat)
    out = transpile_text("ALTER TABLE p ALTER COLUMN v SET NOT NULL;", target="sqlite", catalog=cat)
    assert "foreign key to p" in out.refusals[0].reason
    out = transpile_text("ALTER TABLE c ALTER COLUMN p_id TYPE smallint;", target="sqlite",
                         catalog=cat)  # fmt: skip
    assert "may convert" in out.refusals[0].reason


def test_mysql_names_constraints_as_postgresql_so_drop_constraint_works() -> None:
    cat = Catalog()
    out = sql("CREATE TABLE u (id int PRIMARY KEY, email varchar(50) UNIQUE);", "mysql", cat)
    assert "CONSTRAINT u_email_key UNIQUE (email)" in out
    assert sql("ALTER TABLE u DROP CONSTRAINT u_email_key;", "mysql", cat) == (
        "ALTER TABLE u DROP INDEX u_email_key;"
    )


def test_mysql_moves_column_references_to_table_level() -> None:
    out = sql("CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p (id));", "mysql")
    assert "FOREIGN KEY (p) REFERENCES p (id)" in out


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("DO $$ BEGIN END $$;", "DO blocks"),
        ("CREATE EXTENSION pgcrypto;", "extensions"),
        ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;", "functions"),
        ("ALTER TABLE t ALTER COLUMN a SET NOT NULL;", "which these migrations did not create"),
        ("CREATE TABLE t (a int[]);", "no faithful sqlite type"),
        ("DROP TABLE t CASCADE;", "CASCADE"),
        ("CREATE VIEW v AS SELECT a FROM t WHERE b LIKE 'x%';", "LIKE"),
    ],
)
def test_refusals_name_the_reason(text: str, reason: str) -> None:
    assert reason in refusal(text, "sqlite")


def test_refusal_names_file_and_line() -> None:
    out = transpile_text("CREATE TABLE a (id int);\n\nDO $$ BEGIN END $$;\n", target="mysql",
                         path="0001_x.up.sql")  # fmt: skip
    [r] = out.refusals
    assert (r.path, r.line) == ("0001_x.up.sql", 3)
    assert r.describe().startswith("0001_x.up.sql:3: DO blocks")


def test_noops_are_dropped_with_a_note() -> None:
    out = transpile_text("COMMENT ON TABLE t IS 'x';", target="sqlite", path="m.sql")
    assert out.ok and out.notes and out.text.startswith("-- dropped (comments")


def test_names_are_folded_as_postgresql_does_and_always_quoted() -> None:
    text = 'CREATE TABLE Orders ("order" int PRIMARY KEY, "Key" int, Rank int);'
    out = transpile_text(text, target="mysql").text
    assert "CREATE TABLE `orders` (" in out
    assert "`order` INT PRIMARY KEY" in out and "`Key` INT" in out and "`rank` INT" in out
    out = transpile_text(text, target="sqlite").text
    assert '"order" INT PRIMARY KEY NOT NULL' in out


def test_boolean_string_defaults_are_read_as_postgresql_reads_them() -> None:
    text = "CREATE TABLE b (id int PRIMARY KEY, f boolean DEFAULT 'off', g boolean DEFAULT 'yes');"
    assert "f BOOLEAN DEFAULT FALSE, g BOOLEAN DEFAULT TRUE" in sql(text, "sqlite")


def test_plain_up_path_does_not_import_sqlglot() -> None:
    code = "import sys, sqlmig.cli, sqlmig.migrator; print('sqlglot' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

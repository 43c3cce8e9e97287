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
    assert "no verified" in refusal("CREATE TABLE t (s text DEFAULT md5('X'));", "sqlite")


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
        "DELETE FROM sqlite_sequence WHERE name = '_sqlmig_new_t'",
        "INSERT INTO sqlite_sequence (name, seq) SELECT '_sqlmig_new_t', seq FROM sqlite_sequence "
        "WHERE name = 't'",
        "DROP TABLE t",
        "ALTER TABLE _sqlmig_new_t RENAME TO t",
        "CREATE INDEX t_a ON t (a);",
    ]
    # the catalog follows: a second change starts from NOT NULL
    assert "a VARCHAR(9) NOT NULL DEFAULT 'x'" in sql(
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x';", "sqlite", cat
    )


def test_sqlite_rebuild_guards_narrowing_and_tables_with_referrers() -> None:
    cat = Catalog()
    sql("CREATE TABLE p (id int PRIMARY KEY, v varchar(20));", "sqlite", cat)
    sql("CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id));", "sqlite", cat)
    out = sql("ALTER TABLE p ALTER COLUMN v SET NOT NULL;", "sqlite", cat)
    assert out.startswith(
        "CREATE TEMPORARY TABLE _sqlmig_foreign_keys_off (on_ INT CONSTRAINT rebuilding p needs "
        "PRAGMA foreign_keys = OFF, as sqlmig runs migrations (c refer to it) CHECK (on_ = 0));"
    )
    # narrowing: a guard fails the file on a value out of range (tests/transpile/test_retype.py)
    out = sql("ALTER TABLE c ALTER COLUMN p_id TYPE smallint;", "sqlite", cat)
    assert "ALTER COLUMN c.p_id TYPE smallint: a row holds a value PostgreSQL rejects" in out
    assert "WHERE v IS NOT NULL AND NOT coalesce(v BETWEEN -32768 AND 32767, 0)" in out


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
        ("CREATE VIEW v AS SELECT a FROM t WHERE b LIKE c;", "LIKE"),
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


def made(text: str, target: str) -> Catalog:
    """A catalog after `text` (earlier migrations) was transpiled for `target`."""
    cat = Catalog()
    sql(text, target, cat)
    return cat


def refused(text: str, target: str, catalog: Catalog) -> str:
    out = transpile_text(text, target=target, path="m.sql", catalog=catalog)
    assert not out.ok, out.text
    return out.refusals[0].reason


def test_like_compares_case_sensitively_on_both_targets() -> None:
    text = "DELETE FROM a WHERE email LIKE 'a_b%*?[';"
    assert "WHERE email GLOB 'a?b*[*][?][[]'" in sql(text, "sqlite")
    assert "WHERE email COLLATE utf8mb4_bin LIKE 'a_b%*?['" in sql(text, "mysql")
    assert "LIKE" in refusal("DELETE FROM a WHERE email LIKE 'a\\%';", "sqlite")
    assert "LIKE" in refusal("DELETE FROM a WHERE email LIKE name;", "mysql")


def test_delete_using_becomes_exists() -> None:
    text = "DELETE FROM p USING t WHERE t.id = p.t_id AND t.name = 'x';"
    assert sql(text, "mysql") == (
        "DELETE FROM p WHERE EXISTS(SELECT 1 FROM t WHERE t.id = p.t_id AND t.name = 'x');"
    )
    assert "itself" in refusal("DELETE FROM p USING p AS q WHERE q.id = p.id;", "sqlite")


def test_returning_is_dropped_from_data_changes() -> None:
    assert sql("INSERT INTO a (id) VALUES (1) RETURNING id;", "mysql") == (
        "INSERT INTO a (id) VALUES (1);"
    )


def test_on_conflict_update_is_kept_or_needs_a_single_unique_key_on_mysql() -> None:
    text = "INSERT INTO a (id, e) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET e = excluded.e;"
    assert "ON CONFLICT (id) DO UPDATE SET e = excluded.e" in sql(text, "sqlite")
    cat = made("CREATE TABLE a (id int PRIMARY KEY, e varchar(9));", "mysql")
    assert "ON DUPLICATE KEY UPDATE e = VALUES(e)" in sql(text, "mysql", cat)
    nothing = "INSERT INTO a (id) VALUES (1) ON CONFLICT (id) DO NOTHING;"
    assert "ON DUPLICATE KEY UPDATE id = id" in sql(nothing, "mysql", cat)
    sql("ALTER TABLE a ADD CONSTRAINT a_e UNIQUE (e);", "mysql", cat)
    assert "other unique keys" in refused(nothing, "mysql", cat)
    assert "unknown" in refusal(nothing, "mysql")
    partial = "INSERT INTO a (id) VALUES (1) ON CONFLICT (id) WHERE id > 0 DO NOTHING;"
    assert "no WHERE" in refusal(partial, "sqlite")
    other = "INSERT INTO a (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET e = b.e;"
    assert "only read the row" in refusal(other, "sqlite")


def test_temporary_tables_and_byte_order_collation() -> None:
    text = 'CREATE TEMPORARY TABLE s (id int, n text COLLATE "C");'
    assert sql(text, "sqlite") == "CREATE TEMPORARY TABLE s ( id INT, n TEXT COLLATE BINARY );"
    assert "n LONGTEXT COLLATE utf8mb4_bin )" in sql(text, "mysql")
    assert "collation" in refusal('CREATE TABLE s (n text COLLATE "de_DE");', "sqlite")


def test_foreign_key_without_columns_references_the_primary_key() -> None:
    cat = made("CREATE TABLE o (code varchar(9) PRIMARY KEY);", "mysql")
    out = sql("CREATE TABLE p (id int PRIMARY KEY, o varchar(9) REFERENCES o);", "mysql", cat)
    assert "FOREIGN KEY (o) REFERENCES o (code)" in out
    assert "name the columns" in refusal("CREATE TABLE p (o int REFERENCES o);", "sqlite")


def test_identity_start_with_sets_the_counter() -> None:
    text = "CREATE TABLE i (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY);"
    assert "INSERT INTO sqlite_sequence (name, seq) VALUES ('i', 999)" in sql(text, "sqlite")
    assert sql(text, "mysql").endswith(") AUTO_INCREMENT = 1000;")
    other = "CREATE TABLE i (id int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 2) PRIMARY KEY);"
    assert "identity options" in refusal(other, "mysql")
    assert "IF NOT EXISTS" in refusal(text.replace("TABLE", "TABLE IF NOT EXISTS"), "sqlite")


def test_sqlite_rebuild_keeps_the_auto_increment_counter() -> None:
    cat = made("CREATE TABLE r (id serial PRIMARY KEY, v int);", "sqlite")
    out = sql("ALTER TABLE r ALTER COLUMN v SET NOT NULL;", "sqlite", cat)
    assert "INSERT INTO sqlite_sequence (name, seq) SELECT '_sqlmig_new_r', seq FROM " \
        "sqlite_sequence WHERE name = 'r'; DROP TABLE r" in out  # fmt: skip


def test_serial_leading_a_composite_key_on_mysql() -> None:
    text = "CREATE TABLE p (id serial, rev int, PRIMARY KEY (id, rev));"
    assert "id INT NOT NULL AUTO_INCREMENT" in sql(text, "mysql")
    text = "CREATE TABLE p (id serial, rev int, PRIMARY KEY (rev, id));"
    assert "without a key it leads" in refusal(text, "mysql")


def test_sequences_are_mariadb_sequences() -> None:
    text = "CREATE SEQUENCE s AS int START 10; ALTER SEQUENCE s RESTART WITH 5; DROP SEQUENCE s;"
    assert sql(text, "mysql").split("; ") == [
        "CREATE SEQUENCE s START WITH 10 MAXVALUE 2147483647 NOCACHE",
        "ALTER SEQUENCE s RESTART WITH 5",
        "DROP SEQUENCE s;",
    ]
    assert "SQLite has no sequences" in refusal("CREATE SEQUENCE s;", "sqlite")
    assert "descending" in refusal("CREATE SEQUENCE s INCREMENT BY -1;", "mysql")
    assert "RESTART" in refusal("ALTER SEQUENCE s INCREMENT BY 5;", "mysql")


def test_enum_add_value_redefines_the_columns_of_that_type() -> None:
    setup = "CREATE TYPE st AS ENUM ('a', 'c'); CREATE TABLE j (id int PRIMARY KEY, s st);"
    cat = made(setup, "mysql")
    out = sql("ALTER TYPE st ADD VALUE 'b' AFTER 'a';", "mysql", cat)
    assert out == "ALTER TABLE j MODIFY COLUMN s ENUM('a', 'b', 'c') NULL;"
    cat = made(setup, "sqlite")
    out = sql("ALTER TYPE st ADD VALUE 'b' BEFORE 'a';", "sqlite", cat)
    assert "s TEXT CHECK (s IN ('b', 'a', 'c'))" in out and "DROP TABLE j" in out
    assert "only ALTER TYPE ... ADD VALUE" in refused("ALTER TYPE st RENAME VALUE 'a' TO 'z';",
                                                      "sqlite", cat)  # fmt: skip


def test_cascade_is_dropped_only_when_nothing_depends() -> None:
    cat = made("CREATE TABLE t (id int PRIMARY KEY, a int);", "sqlite")
    assert sql("DROP TABLE t CASCADE;", "sqlite", cat) == "DROP TABLE t;"
    cat = made("CREATE TABLE t (id int PRIMARY KEY, a int); CREATE VIEW v AS SELECT a FROM t;",
               "mysql")  # fmt: skip
    assert "also drops v" in refused("DROP TABLE t CASCADE;", "mysql", cat)
    assert "also drops dependent" in refused("ALTER TABLE t DROP COLUMN a CASCADE;", "mysql", cat)
    assert "may not have created" in refusal("DROP TABLE t CASCADE;", "sqlite")


@pytest.mark.parametrize("target", ["sqlite", "mysql"])
def test_dropping_a_referenced_key_with_cascade_is_refused_naming_the_foreign_keys(
    target: str,
) -> None:
    """As flipt-io/flipt b2393f0's `DROP CONSTRAINT flags_pkey CASCADE`: PostgreSQL drops the
    foreign keys with the key; MySQL would refuse the drop (errno 150) and SQLite keep keys
    that match nothing, so a written file would fail on the target."""
    setup = (
        "CREATE TABLE p (k varchar(9) PRIMARY KEY, u int, CONSTRAINT p_u UNIQUE (u));"
        "CREATE TABLE c (id int PRIMARY KEY, p_k varchar(9) REFERENCES p, u int,"
        " FOREIGN KEY (u) REFERENCES p (u));"
    )
    why = refused(
        "ALTER TABLE p DROP CONSTRAINT IF EXISTS p_pkey CASCADE;", target, made(setup, target)
    )
    assert "DROP CONSTRAINT p_pkey ... CASCADE also drops the foreign key(s) c.p_k " in why
    why = refused("ALTER TABLE p DROP CONSTRAINT p_u CASCADE;", target, made(setup, target))
    assert "also drops the foreign key(s) c (u) that reference it" in why
    alone = "CREATE TABLE p (k varchar(9) PRIMARY KEY, u int); CREATE TABLE c (id int PRIMARY KEY);"
    out = sql("ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE;", target, made(alone, target))
    assert "PRIMARY KEY" in out if target == "mysql" else "CREATE TABLE" in out
    fk = (
        "CREATE TABLE p (k int PRIMARY KEY);"
        "CREATE TABLE c (id int, k int, CONSTRAINT c_k FOREIGN KEY (k) REFERENCES p);"
    )
    assert sql("ALTER TABLE c DROP CONSTRAINT c_k CASCADE;", target, made(fk, target))


def test_drop_column_drops_its_indexes_first() -> None:
    setup = "CREATE TABLE t (id int PRIMARY KEY, a int, b int); CREATE INDEX t_ab ON t (a, b);"
    cat = made(setup, "mysql")
    assert sql("ALTER TABLE t DROP COLUMN b;", "mysql", cat) == (
        "DROP INDEX t_ab ON t; ALTER TABLE t DROP COLUMN b;"
    )
    cat = made("CREATE TABLE u (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));", "mysql")
    assert "table constraint" in refused("ALTER TABLE u DROP COLUMN b;", "mysql", cat)


def test_index_include_is_dropped_and_text_gets_a_prefix_on_mysql() -> None:
    cat = made("CREATE TABLE w (id int PRIMARY KEY, t text, n int);", "mysql")
    out = sql("CREATE INDEX w_t ON w (t) INCLUDE (n);", "mysql", cat)
    assert out == "CREATE INDEX w_t ON w (t(255));"
    assert "unique key" in refused("CREATE UNIQUE INDEX w_u ON w (t);", "mysql", cat)
    assert "WITH" in refusal("CREATE INDEX w_n ON w (n) WITH (fillfactor = 70);", "sqlite")


def test_integer_division_only() -> None:
    setup = "CREATE TABLE d (id int PRIMARY KEY, a int, b int, x numeric(9,2));"
    cat = made(setup, "mysql")
    assert "SELECT a DIV b AS q FROM d" in sql("CREATE VIEW q AS SELECT a / b AS q FROM d;",
                                                "mysql", cat)  # fmt: skip
    cat = made(setup, "sqlite")
    assert "SELECT a / 2 AS q FROM d" in sql("CREATE VIEW q AS SELECT a / 2 AS q FROM d;",
                                              "sqlite", cat)  # fmt: skip
    assert "divides integers" in refused("CREATE VIEW r AS SELECT x / 2 AS q FROM d;", "sqlite",
                                         cat)  # fmt: skip


def test_row_security_and_policies() -> None:
    out = transpile_text("ALTER TABLE a ENABLE ROW LEVEL SECURITY;", target="sqlite")
    assert out.ok and out.text.startswith("-- dropped (SQLite has no users")
    assert "roles" in refusal("CREATE POLICY p ON a USING (true);", "mysql")
    assert "cannot parse" in refusal("ALTER TABLE a OWNER TO x, ADD COLUMN b int;", "sqlite")


def test_tables_made_from_others() -> None:
    setup = "CREATE TABLE b (id serial PRIMARY KEY, n varchar(9) NOT NULL DEFAULT 'x', m int);"
    cat = made(setup, "sqlite")
    assert "CREATE TABLE c ( id INT NOT NULL, n VARCHAR(9) NOT NULL, m INT )" in sql(
        "CREATE TABLE c (LIKE b);", "sqlite", cat
    )
    out = sql("CREATE TABLE d AS SELECT id, n AS name FROM b WHERE m > 1;", "sqlite", cat)
    assert out == ("CREATE TABLE d ( id INT, name VARCHAR(9) ); "
                   "INSERT INTO d (id, name) SELECT id, n AS name FROM b WHERE m > 1;")  # fmt: skip
    assert "INCLUDING" in refused("CREATE TABLE e (LIKE b INCLUDING ALL);", "sqlite", cat)
    assert "expression" in refused("CREATE TABLE f AS SELECT m + 1 FROM b;", "sqlite", cat)
    assert "IF NOT EXISTS" in refused("CREATE TABLE IF NOT EXISTS g AS SELECT m FROM b;",
                                      "sqlite", cat)  # fmt: skip


def test_constant_default_expressions() -> None:
    text = "CREATE TABLE l (n int DEFAULT (1024 * 1024), s varchar(9) DEFAULT lower('X'));"
    assert "n INT DEFAULT (1024 * 1024), s VARCHAR(9) DEFAULT (LOWER('X'))" in sql(text, "sqlite")
    assert "overflows" in refusal("CREATE TABLE l (n int DEFAULT 65536 * 65536);", "mysql")
    assert "no verified" in refusal("CREATE TABLE l (s text DEFAULT lower('Ä'));", "sqlite")


def test_a_key_repeating_the_primary_key_or_an_earlier_one_is_not_made() -> None:
    text = "CREATE TABLE k (id int PRIMARY KEY UNIQUE, c varchar(9) UNIQUE, "
    text += "CONSTRAINT k_c UNIQUE (c));"
    cat = Catalog()
    out = sql(text, "mysql", cat)
    assert "k_id_key" not in out and out.count("UNIQUE") == 1
    # PostgreSQL gives the kept unnamed key the later one's name
    assert "CONSTRAINT k_c UNIQUE (c)" in out
    assert (
        sql("ALTER TABLE k DROP CONSTRAINT k_c;", "mysql", cat) == "ALTER TABLE k DROP INDEX k_c;"
    )


def test_mysql_keeps_the_index_a_foreign_key_needs_before_dropping_a_key() -> None:
    cat = made("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, "
               "p_id int REFERENCES p (id), UNIQUE (p_id, id));", "mysql")  # fmt: skip
    assert sql("ALTER TABLE c DROP CONSTRAINT c_p_id_id_key;", "mysql", cat) == (
        "ALTER TABLE c ADD INDEX IF NOT EXISTS c_p_id_fkey (p_id); "
        "ALTER TABLE c DROP INDEX c_p_id_id_key;"
    )
    # an index that does not lead with the foreign key's columns needs nothing
    parent = "CREATE TABLE p (id int PRIMARY KEY); "
    cat = made(parent + "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id), n int); "
               "CREATE INDEX c_n ON c (n, p_id);", "mysql")  # fmt: skip
    assert sql("DROP INDEX c_n;", "mysql", cat) == "DROP INDEX c_n ON c;"


def test_sqlite_drops_unnamed_table_level_constraints_by_postgresql_name() -> None:
    parent = "CREATE TABLE p (id int PRIMARY KEY); "
    cat = made(parent + "CREATE TABLE c (id int PRIMARY KEY, p_id int, "
               "FOREIGN KEY (p_id) REFERENCES p (id), UNIQUE (p_id, id));", "sqlite")  # fmt: skip
    out = sql("ALTER TABLE c DROP CONSTRAINT c_p_id_fkey;", "sqlite", cat)
    assert (
        "CREATE TABLE _sqlmig_new_c ( id INT PRIMARY KEY NOT NULL, p_id INT, UNIQUE (p_id, id) )"
        in out
    )
    out = sql("ALTER TABLE c DROP CONSTRAINT c_p_id_id_key;", "sqlite", cat)
    assert "CREATE TABLE _sqlmig_new_c ( id INT PRIMARY KEY NOT NULL, p_id INT )" in out


def test_check_differences_are_told_in_words() -> None:
    from sqlmig.transpile.explain import explain

    want = {"columns": (("id", "int32", False, None, False, True),), "primary key": ("id",),
            "uniques": {("a",)}, "foreign keys": {(("p",), "p", ("id",), "CASCADE", "NO ACTION")},
            "checks": 1}  # fmt: skip
    have = {"columns": (("id", "int64", True, "0", False, True),), "primary key": (),
            "uniques": {("b",)}, "foreign keys": set(), "checks": 1}  # fmt: skip
    assert explain("table t", want, have) == [
        "table t: column id: type int32 expected, found type int64",
        "table t: column id: NOT NULL expected, found NULL",
        "table t: column id: no default expected, found default 0",
        "table t: primary key (id) expected, found none",
        "table t: unique key (a) missing",
        "table t: unique key (b) on the target only",
        "table t: foreign key (p) -> p (id) ON DELETE CASCADE ON UPDATE NO ACTION missing",
    ]
    assert explain("index i", ("t", ("a",), True, None), None) == ["index i: missing on the target"]
    assert explain("index i", ("t", ("a",), True, False), ("t", ("a",), False, False)) == [
        "index i: unique index on t (a) (not partial) expected, found index on t (a) (not partial)"
    ]


def test_a_named_primary_key_on_a_serial_column_is_one_key_on_sqlite() -> None:
    import sqlite3

    cat = Catalog()
    text = "CREATE TABLE n (id serial, body text, CONSTRAINT n_pk PRIMARY KEY (id));"
    out = transpile_text(text, target="sqlite", catalog=cat)
    assert out.ok and out.text.count("PRIMARY KEY") == 1, out.text
    rebuilt = transpile_text("ALTER TABLE n ALTER COLUMN body SET NOT NULL;", target="sqlite",
                             catalog=cat)  # fmt: skip
    assert rebuilt.ok and rebuilt.text.count("PRIMARY KEY") == 1, rebuilt.text
    db = sqlite3.connect(":memory:")
    db.executescript(out.text + "INSERT INTO n (body) VALUES ('a');" + rebuilt.text)
    assert db.execute("SELECT id, body FROM n").fetchall() == [(1, "a")]
    dropped = transpile_text("ALTER TABLE n DROP CONSTRAINT n_pk;", target="sqlite", catalog=cat)
    assert "auto-increments" in dropped.refusals[0].reason


def test_add_column_if_not_exists_follows_what_the_migrations_made() -> None:
    for target in ("sqlite", "mysql"):
        cat = Catalog()
        sql("CREATE TABLE t (id int PRIMARY KEY, x int);", target, cat)
        assert sql("ALTER TABLE t ADD COLUMN IF NOT EXISTS x text;", target, cat) == ""
        assert sql("ALTER TABLE t ADD COLUMN IF NOT EXISTS y int;", target, cat) == (
            "ALTER TABLE t ADD COLUMN y INT;"
        )
    assert "no ADD COLUMN IF NOT EXISTS" in refusal(
        "ALTER TABLE u ADD COLUMN IF NOT EXISTS y int;", "sqlite"
    )
    assert sql("ALTER TABLE u ADD COLUMN IF NOT EXISTS y int;", "mysql") == (
        "ALTER TABLE u ADD COLUMN IF NOT EXISTS y INT;"  # MariaDB's form
    )


@pytest.mark.parametrize("target", ["sqlite", "mysql"])
@pytest.mark.parametrize(
    ("setup", "drop", "fk"),
    [
        # a named primary key, table-level or inline, referenced with no column list
        ("CREATE TABLE p (k int, CONSTRAINT mypk PRIMARY KEY (k));", "mypk", "c.pk"),
        ("CREATE TABLE p (k int CONSTRAINT mypk PRIMARY KEY);", "mypk", "c.pk"),
        # PostgreSQL (and SQLite) match a foreign key to a key by its columns in any order
        ("CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));", "p_pkey", "c (x, y)"),
        ("CREATE TABLE p (k int PRIMARY KEY, u int CONSTRAINT uu UNIQUE);", "uu", "c.pu"),
    ],
)
def test_cascade_refusal_finds_keys_by_columns_not_by_default_names(
    target: str, setup: str, drop: str, fk: str
) -> None:
    """PostgreSQL 15 drops each of these foreign keys with the key (checked with psql)."""
    child = {
        "mypk": "CREATE TABLE c (id int, pk int REFERENCES p);",
        "p_pkey": "CREATE TABLE c (x int, y int, FOREIGN KEY (x, y) REFERENCES p (b, a));",
        "uu": "CREATE TABLE c (id int, pu int REFERENCES p (u));",
    }[drop]
    earlier = made(setup + child, target)
    why = refused(f"ALTER TABLE p DROP CONSTRAINT {drop} CASCADE;", target, earlier)
    assert f"CASCADE also drops the foreign key(s) {fk} that reference it" in why

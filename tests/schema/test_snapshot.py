"""Snapshots: a rich schema survives dump -> load -> snapshot; equal schemas compare equal
however they are written; a real difference is named; history tables are left out."""

from __future__ import annotations

import pytest

from sqlmig.drivers import connect
from sqlmig.schema import snapshot
from sqlmig.schema.compare import VERIFY, compare, describe
from sqlmig.schema.dump import dump
from sqlmig.urls import parse_url
from tests.conftest import execute

from .conftest import dialect
from .helpers import load, snap
from .schemas import KINDS, RICH


def _dialect(url: str) -> str:
    return dialect(url)


def test_rich_schema_round_trips_through_its_dump(db_url: str, other_url: str) -> None:
    dialect = _dialect(db_url)
    execute(db_url, RICH[dialect])
    first = snap(db_url)
    assert first.notes == ()
    assert {i.kind for i in first.items().values()} == KINDS[dialect]
    text = dump(first)
    assert dump(snap(db_url)) == text  # same database, same bytes

    load(other_url, text)
    second = snap(other_url)
    assert describe(compare(first, second), VERIFY) == []
    assert second == first
    assert dump(second) == text


def test_spellings_that_mean_the_same_compare_equal(db_url: str, other_url: str) -> None:
    if _dialect(db_url) == "mysql":
        _same_on_mysql(db_url, other_url)
        return
    execute(
        db_url,
        "CREATE TABLE t (a int4 NOT NULL, b varchar(20), c timestamp DEFAULT now(), "
        "d bool, CHECK (a>0));\nCREATE INDEX t_b ON t (b) WHERE a>1;"
        if _dialect(db_url) == "postgres"
        else "CREATE TABLE t (a int4 NOT NULL, b varchar (20), c timestamp DEFAULT "
        "current_timestamp, d bool, CHECK (a>0));\nCREATE INDEX t_b ON t (b) WHERE a>1;",
    )
    execute(
        other_url,
        'CREATE TABLE "t" (\n  "a"   INTEGER NOT NULL,\n  b CHARACTER VARYING(20),\n'
        "  c TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n  d BOOLEAN,\n  CHECK (a > 0)\n);\n"
        "create index t_b on t (b) where a > 1;",
    )
    assert describe(compare(snap(db_url), snap(other_url)), VERIFY) == []


def _same_on_mysql(db_url: str, other_url: str) -> None:
    """MySQL's own synonyms: display widths, BOOL, now(), NUMERIC, unquoted names, spacing."""
    execute(
        db_url,
        "CREATE TABLE t (a int(11) NOT NULL, b varchar(20), c timestamp NULL DEFAULT now(), "
        "d bool, e NUMERIC(5,2), CHECK (a>0));\nCREATE INDEX t_b ON t (b(10));\n"
        "CREATE VIEW v AS SELECT a FROM t WHERE a>1;",
    )
    execute(
        other_url,
        "CREATE TABLE `t` (\n  `a`   INTEGER NOT NULL,\n  b VARCHAR (20),\n"
        "  c TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,\n  d TINYINT(1),\n  e DECIMAL(5,2),\n"
        "  CHECK (a > 0)\n);\ncreate index t_b on t (b (10));\n"
        "create view v as select `a` from `t` where `a` > 1;",
    )
    assert describe(compare(snap(db_url), snap(other_url)), VERIFY) == []


def test_sqlite_references_without_columns_is_the_primary_key(sqlite_url: str, tmp_path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    parent = "CREATE TABLE Parent (id INTEGER PRIMARY KEY, n TEXT);\n"
    execute(sqlite_url, parent + "CREATE TABLE child (p INTEGER REFERENCES parent);")
    execute(other, parent + "CREATE TABLE child (p INTEGER REFERENCES parent (id));")
    assert describe(compare(snap(sqlite_url), snap(other)), VERIFY) == []
    fk = next(c for c in snap(sqlite_url).table("main", "child").constraints)
    assert (fk.ref_table, fk.ref_columns) == ("parent", ("id",))


CHANGES = [
    ("ALTER TABLE books ADD COLUMN isbn text", "column books.isbn still exists"),
    ("DROP INDEX books_author_idx{on_books}", "index books_author_idx missing"),
    ("DROP VIEW cheap_titles", "view cheap_titles missing"),
    ("DROP TRIGGER authors_touch{on}", "trigger authors.authors_touch missing"),
    ("CREATE INDEX extra_idx ON authors (age)", "index extra_idx still exists"),
    ("CREATE TABLE stray (x int)", "table stray still exists"),
]


@pytest.mark.parametrize(("sql", "expected"), CHANGES, ids=[c[1] for c in CHANGES])
def test_a_real_difference_is_named(db_url: str, sql: str, expected: str) -> None:
    dialect = _dialect(db_url)
    execute(db_url, RICH[dialect])
    before = snap(db_url)
    on_books = " ON books" if dialect == "mysql" else ""
    execute(
        db_url, sql.format(on=" ON authors" if dialect == "postgres" else "", on_books=on_books)
    )
    assert describe(compare(before, snap(db_url)), VERIFY) == [expected]


def test_attribute_changes_are_named_with_before_and_after(pg_url: str) -> None:
    execute(pg_url, RICH["postgres"])
    before = snap(pg_url)
    execute(
        pg_url,
        "ALTER TABLE authors ALTER COLUMN age TYPE bigint;"
        "ALTER TABLE loans DROP CONSTRAINT loans_book_id_fkey;"
        "ALTER TABLE loans ADD FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE;"
        "CREATE OR REPLACE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql "
        "IMMUTABLE AS 'SELECT a + b + 0';"
        "ALTER TYPE mood ADD VALUE 'angry';",
    )
    found = describe(compare(before, snap(pg_url)), VERIFY)
    assert found[0] == "column authors.age differs: type 'integer' -> 'bigint'"
    fk = "foreign key loans.loans_book_id_fkey differs: on_delete 'RESTRICT' -> 'CASCADE'"
    assert fk in found
    function = "function add(a integer, b integer) differs: definition "
    assert any(f.startswith(function) and "+ 0" in f for f in found)
    assert "type mood differs: labels (sad, ok, happy) -> (sad, ok, happy, angry)" in found
    assert len(found) == 4


def test_history_tables_are_left_out(db_url: str, migrations) -> None:
    from sqlmig.history import History
    from sqlmig.migrator import Migrator

    from .helpers import cfg

    (migrations / "0001_t.up.sql").write_text("CREATE TABLE t (id int);")
    Migrator(cfg(db_url, migrations)).up()
    driver = connect(parse_url(db_url), table="other_history")
    try:
        History(driver, "other_history").ensure()
    finally:
        driver.close()
    names = {t.name for t in snap(db_url).tables}
    assert names == {"t", "other_history", "other_history_log"}
    assert {t.name for t in snap(db_url, "other_history").tables} == {
        "t", "sqlmig_history", "sqlmig_history_log"
    }  # fmt: skip


def test_postgres_snapshot_uses_a_bounded_number_of_queries(pg_url: str) -> None:
    tables = "".join(
        f"CREATE TABLE t{i} (id int PRIMARY KEY, ref int REFERENCES t{max(i - 1, 0)} (id), "
        f"v text UNIQUE CHECK (v <> ''));\nCREATE INDEX t{i}_v ON t{i} (lower(v));\n"
        for i in range(60)
    )
    execute(pg_url, tables)
    driver = connect(parse_url(pg_url), table="sqlmig_history")
    calls: list[str] = []
    real = driver.query

    def counting(sql: str, params=()):  # the real driver, counted
        calls.append(sql)
        return real(sql, params)

    driver.query = counting  # type: ignore[method-assign]
    try:
        snap60 = snapshot(driver, table="sqlmig_history")
    finally:
        driver.close()
    assert len(snap60.tables) == 60 and len(snap60.indexes) == 60
    assert len(calls) <= 10, calls


# One kind of PostgreSQL object each, and a line its dump must hold: dump -> load into a fresh
# database -> the same snapshot.
PG_KINDS = [
    ("index_keys", 'gin_trgm_ops',
     "CREATE EXTENSION pg_trgm;\n"
     "CREATE TABLE t (a text, b varchar(10), c int, d text COLLATE \"C\");\n"
     "CREATE INDEX t_pattern ON t (a text_pattern_ops, b varchar_pattern_ops DESC NULLS LAST);\n"
     "CREATE INDEX t_collated ON t (a COLLATE \"C\", lower(d) COLLATE \"POSIX\" DESC);\n"
     "CREATE INDEX t_order ON t (c DESC, a NULLS FIRST, (c + 1) DESC NULLS LAST);\n"
     "CREATE INDEX t_trgm ON t USING gin (a gin_trgm_ops);\n"
     "CREATE INDEX t_trgm_gist ON t USING gist (a gist_trgm_ops(siglen = 32));"),
    ("extensions", 'CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "ext"',
     "CREATE SCHEMA ext;\nCREATE EXTENSION ltree;\n"
     "CREATE EXTENSION citext WITH SCHEMA ext;\nCREATE EXTENSION btree_gist;\n"
     "CREATE TABLE t (path ltree, email ext.citext, during tstzrange, room int,\n"
     "  EXCLUDE USING gist (room WITH =, during WITH &&));\n"
     "CREATE INDEX t_path ON t USING gist (path);"),
    ("statistics", 'CREATE STATISTICS public.t_ab (ndistinct, dependencies)',
     "CREATE TABLE t (a int, b int, c text);\n"
     "CREATE STATISTICS t_ab (dependencies, ndistinct) ON a, b FROM t;\n"
     "CREATE STATISTICS t_all ON a, b, c FROM t;"),
    ("row_security_and_policies", 'AS RESTRICTIVE FOR INSERT',
     "CREATE TABLE t (id int, owner text, n int);\n"
     "CREATE TABLE u (id int);\nCREATE TABLE v (id int);\n"
     "ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n"
     "ALTER TABLE u ENABLE ROW LEVEL SECURITY;\nALTER TABLE v FORCE ROW LEVEL SECURITY;\n"
     "CREATE POLICY mine ON t USING (owner = current_user);\n"
     "CREATE POLICY few ON t AS RESTRICTIVE FOR INSERT TO CURRENT_USER, public "
     "WITH CHECK (n < 10);\n"
     "CREATE POLICY edit ON t FOR UPDATE USING (n > 0) WITH CHECK (n > 1);"),
    ("comments", 'COMMENT ON COLUMN audit.t."It\'s" IS \'a column\'',
     "CREATE SCHEMA audit;\nCREATE TYPE mood AS ENUM ('a');\n"
     "CREATE TABLE audit.t (id int PRIMARY KEY, \"It's\" text, CONSTRAINT pos CHECK (id > 0));\n"
     "CREATE INDEX t_x ON audit.t (\"It's\");\nCREATE VIEW v AS SELECT 1 AS one;\n"
     "CREATE SEQUENCE s;\nCREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';\n"
     "CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
     "CREATE TRIGGER t_tg BEFORE INSERT ON audit.t FOR EACH ROW EXECUTE FUNCTION tg();\n"
     "CREATE POLICY p ON audit.t USING (true);\n"
     "COMMENT ON SCHEMA audit IS 'audit trail';\nCOMMENT ON TYPE mood IS 'how';\n"
     "COMMENT ON TABLE audit.t IS 'it''s a table';\n"
     "COMMENT ON COLUMN audit.t.\"It's\" IS 'a column';\n"
     "COMMENT ON CONSTRAINT pos ON audit.t IS 'positive';\nCOMMENT ON INDEX audit.t_x IS 'ix';\n"
     "COMMENT ON VIEW v IS 'view';\nCOMMENT ON COLUMN v.one IS 'view column';\n"
     "COMMENT ON SEQUENCE s IS 'seq';\nCOMMENT ON FUNCTION f(int) IS 'fn';\n"
     "COMMENT ON TRIGGER t_tg ON audit.t IS 'trg';\nCOMMENT ON POLICY p ON audit.t IS 'pol';"),
    ("deferrable_constraints", 'UNIQUE ("code") DEFERRABLE INITIALLY DEFERRED',
     "CREATE TABLE p (id int PRIMARY KEY, "
     "code int UNIQUE DEFERRABLE INITIALLY DEFERRED);\n"
     "CREATE TABLE q (id int PRIMARY KEY DEFERRABLE);\n"
     "CREATE TABLE c (p int REFERENCES p (id) DEFERRABLE INITIALLY IMMEDIATE, "
     "q int REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);"),
    ("domains", 'CREATE DOMAIN "codes" AS code[]',
     "CREATE DOMAIN pos AS int NOT NULL DEFAULT 1 CHECK (VALUE > 0) "
     "CONSTRAINT small CHECK (VALUE < 100);\n"
     "CREATE DOMAIN code AS varchar(10) COLLATE \"C\";\n"
     "CREATE DOMAIN codes AS code[];\n"
     "CREATE TABLE t (a pos, b code DEFAULT 'x', c codes);"),
    ("composite_types", 'CREATE TYPE "nest"',
     "CREATE TYPE pair AS (x int, y text COLLATE \"C\");\n"
     "CREATE TYPE nest AS (p pair, n numeric(5,2));\nCREATE TABLE t (p pair, n nest[]);"),
    ("partitioned_tables", 'PARTITION OF "m_2020" FOR VALUES IN (1, 2)',
     "CREATE TABLE r (id int PRIMARY KEY);\n"
     "CREATE TABLE m (id int REFERENCES r, at date, v text, PRIMARY KEY (id, at), "
     "CHECK (id > 0)) PARTITION BY RANGE (at);\n"
     "CREATE TABLE m_2020 PARTITION OF m (CONSTRAINT v_ok CHECK (v <> '')) "
     "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') PARTITION BY LIST (id);\n"
     "CREATE TABLE m_2020_a PARTITION OF m_2020 FOR VALUES IN (1, 2);\n"
     "CREATE TABLE a_default PARTITION OF m DEFAULT;\nCREATE INDEX m_v ON m (v);\n"
     "CREATE TABLE h (k int) PARTITION BY HASH (k);\n"
     "CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);\n"
     "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
     "CREATE TRIGGER m_t BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION f();"),
    ("table_inheritance", 'INHERITS ("base", "stamped")',
     "CREATE TABLE base (id int PRIMARY KEY, CHECK (id > 0));\nCREATE TABLE stamped (at date);\n"
     "CREATE TABLE child (extra text, id int) INHERITS (base, stamped);\n"
     "CREATE TABLE grandchild () INHERITS (child);"),
    ("materialized_views", "COMMENT ON MATERIALIZED VIEW public.mv IS 'counts'",
     "CREATE TABLE t (a int);\n"
     "CREATE MATERIALIZED VIEW mv AS SELECT a, count(*) AS n FROM t GROUP BY a;\n"
     "CREATE UNIQUE INDEX mv_a ON mv (a);\nCOMMENT ON MATERIALIZED VIEW mv IS 'counts';"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "marker", "sql"), PG_KINDS, ids=[k[0] for k in PG_KINDS])
def test_postgres_objects_round_trip_through_the_dump(
    pg_url: str, pg_url_2: str, kind: str, marker: str, sql: str
) -> None:
    """`marker` is in the dump: the kind is kept, not lost on both sides alike."""
    execute(pg_url, sql)
    first = snap(pg_url)
    assert first.tables and first.notes == ()
    text = dump(first)
    assert marker in text, text
    load(pg_url_2, text)
    second = snap(pg_url_2)
    assert describe(compare(first, second), VERIFY) == []
    assert second == first
    assert dump(second) == text


# Each line changes one thing the snapshot must see (compare must not say "they agree").
PG_FIDELITY = [
    ("CREATE INDEX i ON t (a text_pattern_ops)", "CREATE INDEX i ON t (a)", "index i differs"),
    ('CREATE INDEX i ON t (a COLLATE "C")', "CREATE INDEX i ON t (a)", "index i differs"),
    ("CREATE INDEX i ON t (a DESC NULLS LAST)", "CREATE INDEX i ON t (a DESC)", "index i differs"),
    ("CREATE EXTENSION ltree", "SELECT 1", "extension ltree missing"),
    ("CREATE STATISTICS s ON a, n FROM t", "SELECT 1", "statistics s missing"),
    ("ALTER TABLE t ENABLE ROW LEVEL SECURITY", "SELECT 1", "row level security on t missing"),
    ("CREATE POLICY p ON t USING (n > 0)", "CREATE POLICY p ON t USING (n > 1)",
     "policy t.p differs"),
    ("COMMENT ON COLUMN t.a IS 'x'", "COMMENT ON COLUMN t.a IS 'y'",
     "comment on column t.a differs"),
    ("CREATE DOMAIN d AS int CHECK (VALUE > 0)", "CREATE DOMAIN d AS int", "domain d differs"),
    ("CREATE TYPE c AS (x int)", "CREATE TYPE c AS (x bigint)", "type c differs"),
    ("ALTER TABLE t ADD UNIQUE (n) DEFERRABLE", "ALTER TABLE t ADD UNIQUE (n)",
     "unique t.t_n_key differs"),
    ("CREATE TABLE p (k int) PARTITION BY LIST (k)",
     "CREATE TABLE p (k int) PARTITION BY RANGE (k)", "table p differs"),
]  # fmt: skip


@pytest.mark.parametrize(("one", "other", "expected"), PG_FIDELITY, ids=[f[2] for f in PG_FIDELITY])
def test_postgres_difference_in_a_detail_is_named(
    pg_url: str, pg_url_2: str, one: str, other: str, expected: str
) -> None:
    base = "CREATE TABLE t (a text, n int);\n"
    execute(pg_url, base + one + ";")
    execute(pg_url_2, base + other + ";")
    found = describe(compare(snap(pg_url), snap(pg_url_2)), VERIFY)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_postgres_kinds_not_modelled_are_noted_and_compared_by_presence(
    pg_url: str, pg_url_2: str
) -> None:
    execute(pg_url, "CREATE TABLE t (a int);\nCREATE TYPE span AS RANGE (subtype = int8);\n"
            "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', "
            "deterministic = false);\n"
            "CREATE RULE t_quiet AS ON DELETE TO t DO INSTEAD NOTHING;\n"
            "CREATE AGGREGATE total(int) (sfunc = int4pl, stype = int);")  # fmt: skip
    execute(pg_url_2, "CREATE TABLE t (a int);")
    found = snap(pg_url)
    assert "range type span is left out: only its presence is compared" in found.notes
    assert "-- note: rule t.t_quiet is left out" in dump(found)
    assert describe(compare(snap(pg_url_2), found), VERIFY) == [
        "aggregate total(integer) still exists",
        "collation ci still exists",
        "range type span still exists",
        "rule t.t_quiet still exists",
    ]


# One kind of MySQL object each: dump -> load into a fresh database -> the same snapshot.
MYSQL_KINDS = [
    ("table_options", "CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, v TEXT) ENGINE=MyISAM;\n"
     "CREATE TABLE bin (k VARCHAR(10)) COLLATE=utf8mb4_bin;"),
    ("column_kinds", "CREATE TABLE t (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
     "e ENUM('a', 'b''c') NOT NULL DEFAULT 'a', s SET('x', 'y'), b BIT(3) DEFAULT b'101', "
     "d DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), "
     "f DOUBLE DEFAULT -1.5e3, j JSON, l VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin, "
     "x VARCHAR(20) DEFAULT (concat('a', 'b')), q VARCHAR(30) DEFAULT 'it''s \\\\ \"q\"');"),
    ("generated_columns", "CREATE TABLE g (a INT, b INT AS (a * 2) VIRTUAL, "
     "c INT GENERATED ALWAYS AS (a + 1) STORED);"),
    ("indexes", "CREATE TABLE t (a VARCHAR(100), b TEXT, c INT, p POINT NOT NULL);\n"
     "CREATE INDEX t_prefix ON t (a(10) DESC, c);\nCREATE UNIQUE INDEX t_up ON t (b(20));\n"
     "CREATE FULLTEXT INDEX t_words ON t (a, b);\nCREATE SPATIAL INDEX t_where ON t (p);\n"
     "CREATE UNIQUE INDEX t_long ON t (b);"),
    ("keys", "CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(5) UNIQUE);\n"
     "CREATE TABLE c (a INT, b VARCHAR(5), n INT, CONSTRAINT c_named FOREIGN KEY (a) "
     "REFERENCES p (id) ON DELETE SET NULL, FOREIGN KEY (b) REFERENCES p (code) ON UPDATE CASCADE, "
     "CONSTRAINT positive CHECK (n > 0), CHECK (n <> 7));\n"
     "CREATE TABLE used (a INT, KEY used_a (a), FOREIGN KEY (a) REFERENCES p (id));"),
    ("views", "CREATE TABLE t (a INT, b VARCHAR(10));\n"
     "CREATE VIEW v1 AS SELECT a, b, 'x.y' AS s FROM t WHERE a > 1;\n"
     "CREATE VIEW v2 AS SELECT v1.a FROM v1 JOIN t ON t.a = v1.a;"),
    ("trigger_and_routines", "CREATE TABLE t (a INT, n INT);\n"
     "CREATE TRIGGER t_count BEFORE INSERT ON t FOR EACH ROW BEGIN\n"
     "  SET NEW.n = coalesce(NEW.n, 0) + 1;\n  IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\nEND;\n"
     "CREATE PROCEDURE clear_t(IN below INT) BEGIN DELETE FROM t WHERE a < below; END;\n"
     "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;"),
    ("hostile_names", "CREATE TABLE `ta``b le` (`i d` INT PRIMARY KEY, `it's` VARCHAR(20), "
     "`a  b` INT CHECK (`a  b` > 0), `ünï` TEXT, UNIQUE KEY `u``q` (`it's`));\n"
     "CREATE TABLE `ch\"ild` (id INT, p INT, CONSTRAINT `f``k` FOREIGN KEY (p) "
     "REFERENCES `ta``b le` (`i d`));\n"
     "CREATE INDEX `ix``1` ON `ta``b le` (`ünï`(10), `a  b` DESC);\n"
     "CREATE VIEW `v``w` AS SELECT `i d`, `it's` FROM `ta``b le` WHERE `a  b`  >  1;"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "sql"), MYSQL_KINDS, ids=[k[0] for k in MYSQL_KINDS])
def test_mysql_objects_round_trip_through_the_dump(
    mysql_url: str, mysql_url_2: str, kind: str, sql: str
) -> None:
    execute(mysql_url, sql)
    first = snap(mysql_url)
    assert first.tables and first.notes == ()
    text = dump(first)
    load(mysql_url_2, text)
    second = snap(mysql_url_2)
    assert describe(compare(first, second), VERIFY) == []
    assert second == first
    assert dump(second) == text


def test_mysql_dump_loads_with_the_mysql_client(mysql_url: str, mysql_url_2: str) -> None:
    """The dump's DELIMITER lines are what the mysql client reads, as in mysqldump's files."""
    import shutil
    import subprocess
    from urllib.parse import unquote, urlsplit

    client = shutil.which("mysql") or shutil.which("mariadb")
    if client is None:
        pytest.skip("no mysql client on this machine")
    execute(mysql_url, RICH["mysql"])
    first = snap(mysql_url)
    parts = urlsplit(mysql_url_2)
    args = [client, "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306),
            "-u", unquote(parts.username or "root"), unquote(parts.path[1:])]  # fmt: skip
    if parts.password:
        args.insert(1, f"-p{unquote(parts.password)}")
    loaded = subprocess.run(args, input=dump(first), capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert snap(mysql_url_2) == first


def test_mariadb_sequences_and_system_versioned_tables_are_noted(mysql_url: str) -> None:
    from tests.conftest import query

    if "mariadb" not in query(mysql_url, "SELECT VERSION()")[0][0].lower():
        pytest.skip("MariaDB's own kinds of table")
    execute(mysql_url, "CREATE TABLE kept (a INT);\nCREATE SEQUENCE seq;\n"
            "CREATE TABLE versioned (a INT) WITH SYSTEM VERSIONING;")  # fmt: skip
    found = snap(mysql_url)
    assert [t.name for t in found.tables] == ["kept"]
    assert found.notes == (
        "sequence seq is left out",
        "system-versioned table versioned is left out",
    )
    assert "-- note: sequence seq is left out" in dump(found)

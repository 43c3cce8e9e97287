"""What squash warns of: each statement whose effect a schema dump does not carry, and none
of those it does carry."""

from __future__ import annotations

from pathlib import Path

from sqlmig.files import Migration, sql_file
from sqlmig.squash import data_statements, not_carried

PG_FILE = """CREATE TABLE t (id serial PRIMARY KEY, name text);
COPY t (id, name) FROM stdin;
1\tINSERT INTO x
\\.
DO $$ BEGIN INSERT INTO t (name) VALUES ('x'); END $$;
DO $$ BEGIN EXECUTE 'CREATE TABLE u (id int)'; END $$;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ INSERT INTO t (name) VALUES ('y') RETURNING 1 $$;
SELECT setval('t_id_seq', 1000);
GRANT SELECT ON t TO PUBLIC;
-- a seed row, said by its own line
INSERT INTO t (name) VALUES ('z');
"""


def test_each_kind_of_statement_the_dump_lacks_is_named_by_line() -> None:
    path = Path("0001_a.up.sql")
    m = Migration(1, "0001", "a", up=sql_file(path, PG_FILE, first_line=1), down=None)
    found = [(d.line, d.reason) for d in data_statements([m], "postgres")]
    assert found == [
        (2, "writes rows"),  # pg_dump's COPY; its data line is not read as SQL
        (5, "a DO block that writes rows"),
        (8, "sets a sequence's position"),
        (9, "privileges and roles are not in the dump"),
        (11, "writes rows"),
    ], found
    assert data_statements([m], "postgres")[-1].statement == "INSERT INTO t (name) VALUES ('z');"
    assert not_carried("CALL seed();") == "calls a procedure, which may write rows"
    assert not_carried("/* c */ REPLACE INTO t VALUES (1);") == "writes rows"
    assert not_carried("WITH n AS (SELECT 1) INSERT INTO t SELECT * FROM n;") == "writes rows"
    assert not_carried("CREATE TABLE t (id INT AUTO_INCREMENT) AUTO_INCREMENT=1000;")
    assert not_carried("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r;")
    assert not_carried("PRAGMA user_version = 7;")
    assert not_carried("ALTER SEQUENCE s RESTART WITH 100;") == "sets a sequence's position"
    carried = [
        "CREATE TABLE t (id INT AUTO_INCREMENT, PRIMARY KEY (id));",
        "PRAGMA foreign_keys = ON;",
        "SELECT 1;",
        "CREATE VIEW v AS SELECT 1;",
    ]
    for text in carried:
        assert not_carried(text) is None, text

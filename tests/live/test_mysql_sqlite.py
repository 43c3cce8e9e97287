"""Pre-checks and plan on MariaDB/MySQL (sizes from information_schema, algorithms from the
documented rules) and on SQLite (UNIQUE indexes; the database-level lock)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, describe
from tests.conftest import execute, write

INIT = """\
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, code varchar(20), qty varchar(10),
  price decimal(10,2));
"""
ROWS = """
INSERT INTO parent VALUES (1), (2), (3);
INSERT INTO child VALUES (1, 1, 'a', '1', 1), (2, 11, 'b', 'x2', -5), (3, NULL, 'a', '70000', 2),
  (4, 12, 'ccccccc', '4', 3);
"""
NEXT = """\
ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id);
ALTER TABLE child ADD UNIQUE KEY child_code (code);
ALTER TABLE child MODIFY qty smallint;
ALTER TABLE child ADD CONSTRAINT child_price CHECK (price > 0);
ALTER TABLE child MODIFY code varchar(5);
ALTER TABLE child MODIFY parent_id int NOT NULL;
ALTER TABLE child ADD COLUMN note text, ALGORITHM=INSTANT;
"""


def _pending(url: str, migrations: Path, pending: str, *, rows: str = ROWS) -> Cli:
    """INIT applied, its tables holding `rows`, and `pending` as 0002_next."""
    cli = Cli(url, migrations)
    write(migrations, "0001_init", INIT)
    cli.ok("up")
    execute(url, rows)
    write(migrations, "0002_next", pending)
    return cli


def test_mysql_prechecks_refuse_naming_file_line_table_count_and_keys(
    mysql_url: str, migrations: Path
) -> None:
    cli = _pending(mysql_url, migrations, NEXT)
    proc = cli("up", "--preflight")
    assert proc.returncode == 9, describe(proc)
    err = proc.stderr.replace(str(migrations) + "/", "")
    for line in (
        "sql:1: FOREIGN KEY (parent_id) on child: 2 rows reference no row of parent; id = 2, 4",
        "sql:2: UNIQUE (code) on child: 2 rows share a value with another row; id = 1, 3",
        "0002_next.up.sql:3: qty TYPE SMALLINT on child: 2 rows do not cast; id = 2, 3",
        "0002_next.up.sql:4: CHECK (price > 0) on child: 1 rows; id = 2",
        "sql:5: code TYPE VARCHAR(5) on child: 1 rows are longer than 5 characters; id = 4",
        "0002_next.up.sql:6: parent_id SET NOT NULL on child: 1 rows; id = 3",
    ):  # fmt: skip
        assert line in err, err
    assert "ccccccc" not in err and "x2" not in err
    assert cli.ok("current").stdout.strip() == "0001_init"  # nothing applied
    # MariaDB's max_statement_time (MySQL's MAX_EXECUTION_TIME) bounds each check: skipped
    write(migrations, "0003_slow", "ALTER TABLE child ADD CONSTRAINT slow CHECK (SLEEP(1) = 0);\n")
    proc = cli("preflight", "--preflight-timeout", "0.5")
    assert proc.returncode == 9, describe(proc)
    assert "CHECK (SLEEP(1) = 0) on child: skipped: timed out after 0.5 s" in proc.stdout
    (migrations / "0003_slow.up.sql").unlink()
    # with the rows fixed, every check passes and up applies
    execute(mysql_url, "DELETE FROM child WHERE id IN (2, 3, 4)")
    proc = cli("up", "--preflight")
    assert proc.returncode == 0, describe(proc)
    assert "preflight: " in proc.stderr and ": passed (" in proc.stderr


def test_mysql_plan_reads_sizes_and_traces_the_algorithm(mysql_url: str, migrations: Path) -> None:
    cli = _pending(mysql_url, migrations, NEXT, rows=ROWS + "ANALYZE TABLE child;")
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    entries = json.loads(proc.stdout)["entries"]
    first = entries[0]
    (touch,) = first["touches"]
    assert (
        touch["lock"] == "ALGORITHM=COPY, LOCK=SHARED: blocks writes" and touch["how"] == "traced"
    )
    assert (
        "refused ALGORITHM=INSTANT (Adding foreign keys needs foreign_key_checks=OFF)"
        in (touch["note"])
    )
    facts = first["tables"]["child"]
    assert facts["rows"] == 4 and facts["bytes"] > 0
    assert first["verdict"] == "blocks writes"
    assert entries[1]["touches"][0]["lock"].startswith("ALGORITHM=INPLACE, LOCK=none")
    assert entries[-1]["touches"][0]["lock"].startswith("ALGORITHM=INSTANT")
    assert entries[-1]["verdict"] == "safe"
    # a transaction left open on the table: every ALTER waits for its metadata lock
    from tests.conftest import _mysql_admin

    writer = _mysql_admin(database=mysql_url.rsplit("/", 1)[1])
    try:
        with writer.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("UPDATE child SET price = price WHERE id = 1")
            cur.execute("SELECT CONNECTION_ID()")
            (writer_id,) = cur.fetchone()
        text = cli.ok("up", "--plan").stdout
        writer.rollback()
    finally:
        writer.close()
    assert "(traced); ~4 rows" in text and "traced on the scratch database" in text
    assert f"session id {writer_id} (" in text
    assert "has an open transaction (it may hold a metadata lock on the table)" in text
    assert "waits behind 1 session(s) first" in text
    assert cli.ok("current").stdout.strip() == "0001_init"


def test_sqlite_unique_precheck_and_the_database_lock(sqlite_url: str, migrations: Path) -> None:
    cli = Cli(sqlite_url, migrations)
    write(migrations, "0001_init", "CREATE TABLE users (id integer PRIMARY KEY, email text);\n")
    cli.ok("up")
    execute(sqlite_url, "INSERT INTO users VALUES (1, 'a'), (2, 'a'), (3, NULL), (4, NULL);")
    write(migrations, "0002_u", "CREATE UNIQUE INDEX users_email ON users (email);\n")
    proc = cli("up", "--preflight")
    assert proc.returncode == 9, describe(proc)
    assert (
        "0002_u.up.sql:1: UNIQUE (email) on users: 2 rows share a value with another row; id = 1, 2"
        in proc.stderr
    )
    text = cli.ok("plan").stdout
    assert "database: database write lock (rules); SQLite locks the whole database file" in text
    assert "verdict: blocks writes" in text
    execute(sqlite_url, "DELETE FROM users WHERE id = 2;")
    assert cli("up", "--preflight").returncode == 0


TRACED = """\
ALTER TABLE child MODIFY code varchar(50); -- widening within one length byte
ALTER TABLE child MODIFY qty int;
ALTER TABLE child MODIFY parent_id int NOT NULL;
ALTER TABLE child ADD COLUMN flag int NOT NULL DEFAULT 0 AFTER id;
CREATE INDEX child_price ON child (price);
ALTER TABLE child MODIFY price decimal(12,2), ALGORITHM=INSTANT;
ALTER TABLE child ADD COLUMN later int;
"""


def test_mariadb_plan_asks_the_server_which_algorithm_it_takes(
    mysql_url: str, migrations: Path
) -> None:
    cli = _pending(mysql_url, migrations, TRACED)
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    entries = json.loads(proc.stdout)["entries"]
    touches = [e["touches"][0] if e["touches"] else None for e in entries]
    assert {t["how"] for t in touches if t} == {"traced"}
    widen, retype, not_null, add, index, refused, later = touches
    assert widen["lock"] == "ALGORITHM=INSTANT, LOCK=none" and not widen["rewrite"]
    assert retype["lock"] == "ALGORITHM=COPY, LOCK=SHARED: blocks writes" and retype["rewrite"]
    assert "refused ALGORITHM=INSTANT (Cannot change column type)" in retype["note"]
    assert entries[1]["verdict"] == "blocks writes"
    # NOT NULL: in place, reads and writes go on, but the table is rebuilt (a new table id)
    assert not_null["lock"].startswith("ALGORITHM=INPLACE, LOCK=none") and not_null["rewrite"]
    assert entries[2]["verdict"] == "safe"
    assert add["lock"] == "ALGORITHM=INSTANT, LOCK=none"
    assert index["lock"].startswith("ALGORITHM=INPLACE, LOCK=none") and index["builds_index"]
    assert not index["rewrite"]
    # the statement asks for INSTANT, which the server refuses: up would fail there
    assert refused is None and entries[5]["verdict"] == "unknown (not traced)"
    assert (
        "ALGORITHM=INSTANT is not supported. Reason: Cannot change column type"
        in (entries[5]["notes"][0])
    )
    assert later["lock"] == "ALGORITHM=INSTANT, LOCK=none"
    assert cli.ok("current").stdout.strip() == "0001_init"  # nothing applied to the live one


def test_mariadb_plan_never_runs_a_statement_that_may_reach_the_live_database(
    mysql_url: str, migrations: Path
) -> None:
    from tests.conftest import query

    cli = Cli(mysql_url, migrations)
    write(migrations, "0001_init", INIT)
    cli.ok("up")
    database = mysql_url.rsplit("/", 1)[1].split("?")[0]
    sql = f"ALTER TABLE `{database}`.child ADD COLUMN zz int;\n"
    sql += f"DROP TABLE {database}.parent;\n"
    sql += f"USE `{database}`;\nALTER TABLE child ADD COLUMN yy int;\nDROP TABLE parent;\n"
    write(migrations, "0002_next", sql)
    (migrations / "0003_more.up.sql").write_text("ALTER TABLE child ADD COLUMN xx int;\n")
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    entries = json.loads(proc.stdout)["entries"]
    first = entries[0]["touches"][0]
    assert first["how"] == "rules" and "it names a table of a database (db.table)" in first["note"]
    after_use = entries[3]["touches"][0]
    assert (
        after_use["how"] == "rules"
        and "0002_next.up.sql:3 switches the database" in (after_use["note"])
    )
    assert entries[5]["touches"][0]["how"] == "traced"  # the next migration: back on scratch
    columns = query(
        mysql_url,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = '{database}' AND TABLE_NAME = 'child'",
    )
    assert {c[0] for c in columns}.isdisjoint({"zz", "yy", "xx"})
    tables = query(
        mysql_url,
        f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{database}'",
    )
    assert "parent" in {t[0] for t in tables}


def test_mariadb_plan_a_files_session_settings_end_with_it(
    mysql_url: str, migrations: Path
) -> None:
    cli = Cli(mysql_url, migrations)
    write(migrations, "0001_init", INIT)
    cli.ok("up")
    fk = "ALTER TABLE child ADD CONSTRAINT c_p FOREIGN KEY (parent_id) REFERENCES parent (id);\n"
    write(migrations, "0002_off", "SET foreign_key_checks = 0;\n" + fk)
    write(migrations, "0003_on", fk.replace("c_p", "c_p2"))
    entries = json.loads(cli.ok("--json", "plan").stdout)["entries"]
    off, on = entries[1]["touches"][0], entries[2]["touches"][0]
    assert off["lock"].startswith("ALGORITHM=INPLACE, LOCK=none"), off  # checks off: in place
    assert on["lock"] == "ALGORITHM=COPY, LOCK=SHARED: blocks writes", on  # the next file: on


def test_mariadb_plan_traces_past_rows_the_migrations_inserted(
    mysql_url: str, migrations: Path
) -> None:
    cli = Cli(mysql_url, migrations)
    write(migrations, "0001_init", INIT + "INSERT INTO child (id, qty) VALUES (1, 'x2');\n")
    cli.ok("up")
    write(migrations, "0002_next", "ALTER TABLE child MODIFY qty int; # the seed row fails it\n")
    (entry,) = json.loads(cli.ok("--json", "plan").stdout)["entries"]
    (touch,) = entry["touches"]
    assert touch["how"] == "traced" and touch["lock"].startswith("ALGORITHM=COPY"), entry
    assert "on the table emptied: its rows from the migrations failed it" in touch["note"]
    assert entry["verdict"] == "blocks writes" and entry["notes"] == []


def test_mariadb_plan_without_the_right_to_make_a_scratch_database_uses_the_rules(
    mysql_url: str, migrations: Path
) -> None:
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from tests.conftest import _mysql_admin

    cli = Cli(mysql_url, migrations)
    write(migrations, "0001_init", INIT)
    cli.ok("up")
    write(migrations, "0002_next", "ALTER TABLE child MODIFY qty int;\n")
    database = mysql_url.rsplit("/", 1)[1].split("?")[0]
    user = f"sqlmig_t_{uuid.uuid4().hex[:8]}"
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw19'")
            cur.execute(f"GRANT ALL ON `{database}`.* TO '{user}'@'%'")
        parts = urlsplit(mysql_url)
        netloc = f"{user}:pw19@{parts.hostname}:{parts.port or 3306}"
        limited = urlunsplit(parts._replace(netloc=netloc))
        proc = Cli(limited, migrations)("--json", "plan")
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER '{user}'@'%'")
        admin.close()
    assert proc.returncode == 0, describe(proc)
    (entry,) = json.loads(proc.stdout)["entries"]
    (touch,) = entry["touches"]
    assert touch["how"] == "rules" and "no scratch database to trace on (" in touch["note"]
    assert touch["lock"] == "ALGORITHM=COPY, LOCK=SHARED: blocks writes"
    assert "pw19" not in proc.stdout + proc.stderr


def test_mariadb_plan_partitioning_is_unknown_not_guessed(mysql_url: str, migrations: Path) -> None:
    cli = Cli(mysql_url, migrations)
    init = "CREATE TABLE p (id int, d int, PRIMARY KEY (id, d)) PARTITION BY RANGE (d) "
    write(migrations, "0001_init", init + "(PARTITION p0 VALUES LESS THAN (10));\n")
    cli.ok("up")
    sql = "ALTER TABLE p ADD PARTITION (PARTITION p1 VALUES LESS THAN (20));\n"
    write(migrations, "0002_next", sql + "ALTER TABLE p REMOVE PARTITIONING;\n")
    proc = cli("--json", "plan")
    assert proc.returncode == 0, describe(proc)
    assert "Falling back" not in proc.stderr  # sqlglot's own warning is not shown
    for entry in json.loads(proc.stdout)["entries"]:
        assert entry["verdict"] == "unknown (not traced)", entry
        assert entry["touches"][0]["lock"] == "ALGORITHM=?, LOCK=?"
        assert entry["notes"] == []  # it ran on the scratch database, as written

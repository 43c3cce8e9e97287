"""`sqlmig plan`, `up --plan` and `up --preflight` on PostgreSQL, against one table of
10 million narrow rows (UNLOGGED, generate_series: ~640 MB, made once for the module in about
11 s on the 2-core test machine) and a live writer in its own process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, describe
from tests.conftest import execute, fresh_pg_database, query

ROWS = 10_000_000
INIT = """\
CREATE UNLOGGED TABLE big (id bigint PRIMARY KEY, a int, b int);
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, code text, qty text, price numeric);
"""
# the primary key is built once after the rows are in: 3x faster than row by row
FILL = f"""
SET maintenance_work_mem = '256MB';
ALTER TABLE big DROP CONSTRAINT big_pkey;
INSERT INTO big SELECT g, CASE WHEN g % 1000000 = 0 THEN NULL ELSE g END, g % 1000
FROM generate_series(1, {ROWS}) g;
ALTER TABLE big ADD CONSTRAINT big_pkey PRIMARY KEY (id);
INSERT INTO parent SELECT generate_series(1, 10);
INSERT INTO child VALUES (1, 1, 'a', '1', 1), (2, 11, 'b', 'x2', -5), (3, NULL, 'a', '70000', 2),
  (4, 12, 'ccccccc', '4', 3);
ANALYZE big; ANALYZE parent; ANALYZE child;
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The live database (0001 applied, the tables filled) and a folder holding 0001."""
    made = fresh_pg_database()
    url = next(made)
    base = tmp_path_factory.mktemp("live") / "base"
    base.mkdir()
    (base / "0001_init.up.sql").write_text(INIT)
    Cli(url, base).ok("up")
    execute(url, FILL)
    yield url, base
    made.close()


def folder(live: tuple[str, Path], tmp_path: Path, sql: str) -> Cli:
    url, base = live
    dest = tmp_path / "migrations"
    shutil.copytree(base, dest)
    (dest / "0002_next.up.sql").write_text(textwrap.dedent(sql))
    return Cli(url, dest)


def plan_json(cli: Cli, *args: str) -> list[dict]:
    proc = cli("--json", "plan", *args)
    assert proc.returncode == 0, describe(proc)
    return json.loads(proc.stdout)["entries"]


def test_plan_traces_locks_rewrites_and_scans_and_reads_the_live_catalog(live, tmp_path) -> None:
    cli = folder(live, tmp_path, """\
        ALTER TABLE big ALTER COLUMN b SET NOT NULL;
        ALTER TABLE big ALTER COLUMN b TYPE bigint;
        ALTER TABLE big ADD COLUMN c int DEFAULT 0;
        CREATE INDEX big_a ON big (a);
        CREATE TABLE fresh (id int PRIMARY KEY);
        CREATE INDEX fresh_id ON fresh (id);
        TRUNCATE big;
        DROP TABLE child;
        """)  # fmt: skip
    (cli.folder / "0003_conc.up.sql").write_text(
        "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY big_b ON big (b);\n"
    )
    plans = plan_json(cli, "--scratch-prefix", "sqlmig_t_plan_scratch_")
    by_line = {p["where"].rsplit("/", 1)[1]: p for p in plans}
    (rows, total), = query(cli.url, "SELECT reltuples::bigint, pg_total_relation_size('big') "
                                    "FROM pg_class WHERE relname = 'big'")  # fmt: skip
    not_null = by_line["0002_next.up.sql:1"]
    touch = not_null["touches"][0]
    assert (touch["table"], touch["lock"], touch["how"]) == (
        "public.big",
        "AccessExclusiveLock",
        "traced",
    )
    assert touch["scan"] and not touch["rewrite"]
    assert not_null["tables"]["public.big"]["rows"] == rows  # ANALYZE's estimate, as read
    assert abs(rows - ROWS) < ROWS / 100
    assert not_null["tables"]["public.big"]["bytes"] == total
    assert not_null["verdict"] == "blocks reads and writes"
    assert not_null["estimated_seconds"] > 0
    retype = by_line["0002_next.up.sql:2"]
    assert retype["touches"][0]["rewrite"] and retype["verdict"] == "blocks reads and writes"
    assert retype["estimated_seconds"] > not_null["estimated_seconds"]  # a rewrite > a scan
    add = by_line["0002_next.up.sql:3"]  # a constant default: catalog only since PostgreSQL 11
    assert not add["touches"][0]["rewrite"] and not add["touches"][0]["scan"]
    assert add["estimated_seconds"] is None
    index = by_line["0002_next.up.sql:4"]
    assert index["touches"][0]["lock"] == "ShareLock" and index["touches"][0]["builds_index"]
    assert index["verdict"] == "blocks writes"
    for line in ("0002_next.up.sql:5", "0002_next.up.sql:6"):  # a table made by this run
        assert by_line[line]["verdict"] == "safe", by_line[line]
    truncate = by_line["0002_next.up.sql:7"]  # a new relfilenode, yet no copy
    assert not truncate["touches"][0]["rewrite"] and truncate["estimated_seconds"] is None
    dropped = by_line["0002_next.up.sql:8"]  # gone by the end: named from before it ran
    assert dropped["touches"][0]["table"] == "public.child"
    assert dropped["touches"][0]["note"] == "dropped"
    assert dropped["verdict"] == "blocks reads and writes"
    conc = by_line["0003_conc.up.sql:2"]
    assert conc["touches"][0]["how"] == "rules"
    assert conc["touches"][0]["lock"] == "ShareUpdateExclusiveLock"
    assert conc["verdict"] == "safe" and conc["estimated_seconds"] > 0
    # nothing was applied to the live database, and the scratch database is gone
    assert query(cli.url, "SELECT count(*) FROM sqlmig_history")[0][0] == 1
    assert (
        query(cli.url, "SELECT count(*) FROM pg_class WHERE relname IN ('fresh', 'big_a')")[0][0]
        == 0
    )
    leftover = query(
        cli.url,
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'sqlmig\\_t\\_plan\\_scratch%'",
    )
    assert leftover[0][0] == 0


def test_up_plan_prints_the_plan_applies_nothing_and_never_waits_for_the_lock(
    live, tmp_path
) -> None:
    from sqlmig.drivers import connect
    from sqlmig.urls import parse_url

    cli = folder(live, tmp_path, "ALTER TABLE big ALTER COLUMN b TYPE bigint;\n")
    holder = connect(parse_url(cli.url), table="sqlmig_history")
    try:
        with holder.lock(5):  # another runner holds the migration lock
            proc = cli("--lock-timeout", "1", "up", "--plan")
    finally:
        holder.close()
    assert proc.returncode == 0, describe(proc)
    assert (
        "0002_next.up.sql:1 (0002_next): ALTER TABLE big ALTER COLUMN b TYPE bigint" in proc.stdout
    )
    rows = r"~(9,9\d\d|10,0\d\d),\d{3} rows"  # ANALYZE's estimate
    shown = r"public\.big: AccessExclusiveLock, rewrites the table \(traced\); " + rows
    assert re.search(shown, proc.stdout), proc.stdout
    assert "verdict: blocks reads and writes for about" in proc.stdout
    assert "times are estimates" in proc.stdout
    assert query(cli.url, "SELECT count(*) FROM sqlmig_history")[0][0] == 1


WRITER = """
import sys, psycopg
conn = psycopg.connect(sys.argv[1], application_name="writer19")
conn.execute("UPDATE big SET a = a WHERE id = 7 /* token-8f3e */")
print("holding", conn.info.backend_pid, flush=True)
sys.stdin.readline()
conn.commit()
print("committed", flush=True)
"""


def test_plan_names_the_sessions_it_would_queue_behind_but_not_their_queries(
    live, tmp_path
) -> None:
    cli = folder(live, tmp_path, "ALTER TABLE big ADD CONSTRAINT b_small CHECK (b < 1000);\n")
    (cli.folder / "0003_conc.up.sql").write_text(
        "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY big_b ON big (b);\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, cli.url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdin is not None
        first = writer.stdout.readline().split()
        assert first[0] == "holding", first
        pid = int(first[1])
        time.sleep(1.1)  # its transaction age shows in whole seconds
        proc = cli("plan")
        assert proc.returncode == 0, describe(proc)
        line = next(s for s in proc.stdout.splitlines() if f"session pid {pid} " in s)
        assert "writer19" in line and "idle in transaction" in line, line
        assert "holds RowExclusiveLock" in line and "running UPDATE" in line, line
        assert "token-8f3e" not in proc.stdout  # never the query's text
        assert "waits behind 1 session(s) first" in proc.stdout
        # CONCURRENTLY blocks no one, but waits for the writer's transaction to end first
        assert "big: first waits for 1 session(s) to end their transactions" in proc.stdout
        entries = plan_json(cli)
        (blocker,) = entries[0]["tables"]["public.big"]["blockers"]
        assert blocker["pid"] == pid and blocker["xact_age_s"] >= 1
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "committed"  # the writer was never blocked
    finally:
        writer.kill() if writer.poll() is None else None
        writer.wait(10)
    assert writer.returncode in (0, -9)


def test_preflight_refuses_nulls_in_the_big_table_before_any_lock(live, tmp_path) -> None:
    cli = folder(live, tmp_path, """\
        CREATE INDEX big_b ON big (b);
        ALTER TABLE big ALTER COLUMN a SET NOT NULL;
        """)  # fmt: skip
    # a generous limit: this is about the refusal (the limit is the second half's), and a
    # loaded machine scanned 10 million rows in over 5 s
    proc = cli("up", "--preflight", "--preflight-timeout", "120")
    assert proc.returncode == 9, describe(proc)
    said = re.search(
        r"0002_next.up.sql:2: a SET NOT NULL on big: 10 rows; id = ([0-9, ]+)", proc.stderr
    )
    assert said is not None, describe(proc)
    keys = [int(k) for k in said[1].split(",")]  # up to 5 of the NULL rows, in no fixed order
    assert 1 <= len(keys) <= 5 and all(k % 1000000 == 0 for k in keys), keys
    assert "nothing was applied" in proc.stderr
    assert "Database:" not in proc.stderr  # refused before up connected or took its lock
    assert query(cli.url, "SELECT count(*) FROM sqlmig_history")[0][0] == 1
    # a check that hits its time limit is skipped, never passed
    proc = cli("preflight", "--preflight-timeout", "0.05")
    assert proc.returncode == 0, describe(proc)
    assert "a SET NOT NULL on big: skipped: timed out after 0.05 s" in proc.stdout
    assert "1 skipped or not checked: not known to pass" in proc.stdout


PRECHECKS = """\
ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id);
ALTER TABLE child ADD CONSTRAINT child_code UNIQUE (code);
ALTER TABLE child ALTER COLUMN qty TYPE smallint USING qty::smallint;
ALTER TABLE child ADD CONSTRAINT child_price CHECK (price > 0);
ALTER TABLE child ALTER COLUMN code TYPE varchar(5);
ALTER TABLE child ADD COLUMN note text NOT NULL;
ALTER TABLE child ADD CONSTRAINT later FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
ALTER TABLE child ADD CONSTRAINT fine CHECK (id > 0);
"""


def test_each_precheck_names_its_table_count_and_primary_keys(live, tmp_path) -> None:
    cli = folder(live, tmp_path, PRECHECKS)
    proc = cli("up", "--preflight")
    assert proc.returncode == 9, describe(proc)
    err = proc.stderr
    assert (
        "sql:1: FOREIGN KEY (parent_id) on child: 2 rows reference no row of parent; id = 2, 4"
        in err
    )
    assert "sql:2: UNIQUE (code) on child: 2 rows share a value with another row; id = 1, 3" in err
    assert "0002_next.up.sql:3: qty TYPE SMALLINT on child: 2 rows do not cast; id = 2, 3" in err
    assert "0002_next.up.sql:4: CHECK (price > 0) on child: 1 rows; id = 2" in err
    assert (
        "sql:5: code TYPE VARCHAR(5) on child: 1 rows are longer than 5 characters; id = 4" in err
    )
    assert "0002_next.up.sql:6: ADD COLUMN note NOT NULL without a default on child: 4 rows" in err
    assert "ccccccc" not in err and "x2" not in err  # keys only, never other data
    assert ":7:" not in err  # NOT VALID: nothing to check
    assert "0002_next.up.sql:8: CHECK (id > 0) on child: passed" in err
    out = json.loads(cli("--json", "preflight").stdout)
    assert [e["status"] for e in out["entries"]] == ["failed"] * 6 + ["passed"]


def test_a_backfill_before_set_not_null_skips_the_check_instead_of_refusing(live, tmp_path) -> None:
    cli = folder(live, tmp_path, """\
        UPDATE child SET parent_id = 1 WHERE parent_id IS NULL;
        ALTER TABLE child ALTER COLUMN parent_id SET NOT NULL;
        ALTER TABLE parent ADD CONSTRAINT small CHECK (id < 100);
        """)  # fmt: skip
    proc = cli("preflight")
    assert proc.returncode == 0, describe(proc)
    assert (
        "0002_next.up.sql:2: parent_id SET NOT NULL on child: skipped: 0002_next.up.sql:1 "
        "changes rows first" in proc.stdout.replace(str(cli.folder) + "/", "")
    )
    assert "CHECK (id < 100) on parent: passed" in proc.stdout


ODD_INIT = """\
CREATE SCHEMA "Sales.EU";
CREATE TABLE "Sales.EU"."Order Items" ("Id" int PRIMARY KEY, "Qty" text, note text);
"""
ODD_NEXT = """\
BEGIN;
SET search_path = "Sales.EU";
ALTER TABLE "Sales.EU"."Order Items" ALTER COLUMN "Qty" SET NOT NULL;
ALTER TABLE "Order Items" ADD CONSTRAINT even CHECK ("Id" % 2 = 0);
COPY "Order Items" FROM stdin;
9\t9\tz
\\.
UPDATE "Sales.EU"."Order Items" SET note = 'x' WHERE note IS NULL;
ALTER TABLE "Sales.EU"."Order Items" ALTER COLUMN note SET NOT NULL;
COMMIT;
"""


def test_odd_names_a_files_own_transaction_and_data_statements(
    pg_url: str, migrations: Path
) -> None:
    from tests.conftest import write

    cli = Cli(pg_url, migrations)
    write(migrations, "0001_init", ODD_INIT)
    cli.ok("up")
    execute(
        pg_url, """INSERT INTO "Sales.EU"."Order Items" VALUES (1, NULL, NULL), (2, '5', NULL)"""
    )
    write(migrations, "0002_next", ODD_NEXT)
    proc = cli("preflight")
    assert proc.returncode == 9, describe(proc)
    out = proc.stdout.replace(str(migrations) + "/", "")
    assert '0002_next.up.sql:3: Qty SET NOT NULL on "Sales.EU"."Order Items": 1 rows; Id = 1' in out
    # the file's SET search_path applies: the unqualified name is the same table
    assert '0002_next.up.sql:4: CHECK ("Id" % 2 = 0) on "Order Items": 1 rows; Id = 1' in out
    # after the COPY and the UPDATE, the live rows no longer tell
    assert "0002_next.up.sql:9: note SET NOT NULL" in out and "changes rows first" in out
    entries = plan_json(cli)
    lines = {e["where"].rsplit(":", 1)[1]: e for e in entries}
    assert lines["1"]["touches"] == [] and lines["10"]["touches"] == []  # BEGIN, COMMIT
    assert lines["3"]["touches"][0]["table"] == '"Sales.EU"."Order Items"'
    assert lines["3"]["tables"]['"Sales.EU"."Order Items"']["exists"]
    assert lines["5"]["touches"][0]["lock"] == "RowExclusiveLock"  # the COPY, from rules
    assert lines["9"]["touches"][0]["lock"] == "AccessExclusiveLock"  # traced after the rest
    assert query(pg_url, "SELECT count(*) FROM sqlmig_history")[0][0] == 1


LOCKER = """
import sys, psycopg
conn = psycopg.connect(sys.argv[1], application_name="locker19")
conn.execute("LOCK TABLE parent IN ACCESS EXCLUSIVE MODE")
print("locked", conn.info.backend_pid, flush=True)
sys.stdin.readline()
"""


def test_plan_still_names_a_holder_of_access_exclusive_and_estimates_the_size(
    live, tmp_path
) -> None:
    cli = folder(live, tmp_path, "ALTER TABLE parent ADD COLUMN note text;\n")
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, cli.url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert locker.stdout is not None and locker.stdin is not None
        first = locker.stdout.readline().split()
        assert first[0] == "locked", first
        proc = cli("plan")
        locker.stdin.write("\n")
        locker.stdin.flush()
    finally:
        locker.wait(10) if locker.poll() is None else None
    assert proc.returncode == 0, describe(proc)
    # pg_total_relation_size waits behind the lock: the size comes from pg_class instead
    assert (
        "public.parent: AccessExclusiveLock (traced); ~10 rows, 8.0 kB (size from pg_class"
        in proc.stdout
    )
    assert f"session pid {first[1]} (locker19, idle in transaction" in proc.stdout
    assert "holds AccessExclusiveLock; running LOCK" in proc.stdout

"""Up / down / redo / baseline / repair round trips on real SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig import config
from sqlmig.errors import DriftError, FailedStateError, MigrationFailed, UsageError
from sqlmig.migrator import Migrator
from tests.conftest import execute, query, write

LIBRARY = [
    (
        "0001_authors",
        "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        "DROP TABLE authors;",
    ),
    (
        "0002_books",
        "CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER "
        "REFERENCES authors (id) ON DELETE CASCADE);\n"
        "CREATE INDEX books_author ON books (author_id);",
        "DROP TABLE books;",
    ),
    (
        "0003_isbn",
        "ALTER TABLE books ADD COLUMN isbn VARCHAR(13);",
        "ALTER TABLE books DROP COLUMN isbn;",
    ),
]


def migrator(url: str, folder: Path, **flags: object) -> Migrator:
    cfg = config.load({"url": url, "dir": str(folder), **flags}, environ={}, cwd=folder)
    return Migrator(cfg)


def library(folder: Path) -> None:
    for label, up, down in LIBRARY:
        write(folder, label, up, down)


def tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        rows = query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r[0] for r in rows}


def history(url: str, table: str = "sqlmig_history") -> list[tuple]:
    return query(url, f'SELECT version, name, status FROM "{table}" ORDER BY version')


def events(url: str) -> list[tuple]:
    return query(url, "SELECT version, event, outcome FROM sqlmig_history_log ORDER BY id")


def test_up_down_up(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    result = m.up()
    assert [s.label for s in result.steps] == ["0001_authors", "0002_books", "0003_isbn"]
    assert history(db_url) == [
        (1, "authors", "applied"),
        (2, "books", "applied"),
        (3, "isbn", "applied"),
    ]
    stored = query(db_url, "SELECT down_sql, checksum FROM sqlmig_history WHERE version = 3")
    assert stored[0][0] == "ALTER TABLE books DROP COLUMN isbn;"
    assert stored[0][1].startswith("sha256:")
    assert m.current().current == "0003_isbn"

    down = m.down(steps=2)
    assert [s.label for s in down.steps] == ["0003_isbn", "0002_books"]
    assert "books" not in tables(db_url)
    assert history(db_url) == [(1, "authors", "applied")]
    assert m.up().current == "0003_isbn"
    assert [e[1] for e in events(db_url)] == ["up"] * 3 + ["down"] * 2 + ["up"] * 2
    assert m.up().steps == []  # nothing to do


def test_redo_reverts_and_reapplies_the_newest(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up()
    result = m.redo()
    assert [(s.label, s.direction) for s in result.steps] == [
        ("0003_isbn", "down"),
        ("0003_isbn", "up"),
    ]
    assert [e[1] for e in events(db_url)][-2:] == ["down", "up"]
    assert len(history(db_url)) == 3


def test_failing_statement_mid_file_leaves_no_trace(db_url: str, migrations: Path) -> None:
    library(migrations)
    write(
        migrations,
        "0004_bad",
        "CREATE TABLE half (x INTEGER);\n"
        "INSERT INTO half VALUES (1);\n\nINSERT INTO no_such_table VALUES (1);\n",
        "",
    )
    m = migrator(db_url, migrations)
    with pytest.raises(MigrationFailed) as caught:
        m.up()
    assert "0004_bad.up.sql:4:" in caught.value.message
    assert "half" not in tables(db_url)
    assert [r[0] for r in history(db_url)] == [1, 2, 3]  # the earlier ones stay applied
    assert events(db_url)[-1] == (4, "up", "failed")


def test_runtime_error_is_located_by_line(pg_url: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_div",
        "CREATE TABLE t (x INTEGER);\nSELECT 1;\nINSERT INTO t VALUES "
        "(1);\nINSERT INTO t VALUES (\n  1 / 0);\n",
    )
    with pytest.raises(MigrationFailed) as caught:
        migrator(pg_url, migrations).up()
    assert "0001_div.up.sql:4:1: division by zero" in caught.value.message


def test_server_detail_and_hint_reach_the_message(pg_url: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_dup",
        "CREATE TABLE t (x int UNIQUE);\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (1);\n",
    )
    write(migrations, "0002_fn", "SELECT 1;\n  SELECT no_such_fn(1, 2);\n")
    with pytest.raises(MigrationFailed) as dup:
        migrator(pg_url, migrations).up()
    assert "0001_dup.up.sql:4:1: duplicate key value" in dup.value.message
    assert "detail: Key (x)=(1) already exists." in dup.value.message
    write(migrations, "0001_dup", "CREATE TABLE t (x int UNIQUE);\n")
    with pytest.raises(MigrationFailed) as fn:
        migrator(pg_url, migrations).up()
    assert "0002_fn.up.sql:2:10: function no_such_fn(integer, integer) does not exist" in (
        fn.value.message
    )
    assert "server hint: No function matches" in fn.value.message


def test_single_transaction_is_all_or_nothing(db_url: str, migrations: Path) -> None:
    library(migrations)
    write(migrations, "0004_bad", "INSERT INTO authors (id) VALUES (1);")  # NOT NULL name
    m = migrator(db_url, migrations)
    with pytest.raises(MigrationFailed) as caught:
        m.up(single_transaction=True)
    assert "none of the 4 migrations ran" in caught.value.message
    assert history(db_url) == []
    assert "authors" not in tables(db_url)


def test_up_to_and_steps(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    assert [s.version for s in m.up(steps=1).steps] == [1]
    assert [s.version for s in m.up(to=2).steps] == [2]
    assert [s.version for s in m.up().steps] == [3]
    assert [s.version for s in m.down(to=1).steps] == [3, 2]
    assert [s.version for s in m.down(all_=True).steps] == [1]
    assert tables(db_url) == {"sqlmig_history", "sqlmig_history_log"}


def test_dry_run_changes_nothing(db_url: str, migrations: Path) -> None:
    library(migrations)
    result = migrator(db_url, migrations).up(dry_run=True)
    assert [s.sql for s in result.steps] == [up for _, up, _ in LIBRARY]
    assert tables(db_url) == set()


def test_drift_stops_up_and_repair_accepts_it(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up(to=2)
    write(migrations, "0001_authors", LIBRARY[0][1] + "\n-- edited\n", LIBRARY[0][2])
    with pytest.raises(DriftError) as caught:
        m.up()
    assert "0001_authors.up.sql was edited" in caught.value.message
    assert [r[0] for r in history(db_url)] == [1, 2]  # 3 was not applied
    assert m.status().rows[0].state == "edited"
    [said] = m.repair().messages
    assert said.startswith("re-recorded 0001_authors: checksum sha256:"), said
    assert [s.version for s in m.up().steps] == [3]
    assert "repair" in {e[1] for e in events(db_url)}


def test_line_endings_and_bom_are_not_drift(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up()
    path = migrations / "0002_books.up.sql"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    m.validate()  # raises on drift
    assert m.up().steps == []


def test_missing_file_is_drift(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up()
    (migrations / "0002_books.up.sql").unlink()
    (migrations / "0002_books.down.sql").unlink()
    with pytest.raises(DriftError, match="missing"):
        m.up()
    assert [r.state for r in m.status().rows] == ["applied", "missing", "applied"]


def test_down_uses_the_stored_sql_when_files_are_gone(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up()
    for suffix in ("up", "down"):  # an older container image without 0003
        (migrations / f"0003_isbn.{suffix}.sql").unlink()
    result = m.down()
    assert [s.version for s in result.steps] == [3]
    assert [r[0] for r in history(db_url)] == [1, 2]


def test_edited_down_file_is_refused_without_allow_drift(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up()
    (migrations / "0003_isbn.down.sql").write_text("SELECT 1;", "utf-8")
    with pytest.raises(DriftError, match=r"0003_isbn\.down\.sql differs"):
        m.down()
    assert len(history(db_url)) == 3
    m.down(allow_drift=True)  # runs the file on disk: a no-op, so isbn stays
    assert len(history(db_url)) == 2


def test_irreversible_migration_is_refused_by_name(db_url: str, migrations: Path) -> None:
    write(migrations, "0001_once", "CREATE TABLE once (x INTEGER);")
    m = migrator(db_url, migrations)
    m.up()
    with pytest.raises(UsageError, match="0001_once is irreversible"):
        m.down()


def test_baseline_adopts_an_existing_database(db_url: str, migrations: Path) -> None:
    library(migrations)
    m = migrator(db_url, migrations)
    m.up(to=2, dry_run=False)
    with pytest.raises(UsageError, match="already has"):
        m.baseline(2)
    m.down(all_=True)
    m_hist = history(db_url)
    assert m_hist == []
    for _label, up, _down in LIBRARY[:2]:  # the schema exists, made by hand
        execute(db_url, up)
    result = m.baseline(2)
    assert [s.version for s in result.steps] == [1, 2]
    assert [s.version for s in m.up().steps] == [3]
    assert events(db_url)[-3:] == [(1, "baseline", "ok"), (2, "baseline", "ok"), (3, "up", "ok")]


def test_no_transaction_failure_needs_repair(db_url: str, migrations: Path) -> None:
    write(
        migrations,
        "0001_nt",
        "-- sqlmig:no-transaction\nCREATE TABLE nt (x INTEGER);\n"
        "INSERT INTO missing VALUES (1);\nCREATE TABLE nt2 (x INTEGER);\n",
    )
    m = migrator(db_url, migrations)
    with pytest.raises(MigrationFailed, match="statement 2 of 3"):
        m.up()
    assert query(db_url, "SELECT status, statements_done FROM sqlmig_history") == [("failed", 1)]
    assert "nt" in tables(db_url)  # the first statement stays: that is what no-transaction means
    with pytest.raises(FailedStateError):
        m.up()
    assert m.repair().messages[0].startswith("cleared the failed state of 0001_nt;")
    execute(db_url, "DROP TABLE nt")
    write(migrations, "0001_nt", "-- sqlmig:no-transaction\nCREATE TABLE nt (x INTEGER);\n")
    assert [s.version for s in m.up().steps] == [1]
    assert query(db_url, "SELECT status, statements_done FROM sqlmig_history") == [("applied", 1)]


def test_create_index_concurrently_in_a_no_transaction_file(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (x INTEGER);", "DROP TABLE t;")
    write(
        migrations,
        "0002_idx",
        "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY t_x ON t (x);",
        "-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY t_x;",
    )
    m = migrator(pg_url, migrations)
    m.up()
    assert query(pg_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_x'::regclass") == [
        (True,)
    ]
    m.down()
    assert query(pg_url, "SELECT to_regclass('t_x')") == [(None,)]


def test_commit_inside_a_file_is_recorded_as_failed(db_url: str, migrations: Path) -> None:
    write(
        migrations, "0001_c", "CREATE TABLE c1 (x INTEGER);\nCOMMIT;\nCREATE TABLE c2 (x INTEGER);"
    )
    m = migrator(db_url, migrations)
    with pytest.raises(MigrationFailed, match="ended sqlmig's transaction"):
        m.up()
    assert query(db_url, "SELECT status FROM sqlmig_history") == [("failed",)]
    with pytest.raises(FailedStateError):
        m.up()


def test_out_of_order_needs_permission(db_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (x INTEGER);")
    write(migrations, "0003_c", "CREATE TABLE c (x INTEGER);")
    m = migrator(db_url, migrations)
    m.up()
    write(migrations, "0002_b", "CREATE TABLE b (x INTEGER);")
    with pytest.raises(UsageError, match="0002_b"):
        m.up()
    assert [s.version for s in m.up(allow_out_of_order=True).steps] == [2]


def test_hostile_and_schema_qualified_history_tables(db_url: str, migrations: Path) -> None:
    library(migrations)
    hostile = "h'ist\"; DROP TABLE authors; --"
    m = migrator(db_url, migrations, table=hostile)
    m.up()
    assert len(history(db_url, hostile.replace('"', '""'))) == 3
    assert "authors" in tables(db_url)
    assert migrator(db_url, migrations, table=hostile).status().current == "0003_isbn"


def test_schema_qualified_table_on_postgres(pg_url: str, migrations: Path) -> None:
    library(migrations)
    migrator(pg_url, migrations, table="ops.migrations").up()
    assert query(pg_url, "SELECT count(*) FROM ops.migrations") == [(3,)]
    assert query(pg_url, "SELECT count(*) FROM ops.migrations_log") == [(3,)]


def test_only_the_last_commit_of_a_run_waits_for_the_disk(pg_url: str, migrations: Path) -> None:
    """Earlier commits skip the fsync; the last one's flush covers them (the log is ordered).

    The setting applies at COMMIT only (the file itself runs with the session's own), so a
    deferred constraint trigger, which fires during COMMIT, is what sees it."""
    write(
        migrations,
        "0001_ledger",
        "CREATE TABLE sync_seen (v int, setting text);\n"
        "CREATE TABLE probe (v int);\n"
        "CREATE FUNCTION seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO public.sync_seen VALUES (NEW.v, current_setting('synchronous_commit')); "
        "RETURN NULL; END $$;\n"
        "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON probe DEFERRABLE INITIALLY "
        "DEFERRED FOR EACH ROW EXECUTE FUNCTION public.seen();\n",
    )
    for v in (2, 3, 4):
        write(migrations, f"000{v}_x", f"INSERT INTO probe VALUES ({v});")
    migrator(pg_url, migrations).up()
    assert query(pg_url, "SELECT v, setting FROM sync_seen ORDER BY v") == [
        (2, "off"),
        (3, "off"),
        (4, "on"),
    ]
    write(
        migrations,
        "0005_x",
        "INSERT INTO sync_seen VALUES (5, current_setting('synchronous_commit'));",
    )
    migrator(pg_url, migrations).up(steps=1)  # a run of one: durable
    assert query(pg_url, "SELECT setting FROM sync_seen WHERE v = 5") == [("on",)]

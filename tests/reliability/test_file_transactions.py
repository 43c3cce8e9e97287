"""Transactions a file opens or ends itself, and messages that must be true.

- A no-transaction file that BEGINs and never COMMITs: rolled back, recorded as failed, and
  said so (not "applied" with the row left `running`).
- BEGIN ... failing statement ... COMMIT in a no-transaction file: the real error is shown and
  the statements of the file's transaction are said to be rolled back.
- --single-transaction on PostgreSQL: a plain error leaves nothing (exit 1, not 5); a first
  statement that returns text is fine; a file's own COMMIT is found, and what it committed is
  recorded.
- RESET ALL in a transactional file is not mistaken for the file's own COMMIT.
- A failed CREATE INDEX CONCURRENTLY: the INVALID index is named, with the statement to drop
  it; status and validate report it.
- --retries applies to no-transaction statements; error positions in such files are exact.
- A LATIN1 database and a character it cannot store: file:line, not an internal error.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import PG_URL, _with_db, clean_env, execute, query, sqlmig, write
from tests.reliability.harness import args, fault, history_rows, is_mysql, ledger_counts

pytestmark = pytest.mark.timeout(90)
NO_TX = "-- sqlmig:no-transaction\n"


def _begin(url: str) -> str:
    return "START TRANSACTION;\n" if is_mysql(url) else "BEGIN;\n"


def test_a_transaction_the_file_never_ends_is_rolled_back_and_said(
    ledger_any: str, migrations: Path
) -> None:
    url = ledger_any
    body = "INSERT INTO ledger VALUES (1);\n" + _begin(url) + "INSERT INTO ledger VALUES (2);\n"
    write(migrations, "0001_open", NO_TX + body)
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "never ended it" in done.stderr and "0001_open.up.sql:3:1" in done.stderr, done.stderr
    assert "1 statement(s) before it ran and stay applied" in done.stderr, done.stderr
    assert ledger_counts(url) == {1: 1}  # the first INSERT stays; the second rolled back
    assert history_rows(url) == {1: "failed"}


def test_the_real_error_inside_the_files_transaction_is_shown(
    ledger_any: str, migrations: Path
) -> None:
    url = ledger_any
    body = (
        _begin(url) + "INSERT INTO ledger VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\nCOMMIT;\n"
    )
    write(migrations, "0001_tx", NO_TX + body)
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "no_such_table" in done.stderr and "0001_tx.up.sql:4:" in done.stderr, done.stderr
    assert "were rolled back" in done.stderr and "0 statement(s) ran" in done.stderr
    assert ledger_counts(url) == {}
    assert history_rows(url) == {1: "failed"}


def test_a_transaction_the_file_ends_itself_counts_as_done(
    ledger_any: str, migrations: Path
) -> None:
    url = ledger_any
    body = _begin(url) + "INSERT INTO ledger VALUES (1);\nCOMMIT;\nINSERT INTO ledger VALUES (2);\n"
    write(migrations, "0001_tx", NO_TX + body)
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 0, done.stderr
    assert ledger_counts(url) == {1: 1, 2: 1}
    assert history_rows(url) == {1: "applied"}


def test_single_transaction_plain_error_leaves_nothing(ledger_db: str, migrations: Path) -> None:
    url = ledger_db
    write(migrations, "0001_a", "SELECT 'text first';\nINSERT INTO ledger VALUES (1);\n")
    write(migrations, "0002_b", "SELECT 'text';\nINSERT INTO ledger VALUES (2);\n")
    write(migrations, "0003_c", "INSERT INTO ledger VALUES (3);\nINSERT INTO nope VALUES (1);\n")
    done = sqlmig(*args(url, migrations, "up", "--single-transaction"))
    assert done.returncode == 1, done.stderr
    assert "none of the 3 migrations ran" in done.stderr, done.stderr
    assert ledger_counts(url) == {} and history_rows(url) == {}
    (migrations / "0003_c.up.sql").write_text("INSERT INTO ledger VALUES (3);\n")
    ok = sqlmig(*args(url, migrations, "up", "--single-transaction"))
    assert ok.returncode == 0, ok.stderr
    assert history_rows(url) == {1: "applied", 2: "applied", 3: "applied"}


def test_single_transaction_finds_a_files_own_commit(ledger_db: str, migrations: Path) -> None:
    url = ledger_db
    write(migrations, "0001_a", "INSERT INTO ledger VALUES (1);\n")
    write(migrations, "0002_b", "INSERT INTO ledger VALUES (2);\nCOMMIT;\nBEGIN;\n")
    write(migrations, "0003_c", "INSERT INTO ledger VALUES (3);\n")
    done = sqlmig(*args(url, migrations, "up", "--single-transaction"))
    assert done.returncode == 1, done.stderr
    assert "0002_b" in done.stderr and "COMMIT" in done.stderr, done.stderr
    assert ledger_counts(url) == {1: 1, 2: 1}  # what the file's COMMIT committed, and no more
    assert history_rows(url) == {1: "applied", 2: "failed"}


def test_reset_all_in_a_file_is_not_its_own_commit(pg_url: str, migrations: Path) -> None:
    write(
        migrations, "0001_reset", "CREATE TABLE r (a int);\nRESET ALL;\nINSERT INTO r VALUES (1);\n"
    )
    write(migrations, "0002_next", "INSERT INTO r VALUES (2);\n")
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 0, done.stderr
    assert query(pg_url, "SELECT count(*) FROM r") == [(2,)]


def test_a_failed_concurrent_index_build_is_named(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_dups", "CREATE TABLE d (a int);\nINSERT INTO d VALUES (1), (1);\n")
    write(
        migrations,
        "0002_ix",
        NO_TX + "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS d_a ON d (a);\n",
    )
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "INVALID index(es) public.d_a" in done.stderr, done.stderr
    assert "DROP INDEX CONCURRENTLY public.d_a" in done.stderr
    # the way the hint of a failed row leads: repair, then up again; IF NOT EXISTS skips it
    assert sqlmig(*args(pg_url, migrations, "repair")).returncode == 0
    assert sqlmig(*args(pg_url, migrations, "up")).returncode == 0
    status = sqlmig(*args(pg_url, migrations, "status"))
    assert "INVALID index(es)" in status.stdout and "public.d_a" in status.stdout, status.stdout
    validate = sqlmig(*args(pg_url, migrations, "validate"))
    assert validate.returncode == 1 and "public.d_a" in validate.stderr, validate.stderr


def test_error_positions_in_no_transaction_files_are_exact(
    ledger_any: str, migrations: Path
) -> None:
    url = ledger_any
    body = (
        NO_TX
        + "-- a comment\n-- another\nINSERT INTO ledger VALUES (1);\n"
        + "/* a block\n comment */\n\nINSERT INTO ledger VALUES (1, 2, 3);\n"
    )
    write(migrations, "0001_pos", body)
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "0001_pos.up.sql:8:" in done.stderr, done.stderr


def test_retries_apply_to_no_transaction_statements(ledger_pg: str, migrations: Path) -> None:
    """The table lock is released only once sqlmig reported its first retry (not after a fixed
    time, which a slow start under load could outlast): the retry is certain, then it succeeds."""
    url = ledger_pg
    write(migrations, "0001_add", NO_TX + "ALTER TABLE ledger ADD COLUMN note text;\n")
    import psycopg

    holder = psycopg.connect(url)
    holder.execute("LOCK TABLE ledger IN ACCESS SHARE MODE")  # blocks the ALTER
    argv = args(url, migrations, "up", "--statement-lock-timeout", "0.5", "--retries", "3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        for line in proc.stderr:  # ends when sqlmig exits (a safety net, not a timing)
            seen.append(line)
            if "retry 1 of 3" in line:
                holder.rollback()
                break
    finally:
        holder.rollback()
        holder.close()
        _out, err = proc.communicate(timeout=120)
    stderr = "".join(seen) + err
    assert proc.returncode == 0, stderr
    assert "retry 1 of 3" in stderr, stderr


@pytest.fixture
def latin1_url() -> object:
    import psycopg

    from tests.conftest import require_pg

    require_pg()
    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    try:
        yield _with_db(PG_URL, name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_character_the_database_cannot_store_is_named(latin1_url: str, migrations: Path) -> None:
    write(migrations, "0001_ok", "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('café');\n")
    write(migrations, "0002_euro", "-- costs in €\nINSERT INTO t VALUES ('x');\n")
    done = sqlmig(*args(latin1_url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr
    assert "0002_euro.up.sql:1:" in done.stderr and "LATIN1" in done.stderr, done.stderr
    assert query(latin1_url, "SELECT a FROM t") == [("café",)]
    execute(latin1_url, "SELECT 1")
    time.sleep(0)


@pytest.mark.parametrize("kind", ["pg", "mysql"])  # SQLite has no COMMIT AND CHAIN
def test_commit_and_chain_counts_what_it_committed(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    """COMMIT AND CHAIN ends the file's transaction and opens the next at once: what it
    committed stays applied and is counted, what came after it is rolled back."""
    url = request.getfixturevalue(f"ledger_{kind}")
    body = (
        _begin(url) + "INSERT INTO ledger VALUES (1);\nCOMMIT AND CHAIN;\n"
        "INSERT INTO ledger VALUES (2);\n"
    )
    write(migrations, "0001_chain", NO_TX + body)
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert ledger_counts(url) == {1: 1}
    assert "3 statement(s) before it ran and stay applied" in done.stderr, done.stderr
    assert "0001_chain.up.sql:4:1" in done.stderr, done.stderr  # where the open one began
    assert history_rows(url) == {1: "failed"}


def _sabotage(url: str) -> str:
    """A trigger a migration puts on the history table, deleting each row sqlmig inserts."""
    if url.startswith("sqlite"):
        return (
            "CREATE TRIGGER eat AFTER INSERT ON sqlmig_history BEGIN "
            "DELETE FROM sqlmig_history WHERE version = NEW.version; END;\n"
        )
    return (
        "CREATE FUNCTION eat() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM public.sqlmig_history WHERE version = NEW.version; RETURN NULL; END $$;\n"
        "CREATE TRIGGER eat AFTER INSERT ON public.sqlmig_history "
        "FOR EACH ROW EXECUTE FUNCTION eat();\n"
    )


@pytest.mark.parametrize("no_tx", [False, True], ids=["transaction", "no-transaction"])
def test_a_trigger_that_eats_history_rows_is_no_success(
    ledger_db: str, migrations: Path, no_tx: bool
) -> None:
    url = ledger_db
    write(migrations, "0001_first", "INSERT INTO ledger VALUES (1);\n")
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    head = NO_TX if no_tx else ""
    write(migrations, "0002_eat", head + _sabotage(url) + "INSERT INTO ledger VALUES (2);\n")
    write(migrations, "0003_next", head + "INSERT INTO ledger VALUES (3);\n")
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode != 0, done.stderr  # never "applied" while nothing is recorded
    assert "matched 0 rows instead of 1" in done.stderr, done.stderr
    if no_tx:  # 0002's own row was written before its trigger existed; 0003's is eaten
        assert "applied 0002_eat" in done.stderr and "applied 0003" not in done.stderr
    else:  # in a transaction 0002 rolled back whole: trigger, ledger row and all
        assert ledger_counts(url) == {1: 1}
        assert history_rows(url) == {1: "applied"}


def test_a_read_only_transaction_left_by_a_file_is_named(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_ro", "CREATE TABLE ro (a int);\nSET transaction_read_only = on;\n")
    done = sqlmig(*args(pg_url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "0001_ro (up) was rolled back" in done.stderr, done.stderr
    assert "read-only" in done.stderr and "INSERT INTO" not in done.stderr, done.stderr
    assert query(pg_url, "SELECT to_regclass('public.ro') IS NULL") == [(True,)]


def test_repair_after_a_failed_down_keeps_the_migration_applied(
    ledger_any: str, migrations: Path
) -> None:
    """A statement-by-statement down that fails, then `repair` as its hint says: the up is
    still applied, so the row goes back to applied; the next `up` must not apply it again."""
    url = ledger_any
    head = "" if is_mysql(url) else NO_TX
    write(
        migrations,
        "0001_once",
        "INSERT INTO ledger VALUES (1);\n",
        head + "DELETE FROM no_such_table;\nDELETE FROM ledger WHERE version = 1;\n",
    )
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    down = sqlmig(*args(url, migrations, "down"))
    assert down.returncode == 1, down.stderr
    assert "`sqlmig repair` (the migration is applied again" in down.stderr, down.stderr
    repaired = sqlmig(*args(url, migrations, "repair"))
    assert repaired.returncode == 0, repaired.stderr
    assert "marked applied again" in repaired.stdout, repaired.stdout
    assert history_rows(url) == {1: "applied"}
    again = sqlmig(*args(url, migrations, "up"))
    assert again.returncode == 0 and "applying" not in again.stderr, again.stderr
    assert ledger_counts(url) == {1: 1}


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_a_file_that_breaks_the_history_table_hears_what_stays(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    url = request.getfixturevalue(f"ledger_{kind}")
    head = "" if kind == "mysql" else NO_TX
    write(
        migrations,
        "0001_break",
        head + "INSERT INTO ledger VALUES (1);\nDROP TABLE sqlmig_history_log;\n",
    )
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode == 1, done.stderr
    assert "2 of 2 statement(s) ran and stay applied" in done.stderr, done.stderr
    assert "nothing of it was committed" not in done.stderr, done.stderr
    assert ledger_counts(url) == {1: 1}


@pytest.mark.parametrize("form", ["plain", "semicolon", "comment", "gtrid-bqual"])
def test_an_xa_branch_the_file_leaves_prepared_is_rolled_back(
    ledger_mysql: str, migrations: Path, form: str
) -> None:
    """ROLLBACK does not end an XA branch: left prepared it would keep its locks (and could be
    committed later) while sqlmig said it was rolled back."""
    url = ledger_mysql
    tag = f"sqlmig_t_{uuid.uuid4().hex[:8]}"
    xid = {
        "plain": f"'{tag}'",
        "semicolon": f"'{tag};1'",
        "comment": f"'{tag}'",
        "gtrid-bqual": f"'{tag}','b',7",
    }[form]
    start = "XA /* a comment */ START" if form == "comment" else "XA START"
    body = f"{start} {xid};\nINSERT INTO ledger VALUES (1);\nXA END {xid};\nXA PREPARE {xid};\n"
    write(migrations, "0001_xa", body)
    done = sqlmig(*args(url, migrations, "up"))
    try:
        assert done.returncode == 1, done.stderr
        assert "never ended it" in done.stderr and "rolled it back" in done.stderr, done.stderr
        prepared = [r for r in query(url, "XA RECOVER") if tag in str(r)]
        assert prepared == [], prepared
        assert ledger_counts(url) == {}
    finally:
        with contextlib.suppress(Exception):
            query(url, f"XA ROLLBACK {xid}")


def _history_trigger(url: str, kind: str) -> str:
    """A migration putting a trigger on the history table: `reinsert` puts a deleted row
    back; `force` makes every written row say applied."""
    if url.startswith("sqlite"):
        if kind == "reinsert":
            return (
                "CREATE TRIGGER back AFTER DELETE ON sqlmig_history BEGIN INSERT INTO "
                "sqlmig_history SELECT OLD.version, OLD.name, OLD.checksum, OLD.down_sql, "
                "OLD.down_checksum, OLD.status, OLD.applied_at, OLD.applied_by, "
                "OLD.duration_ms, OLD.statements_done, OLD.error; END;\n"
            )
        raise ValueError(kind)
    if url.startswith("mysql"):
        return (
            "CREATE TRIGGER f1 BEFORE INSERT ON sqlmig_history FOR EACH ROW "
            "SET NEW.status = 'applied';\n"
            "CREATE TRIGGER f2 BEFORE UPDATE ON sqlmig_history FOR EACH ROW "
            "SET NEW.status = 'applied';\n"
        )
    if kind == "reinsert":
        body = "INSERT INTO public.sqlmig_history SELECT OLD.*; RETURN NULL;"
        when = "AFTER DELETE"
    else:
        body = "NEW.status := 'applied'; RETURN NEW;"
        when = "BEFORE INSERT OR UPDATE"
    return (
        f"CREATE FUNCTION hist_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$;\n"
        f"CREATE TRIGGER hist_trg {when} ON public.sqlmig_history FOR EACH ROW "
        "EXECUTE FUNCTION hist_trg();\n"
    )


def test_a_trigger_that_puts_the_row_back_makes_down_fail(ledger_db: str, migrations: Path) -> None:
    url = ledger_db
    write(migrations, "0001_trg", _history_trigger(url, "reinsert"))
    write(migrations, "0002_t", "CREATE TABLE t2 (a int);\n", "DROP TABLE t2;\n")
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    down = sqlmig(*args(url, migrations, "down"))
    assert down.returncode == 1 and "matched 0 rows instead of 1" in down.stderr, down.stderr
    assert history_rows(url) == {1: "applied", 2: "applied"}  # true: the down rolled back
    assert query(url, "SELECT count(*) FROM t2") == [(0,)]


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_a_trigger_that_forces_applied_never_passes_for_it(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    url = request.getfixturevalue(f"ledger_{kind}")
    write(migrations, "0001_trg", _history_trigger(url, "force"))
    head = "" if kind == "mysql" else NO_TX
    write(
        migrations,
        "0002_half",
        head + "INSERT INTO ledger VALUES (2);\nINSERT INTO nope VALUES (1);\n",
    )
    done = sqlmig(*args(url, migrations, "up"))
    assert done.returncode != 0 and "matched 0 rows instead of 1" in done.stderr, done.stderr
    again = sqlmig(*args(url, migrations, "up"))
    assert again.returncode != 0, again.stderr  # never "nothing to apply" over a false row
    assert history_rows(url).get(2) != "applied"


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_repair_after_a_down_that_ran_whole_makes_it_pending(
    kind: str, request: pytest.FixtureRequest, migrations: Path
) -> None:
    """Killed after the down's last statement, before its history row went: the down is done,
    so repair makes the migration pending (not applied, which would be false)."""
    url = request.getfixturevalue(f"ledger_{kind}")
    head = "" if kind == "mysql" else NO_TX
    write(
        migrations,
        "0001_two",
        "CREATE TABLE t1a (a int);\nCREATE TABLE t1b (a int);\n",
        head + "DROP TABLE t1a;\nDROP TABLE t1b;\n",
    )
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    killed = sqlmig(*args(url, migrations, "down"), env=fault("after_statement:2:crash"))
    assert killed.returncode != 0
    repaired = sqlmig(*args(url, migrations, "repair"))
    assert repaired.returncode == 0 and "pending again" in repaired.stdout, repaired.stdout
    assert history_rows(url) == {}
    assert sqlmig(*args(url, migrations, "up")).returncode == 0
    assert history_rows(url) == {1: "applied"}


def test_a_folder_named_like_the_down_marker_fools_no_repair(
    ledger_pg: str, tmp_path: Path
) -> None:
    url = ledger_pg
    folder = tmp_path / "reverting: mig"
    folder.mkdir()
    write(
        folder,
        "0001_half",
        NO_TX + "INSERT INTO ledger VALUES (1);\nINSERT INTO nope VALUES (1);\n",
    )
    failed = sqlmig("--url", url, "--dir", "reverting: mig", "up", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    repaired = sqlmig("--url", url, "--dir", "reverting: mig", "repair", cwd=tmp_path)
    assert "pending again" in repaired.stdout, repaired.stdout  # an up's row is cleared
    assert history_rows(url) == {}


def test_single_transaction_checks_deferred_constraints_per_file(
    pg_url: str, migrations: Path
) -> None:
    write(
        migrations,
        "0001_tables",
        "CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (p int REFERENCES "
        "parent DEFERRABLE INITIALLY IMMEDIATE);\n",
    )
    write(migrations, "0002_defer", "SET CONSTRAINTS ALL DEFERRED;\n")
    write(migrations, "0003_orphan", "INSERT INTO child VALUES (1);\n")
    write(migrations, "0004_fix", "INSERT INTO parent VALUES (1);\n")
    plain = sqlmig(*args(pg_url, migrations, "up", "--steps", "3"))
    assert plain.returncode == 1 and "0003_orphan" in plain.stderr, plain.stderr
    assert "foreign key" in plain.stderr and "history" not in plain.stderr, plain.stderr
    single = sqlmig(*args(pg_url, migrations, "up", "--single-transaction"))
    assert single.returncode == 1 and "0003_orphan" in single.stderr, single.stderr

"""`up --max-blocking`: a migration whose statement keeps real writer processes waiting longer
than the limit is cancelled, rolled back and retried (--retries); the writers get through.

Each writer is its own OS process on its own connection, timing every transaction it makes; its
worst wait is asserted only as "less than the migration's sleep" (what it would wait without the
watchdog, as the control test shows), never as a speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, query, sqlmig, write

pytestmark = pytest.mark.timeout(60)

CREATE = "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);\n"
SEED = "INSERT INTO t (id) SELECT g FROM generate_series(1, 10) g;\n"
# holds ACCESS EXCLUSIVE on t for 4 s before the ALTER: every writer queues behind it
HOLDS = """\
LOCK TABLE t IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep({sleep});
ALTER TABLE t ADD COLUMN flag boolean DEFAULT false;
"""
# A steady stream of short transactions (an UPDATE, then an INSERT) until the stop file exists;
# prints its worst wait and how many it made.
PG_WRITER = r"""
import json, os, sys, time, psycopg
url, stop = sys.argv[1], sys.argv[2]
conn = psycopg.connect(url, autocommit=True, application_name="writer")
worst, n = 0.0, 0
while not os.path.exists(stop):
    start = time.monotonic()
    if n % 2:
        conn.execute("INSERT INTO t (id) VALUES (%s)", (1000 + n,))
    else:
        conn.execute("UPDATE t SET v = v + 1 WHERE id = %s", (n % 10 + 1,))
    worst, n = max(worst, time.monotonic() - start), n + 1
    if n == 1:
        open(stop + ".ready", "w").close()
    time.sleep(0.05)
print(json.dumps({"worst": worst, "n": n}))
"""
# One UPDATE, sent once the migration holds its lock on t: blocked on the first attempt only.
PG_ONCE = r"""
import json, sys, time, psycopg
url = sys.argv[1]
conn = psycopg.connect(url, autocommit=True, application_name="once")
held = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "JOIN pg_database d ON d.oid = l.database AND d.datname = current_database() "
        "WHERE c.relname = 't' AND l.mode = 'AccessExclusiveLock' AND l.granted")
deadline = time.monotonic() + 30
while not conn.execute(held).fetchone()[0] and time.monotonic() < deadline:
    time.sleep(0.02)
start = time.monotonic()
conn.execute("UPDATE t SET v = v + 100 WHERE id = 1")
print(json.dumps({"waited": time.monotonic() - start}))
"""


class Proc:
    """A helper process that prints one JSON line when it ends."""

    def __init__(self, code: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def result(self, timeout: float = 30) -> dict:
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return json.loads(out)


@pytest.fixture
def writer(pg_url: str, migrations: Path, tmp_path: Path) -> Iterator[tuple[Proc, Path]]:
    """Table t (applied as 0001), and a writer process busy on it until the stop file exists."""
    write(migrations, "0001_t", CREATE + SEED)
    done = sqlmig("--url", pg_url, "--dir", str(migrations), "up")
    assert done.returncode == 0, done.stderr
    stop = tmp_path / "stop"
    proc = Proc(PG_WRITER, pg_url, str(stop))
    ready = tmp_path / "stop.ready"
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield proc, stop
    finally:
        stop.touch()
        proc.proc.wait(timeout=10)


def up(url: str, migrations: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return sqlmig("--url", url, "--dir", str(migrations), "up", *extra)


def test_a_migration_that_keeps_writers_waiting_is_cancelled_retried_and_fails(
    pg_url: str, migrations: Path, writer: tuple[Proc, Path]
) -> None:
    write(migrations, "0002_flag", HOLDS.format(sleep=4))
    done = up(pg_url, migrations, "--max-blocking", "1s", "--retries", "1")
    writer[1].touch()
    wrote = writer[0].result()
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert "0002_flag (up) was cancelled and rolled back" in err, err
    assert "longer than --max-blocking 1 s" in err, err
    assert "0002_flag.up.sql:2:1: canceling statement due to user request" in err, err
    assert "blocked: pid " in err and "(writer) waiting" in err, err
    assert "running UPDATE" in err or "running INSERT" in err, err
    assert "cancelled on each of its 2 attempts" in err, err
    assert "retry 1 of 1" in err and "run it at a quieter time" in err, err
    # nothing half-applied: no history row, no column; the writers got through meanwhile
    assert query(pg_url, "SELECT version FROM sqlmig_history WHERE version = 2") == []
    assert (
        query(pg_url, "SELECT 1 FROM information_schema.columns WHERE column_name = 'flag'") == []
    )
    assert wrote["n"] >= 3 and wrote["worst"] < 4, wrote
    log = query(pg_url, "SELECT outcome, detail FROM sqlmig_history_log WHERE version = 2")
    assert [o for o, _ in log] == ["cancelled", "cancelled"], log
    assert all("(writer) waiting" in d and "0002_flag.up.sql:2:1" in d for _, d in log), log


def test_an_alter_queued_behind_a_reader_is_cancelled_for_the_writers_queued_behind_it(
    pg_url: str, migrations: Path, writer: tuple[Proc, Path]
) -> None:
    """The classic outage: the ALTER waits for a long reader, every writer queues behind it."""
    import psycopg

    write(migrations, "0002_col", "ALTER TABLE t ADD COLUMN c int;\n")
    with psycopg.connect(pg_url) as reader:
        reader.execute("SELECT count(*) FROM t")  # AccessShareLock until the transaction ends
        done = up(pg_url, migrations, "--max-blocking", "1s")
        reader.rollback()
    writer[1].touch()
    wrote = writer[0].result()
    assert done.returncode == 1, done.stderr
    assert "while it was itself waiting for a lock (they queued behind it)" in done.stderr
    assert "0002_col.up.sql:1:1" in done.stderr and "(writer) waiting" in done.stderr
    assert "pass --retries" not in done.stderr  # a transactional file: the hint says it
    assert wrote["worst"] < 3, wrote


def test_without_the_option_the_writer_waits_the_whole_sleep(
    pg_url: str, migrations: Path, writer: tuple[Proc, Path]
) -> None:
    """The control: what the other tests' bound on the writer's wait would be without it."""
    write(migrations, "0002_flag", HOLDS.format(sleep=2))
    done = up(pg_url, migrations)
    writer[1].touch()
    assert done.returncode == 0, done.stderr
    assert writer[0].result()["worst"] >= 1.5


def test_a_retry_succeeds_once_the_blocked_session_has_gone(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_t", CREATE + SEED)
    assert up(pg_url, migrations).returncode == 0
    write(migrations, "0002_flag", HOLDS.format(sleep=2))
    once = Proc(PG_ONCE, pg_url)
    done = up(
        pg_url, migrations, "--max-blocking", "500ms", "--retries", "2", "--log-format", "json"
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    kinds = [e["event"] for e in events]
    assert kinds.count("blocking_cancelled") == 1 and kinds.count("migration_retry") == 1, kinds
    cancelled = next(e for e in events if e["event"] == "blocking_cancelled")
    assert cancelled["label"] == "0002_flag" and cancelled["where"].endswith(".up.sql:2:1")
    (session,) = cancelled["sessions"]
    assert session["application"] == "once" and session["running"] == "UPDATE", session
    assert session["waited_s"] >= 0.5, session
    assert once.result()["waited"] < 2
    assert query(pg_url, "SELECT status FROM sqlmig_history WHERE version = 2") == [("applied",)]
    assert query(pg_url, "SELECT v FROM t WHERE id = 1") == [(100,)]


def test_a_writer_of_another_role_is_seen_without_pg_read_all_stats(
    pg_url: str, migrations: Path
) -> None:
    """The migration's role sees no wait_event_type of the application role's sessions in
    pg_stat_activity; pg_locks and pg_blocking_pids still tell."""
    import uuid

    from tests.conftest import execute

    tag = uuid.uuid4().hex[:8]
    mig, app = f"sqlmig_mig_{tag}", f"sqlmig_app_{tag}"
    execute(pg_url, f"CREATE ROLE {mig} LOGIN; CREATE ROLE {app} LOGIN; "
                    f"GRANT CREATE ON SCHEMA public TO {mig}")  # fmt: skip
    as_mig, as_app = (pg_url.replace("//postgres@", f"//{who}@") for who in (mig, app))
    try:
        write(migrations, "0001_t", CREATE + SEED + f"GRANT SELECT, UPDATE ON t TO {app};\n")
        assert up(as_mig, migrations).returncode == 0
        write(migrations, "0002_flag", HOLDS.format(sleep=2))
        once = Proc(PG_ONCE, as_app)
        done = up(as_mig, migrations, "--max-blocking", "500ms", "--retries", "1")
        assert done.returncode == 0, done.stderr
        assert "(once) waiting" in done.stderr and "retry 1 of 1" in done.stderr, done.stderr
        assert once.result()["waited"] < 2
    finally:
        for role in (mig, app):
            execute(pg_url, f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_a_cancelled_concurrent_index_build_is_not_retried_and_named(
    pg_url: str, migrations: Path
) -> None:
    """CREATE INDEX CONCURRENTLY first waits for older transactions; an ANALYZE queued behind
    it meanwhile is blocked by it. Cancelled, it leaves an INVALID index: no blind retry."""
    write(migrations, "0001_t", CREATE + SEED)
    assert up(pg_url, migrations).returncode == 0
    write(
        migrations, "0002_ix", "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n"
    )
    import psycopg

    with psycopg.connect(pg_url) as old:  # a writer's open transaction: the build waits for it
        old.execute("UPDATE t SET v = v WHERE id = 5")
        analyze = Proc(
            "import sys, time, psycopg\n"
            "c = psycopg.connect(sys.argv[1], autocommit=True, application_name='analyze')\n"
            "time.sleep(1); c.execute('ANALYZE t'); print('{}')\n",
            pg_url,
        )
        done = up(pg_url, migrations, "--max-blocking", "1s", "--retries", "3")
        old.rollback()
    analyze.result()
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert "was cancelled at statement 1 of 1, outside a transaction" in err, err
    assert "(analyze) waiting" in err and "running ANALYZE" in err, err
    assert "not retried: the cancelled build left INVALID index(es) public.t_v" in err, err
    assert "DROP INDEX CONCURRENTLY public.t_v" in err, err
    assert "retry 1 of" not in err, err
    assert query(pg_url, "SELECT status FROM sqlmig_history WHERE version = 2") == [("failed",)]


def test_sqlite_says_it_does_not_apply(sqlite_url: str, migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (id int);\n")
    (tmp_path / "sqlmig.toml").write_text('max_blocking = "2s"\n')
    done = sqlmig("--url", sqlite_url, "--dir", str(migrations), "up", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--max-blocking does not apply to SQLite" in done.stderr, done.stderr
    assert "applied 0001_t" in done.stderr


def test_up_without_it_imports_no_watchdog(sqlite_url: str, migrations: Path) -> None:
    code = (
        "import sys\n"
        "from sqlmig import cli\n"
        "try:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('sqlmig.watchdog')))\n"
    )
    for n, extra in enumerate(([], ["--max-blocking", "1s"]), start=1):
        write(migrations, f"000{n}_t{n}", f"CREATE TABLE t{n} (id int);\n")
        args = ["--url", sqlite_url, "--dir", str(migrations), "up", *extra]
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
            cwd=migrations.parent, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert ("LOADED []" in done.stdout) == (not extra), done.stdout


def test_bad_value_is_a_usage_error(pg_url: str, migrations: Path) -> None:
    done = sqlmig("--url", pg_url, "--dir", str(migrations), "up", "--max-blocking", "soon")
    assert done.returncode == 2 and "soon" in done.stderr, done.stderr
    done = sqlmig("--url", pg_url, "--dir", str(migrations), "up", env={"SQLMIG_MAX_BLOCKING": "x"})
    assert done.returncode == 2 and "SQLMIG_MAX_BLOCKING" in done.stderr, done.stderr


# -- MariaDB ------------------------------------------------------------------------------------

MY_CREATE = "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0) ENGINE=InnoDB;\n"
MY_SEED = "INSERT INTO t (id) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10);\n"
MY_WRITER = r"""
import json, os, sys, time, pymysql
host, port, db, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = pymysql.connect(host=host, port=port, user="root", database=db, autocommit=True)
cur = conn.cursor()
worst, n = 0.0, 0
while not os.path.exists(stop):
    start = time.monotonic()
    if n % 2:
        cur.execute("INSERT INTO t (id) VALUES (%s)", (1000 + n,))
    else:
        cur.execute("UPDATE t SET v = v + 1 WHERE id = %s", (n % 10 + 1,))
    worst, n = max(worst, time.monotonic() - start), n + 1
    if n == 1:
        open(stop + ".ready", "w").close()
    time.sleep(0.05)
print(json.dumps({"worst": worst, "n": n}))
"""
# One UPDATE of the row the migration's statement holds, once that statement runs
MY_ONCE = r"""
import json, sys, time, pymysql
host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = pymysql.connect(host=host, port=port, user="root", database=db, autocommit=True)
cur = conn.cursor()
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    cur.execute("SELECT count(*) FROM information_schema.PROCESSLIST "
                "WHERE DB = DATABASE() AND INFO LIKE 'UPDATE t SET v = v + SLEEP%'")
    if cur.fetchone()[0]:
        break
    time.sleep(0.02)
time.sleep(0.1)  # the statement has read and locked the row by now
start = time.monotonic()
cur.execute("UPDATE t SET v = v + 100 WHERE id = 1")
print(json.dumps({"waited": time.monotonic() - start}))
"""


def _where(url: str) -> tuple[str, str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", str(parts.port or 3306), parts.path.lstrip("/")


def test_mariadb_lock_tables_that_keeps_writers_waiting_is_cancelled(
    mysql_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_t", MY_CREATE + MY_SEED)
    assert up(mysql_url, migrations).returncode == 0
    write(migrations, "0002_hold", "LOCK TABLES t WRITE;\nSELECT SLEEP(4);\nUNLOCK TABLES;\n")
    stop = tmp_path / "stop"
    writer = Proc(MY_WRITER, *_where(mysql_url), str(stop))
    deadline = time.monotonic() + 20
    while not (tmp_path / "stop.ready").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        done = up(mysql_url, migrations, "--max-blocking", "1s", "--retries", "2")
    finally:
        stop.touch()
    wrote = writer.result()
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert "0002_hold (up) was cancelled at statement 2 of 3, outside a transaction" in err, err
    assert "0002_hold.up.sql:2:1: Query execution was interrupted" in err, err
    assert "waiting" in err and "for a table metadata lock" in err, err
    assert "not retried alone: it ran under the file's LOCK TABLES" in err, err
    assert "1 statement(s) ran and stay applied" in err, err
    assert wrote["n"] >= 3 and wrote["worst"] < 4, wrote
    rows = query(mysql_url, "SELECT status, statements_done FROM sqlmig_history WHERE version = 2")
    assert rows == [("failed", 1)], rows
    log = query(mysql_url, "SELECT outcome FROM sqlmig_history_log WHERE version = 2 ORDER BY id")
    assert [r[0] for r in log] == ["cancelled", "failed"], log


def test_mariadb_row_lock_wait_cancel_then_a_retry_succeeds(
    mysql_url: str, migrations: Path
) -> None:
    write(migrations, "0001_t", MY_CREATE + MY_SEED)
    assert up(mysql_url, migrations).returncode == 0
    write(migrations, "0002_slow", "UPDATE t SET v = v + SLEEP(2) WHERE id = 1;\n")
    once = Proc(MY_ONCE, *_where(mysql_url))
    done = up(mysql_url, migrations, "--max-blocking", "500ms", "--retries", "2")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "0002_slow: cancelled at" in err and "for a row lock, running UPDATE" in err, err
    assert "retry 1 of 2" in err and "retry 2 of 2" not in err, err
    assert once.result()["waited"] < 2
    assert query(mysql_url, "SELECT status FROM sqlmig_history WHERE version = 2") == [("applied",)]
    assert query(mysql_url, "SELECT v FROM t WHERE id = 1") == [(100,)]


def test_a_hostile_application_name_is_printed_without_control_characters() -> None:
    from sqlmig.watchdog.model import Blocked, Cancel, printable

    name = "app\x1b[2J\nerror: fake line" + "x" * 100
    said = Cancel((Blocked(7, printable(name), 1.5, "a lock", "UPDATE"),), 1.0).describe()
    assert "\x1b" not in said and "\n" not in said and said.startswith("pid 7 (app?[2J?error")
    assert len(printable(name)) == 63

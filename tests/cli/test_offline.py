"""Offline scripts (issue 15 item 6): `up --sql` / `down --sql` applied with the database's own
client (psql, mariadb, sqlite3), then read back by `status` and `validate`."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.cli.helpers import GATED_SQL, UNREACHABLE, Cli, describe, gate, kind_of
from tests.conftest import query, skip_or_fail, write

# Content that breaks naive quoting: quotes, backslashes, $$ and the script's own dollar tag,
# a comment marker inside a string, and a last statement with no semicolon.
HOSTILE_UP = (
    "-- the script must carry this file as written: ' \" \\ $$ $sqlmig$\n"
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"
    "INSERT INTO notes VALUES (1, 'it''s $$ $sqlmig$ \\\\ -- not a comment; /* nor this */')"
)
HOSTILE_DOWN = "-- 'quoted' \"double\" \\back\\ $$ $sqlmig$ $sqlmig1$ ;\nDROP TABLE notes;\n"
CLIENTS = {"postgres": ("psql",), "mysql": ("mariadb", "mysql"), "sqlite": ("sqlite3",)}
# A migration may leave the session elsewhere; the script's history writes must not follow it.
AWAY = {
    "postgres": "BEGIN;\nSET ROLE pg_monitor;\n",  # and a transaction left open
    "mysql": "SET autocommit = 0;\nUSE information_schema;\n",  # and a transaction left open
    "sqlite": "",
}


def client(url: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a script as a DBA would, with the database's own command-line client."""
    kind = kind_of(url)
    found = next((shutil.which(c) for c in CLIENTS[kind] if shutil.which(c)), None)
    if found is None:
        skip_or_fail(f"no {' or '.join(CLIENTS[kind])} client on this machine")
    path = tmp_path / "script.sql"
    path.write_text(script, "utf-8")
    if kind == "postgres":
        argv = [found, "-X", "-q", "-f", str(path), url]
    elif kind == "sqlite":
        argv = [found, url.split("///", 1)[1]]
    else:
        parts = urlsplit(url)
        argv = [found, "-h", parts.hostname or "", "-P", str(parts.port or 3306)]
        argv += ["-u", unquote(parts.username or "root"), "--default-character-set=utf8mb4"]
        argv += [f"-p{unquote(parts.password)}"] if parts.password else []
        argv += [unquote(parts.path.lstrip("/"))]
    with path.open() as stdin:
        return subprocess.run(argv, stdin=stdin, capture_output=True, text=True, timeout=60)


def holder(url: str) -> str | None:
    """Who holds sqlmig's migration lock now, as `status` would say."""
    from sqlmig.drivers import connect
    from sqlmig.urls import parse_url

    driver = connect(parse_url(url), table="sqlmig_history", create=False)
    try:
        return driver.lock_holder()
    finally:
        driver.close()


def states(cli: Cli) -> list[tuple[str, str]]:
    rows = json.loads(cli.ok("--json", "status").stdout)["rows"]
    return [(r["label"], r["state"]) for r in rows]


def test_scripts_applied_with_the_client_are_read_back_by_status_and_validate(
    any_url: str, migrations: Path, tmp_path: Path
) -> None:
    kind = kind_of(any_url)
    write(migrations, "0001_hostile", HOSTILE_UP, HOSTILE_DOWN)
    no_tx = "-- sqlmig:no-transaction\nCREATE TABLE t2 (x INTEGER);\nINSERT INTO t2 VALUES (1);\n"
    no_tx_down = f"-- sqlmig:no-transaction\nDROP TABLE t2;\n{AWAY[kind]}"
    write(migrations, "0002_notx", no_tx + AWAY[kind], no_tx_down)
    labels = ["0001_hostile", "0002_notx"]
    if kind == "mysql":  # mysqldump leaves `DELIMITER ;;` on after a trigger
        trigger = "CREATE TRIGGER t2_up BEFORE INSERT ON t2 FOR EACH ROW SET NEW.x = NEW.x + 1"
        write(migrations, "0003_trigger", f"DELIMITER ;;\n{trigger} ;;\n", "DROP TRIGGER t2_up;\n")
        labels.append("0003_trigger")
    cli = Cli(any_url, migrations)

    # without a URL: no connection, every migration up to --to
    first = Cli("", migrations).ok("up", "--sql", "--dialect", kind, "--to", "1").stdout
    done = client(any_url, first, tmp_path)
    assert done.returncode == 0, describe(done)
    # with a URL and no --from: the pending ones, after reading the history
    second = cli.ok("up", "--sql").stdout
    assert "-- up 0002_notx" in second and "-- up 0001" not in second
    done = client(any_url, second, tmp_path)
    assert done.returncode == 0, describe(done)

    assert states(cli) == [(label, "applied") for label in labels]
    assert "files and history agree" in cli.ok("validate").stdout
    stored = query(any_url, "SELECT down_sql FROM sqlmig_history WHERE version = 1")[0][0]
    assert stored == HOSTILE_DOWN
    assert query(any_url, "SELECT body FROM notes")[0][0].startswith("it's $$ $sqlmig$ ")

    again = client(any_url, first, tmp_path)  # the database is no longer where it starts
    assert again.returncode != 0 and "sqlmig_precondition" in again.stdout + again.stderr
    assert len(query(any_url, "SELECT version FROM sqlmig_history")) == len(labels)

    down = cli.ok("down", "--sql", "--to", "0").stdout
    done = client(any_url, down, tmp_path)
    assert done.returncode == 0, describe(done)
    assert states(cli) == [(label, "pending") for label in labels]
    events = query(any_url, "SELECT event, detail FROM sqlmig_history_log ORDER BY id")
    assert [e for e, _d in events] == ["up"] * len(labels) + ["down"] * len(labels)
    assert all(d.startswith("offline script written by ") for _e, d in events)
    if kind == "postgres":  # a file's own COMMIT: stopped, its row `failed`, as `up` records it
        write(migrations, "0009_commits", "CREATE TABLE c1 (x int);\nCOMMIT;\n")
        done = client(any_url, cli.ok("up", "--sql").stdout, tmp_path)
        assert done.returncode != 0 and "sqlmig_precondition" in done.stderr, describe(done)
        assert query(any_url, "SELECT status FROM sqlmig_history WHERE version = 9") == [
            ("failed",)
        ]


def test_scripts_are_written_without_connecting_and_refuse_what_they_cannot_say(
    migrations: Path,
) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    nowhere = Cli(UNREACHABLE, migrations)  # nothing listens: a connection would fail (exit 6)
    script = nowhere.ok("up", "--sql", "--from", "0").stdout
    assert "\\set ON_ERROR_STOP on" in script and "-- up 0001_a" in script

    wrong = nowhere("up", "--sql", "--dialect", "sqlite", "--from", "0")
    assert wrong.returncode == 2 and "disagrees with the URL" in wrong.stderr, describe(wrong)
    write(migrations, "0002_b", "INSERT INTO a VALUES ('postgresql://app:s3cret@db/app');\n")
    secret = nowhere("up", "--sql", "--from", "0")
    assert secret.returncode == 2 and "reads as a password" in secret.stderr, describe(secret)
    assert "s3cret" not in secret.stdout + secret.stderr


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_a_script_holds_sqlmigs_lock_while_it_runs(
    kind: str, request: pytest.FixtureRequest, migrations: Path, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{kind}_url")
    write(migrations, "0001_gated", GATED_SQL[kind_of(url)])  # waits while the test holds the gate
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n")
    script = Cli("", migrations).ok("up", "--sql", "--dialect", kind_of(url), "--to", "1").stdout
    cli = Cli(url, migrations)
    with gate(url) as open_gate, ThreadPoolExecutor(1) as pool:
        running = pool.submit(client, url, script, tmp_path)
        deadline = time.monotonic() + 30
        while not holder(url) and time.monotonic() < deadline:
            time.sleep(0.05)  # the client has started and holds the lock
        held = cli("--lock-timeout", "1", "up")
        open_gate()
        done = running.result()
    assert held.returncode == 3, describe(held)
    assert "migration lock" in held.stderr
    assert done.returncode == 0, describe(done)
    assert states(cli) == [("0001_gated", "applied"), ("0002_b", "pending")]


def test_a_script_stopped_midway_is_shown_as_such_and_one_of_another_folder_stops(
    sqlite_url: str, migrations: Path, tmp_path: Path
) -> None:
    """A script's running row keeps no count of the statements that ran: nothing says 0."""
    steps = "-- sqlmig:no-transaction\nCREATE TABLE t (x INTEGER);\nINSERT INTO nowhere VALUES (1);"
    write(migrations, "0001_stops", steps, "DROP TABLE t;\n")
    cli = Cli(sqlite_url, migrations)
    done = client(sqlite_url, cli.ok("up", "--sql").stdout, tmp_path)
    assert done.returncode != 0 and "nowhere" in done.stderr, describe(done)
    stopped = cli("up")
    assert stopped.returncode == 5, describe(stopped)
    assert "0001_stops: running, how many of its statements ran is not recorded" in stopped.stderr
    assert "0 statement(s)" not in stopped.stderr
    assert "cleared the running state of 0001_stops" in cli.ok("repair").stdout

    # a down script from another folder whose 0001 is another migration changes nothing
    cli.ok("mark", "1", "--applied")
    other = tmp_path / "other"
    other.mkdir()
    write(other, "0001_stops", "CREATE TABLE z (x INTEGER);\n", "DROP TABLE t;\n")
    script = Cli("", other).ok("down", "--sql", "--dialect", "sqlite", "--from", "1").stdout
    done = client(sqlite_url, script, tmp_path)
    assert done.returncode != 0 and "sqlmig_precondition" in done.stderr, describe(done)
    assert query(sqlite_url, "SELECT status FROM sqlmig_history") == [("applied",)]
    assert query(sqlite_url, "SELECT name FROM sqlite_master WHERE name = 't'") == [("t",)]

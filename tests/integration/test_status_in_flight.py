"""`status` while another process is applying migrations: not plain `pending`, but who holds the
lock and which migration it is applying (MySQL: its `running` row; PostgreSQL: the SQL the
holder's open transaction runs) or, on SQLite, may be applying."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.cli.helpers import Cli, describe, holding_lock, kind_of
from tests.conftest import write

# Runs until the test stops it (SIGTERM rolls it back): no race against a clock.
ENDLESS = {
    "postgres": "SELECT pg_sleep(600);\n",
    "mysql": "SELECT SLEEP(600);\n",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000)"
    "\nSELECT count(*) FROM c;\n",
}


def test_status_names_the_run_in_progress(any_url: str, migrations: Path) -> None:
    kind = kind_of(any_url)
    write(migrations, "0001_first", "CREATE TABLE first_t (id INT);\n")
    cli = Cli(any_url, migrations)
    cli.ok("up")
    write(migrations, "0002_slow", ENDLESS[kind])
    write(migrations, "0003_next", "CREATE TABLE next_t (id INT);\n")
    with holding_lock(cli) as holder:
        try:
            text = cli("status")
            data = json.loads(cli("--json", "status").stdout)
        finally:
            holder.proc.send_signal(signal.SIGTERM)
    assert text.returncode == 0, describe(text)
    assert "a run is in progress: the migration lock is held by" in text.stdout, describe(text)
    who = {
        "sqlite": f"pid {holder.proc.pid} (",
        "postgres": f"sqlmig-lock {holder.proc.pid}@",
        "mysql": "connection ",
    }[kind]
    assert who in data["lock_holder"] and "since" in data["lock_holder"], data
    assert any(m.startswith("a run is in progress") for m in data["messages"]), data
    rows = {r["label"]: r for r in data["rows"]}
    assert rows["0001_first"]["state"] == "applied"
    assert rows["0003_next"]["state"] == "pending" and rows["0003_next"]["detail"] is None
    slow = rows["0002_slow"]
    if kind == "sqlite":  # another connection's statements cannot be seen: the next pending one
        assert slow["state"] == "pending", slow
        assert slow["detail"].startswith("may be being applied now") and who in slow["detail"]
        assert "0002_slow: may be being applied now" in text.stdout
        assert "2 pending migration(s) may be being applied by it" in text.stdout
    else:  # MySQL: its `running` row; PostgreSQL: the SQL of the holder's open transaction
        assert slow["state"] == "applying" and who in slow["detail"], slow
        assert "it is applying 0002_slow; 1 pending migration(s) may follow" in text.stdout
    if kind == "postgres":
        assert slow["detail"].startswith("being applied now, in a transaction open since 20")
    after = json.loads(cli("--json", "status").stdout)  # the run is over: nobody holds it
    assert "lock_holder" not in after, after
    assert not any(m.startswith("a run is in progress") for m in after.get("messages", []))

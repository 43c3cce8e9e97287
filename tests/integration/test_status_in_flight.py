"""`status` while another process is applying migrations: not plain `pending`, but who holds the
lock and which migration it may be applying (a transaction in flight is invisible until it
commits; MySQL's `running` row says exactly which)."""

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
    if kind == "mysql":  # statement by statement behind a `running` row: known exactly
        assert slow["state"] == "applying" and who in slow["detail"], slow
        assert "2 pending migration(s)" not in text.stdout
    else:  # in one transaction: still pending, the next one `up` takes
        assert slow["state"] == "pending", slow
        assert slow["detail"].startswith("may be being applied now") and who in slow["detail"]
        assert "0002_slow: may be being applied now" in text.stdout
        assert "2 pending migration(s) may be being applied by it" in text.stdout
    after = json.loads(cli("--json", "status").stdout)  # the run is over: nobody holds it
    assert "lock_holder" not in after, after
    assert not any(m.startswith("a run is in progress") for m in after.get("messages", []))

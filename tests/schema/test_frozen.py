"""Values frozen at creation: PostgreSQL folds `'now'::timestamp` and `'today'::date` into the
literal of the moment a view, default, check or index is made. verify, diff and `status --schema`
do not count them as differences, and still see any other change of the same text."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmig.schema.commands import verify
from sqlmig.schema.frozen import Window, same
from tests.conftest import execute, sqlmig, write

from .conftest import dialect
from .helpers import cfg

TS = "timestamp without time zone"


def _ts(day: date, time: str = "10:26:49.009722") -> str:
    return f"'{day.isoformat()} {time}'::{TS}"


def test_only_the_frozen_values_may_differ() -> None:
    today, window = date(2026, 12, 3), Window(today=date(2026, 12, 3))
    now, later = _ts(today), _ts(today + timedelta(days=1), "00:00:00")
    assert same(f"SELECT {now} AS t", f"SELECT {later} AS t", window)
    assert same(f"a > '{today}'::date", f"a > '{today - timedelta(days=1)}'::date", window)
    assert same("'10:26:49.009722'::time without time zone", "'11:00:00.5'::time without "
                "time zone", window)  # fmt: skip
    assert same(f"'{today} 10:26:49'::timestamp(0) with time zone", f"'{today} 11:00:01'::"
                "timestamp(0) with time zone", window)  # fmt: skip
    # the text around the value changed: a real difference
    assert not same(f"SELECT {now} AS t", f"SELECT {later} AS u", window)
    assert not same(f"SELECT {now} AS t", f"SELECT {later}::date AS t", window)
    # a date written in the file (far from today), or a type changed: real differences
    assert not same("a > '2020-01-01'::date", "a > '2020-01-02'::date", window)
    assert not same(f"a > '{today}'::date", f"a > '{today}'::{TS}", window)
    assert not same("'10:26:49'::time without time zone", "'11:00:00'::time without time zone",
                    window)  # fmt: skip
    # a live database's value was frozen on any earlier day; a scratch one's is today's
    live = Window(today=today, live=True)
    assert same(f"x = {now}", f"x = {_ts(date(2024, 5, 1))}", live)
    assert not same(f"x = {_ts(date(2024, 5, 1))}", f"x = {now}", live)
    assert not same(f"x = {now}", f"x = {_ts(today + timedelta(days=30))}", live)


FROZEN = {
    "postgres": (
        "CREATE TABLE events (id int PRIMARY KEY, at timestamp DEFAULT 'now'::timestamp, "
        "day date DEFAULT 'today' CHECK (day >= '2000-01-01'::date));\n"
        "CREATE INDEX events_future ON events (day) WHERE day > 'yesterday'::date;\n"
        "CREATE VIEW recent AS SELECT id, 'now'::timestamp AS seen, timestamp 'today' AS midnight,"
        " CURRENT_DATE AS today FROM events WHERE at > 'now'::timestamptz - interval '1 day';"
    ),
    "sqlite": (
        "CREATE TABLE events (id int PRIMARY KEY, at text DEFAULT (datetime('now')), "
        "day text DEFAULT CURRENT_DATE);\n"
        "CREATE VIEW recent AS SELECT id, datetime('now') AS seen FROM events "
        "WHERE at > date('now', '-1 day');"
    ),
    "mysql": (
        "CREATE TABLE events (id int PRIMARY KEY, at datetime DEFAULT CURRENT_TIMESTAMP, "
        "day date DEFAULT (curdate()));\n"
        "CREATE VIEW recent AS SELECT id, now() AS seen, curdate() AS today FROM events "
        "WHERE at > now() - interval 1 day;"
    ),
}


def test_verify_passes_definitions_that_hold_the_time_of_creation(
    db_url: str, migrations: Path
) -> None:
    """The up runs twice, the view is made three times: on PostgreSQL each holds another time."""
    sql = FROZEN[dialect(db_url)]
    write(migrations, "0001_events", sql, "DROP VIEW recent; DROP TABLE events;")
    view = sql[sql.index("CREATE VIEW") :]
    write(migrations, "0002_counts", "DROP VIEW recent; CREATE TABLE counts (n int);\n" + view,
          "DROP TABLE counts; DROP VIEW recent;\n" + view)  # fmt: skip
    result = verify(cfg(db_url, migrations), scratch_url=None, start=None, notify=None)
    assert result.ok, result.messages
    assert result.messages[-1] == "verify: 2 migration(s) checked; every down undoes its up"


def test_a_view_changed_beside_its_frozen_time_still_differs(pg_url: str, migrations: Path) -> None:
    write(migrations, "0001_view", "CREATE VIEW v AS SELECT 'now'::timestamp AS seen;",
          "DROP VIEW v;")  # fmt: skip
    write(migrations, "0002_alias", "DROP VIEW v; CREATE VIEW v AS SELECT 'now'::timestamp AS at;",
          "DROP VIEW v; CREATE VIEW v AS SELECT 'now'::timestamp AS seen, 1 AS one;")  # fmt: skip
    result = verify(cfg(pg_url, migrations), scratch_url=None, start=None, notify=None)
    assert [(e["migration"], e["problem"]) for e in result.entries] == [
        ("0002_alias", "down does not restore the schema")
    ]
    assert "view v differs: definition" in result.entries[0]["details"][0]


def test_status_schema_takes_a_live_view_frozen_long_ago(pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_view", "CREATE VIEW v AS SELECT 'now'::timestamp AS seen;", "DROP VIEW v;")
    args = ("--url", pg_url, "--dir", str(folder))
    assert sqlmig(*args, "up", cwd=tmp_path).returncode == 0
    # as if it had been applied in 2024
    execute(pg_url, f"CREATE OR REPLACE VIEW v AS SELECT {_ts(date(2024, 5, 1))} AS seen;")
    same_schema = sqlmig(*args, "status", "--schema", "--exit-code", cwd=tmp_path)
    assert same_schema.returncode == 0, same_schema.stdout + same_schema.stderr
    execute(pg_url, f"DROP VIEW v; CREATE VIEW v AS SELECT {_ts(date(2024, 5, 1))} AS at;")
    drifted = sqlmig(*args, "status", "--schema", "--exit-code", cwd=tmp_path)
    assert drifted.returncode == 4, drifted.stdout + drifted.stderr
    assert "view v was changed outside the migrations" in drifted.stdout

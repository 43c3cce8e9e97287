"""What makes verify fast on PostgreSQL without changing what it finds: the scratch database's
commits do not wait for the disk, for every migration, whatever the migration sets."""

from __future__ import annotations

from pathlib import Path

from sqlmig.files import discover
from sqlmig.schema.build import builder

from .helpers import TABLE


def _setting(b, name: str) -> str:  # type: ignore[no-untyped-def]
    return str(b.driver.query(f"SHOW {name}")[0][0])


def test_scratch_commits_do_not_wait_for_the_disk_after_any_migration(
    pg_url: str, tmp_path: Path
) -> None:
    """A plain SET at connect lasted until the reset after the first migration (RESET ALL):
    every later commit waited for the disk. A migration that sets it on for itself does not
    turn it on for the next one either."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.up.sql").write_text("CREATE TABLE a (id int);\n")
    (folder / "0002_b.up.sql").write_text(
        "SET synchronous_commit = on;\nCREATE TABLE b (id int);\n"
    )
    (folder / "0003_c.up.sql").write_text("CREATE TABLE c (id int);\n")
    with builder(pg_url, TABLE) as b:
        assert _setting(b, "synchronous_commit") == "off"
        for m in discover(folder):
            b.up(m)
            assert _setting(b, "synchronous_commit") == "off", m.label


def _pair(pg_url: str):  # type: ignore[no-untyped-def]
    from sqlmig.drivers import connect
    from sqlmig.urls import parse_url

    return connect(parse_url(pg_url), table=TABLE), connect(parse_url(pg_url), table=TABLE)


def _counted(tracker) -> list[int]:  # type: ignore[no-untyped-def]
    """Round trips of the tracker's reader, one entry per round trip."""
    trips: list[int] = []
    many = tracker.driver.many
    tracker.driver.many = lambda queries: trips.append(len(queries)) or many(queries)
    return trips


# (up, down) pairs as verify runs them: snapshot, up, snapshot, down, snapshot(same), up,
# snapshot(same); some downs leave something behind or remove what the up did not make.
PAIRS = [
    ("CREATE TABLE a (id int PRIMARY KEY, note text DEFAULT 'x')", "DROP TABLE a"),
    ("ALTER TABLE a ADD COLUMN extra int", "ALTER TABLE a DROP COLUMN extra"),
    ("CREATE TABLE b (id int REFERENCES a (id)); CREATE INDEX b_id ON b (id)", "DROP TABLE b"),
    ("CREATE VIEW v AS SELECT id FROM a", "DROP VIEW v"),
    ("CREATE VIEW w AS SELECT id FROM a", "DROP VIEW w; CREATE TABLE left_behind (x int)"),
    ("COMMENT ON TABLE a IS 'x'; COMMENT ON COLUMN a.id IS 'y'", "COMMENT ON TABLE a IS NULL"),
    ("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; "
     "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
     "DROP TRIGGER t ON a; DROP FUNCTION f()"),
    ("CREATE TRIGGER t2 BEFORE INSERT ON left_behind FOR EACH ROW EXECUTE FUNCTION f()",
     "DROP TRIGGER t2 ON left_behind; CREATE TRIGGER t3 BEFORE UPDATE ON a "
     "FOR EACH ROW EXECUTE FUNCTION f()"),  # one trigger gone, another made, same catalog
    ("CREATE TYPE mood AS ENUM ('a'); ALTER TABLE a ADD COLUMN m mood",
     "ALTER TABLE a DROP COLUMN m; DROP TYPE mood"),
    ("CREATE SEQUENCE s; ALTER TABLE a ALTER COLUMN id SET DEFAULT nextval('s')",
     "ALTER TABLE a ALTER COLUMN id DROP DEFAULT; DROP SEQUENCE s"),
    ("CREATE SCHEMA app; CREATE TABLE app.x (id int)", "DROP SCHEMA app CASCADE"),
    ("ALTER TABLE a RENAME TO a2", "ALTER TABLE a2 RENAME TO a"),  # last: a is a2 after it
]  # fmt: skip


def test_snapshots_read_ahead_are_the_full_read(pg_url: str) -> None:
    """Read ahead (same=True) or not, right guess or wrong, every snapshot is a full read's."""
    from sqlmig.schema import pg_delta, snapshot

    driver, reader = _pair(pg_url)
    try:
        tracker = pg_delta.Tracker(reader, TABLE)
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        for up, down in PAIRS:
            for step, same in ((up, False), (down, True), (up, True)):
                driver.execute(step)
                assert tracker.snapshot(same=same) == snapshot(driver, table=TABLE), step
    finally:
        driver.close()
        reader.close()


def test_a_down_after_its_up_is_read_in_one_round_trip(pg_url: str) -> None:
    """The down removes what its up made: the rows gone are the ones the up wrote (found by
    their count and sums), the objects to read are the up's: one round trip, no list of the
    catalogs' rows. A wrong guess costs round trips, never a wrong snapshot."""
    from sqlmig.schema import pg_delta, snapshot

    driver, reader = _pair(pg_url)
    try:
        driver.execute("CREATE TABLE keep (id int PRIMARY KEY)")
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        trips = _counted(tracker)
        driver.execute("CREATE TABLE e (id int PRIMARY KEY, k int REFERENCES keep, n text)")
        tracker.snapshot()
        trips.clear()
        driver.execute("DROP TABLE e")
        assert tracker.snapshot(same=True) == snapshot(driver, table=TABLE)
        assert len(trips) == 1
        driver.execute("CREATE TABLE other (id int)")  # not what the last step changed
        trips.clear()
        assert tracker.snapshot(same=True) == snapshot(driver, table=TABLE)
        assert len(trips) == 2
    finally:
        driver.close()
        reader.close()


def test_counts_that_do_not_add_up_mean_a_full_read(pg_url: str) -> None:
    from sqlmig.schema import pg_delta, snapshot

    driver, reader = _pair(pg_url)
    try:
        driver.execute("CREATE TABLE a (id int); CREATE TABLE b (id int)")
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        tracker.changes.count["pg_class"] -= 1  # a row the tracker never knew of
        driver.execute("ALTER TABLE a ADD COLUMN n int")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        assert tracker.read_again is None  # read in full
        driver.execute("ALTER TABLE b ADD COLUMN n int")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        assert tracker.read_again == {("relation", "public", "b")}
    finally:
        driver.close()
        reader.close()


def test_frozen_catalog_rows_still_show_when_they_were_written(pg_url: str) -> None:
    """Change tracking reads the transaction id a row was written by (xmin); freezing a
    catalog (VACUUM FREEZE, which a no-transaction migration may run) keeps it."""
    from sqlmig.schema import pg_delta, snapshot

    driver, reader = _pair(pg_url)
    try:
        driver.execute("CREATE TABLE a (id int); CREATE VIEW v AS SELECT id FROM a")
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        driver.execute("ALTER TABLE a RENAME COLUMN id TO key")
        for catalog in ("pg_attribute", "pg_class", "pg_rewrite", "pg_depend"):
            driver.execute(f"VACUUM FREEZE {catalog}")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        assert tracker.read_again == {("relation", "public", "a"), ("relation", "public", "v")}
    finally:
        driver.close()
        reader.close()

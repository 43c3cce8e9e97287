"""PostgreSQL snapshots read again only where the catalogs changed (schema/pg_delta.py, used by
verify): after every kind of change, including renames of what other objects name, the
snapshot is the one a full read gives."""

from __future__ import annotations

import uuid
from dataclasses import fields

import pytest

from sqlmig.drivers import connect
from sqlmig.schema import pg_delta, snapshot
from sqlmig.schema.model import Snapshot
from sqlmig.urls import parse_url

TABLE = "sqlmig_history"

# Each step changes the schema; some change only what another object names.
STEPS = [
    "CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE)",
    "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), "
    "note varchar(20) DEFAULT 'x')",
    "CREATE INDEX child_note ON child (note) WHERE note <> ''",
    "CREATE VIEW child_view AS SELECT c.id, p.code FROM child c "
    "JOIN parent p ON p.id = c.parent_id",
    "ALTER TABLE parent RENAME TO mother",  # names in child's key and the view change
    "ALTER TABLE mother RENAME COLUMN code TO label",  # the view's text changes
    "CREATE TYPE mood AS ENUM ('ok', 'bad')",
    "ALTER TABLE child ADD COLUMN mood mood",
    "ALTER TYPE mood RENAME TO feeling",  # child's column type changes
    "ALTER TYPE feeling ADD VALUE 'great'",
    "CREATE SEQUENCE counter OWNED BY child.id",
    "ALTER TABLE child RENAME COLUMN id TO child_id",  # the sequence's owner changes
    "CREATE FUNCTION positive(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0'",
    "ALTER TABLE child ADD CONSTRAINT child_positive CHECK (positive(child_id))",
    "ALTER FUNCTION positive(int) RENAME TO is_positive",  # the check's text changes
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
    "'BEGIN NEW.note := trim(NEW.note); RETURN NEW; END'",
    "CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION touch()",
    "ALTER FUNCTION touch() RENAME TO touch_note",  # the trigger's text changes
    "ALTER TABLE child ALTER COLUMN child_id SET DEFAULT nextval('counter')",
    "ALTER SEQUENCE counter RENAME TO counter2",  # the default's text changes
    "ALTER SEQUENCE counter2 INCREMENT BY 5",
    "DROP INDEX child_note",
    "CREATE INDEX child_note ON child (lower(note))",  # same name, another index
    "CREATE SCHEMA app",
    "CREATE TABLE app.things (id int PRIMARY KEY, mother_id int REFERENCES mother (id))",
    "ALTER SCHEMA app RENAME TO application",  # every name in it changes
    "ALTER TABLE application.things SET SCHEMA public",
    "ALTER TABLE child ALTER COLUMN note TYPE text",
    "CREATE MATERIALIZED VIEW counts AS SELECT parent_id, count(*) AS n FROM child GROUP BY 1",
    "CREATE INDEX counts_n ON counts (n)",  # an index of a view
    "DROP INDEX counts_n; CREATE UNIQUE INDEX counts_n ON counts (parent_id)",
    "CREATE FUNCTION no_write() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
    "CREATE TRIGGER child_view_insert INSTEAD OF INSERT ON child_view "
    "FOR EACH ROW EXECUTE FUNCTION no_write()",  # a trigger of a view
    "DROP VIEW child_view; DROP MATERIALIZED VIEW counts",
    "DROP TABLE things, child, mother CASCADE",
    "DROP TYPE feeling",
]


# Extras that stay while the steps run: their query is then read again only when the probe or
# the objects they name say they may have changed (pg_extras_watch), else they are kept.
STANDING = "CREATE TABLE standing (id int); COMMENT ON TABLE standing IS 'kept'"


@pytest.mark.parametrize("standing", [False, True], ids=["bare", "with-extras"])
def test_every_snapshot_is_the_full_read(pg_url: str, standing: bool) -> None:
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        if standing:
            driver.execute(STANDING)
        tracker = pg_delta.Tracker(reader, TABLE)
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        for step in STEPS:
            driver.execute(step)
            full = snapshot(driver, table=TABLE)
            assert tracker.snapshot() == full, step
            assert tracker.snapshot() == full, f"unchanged, after {step}"
        assert [t.name for t in full.tables] == (["standing"] if standing else [])
        assert full.routines != () and bool(full.comments) == standing
    finally:
        driver.close()
        reader.close()


# What postgres_extras reads (each added, changed and removed again): the extras query is
# sent only while the probe finds one of them, so each must be seen coming and going.
EXTRAS_STEPS = [
    "CREATE TABLE t (id int PRIMARY KEY, note text)",
    "COMMENT ON TABLE t IS 'a table'",
    "COMMENT ON TABLE t IS NULL",
    "COMMENT ON COLUMN t.note IS 'a note'",
    "ALTER TABLE t RENAME COLUMN note TO remark",  # the comment's column name changes
    "COMMENT ON COLUMN t.remark IS NULL",
    "COMMENT ON SCHEMA public IS 'ours'",
    "COMMENT ON SCHEMA public IS 'standard public schema'",
    "CREATE SCHEMA postgres",  # search_path "$user", public: the current schema changes
    "DROP SCHEMA postgres",
    "CREATE EXTENSION ltree",
    "DROP EXTENSION ltree",
    "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0)",
    "DROP DOMAIN positive_int",
    "CREATE TYPE pair AS (a int, b text)",
    "DROP TYPE pair",
    "CREATE TYPE span AS RANGE (subtype = int4)",
    "DROP TYPE span",
    'CREATE COLLATION plain FROM "C"',
    "DROP COLLATION plain",
    "CREATE POLICY mine ON t USING (id > 0)",  # a policy without row security: still read
    "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE t DISABLE ROW LEVEL SECURITY",
    "DROP POLICY mine ON t",
    "CREATE STATISTICS both_columns ON id, remark FROM t",
    "DROP STATISTICS both_columns",
    "CREATE RULE keep AS ON DELETE TO t DO INSTEAD NOTHING",
    "DROP RULE keep ON t",
    "CREATE TABLE kid () INHERITS (t)",
    "DROP TABLE kid",
    "CREATE AGGREGATE total (int) (sfunc = int4pl, stype = int)",
    "DROP AGGREGATE total (int)",
    "CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq)",
    "DROP OPERATOR === (int, int)",
    "CREATE TEXT SEARCH CONFIGURATION words (COPY = simple)",
    "DROP TEXT SEARCH CONFIGURATION words",
    "CREATE FOREIGN DATA WRAPPER nowhere",
    "CREATE SERVER far FOREIGN DATA WRAPPER nowhere",
    "CREATE FOREIGN TABLE remote (id int) SERVER far",
    "DROP FOREIGN TABLE remote",
    "DROP SERVER far",
    "DROP FOREIGN DATA WRAPPER nowhere",
    "CREATE PUBLICATION everything FOR ALL TABLES",
    "DROP PUBLICATION everything",
    "CREATE FUNCTION noop() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'",
    "CREATE EVENT TRIGGER watch ON sql_drop EXECUTE FUNCTION noop()",
    "DROP EVENT TRIGGER watch",
]


# Renames of what the extras show (a comment's, policy's, statistic's, rule's, domain's or
# composite's objects), each while other extras stand: the extras must be read again.
LINK_STEPS = [
    "CREATE TABLE t (id int PRIMARY KEY, note text)",
    "CREATE TYPE mood AS ENUM ('ok')",
    "CREATE FUNCTION pos(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0'",
    "COMMENT ON TABLE t IS 'a table'",
    "ALTER TABLE t RENAME TO u",
    "CREATE INDEX u_note ON u (note); COMMENT ON INDEX u_note IS 'i'",
    "ALTER INDEX u_note RENAME TO u_note2",
    "ALTER TABLE u ADD CONSTRAINT u_pos CHECK (pos(id)); COMMENT ON CONSTRAINT u_pos ON u IS 'c'",
    "ALTER TABLE u RENAME CONSTRAINT u_pos TO u_positive",
    "COMMENT ON FUNCTION pos(int) IS 'f'",
    "ALTER FUNCTION pos(int) RENAME TO positive",
    "CREATE FUNCTION happy(m mood) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
    "COMMENT ON FUNCTION happy(mood) IS 'h'",
    "ALTER TYPE mood RENAME TO feeling",  # the commented function's arguments show it
    "CREATE SEQUENCE s; COMMENT ON SEQUENCE s IS 's'",
    "ALTER SEQUENCE s RENAME TO s2",
    "CREATE VIEW v AS SELECT id FROM u; COMMENT ON COLUMN v.id IS 'v'",
    "ALTER VIEW v RENAME COLUMN id TO key",
    "ALTER VIEW v RENAME TO w",
    "CREATE DOMAIN d AS feeling",
    "ALTER TYPE feeling RENAME TO mood",  # the domain's base type
    "CREATE TYPE pair AS (a mood, b int)",
    "ALTER TYPE mood RENAME TO humour",  # the composite's attribute type
    "CREATE POLICY p ON u USING (positive(id) AND note <> '')",
    "ALTER TABLE u RENAME COLUMN note TO remark",  # the policy's expression
    "ALTER FUNCTION positive(int) RENAME TO pos",  # the policy's expression
    "ALTER TABLE u RENAME TO t",  # the policy's table
    "CREATE STATISTICS st ON id, remark FROM t",
    "ALTER TABLE t RENAME COLUMN remark TO note",  # the statistic's definition
    "CREATE RULE keep AS ON DELETE TO t DO INSTEAD NOTHING",
    "ALTER TABLE t RENAME TO r",  # the rule's table
    "CREATE TABLE kid () INHERITS (r)",
    "ALTER TABLE r RENAME TO parent",  # the child's parent
    "CREATE AGGREGATE total (humour) (sfunc = array_append, stype = humour[])",
    "ALTER TYPE humour RENAME TO temper",  # the aggregate's arguments
    "CREATE FUNCTION same(a temper, b temper) RETURNS boolean LANGUAGE sql AS 'SELECT a = b'",
    "CREATE OPERATOR === (leftarg = temper, rightarg = temper, function = same)",
    "ALTER TYPE temper RENAME TO mood",  # the operator's arguments
    "CREATE EXTENSION ltree",
    "ALTER EXTENSION ltree ADD FUNCTION happy(mood)",  # its comment is no longer shown
    "ALTER EXTENSION ltree DROP FUNCTION happy(mood)",
    "DROP EXTENSION ltree",
]


def test_renames_of_what_the_extras_show_are_seen(pg_url: str) -> None:
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        driver.execute(STANDING)
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        for step in LINK_STEPS:
            driver.execute(step)
            full = snapshot(driver, table=TABLE)
            assert tracker.snapshot() == full, step
            assert tracker.snapshot() == full, f"unchanged, after {step}"
    finally:
        driver.close()
        reader.close()


# What only the probe sees (no changed object is among those the extras show): each alone.
ALONE = {
    "composite": (
        "CREATE TYPE mood AS ENUM ('ok'); CREATE TYPE pair AS (a mood, b int)",
        ["ALTER TYPE mood RENAME TO feeling", "ALTER TYPE pair ALTER ATTRIBUTE b TYPE bigint",
         "ALTER TYPE pair DROP ATTRIBUTE b", "ALTER TYPE pair ADD ATTRIBUTE c text"],
    ),
    "operator": (
        "CREATE TYPE mood AS ENUM ('ok'); CREATE FUNCTION same(a mood, b mood) "
        "RETURNS boolean LANGUAGE sql AS 'SELECT a = b'; "
        "CREATE OPERATOR === (leftarg = mood, rightarg = mood, function = same)",
        ["ALTER TYPE mood RENAME TO feeling"],
    ),
    "domain": (
        "CREATE TYPE mood AS ENUM ('ok'); CREATE DOMAIN d AS mood",
        ["ALTER TYPE mood RENAME TO feeling", "ALTER DOMAIN d SET DEFAULT 'ok'"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ALONE))
def test_what_only_the_probe_sees_is_seen(pg_url: str, case: str) -> None:
    setup, changes = ALONE[case]
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        driver.execute(STANDING)
        driver.execute(setup)
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        for change in changes:
            driver.execute(change)
            assert tracker.snapshot() == snapshot(driver, table=TABLE), change
    finally:
        driver.close()
        reader.close()


def test_a_renamed_role_in_a_policy_is_seen(pg_url: str) -> None:
    role = f"verify_{uuid.uuid4().hex[:8]}"
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        driver.execute(f"CREATE ROLE {role}; CREATE TABLE t (id int)")
        driver.execute(f"CREATE POLICY p ON t TO {role} USING (true)")
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        driver.execute(f"ALTER ROLE {role} RENAME TO {role}_2")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
    finally:
        driver.execute(f"DROP POLICY IF EXISTS p ON t; DROP ROLE IF EXISTS {role}")
        driver.execute(f"DROP ROLE IF EXISTS {role}_2")
        driver.close()
        reader.close()


def test_extras_are_kept_while_nothing_they_show_changed(pg_url: str) -> None:
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        driver.execute(STANDING)
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        kept = tracker.extras
        assert kept is not None and kept[1]
        driver.execute("CREATE TABLE other (id int); ALTER TABLE other ADD COLUMN n int")
        driver.execute("CREATE VIEW w AS SELECT id FROM other; DROP TABLE other CASCADE")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        assert tracker.extras is not None and tracker.extras[1] is kept[1]  # not read again
        driver.execute("ALTER TABLE standing RENAME TO staying")
        assert tracker.snapshot() == snapshot(driver, table=TABLE)
        assert tracker.extras[1] is not kept[1]
    finally:
        driver.close()
        reader.close()


@pytest.mark.parametrize("standing", [False, True], ids=["bare", "with-extras"])
def test_extras_coming_and_going_are_seen(pg_url: str, standing: bool) -> None:
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        if standing:
            driver.execute(STANDING)
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        for step in EXTRAS_STEPS:
            driver.execute(step)
            full = snapshot(driver, table=TABLE)
            assert tracker.snapshot() == full, step
            assert tracker.snapshot() == full, f"unchanged, after {step}"
    finally:
        driver.close()
        reader.close()


def test_only_the_changed_objects_are_read_again(pg_url: str) -> None:
    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        driver.execute(
            "CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE VIEW v AS SELECT id FROM a"
        )
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        driver.execute("ALTER TABLE a RENAME COLUMN id TO key")
        tracker.snapshot()
        assert {u[2] for u in tracker.read_again or ()} == {"a", "v"}  # b is kept
        tracker.snapshot()
        assert tracker.read_again == set()  # nothing changed: nothing read again
    finally:
        driver.close()
        reader.close()


def test_every_snapshot_field_is_kept_or_read_in_full() -> None:
    """A collection the delta reader keeps per object must be one it knows how to key; every
    other field comes from a full read, so a new kind of object is never stale."""
    names = {f.name for f in fields(Snapshot)}
    assert set(pg_delta.KEPT) <= names


def test_a_dropped_reader_connection_is_a_connection_error(pg_url: str) -> None:
    """The reader's server session ends between two snapshots: exit 6, said once."""
    from sqlmig.errors import ConnectError

    driver = connect(parse_url(pg_url), table=TABLE)
    reader = connect(parse_url(pg_url), table=TABLE)
    try:
        tracker = pg_delta.Tracker(reader, TABLE)
        tracker.snapshot()
        pid = reader.conn.info.backend_pid  # type: ignore[attr-defined]
        driver.execute(f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(ConnectError, match="lost the connection to the scratch database") as e:
            tracker.snapshot()
        assert e.value.exit_code == 6
    finally:
        driver.close()
        reader.close()

"""Which actions of a statement get a pre-check, and which tables it writes (no database)."""

from __future__ import annotations

import pytest

from sqlmig.live import parse
from sqlmig.live.locks import CONFLICTS
from sqlmig.live.rules import mysql, outside_transaction


@pytest.mark.parametrize(
    ("sql", "dialect", "kinds"),
    [
        ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", "postgres", ["not_null"]),
        ("ALTER TABLE t ALTER COLUMN a DROP NOT NULL", "postgres", []),
        ("ALTER TABLE t ADD COLUMN c int NOT NULL", "postgres", ["new_not_null"]),
        ("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0", "postgres", []),
        ("ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY NOT NULL", "postgres", []),
        ("ALTER TABLE t ADD COLUMN c int NOT NULL", "mysql", []),  # the implicit default fills it
        ("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a, b)", "postgres", ["unique"]),
        ("ALTER TABLE t ADD PRIMARY KEY (a)", "postgres", ["primary_key"]),
        ("CREATE UNIQUE INDEX CONCURRENTLY u ON t (lower(a)) WHERE b", "postgres", ["unique"]),
        ("CREATE INDEX i ON t (a)", "postgres", []),
        ("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (id)", "postgres", ["foreign_key"]),
        ("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (id) NOT VALID", "postgres", []),
        ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", "postgres", ["check"]),
        ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", "postgres", []),
        ("ALTER TABLE t ALTER COLUMN a TYPE varchar(3)", "postgres", ["type"]),
        ("ALTER TABLE t MODIFY a int NOT NULL", "mysql", ["not_null", "type"]),
        ("ALTER TABLE t ADD UNIQUE KEY u (b), ALGORITHM=INPLACE", "mysql", ["unique"]),
        ("CREATE UNIQUE INDEX u ON t (a(10))", "mysql", ["unreadable"]),  # a prefix index
        ("ALTER TABLE t ADD UNIQUE (a(10))", "mysql", ["unreadable"]),  # said not checked
        ("not sql at all (", "postgres", []),
        ("ALTER TABLE t ADD CHECK (a > 0)", "postgres", ["check"]),
        ("ALTER TABLE t ADD UNIQUE (a)", "postgres", ["unique"]),
        (
            "ALTER TABLE t ADD CONSTRAINT x CHECK (a > 0) NOT VALID, ADD CHECK (b > 0)",
            "postgres",
            ["unreadable"],
        ),
    ],
)
def test_checks(sql: str, dialect: str, kinds: list[str]) -> None:
    assert [c.kind for c in parse.read(sql, dialect).checks] == kinds


def test_names_fold_as_postgresql_folds_them() -> None:
    (check,) = parse.read(
        'ALTER TABLE App."Users" ALTER COLUMN Email SET NOT NULL', "postgres"
    ).checks
    assert check.table == ("app", "Users") and check.columns == ("email",)


def test_using_is_told_apart() -> None:
    (check,) = parse.read("ALTER TABLE t ALTER a TYPE int USING a::int", "postgres").checks
    assert check.using
    (check,) = parse.read("ALTER TABLE t ALTER a TYPE int", "postgres").checks
    assert not check.using


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("UPDATE s.t SET a = 1", [("s", "t")]),
        ("DELETE FROM t", [(None, "t")]),
        ("INSERT INTO t SELECT * FROM u", [(None, "t")]),
        ("DO $$ BEGIN END $$", [parse.ANY]),
        ("SELECT backfill()", [parse.ANY]),
        ("CREATE TABLE x (a int)", []),
        ("ALTER TABLE t ADD COLUMN a int", []),
        ("BEGIN", []),
        ("COMMIT", []),
        ("SET search_path = x", []),
    ],
)
def test_writes(sql: str, writes: list) -> None:
    assert list(parse.read(sql, "postgres").writes) == writes


def test_the_conflict_table_is_postgresqls() -> None:
    assert CONFLICTS["AccessExclusiveLock"] >= set(CONFLICTS)
    assert CONFLICTS["AccessShareLock"] == {"AccessExclusiveLock"}
    assert "RowExclusiveLock" in CONFLICTS["ShareLock"]  # CREATE INDEX blocks writes
    assert "RowExclusiveLock" not in CONFLICTS["ShareUpdateExclusiveLock"]  # CONCURRENTLY
    for mode, others in CONFLICTS.items():
        assert all(mode in CONFLICTS[o] for o in others)  # symmetric


def test_rules_for_what_cannot_be_traced() -> None:
    (touch,) = outside_transaction('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "S".t (a)') or []
    assert (touch.table, touch.lock, touch.how) == ('"S".t', "ShareUpdateExclusiveLock", "rules")
    assert outside_transaction("ALTER TABLE t ADD a int") is None
    assert mysql("ALTER TABLE t ADD COLUMN a int")[0].lock.startswith("ALGORITHM=INSTANT")
    assert mysql("ALTER TABLE t ADD INDEX (a)")[0].lock.startswith("ALGORITHM=INPLACE")
    assert mysql("ALTER TABLE t ADD a int, MODIFY b bigint")[0].lock.startswith("ALGORITHM=COPY")
    assert mysql("ALTER TABLE t ADD INDEX (a), ALGORITHM=COPY, LOCK=NONE")[0].lock == (
        "ALGORITHM=COPY, LOCK=NONE"
    )


def test_preflight_settings(tmp_path) -> None:
    from sqlmig.config import load
    from sqlmig.errors import UsageError

    assert load({}, environ={}, cwd=tmp_path).preflight is False
    assert load({}, environ={}, cwd=tmp_path).preflight_timeout == 5.0
    env = {"SQLMIG_PREFLIGHT": "1", "SQLMIG_PREFLIGHT_TIMEOUT": "500ms"}
    cfg = load({}, environ=env, cwd=tmp_path)
    assert cfg.preflight is True and cfg.preflight_timeout == 0.5
    for bad in ("0", "off", "-1"):
        with pytest.raises(UsageError, match="SQLMIG_PREFLIGHT_TIMEOUT"):
            load({}, environ={"SQLMIG_PREFLIGHT_TIMEOUT": bad}, cwd=tmp_path)

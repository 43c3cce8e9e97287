"""A migration's outcome does not depend on what ran before it in the same process.

Each migration file first records the session it finds (a probe table), then changes session
state the way real files do (pg_dump's search_path, SET ROLE, lock_timeout, mysqldump's
autocommit, USE, SQLite pragmas, temporary tables). The same files are applied in one `up` and
one file per `up`, on fresh databases: the probes, the tables' owners and places, and the
history must come out the same. Hypothesis draws the sequences.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlmig import config
from sqlmig.migrator import Migrator
from tests.conftest import (
    PG_URL,
    _mysql_admin,
    _with_db,
    query,
    require_mysql,
    require_pg,
    write,
)

# -- what each database's files do to their session -------------------------------------------

PG_CHANGES = {
    "pg_dump search_path": "SELECT pg_catalog.set_config('search_path', '', false);",
    "set role": "SET ROLE sqlmig_iso_role;",
    "session authorization": "SET SESSION AUTHORIZATION sqlmig_iso_role;",
    "lock_timeout 0": "SET lock_timeout = 0;",
    "statement_timeout": "SET statement_timeout = '7s';",
    "user schema": "CREATE SCHEMA IF NOT EXISTS postgres;",
    "read only default": "SET default_transaction_read_only = on;",
    "temp table": "CREATE TEMP TABLE tmp_probe (a int);",
    "time zone": "SET TIME ZONE 'Asia/Tokyo';",
    "backslash strings": "SET standard_conforming_strings = off;",
    "client encoding": "SET client_encoding = 'LATIN1';",
    "prepared": "PREPARE sqlmig_probe_p AS SELECT 1;",
    "reset all": "RESET ALL;",
    "advisory lock": "SELECT pg_advisory_lock(4242);",
}
PG_PROBE = """CREATE TABLE public.probe_{n} AS SELECT
  current_user::text AS who, session_user::text AS sess,
  current_setting('search_path') AS sp, current_setting('lock_timeout') AS lt,
  current_setting('statement_timeout') AS st, current_setting('TimeZone') AS tz,
  current_setting('standard_conforming_strings') AS scs,
  current_setting('default_transaction_read_only') AS ro,
  current_setting('client_encoding') AS ce,
  to_regclass('pg_temp.tmp_probe') IS NOT NULL AS tmp,
  (SELECT count(*) FROM pg_prepared_statements) AS prepared,
  (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
     AND pid = pg_backend_pid()) AS advisory,
  current_schema()::text AS cs;
CREATE TABLE made_{n} (a int);
"""

SQLITE_CHANGES = {
    "foreign keys": "PRAGMA foreign_keys = ON;",
    "recursive triggers": "PRAGMA recursive_triggers = ON;",
    "legacy alter": "PRAGMA legacy_alter_table = ON;",
    "shadow history": "CREATE TEMP TABLE sqlmig_history (version int);",
    "attach": "ATTACH DATABASE ':memory:' AS aux;",
    "temp table": "CREATE TEMP TABLE tmp_probe (a int);",
}
SQLITE_PROBE = """CREATE TABLE probe_{n} AS SELECT
  (SELECT foreign_keys FROM pragma_foreign_keys) AS fk,
  (SELECT recursive_triggers FROM pragma_recursive_triggers) AS rt,
  (SELECT legacy_alter_table FROM pragma_legacy_alter_table) AS la,
  (SELECT count(*) FROM pragma_database_list) AS dbs,
  (SELECT count(*) FROM temp.sqlite_master) AS temps;
CREATE TABLE made_{n} (a int);
"""

MYSQL_CHANGES = {
    "autocommit off": "SET autocommit = 0;",
    "use other": "USE {other};",
    "sql_mode": "SET SESSION sql_mode = 'ANSI_QUOTES';",
    "user variable": "SET @probe = 5;",
    "names latin1": "SET NAMES latin1;",
    "time zone": "SET time_zone = '+09:00';",
    "temp table": "CREATE TEMPORARY TABLE tmp_probe (a int);",
    "lock wait": "SET SESSION lock_wait_timeout = 3;",
}
MYSQL_PROBE = """CREATE TABLE probe_{n} AS SELECT
  RIGHT(DATABASE(), 2) = '_o' AS in_other, @@autocommit AS ac, @@sql_mode AS sm, @probe AS uv,
  @@character_set_client AS cs, @@time_zone AS tz, @@lock_wait_timeout AS lwt;
CREATE TABLE made_{n} (a int);
"""


# -- databases, two at a time ------------------------------------------------------------------


def _pg_db() -> Iterator[str]:
    import psycopg

    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(
            "DO $$ BEGIN CREATE ROLE sqlmig_iso_role; EXCEPTION WHEN duplicate_object THEN "
            "NULL; END $$"
        )
    url = _with_db(PG_URL, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("GRANT ALL ON SCHEMA public TO sqlmig_iso_role")
    try:
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _mysql_db() -> Iterator[str]:
    name = f"sqlmig_t_{uuid.uuid4().hex[:12]}"
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"CREATE DATABASE `{name}_o`")
        from tests.conftest import MYSQL_URL

        yield f"{MYSQL_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP DATABASE IF EXISTS `{name}_o`")
        admin.close()


def _sqlite_db(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / f'{uuid.uuid4().hex[:8]}.db'}"


def _up(url: str, folder: Path, **kw: object) -> None:
    cfg = config.load({"url": url, "dir": str(folder)}, environ={}, cwd=folder)
    Migrator(cfg).up(**kw)  # type: ignore[arg-type]


def _files(folder: Path, changes: list[str], pool: dict[str, str], probe: str, **fmt: str) -> int:
    """One migration per change: the probe of the session it starts in, then the change.
    Every second file runs without a transaction, unless fmt says single="1"."""
    single = fmt.pop("single", "")
    for n, key in enumerate(changes, start=1):
        no_tx = "-- sqlmig:no-transaction\n" if n % 2 == 0 and not single else ""
        write(folder, f"{n:04d}_m{n}", no_tx + probe.format(n=n) + pool[key].format(**fmt))
    n = len(changes) + 1  # a last probe sees what the last change left
    write(folder, f"{n:04d}_m{n}", probe.format(n=n))
    return n


def _outcome(url: str, n: int) -> dict[str, object]:
    """The probes, where each table landed (and its owner), and the history."""
    if url.startswith("postgresql"):
        probes = [query(url, f"SELECT * FROM public.probe_{i}") for i in range(1, n + 1)]
        placed = query(
            url,
            "SELECT schemaname, tablename, tableowner FROM pg_tables WHERE tablename LIKE "
            "'made\\_%' OR tablename LIKE 'sqlmig\\_history%' ORDER BY 1, 2",
        )
        table = "public.sqlmig_history"
    elif url.startswith("mysql"):
        probes = [query(url, f"SELECT * FROM probe_{i}") for i in range(1, n + 1)]
        db = url.rsplit("/", 1)[1]
        placed = query(
            url,
            "SELECT TABLE_SCHEMA = DATABASE(), TABLE_NAME FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA IN ('{db}', '{db}_o') AND (TABLE_NAME LIKE 'made%' OR "
            "TABLE_NAME LIKE 'sqlmig_history%') ORDER BY 1, 2",
        )
        table = "sqlmig_history"
    else:
        probes = [query(url, f"SELECT * FROM probe_{i}") for i in range(1, n + 1)]
        placed = query(url, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        table = "sqlmig_history"
    history = query(url, f"SELECT version, name, checksum, status FROM {table} ORDER BY 1")
    return {"probes": probes, "placed": placed, "history": history}


def _same_either_way(
    make: Callable[[], Iterator[str]],
    tmp: Path,
    changes: list[str],
    pool: dict,
    probe: str,
    *,
    single: bool = False,
) -> None:
    """The files applied in one `up` (with single: `up --single-transaction`) and one per `up`
    give the same probes, places and history."""
    folder = tmp / uuid.uuid4().hex[:8]
    folder.mkdir()
    together_gen, apart_gen = make(), make()
    together, apart = next(together_gen), next(apart_gen)
    try:
        other = (together.rsplit("/", 1)[1] + "_o") if together.startswith("mysql") else ""
        n = _files(folder, changes, pool, probe, other=other, single="1" if single else "")
        # (both runs' files name the same sibling database)
        _up(together, folder, single_transaction=single)
        for _ in range(n):
            _up(apart, folder, steps=1)
        assert _outcome(together, n) == _outcome(apart, n), changes
    finally:
        for gen in (together_gen, apart_gen):
            for _ in gen:
                pass


HYPOTHESIS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("change", sorted(PG_CHANGES))
def test_each_postgres_change_stays_in_its_file(change: str, tmp_path: Path) -> None:
    require_pg()
    _same_either_way(_pg_db, tmp_path, [change, change], PG_CHANGES, PG_PROBE)


@HYPOTHESIS
@given(changes=st.lists(st.sampled_from(sorted(PG_CHANGES)), min_size=2, max_size=4))
def test_postgres_sequences_give_the_same_result_in_one_up_or_many(
    changes: list[str], tmp_path: Path
) -> None:
    require_pg()
    _same_either_way(_pg_db, tmp_path, changes, PG_CHANGES, PG_PROBE)


@pytest.mark.parametrize("change", sorted(SQLITE_CHANGES))
def test_each_sqlite_change_stays_in_its_file(change: str, tmp_path: Path) -> None:
    _same_either_way(
        lambda: _sqlite_db(tmp_path), tmp_path, [change, change], SQLITE_CHANGES, SQLITE_PROBE
    )


@HYPOTHESIS
@given(changes=st.lists(st.sampled_from(sorted(SQLITE_CHANGES)), min_size=2, max_size=4))
def test_sqlite_sequences_give_the_same_result_in_one_up_or_many(
    changes: list[str], tmp_path: Path
) -> None:
    _same_either_way(lambda: _sqlite_db(tmp_path), tmp_path, changes, SQLITE_CHANGES, SQLITE_PROBE)


@pytest.mark.parametrize("change", sorted(MYSQL_CHANGES))
def test_each_mysql_change_stays_in_its_file(change: str, tmp_path: Path) -> None:
    require_mysql()
    _same_either_way(_mysql_db, tmp_path, [change, change], MYSQL_CHANGES, MYSQL_PROBE)


@HYPOTHESIS
@given(changes=st.lists(st.sampled_from(sorted(MYSQL_CHANGES)), min_size=2, max_size=4))
def test_mysql_sequences_give_the_same_result_in_one_up_or_many(
    changes: list[str], tmp_path: Path
) -> None:
    require_mysql()
    _same_either_way(_mysql_db, tmp_path, changes, MYSQL_CHANGES, MYSQL_PROBE)


# --single-transaction: one transaction for every file, still each file in the run's session
SINGLE_PG = sorted(k for k in PG_CHANGES if k not in ("read only default", "advisory lock"))


@pytest.mark.parametrize("change", SINGLE_PG)
def test_postgres_single_transaction_files_start_in_the_runs_session(
    change: str, tmp_path: Path
) -> None:
    require_pg()
    _same_either_way(_pg_db, tmp_path, [change, change], PG_CHANGES, PG_PROBE, single=True)


@pytest.mark.parametrize("change", sorted(k for k in SQLITE_CHANGES if k != "attach"))
def test_sqlite_single_transaction_files_start_in_the_runs_session(
    change: str, tmp_path: Path
) -> None:
    _same_either_way(
        lambda: _sqlite_db(tmp_path),
        tmp_path,
        [change, change],
        SQLITE_CHANGES,
        SQLITE_PROBE,
        single=True,
    )

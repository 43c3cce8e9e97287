"""`--targets` / `--schemas` end to end: real PostgreSQL databases and schemas, SQLite files,
MariaDB databases, real worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.cli.helpers import GATED_SQL, SLOW_SQL, Cli, describe, gate, run_many
from tests.conftest import (
    ROOT,
    clean_env,
    execute,
    fresh_mysql_database,
    fresh_pg_database,
    query,
    write,
)

PASSWORD = "Sekr3tFleetPw"  # trust authentication ignores it; no output may show it


def fleet_of(make: object, n: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        urls = []
        for _ in range(n):
            gen = make()  # type: ignore[operator]
            urls.append(next(gen))
            stack.callback(gen.close)
        yield urls


@pytest.fixture
def pg_fleet() -> Iterator[list[str]]:
    yield from fleet_of(fresh_pg_database, 3)


@pytest.fixture
def mysql_fleet() -> Iterator[list[str]]:
    yield from fleet_of(fresh_mysql_database, 3)


def two_migrations(folder: Path) -> None:
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    write(folder, "0002_b", "CREATE TABLE b (id int);\n")


def doc(proc: subprocess.CompletedProcess[str]) -> dict:
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(describe(proc)) from None


def rows_by_target(proc: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {row["target"]: row for row in doc(proc)["targets"]}


def test_postgres_databases_up_status_failures_and_no_password_shown(
    pg_fleet: list[str], migrations: Path, tmp_path: Path
) -> None:
    two_migrations(migrations)
    one, two, three = pg_fleet
    with_pw = one.replace("postgres@", f"postgres:{PASSWORD}@")
    (tmp_path / "fleet.txt").write_text(f"# three databases\n{with_pw}\n{two}\n{three}\n")
    cli = Cli("", migrations, env={"SQLMIG_TARGET_PASSWORD": "EnvPw9x"})
    up = cli("up", "--targets", str(tmp_path / "fleet.txt"), "--parallel", "2", "--json")
    assert up.returncode == 0, describe(up)
    rows = doc(up)["targets"]
    assert [(r["before"], r["after"], r["applied"], r["exit_code"]) for r in rows] == [
        ("no migration", "0002_b", 2, 0)
    ] * 3
    assert all(query(u, "SELECT count(*) FROM sqlmig_history") == [(2,)] for u in pg_fleet)

    write(migrations, "0003_c", "CREATE TABLE c (id int);\n")
    execute(two, "CREATE TABLE c (x int);")  # 0003 fails there
    status = cli("status", "--targets", str(tmp_path / "fleet.txt"), "--exit-code")
    assert status.returncode == 8, describe(status)
    assert status.stdout.count("behind 1") == 3, describe(status)

    (tmp_path / "fleet.txt").write_text(
        f"{with_pw}\n{two}\npostgresql://postgres:{PASSWORD}@127.0.0.1:1/x\n{three}\n"
    )
    up = cli("up", "--targets", str(tmp_path / "fleet.txt"), "--json")
    assert up.returncode == 1, describe(up)  # the worst: a failed migration (1) over connect (6)
    codes = [r["exit_code"] for r in doc(up)["targets"]]
    assert codes == [0, 1, 6, 0], describe(up)
    assert query(three, "SELECT max(version) FROM sqlmig_history") == [(3,)]
    text = cli("up", "--targets", str(tmp_path / "fleet.txt"), "--parallel", "3")
    assert text.returncode == 1
    for output in (up.stdout, up.stderr, text.stdout, text.stderr, status.stdout, status.stderr):
        assert PASSWORD not in output and "EnvPw9x" not in output
    assert "postgresql://postgres:***@127.0.0.1:1/x" in text.stdout, describe(text)
    assert "failed (exit 1)" in text.stdout and "failed (exit 6)" in text.stdout


def test_sqlite_files_by_template_fail_fast_and_validate(migrations: Path, tmp_path: Path) -> None:
    two_migrations(migrations)
    targets = tmp_path / "tenants.txt"
    targets.write_text("acme corp\nbad\nglobex\ninitech\n")
    template = f"sqlite:///{tmp_path}/${{tenant}}.db"
    Cli(f"sqlite:///{tmp_path}/bad.db", migrations).ok("up", "--to", "1")
    execute(f"sqlite:///{tmp_path}/bad.db", "CREATE TABLE b (x int);")  # 0002 fails there
    cli = Cli("", migrations)
    dry = cli("up", "--dry-run", "--targets", str(targets), "--url-template", template)
    assert dry.returncode == 0 and dry.stdout.count("dry run: 2 to apply") == 3, describe(dry)
    assert not (tmp_path / "acme corp.db").exists()
    run = cli("up", "--targets", str(targets), "--url-template", template, "--parallel", "1",
              "--fail-fast", "--json")  # fmt: skip
    assert run.returncode == 1, describe(run)
    got = {t: (r["result"], r.get("after")) for t, r in rows_by_target(run).items()}
    assert got == {
        "acme corp": ("ok", "0002_b"),
        "bad": ("failed", None),
        "globex": ("not run", None),
        "initech": ("not run", None),
    }
    assert (tmp_path / "acme corp.db").exists() and not (tmp_path / "globex.db").exists()
    run = cli("up", "--targets", str(targets), "--url-template", template)  # goes on
    assert run.returncode == 1 and "bad" in run.stderr, describe(run)
    assert query(f"sqlite:///{tmp_path}/initech.db", "SELECT count(*) FROM sqlmig_history") == [
        (2,)
    ]
    (migrations / "0001_a.up.sql").write_text("CREATE TABLE a (id bigint);\n")
    check = cli("validate", "--targets", str(targets), "--url-template", template, "--json")
    assert check.returncode == 4, describe(check)
    assert {r["exit_code"] for r in doc(check)["targets"]} == {4}


SEEN = (
    "CREATE TABLE seen AS SELECT current_setting('app.who', true) AS who, "
    "current_schema() AS here;\n"
    "SELECT set_config('app.who', current_schema(), false);\n"
    "SET search_path TO public;\n"
)


def test_postgres_schemas_hostile_names_own_history_no_leaks(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_seen", SEEN)
    write(migrations, "0002_b", "CREATE TABLE b (id int);\n")
    names = ["acme", 'a "b" c${x}', "Globex", "x'; DROP SCHEMA public; --"]
    (tmp_path / "schemas.txt").write_text("\n".join(names) + "\n")
    cli = Cli(pg_url, migrations)
    run = cli("up", "--schemas", str(tmp_path / "schemas.txt"), "--parallel", "1")
    assert run.returncode == 0, describe(run)
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        assert query(pg_url, f"SELECT who, here FROM {quoted}.seen") == [(None, name)]
        assert query(pg_url, f"SELECT count(*) FROM {quoted}.sqlmig_history") == [(2,)]
        assert query(pg_url, f"SELECT count(*) FROM {quoted}.b") == [(0,)]
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    listed = "SELECT nspname FROM pg_namespace WHERE nspname IN ('acme', 'Globex') ORDER BY 1"
    status = cli("status", "--schemas-query", listed, "--json")
    assert status.returncode == 0, describe(status)
    assert {t: (r["after"], r["pending"]) for t, r in rows_by_target(status).items()} == {
        "Globex": ("0002_b", 0),
        "acme": ("0002_b", 0),
    }
    bad = cli("status", "--schemas-query", "SELECT nope FROM nowhere")
    assert bad.returncode == 2 and "--schemas-query failed" in bad.stderr, describe(bad)


def test_mariadb_databases(mysql_fleet: list[str], migrations: Path, tmp_path: Path) -> None:
    two_migrations(migrations)
    (tmp_path / "fleet.txt").write_text("\n".join(mysql_fleet) + "\n")
    cli = Cli("", migrations)
    up = cli("up", "--targets", str(tmp_path / "fleet.txt"), "--parallel", "3", "--json")
    assert up.returncode == 0, describe(up)
    assert [r["after"] for r in doc(up)["targets"]] == ["0002_b"] * 3
    for url in mysql_fleet:
        assert query(url, "SELECT count(*) FROM sqlmig_history") == [(2,)]
    write(migrations, "0003_c", "CREATE TABLE c (id int);\n")
    status = cli("status", "--targets", str(tmp_path / "fleet.txt"))
    assert status.returncode == 0 and status.stdout.count("behind 1") == 3, describe(status)


def test_shards_cover_every_target_exactly_once(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    execute(pg_url, "CREATE TABLE public.ledger (tenant text);")
    write(migrations, "0001_note", "INSERT INTO public.ledger VALUES (current_schema());\n")
    names = [f"tenant_{i}" for i in range(6)]
    (tmp_path / "schemas.txt").write_text("\n".join(names) + "\n")
    args = ("up", "--schemas", str(tmp_path / "schemas.txt"), "--json")
    calls = [(Cli(pg_url, migrations), (*args, "--shard", f"{i}/3")) for i in (1, 2)]
    job = Cli(pg_url, migrations, env={"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "3"})
    calls.append((job, args))
    procs = run_many(calls, workers=3)
    assert all(p.returncode == 0 for p in procs), [describe(p) for p in procs]
    covered = [row["target"] for p in procs for row in doc(p)["targets"]]
    assert sorted(covered) == names  # each shard ran its own, none twice
    assert [doc(p)["shard"] for p in procs] == ["1/3", "2/3", "3/3"]
    assert sorted(query(pg_url, "SELECT tenant FROM public.ledger")) == [(n,) for n in names]


def test_usage_errors_before_anything_connects(migrations: Path, tmp_path: Path) -> None:
    two_migrations(migrations)
    targets = tmp_path / "t.txt"
    targets.write_text("postgresql://sqlmig@127.0.0.1:1/x\nacme\n")
    cli = Cli("", migrations)
    cases = [
        (("up", "--targets", str(targets)), f"{targets}:2: 'acme' is not a URL"),
        (("down", "--targets", str(targets)), "`down` does not run across a fleet"),
        (("up", "--targets", str(targets), "--schemas", str(targets)), "give one of"),
        (("up", "--targets", str(targets), "--shard", "4/3"), "bad --shard"),
        (("up", "--sql", "--targets", str(targets)), "does not run across a fleet"),
    ]
    for args, message in cases:
        proc = cli(*args)
        assert proc.returncode == 2 and message in proc.stderr, describe(proc)
    sqlite = Cli(f"sqlite:///{tmp_path}/x.db", migrations)
    proc = sqlite("up", "--schemas", str(targets))
    assert proc.returncode == 2 and "PostgreSQL only" in proc.stderr, describe(proc)
    proc = sqlite("status", "--targets", str(targets))
    assert proc.returncode == 2 and "give one of the two" in proc.stderr, describe(proc)


def test_ctrl_c_stops_the_fleet_and_reports_what_ran(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_wait", GATED_SQL["postgres"])
    (tmp_path / "schemas.txt").write_text("s1\ns2\ns3\n")
    argv = [sys.executable, "-m", "sqlmig", "--url", pg_url, "--dir", str(migrations), "up",
            "--schemas", str(tmp_path / "schemas.txt"), "--parallel", "2"]  # fmt: skip
    env = clean_env({"PYTHONPATH": str(ROOT)})
    with gate(pg_url) as open_gate:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp_path)  # fmt: skip
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        deadline = time.monotonic() + 30
        while query(pg_url, waiting) != [(2,)] and time.monotonic() < deadline:
            time.sleep(0.1)
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        others += "AND pid <> pg_backend_pid()"
        assert query(pg_url, others)[0][0] <= 2 * 2 + 1  # --parallel 2 (2 each), and the gate
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        open_gate()
    assert proc.returncode == 130, f"{out}\n{err}"
    lines = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert (
        "not run" in lines["s3"] and "interrupted" in lines["s1"] and "interrupted" in lines["s2"]
    )
    assert "exit 130" in out.splitlines()[-1]
    again = Cli(pg_url, migrations)("up", "--schemas", str(tmp_path / "schemas.txt"))
    assert again.returncode == 0, describe(again)  # locks released, nothing half-done


def test_two_fleet_runs_at_once_apply_each_migration_once(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    execute(pg_url, "CREATE TABLE public.ledger (tenant text, version int);")
    for v in (1, 2):
        write(
            migrations,
            f"000{v}_note",
            f"INSERT INTO public.ledger VALUES (current_schema(), {v});\n",
        )
    (tmp_path / "schemas.txt").write_text("t1\nt2\nt3\nt4\n")
    cli = Cli(pg_url, migrations)
    args = ("up", "--schemas", str(tmp_path / "schemas.txt"), "--parallel", "2")
    procs = run_many([(cli, args), (cli, args)], workers=2)
    assert all(p.returncode == 0 for p in procs), [describe(p) for p in procs]
    got = query(
        pg_url, "SELECT tenant, version, count(*) FROM public.ledger GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert got == [(t, v, 1) for t in ("t1", "t2", "t3", "t4") for v in (1, 2)]


def test_sigterm_stops_workers_even_when_sigint_was_ignored(
    migrations: Path, tmp_path: Path
) -> None:
    """A script's background job starts with SIGINT ignored; the workers still stop."""
    write(migrations, "0001_slow", SLOW_SQL["sqlite"])
    (tmp_path / "t.txt").write_text("a\nb\nc\n")
    argv = [sys.executable, "-m", "sqlmig", "--dir", str(migrations), "up", "--targets",
            str(tmp_path / "t.txt"), "--url-template", f"sqlite:///{tmp_path}/${{t}}.db",
            "--parallel", "2"]  # fmt: skip
    ignore = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731
    proc = subprocess.Popen(argv, env=clean_env({"PYTHONPATH": str(ROOT)}), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore)  # fmt: skip
    assert proc.stderr is not None
    started = 0
    while started < 2:
        line = proc.stderr.readline()
        assert line, "the fleet ended before two targets started"
        started += "applying 0001_slow" in line
    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 143, out
    assert out.count("interrupted (exit 130)") == 2 and "not run" in out, out
    assert out.splitlines()[-1].endswith("exit 143"), out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_list_is_read_still_gives_the_json_and_its_exit_code(
    migrations: Path, tmp_path: Path, signum: int
) -> None:
    """The targets file is a pipe no one has written yet: sqlmig is stopped while checking
    the list. It said nothing and exited 130 for SIGTERM too (no JSON document)."""
    two_migrations(migrations)
    fifo = tmp_path / "targets.fifo"
    os.mkfifo(fifo)
    template = f"sqlite:///{tmp_path}/${{t}}.db"
    argv = [sys.executable, "-m", "sqlmig", "--json", "--dir", str(migrations), "up",
            "--targets", str(fifo), "--url-template", template]  # fmt: skip
    proc = subprocess.Popen(argv, env=clean_env({"PYTHONPATH": str(ROOT)}), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    writer = None
    while writer is None:  # until sqlmig has the pipe open for reading
        assert proc.poll() is None, proc.communicate()
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.02)
    try:
        os.write(writer, b"acme\n")  # one line read; sqlmig now waits for the rest
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(writer)
    assert proc.returncode == (143 if signum == signal.SIGTERM else 130), err
    error = json.loads(out)["error"]
    assert (
        error["message"] == "interrupted while checking the list of targets: no target was started"
    )
    assert (error["kind"], error["exit_code"]) == ("interrupted", proc.returncode)
    assert not list(tmp_path.glob("*.db"))


def test_a_placeholder_without_a_value_is_said_once_before_any_target_starts(
    migrations: Path, tmp_path: Path
) -> None:
    """It failed every target's row, one by one (with 1000 targets, 1000 times)."""
    write(
        migrations,
        "0001_a",
        "-- sqlmig:placeholders\nCREATE TABLE ${tbl}_${sqlmig.database} (id int);\n",
    )
    targets = tmp_path / "t.txt"
    targets.write_text("acme\nglobex\n")
    template = f"sqlite:///{tmp_path}/${{t}}"  # the file name is ${sqlmig.database}: no dot
    cli = Cli("", migrations)
    proc = cli("up", "--targets", str(targets), "--url-template", template)
    assert proc.returncode == 2, describe(proc)
    assert proc.stderr.count("placeholder ${tbl}: it has no value") == 1, describe(proc)
    assert proc.stdout == "" and not list(tmp_path.glob("acme*")), describe(proc)
    proc = cli("--var", "tbl=t", "up", "--targets", str(targets), "--url-template", template)
    assert proc.returncode == 0, describe(proc)
    assert query(f"sqlite:///{tmp_path}/globex", "SELECT count(*) FROM t_globex") == [(0,)]


def test_quiet_keeps_a_failed_targets_error_as_a_single_command_does(
    migrations: Path, tmp_path: Path
) -> None:
    """-q hid the error and its hint entirely (only the table's cut-off cell was left)."""
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n")
    execute(f"sqlite:///{tmp_path}/bad.db", "CREATE TABLE a (x int);")  # not empty: exit 7
    targets = tmp_path / "t.txt"
    targets.write_text("good\nbad\n")
    template = f"sqlite:///{tmp_path}/${{t}}.db"
    proc = Cli("", migrations)("-q", "up", "--targets", str(targets), "--url-template", template)
    assert proc.returncode == 7, describe(proc)
    assert "bad: error: " in proc.stderr and "but no sqlmig history" in proc.stderr, describe(proc)
    assert "bad: hint: " in proc.stderr and "good" not in proc.stderr, describe(proc)


def test_a_popx_folder_is_read_as_each_kind_of_target_reads_it(tmp_path: Path) -> None:
    """A popx folder (ory/kratos's layout) holds files per database kind: the fleet has no
    --url to choose by, so it reads the folder as its targets' kind (it refused the folder:
    "which database's files to read is not known", with a hint to give --url, which a fleet
    refuses)."""
    folder = tmp_path / "sql"
    folder.mkdir()
    for kind, sql in (("sqlite3", "CREATE TABLE lite (id int);"), ("postgres", "SELECT 1;")):
        (folder / f"20210101000000000000_a.{kind}.up.sql").write_text(sql)
        (folder / f"20210101000000000000_a.{kind}.down.sql").write_text("SELECT 1;")
    targets = tmp_path / "tenants.txt"
    targets.write_text("one\ntwo\n")
    template = f"sqlite:///{tmp_path}/${{tenant}}.db"
    run = Cli("", folder)("up", "--targets", str(targets), "--url-template", template)
    assert run.returncode == 0, describe(run)
    for name in ("one", "two"):  # the sqlite3 file ran
        tables = query(f"sqlite:///{tmp_path}/{name}.db", "SELECT name FROM sqlite_master")
        assert ("lite",) in tables, tables

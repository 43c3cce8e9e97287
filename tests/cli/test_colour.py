"""Colour on a terminal (a real pty): `error:`, warnings and lint findings; never with NO_COLOR,
in a pipe, or with --json."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from tests.cli.helpers import (
    GATED_SQL,
    SLOW_SQL,
    Cli,
    describe,
    gate,
    holding_lock,
    kind_of,
    on_a_terminal,
)
from tests.conftest import write

ESC = "\x1b["


def test_error_prefix_is_red_on_a_terminal_only(tmp_path: Path) -> None:
    code, out = on_a_terminal("status", cwd=tmp_path)  # no URL anywhere: exit 2
    assert code == 2, out
    assert f"{ESC}1;31merror:{ESC}0m" in out, repr(out)
    assert f"{ESC}36mhint:{ESC}0m" in out, repr(out)

    code, out = on_a_terminal("status", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert code == 2 and "error: " in out and ESC not in out, repr(out)

    code, out = on_a_terminal("--json", "status", cwd=tmp_path)
    assert code == 2 and '"exit_code": 2' in out and ESC not in out, repr(out)

    piped = Cli("", tmp_path / "migrations")("status")
    assert piped.returncode == 2 and "error: " in piped.stderr, describe(piped)
    assert ESC not in piped.stderr + piped.stdout


def test_a_failed_migration_is_a_red_error_on_every_database(
    any_url: str, migrations: Path
) -> None:
    write(migrations, "0001_broken", "CREATE TABLE t (id int);\nSELECT * FROM no_such_table;\n")
    args = ("--url", any_url, "--dir", str(migrations), "up")
    code, out = on_a_terminal(*args, cwd=migrations.parent)
    assert code in (1, 5), out
    assert f"{ESC}1;31merror:{ESC}0m" in out and "0001_broken" in out, repr(out)
    code, out = on_a_terminal(*args, cwd=migrations.parent, env={"NO_COLOR": "x"})
    assert "error: " in out and ESC + "1;31m" not in out, repr(out)


def test_lint_findings_are_coloured_by_severity_on_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_x.up.sql").write_text("CREATE INDEX i ON t (a);\nDROP TABLE old;\n")
    args = ("lint", "--dialect", "postgres", str(folder))
    code, out = on_a_terminal(*args, cwd=tmp_path)
    assert code == 1, out
    assert f"{ESC}31mP101 index-without-concurrently{ESC}0m" in out, repr(out)
    assert f"{ESC}36mhelp:{ESC}0m" in out, repr(out)

    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        code, out = on_a_terminal(*args, cwd=tmp_path, env=env)
        assert code == 1 and "P101 index-without-concurrently" in out and ESC not in out, env

    piped = subprocess.run(
        [sys.executable, "-m", "sqlmig", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert "P101 index-without-concurrently" in piped.stdout and ESC not in piped.stdout


def test_a_lock_wait_warning_is_yellow_on_a_terminal(db_url: str, migrations: Path) -> None:
    # the lock holder waits at a gate until both runs are done (a sleep ended first under load);
    # SQLite has no gate: its holder counts for a few seconds of CPU
    kind = kind_of(db_url)
    write(migrations, "0001_slow", GATED_SQL.get(kind, SLOW_SQL[kind]), "SELECT 1;\n")
    args = ("--url", db_url, "--dir", str(migrations), "up", "--lock-timeout", "1")
    envs: list[dict[str, str]] = [{}, {"NO_COLOR": "1"}]
    gated = gate(db_url) if kind != "sqlite" else nullcontext(lambda: None)
    with gated as open_gate, holding_lock(Cli(db_url, migrations)):
        with ThreadPoolExecutor(2) as pool:
            runs = pool.map(lambda env: on_a_terminal(*args, cwd=migrations.parent, env=env), envs)
            (code, out), (plain_code, plain) = list(runs)
        open_gate()  # before holding_lock waits for the holder to finish
    assert code == 3 and plain_code == 3, out + plain
    waiting = [line for line in out.splitlines() if "waiting" in line]
    assert waiting and waiting[0].lstrip("\r").startswith(f"{ESC}33m"), repr(out)
    assert f"{ESC}1;31merror:{ESC}0m" in out, repr(out)
    assert "waiting" in plain and ESC + "33m" not in plain, repr(plain)


def test_on_a_terminal_up_and_status_load_neither_rich_nor_sqlglot_nor_the_extras(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_ok", "CREATE TABLE t (id int);")
    write(migrations, "0002_broken", "SELECT * FROM no_such_table;")
    code = (
        "import sys\n"
        "from sqlmig import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "found = {m.split('.')[0] for m in sys.modules} & {'rich', 'sqlglot', 'django', "
        "'sqlalchemy', 'flask', 'flask_sqlalchemy'}\n"
        "print('LOADED', sorted(found))\n"
    )
    args = ("--url", sqlite_url, "--dir", str(migrations))
    _, out = on_a_terminal(*args, "up", cwd=migrations.parent, python=("-c", code))
    assert f"{ESC}1;31merror:{ESC}0m" in out and "LOADED []" in out, repr(out)
    _, out = on_a_terminal(*args, "status", "--json", cwd=migrations.parent, python=("-c", code))
    assert '"state": "pending"' in out and "LOADED []" in out, repr(out)


def test_an_empty_no_color_does_not_turn_colour_off(tmp_path: Path) -> None:
    code, out = on_a_terminal("status", cwd=tmp_path, env={"NO_COLOR": ""})
    assert code == 2 and f"{ESC}1;31merror:{ESC}0m" in out, repr(out)

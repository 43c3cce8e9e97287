"""Commands that change nothing create nothing: on a SQLite path that does not exist, status,
current, history, validate, the dry runs, wait and the schema reads leave no file behind and
say there is no database there yet (issue 11, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, describe
from tests.conftest import write

READ_ONLY = [
    ("status",),
    ("status", "--exit-code"),
    ("current",),
    ("history",),
    ("validate",),
    ("up", "--dry-run"),
    ("down", "--dry-run"),
    ("down", "--all", "--dry-run"),
    ("status", "--schema"),
    ("schema", "dump"),
    ("wait", "--timeout", "5"),
]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_a_read_only_command_creates_no_sqlite_file(args: tuple[str, ...], tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    data = tmp_path / "data"
    data.mkdir()
    done = Cli(f"sqlite:///{data / 'app.db'}", folder)(*args)
    assert done.returncode in (0, 8), describe(done)  # 8: status --exit-code, one pending
    assert _files(data) == [], f"{' '.join(args)} created {_files(data)}"


def test_verify_diff_and_lint_leave_the_target_alone(tmp_path: Path) -> None:
    """They build on a scratch database (a temporary file), never in the --url one."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    (tmp_path / "schema.sql").write_text("CREATE TABLE a (id int);\n", "utf-8")
    data = tmp_path / "data"
    data.mkdir()
    cli = Cli(f"sqlite:///{data / 'app.db'}", folder)
    for args in (("verify",), ("diff", "--check", str(tmp_path / "schema.sql")), ("lint",)):
        done = cli(*args)
        assert done.returncode in (0, 1), describe(done)  # lint/diff may find something
        assert "Traceback" not in done.stderr
        assert _files(data) == [], f"{' '.join(args)} created {_files(data)}"


def test_status_lists_everything_pending_and_says_there_is_no_file(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    write(folder, "0002_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n")
    db = tmp_path / "app.db"
    cli = Cli(f"sqlite:///{db}", folder)
    out = cli.ok("status").stdout
    assert "pending  0001_a" in out and "pending  0002_b" in out, out
    assert f"there is no SQLite database at {db} yet (`sqlmig up` creates it)" in out, out
    doc = json.loads(cli.ok("--json", "status").stdout)
    assert [r["state"] for r in doc["rows"]] == ["pending", "pending"]
    assert any(f"no SQLite database at {db} yet" in m for m in doc["messages"]), doc
    plan = cli.ok("up", "--dry-run")
    assert plan.stdout.startswith("would apply 2 migration(s):")
    assert f"no SQLite database at {db} yet" in plan.stdout
    assert (
        f"Database: sqlite:///{db} (SQLite 3." in plan.stderr and "no such file yet" in plan.stderr
    )
    assert not db.exists()

    up = cli.ok("up")  # the command that changes something creates it, and says so
    assert f"Database: sqlite:///{db} (SQLite 3." in up.stderr and ", a new file)" in up.stderr
    out = cli.ok("status").stdout
    assert "no SQLite database" not in out and out.count("applied") == 2, out


def test_a_missing_folder_is_still_cannot_open(tmp_path: Path) -> None:
    """`up` could not create the file there either: exit 6, as before, and nothing made."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    cli = Cli(f"sqlite:///{tmp_path / 'not' / 'there' / 'app.db'}", folder)
    for args in (("status",), ("up", "--dry-run"), ("wait", "--timeout", "0.5"), ("up",)):
        done = cli(*args)
        assert done.returncode == 6, describe(done)
        assert "cannot open SQLite database" in done.stderr, done.stderr
    assert not (tmp_path / "not").exists()


def test_a_path_that_cannot_be_looked_at_is_an_error_not_nothing_applied(tmp_path: Path) -> None:
    """Only a file that is certainly not there reads as empty: a symbolic link to itself (like a
    folder without search permission) is exit 6, never "nothing is applied"."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id int);\n")
    (tmp_path / "loop.db").symlink_to("loop.db")
    done = Cli(f"sqlite:///{tmp_path / 'loop.db'}", folder)("status")
    assert done.returncode == 6, describe(done)
    assert "nothing is applied" not in done.stdout


def test_an_existing_file_is_read_as_before(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    before = sorted(p.name for p in db.parent.iterdir())
    for args in READ_ONLY:
        done = cli(*args)
        assert done.returncode == 0, describe(done)
        assert "no SQLite database" not in done.stdout + done.stderr
    assert cli.ok("current").stdout == "0001_a\n"
    assert sorted(p.name for p in db.parent.iterdir()) == before

"""A migrations folder with no migration (issue 13, item 3): new as `init` leaves it (nothing in
it but hidden files such as .gitkeep) it is fine and each command says so; holding anything
else it is the wrong folder, and status, up, validate and lint stop with exit 2 naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlmig

COMMANDS = ("status", "up", "validate", "lint")


@pytest.mark.parametrize("hidden", [False, True], ids=["empty", "gitkeep"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_new_folder_says_it_holds_no_migrations_yet(
    sqlite_url: str, migrations: Path, command: str, hidden: bool
) -> None:
    if hidden:
        (migrations / ".gitkeep").write_text("")
    proc = sqlmig("--url", sqlite_url, "--dir", str(migrations), command)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"migrations folder {migrations} holds no migrations yet" in proc.stdout
    assert "`sqlmig new NAME` writes the first" in proc.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_with_other_files_and_no_migration_is_an_error(
    sqlite_url: str, migrations: Path, command: str
) -> None:
    (migrations / "README.md").write_text("# our migrations\n")
    (migrations / "notes.txt").write_text("todo\n")
    proc = sqlmig("--url", sqlite_url, "--dir", str(migrations), command)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"migrations folder {migrations} holds no migrations (only README.md, notes.txt)" in (
        proc.stderr
    )
    assert "point --dir" in proc.stderr and "sqlmig new NAME" in proc.stderr


def test_status_exit_code_right_after_init_and_after_a_readme(pg_url: str, tmp_path: Path) -> None:
    assert sqlmig("init", cwd=tmp_path).returncode == 0
    args = ("--url", pg_url)
    fresh = sqlmig(*args, "status", "--exit-code", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "holds no migrations yet" in fresh.stdout
    (tmp_path / "migrations" / "README.md").write_text("how we migrate\n")
    wrong = sqlmig(*args, "status", cwd=tmp_path)
    assert wrong.returncode == 2 and "holds no migrations (only README.md)" in wrong.stderr


def test_the_hint_works_new_writes_the_first_migration(sqlite_url: str, migrations: Path) -> None:
    (migrations / "README.md").write_text("# our migrations\n")
    args = ("--url", sqlite_url, "--dir", str(migrations))
    assert sqlmig(*args, "status").returncode == 2
    assert sqlmig(*args, "new", "first").returncode == 0
    after = sqlmig(*args, "status")
    assert after.returncode == 0 and "0001_first" in after.stdout, after.stdout + after.stderr

"""Plain text output (not a terminal, no --json): what CI logs and pipes get."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from tests.cli.helpers import on_a_terminal
from tests.conftest import sqlmig, write


def test_status_lines_say_when_by_whom_and_how_long(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    write(migrations, "0002_posts", "CREATE TABLE posts (id int);", "DROP TABLE posts;")
    args = ("--url", sqlite_url, "--dir", str(migrations))
    assert sqlmig(*args, "up", "--steps", "1").returncode == 0
    lines = sqlmig(*args, "status").stdout.splitlines()
    applied = re.compile(r"applied  0001_users  20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ  (\S+)  \d+ ms")
    match = applied.fullmatch(lines[0])
    assert match, lines
    assert match.group(1).startswith(getpass.getuser() + "@")
    assert lines[1] == "pending  0002_posts"
    assert lines[2] == "current: 0001_users; pending: 1"


def test_history_is_an_aligned_table_with_numbers_right_aligned(
    any_url: str, migrations: Path
) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    write(migrations, "0010_posts_and_comments", "CREATE TABLE posts (id int);")
    args = ("--url", any_url, "--dir", str(migrations))
    assert sqlmig(*args, "up").returncode == 0
    write(migrations, "0011_broken", "SELECT * FROM no_such_table;")
    assert sqlmig(*args, "up").returncode in (1, 5)
    lines = sqlmig(*args, "history").stdout.splitlines()
    assert len(lines) == 3, lines
    # one label per migration (issue 11: `0010_posts_and_comments`, never `10`), in one column
    labels = ["0001_users", "0010_posts_and_comments", "0011_broken"]
    assert [line.split()[3] for line in lines] == labels
    assert len({line.index(label) for line, label in zip(lines, labels, strict=True)}) == 1
    outcome_at = {
        line.index(" ok ") if " ok " in line else line.index(" failed ") for line in lines
    }
    assert len(outcome_at) == 1, lines  # past names of different lengths, one column
    ms_end = {line.index(" ms") for line in lines[:2]}
    assert len(ms_end) == 1, lines
    assert lines[2].split("failed", 1)[1].strip().split("  ", 1)[1].strip(), lines  # the error


def test_on_a_terminal_status_keeps_its_summary_and_history_is_a_table(
    sqlite_url: str, migrations: Path
) -> None:
    write(migrations, "0001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    write(migrations, "0002_posts", "CREATE TABLE posts (id int);")
    args = ("--url", sqlite_url, "--dir", str(migrations))
    assert sqlmig(*args, "up", "--steps", "1").returncode == 0
    code, out = on_a_terminal(*args, "status", cwd=migrations.parent, env={"NO_COLOR": "1"})
    assert code == 0 and "migration" in out.splitlines()[1], out  # the table's header
    assert "current: 0001_users; pending: 1" in out, out
    code, out = on_a_terminal(*args, "history", cwd=migrations.parent, env={"NO_COLOR": "1"})
    assert code == 0, out
    header = next(line for line in out.splitlines() if "at (UTC)" in line)
    assert "migration" in header and "outcome" in header, out
    row = next(line for line in out.splitlines() if "users" in line)
    assert "│ 0001_users │" in row, out  # its label, whole

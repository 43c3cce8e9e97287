"""Plain text output (not a terminal, no --json): what CI logs and pipes get."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

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

"""Scenarios 18 and 19 on MariaDB, with a real password check (a user made for the test).

18. A password holding @ : / % (percent-encoded in the URL) is decoded and accepted.
19. A wrong password, and any password for an unreachable server: every command exits 6 with a
    clear message, and the password is in no output, raw or percent-encoded, --json or not.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import sqlmig
from tests.reliability.harness import args, assert_exactly_once, secret_free, write_versions

pytestmark = pytest.mark.timeout(90)
PASSWORD = "S3ntinel@:/%pw-7Q"
WRONG = "Wr0ng@:/%Sentinel-xxxxxxxx"
COMMANDS = [["up"], ["down"], ["redo"], ["status"], ["validate"], ["history"], ["current"]]


def _everywhere(url: str, migrations: Path) -> list:
    """Every command at once, every other one with --json."""
    calls = [["--json"] * (i % 2) + c for i, c in enumerate(COMMANDS)]
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda c: sqlmig(*args(url, migrations, *c), timeout=60), calls))


def test_password_with_url_characters_is_decoded(
    ledger_mysql: str, mysql_user: Callable[..., str], migrations: Path
) -> None:
    url = mysql_user(PASSWORD, "ALL ON {db}.*")
    assert quote(PASSWORD, safe="") in url
    write_versions(migrations, range(1, 3))
    for command in (["up"], ["status"], ["down"]):
        done = sqlmig(*args(url, migrations, *command))
        assert done.returncode == 0, (command, done.stderr)
        secret_free(done.stdout + done.stderr, PASSWORD)
    assert_exactly_once(ledger_mysql, [1])


def test_wrong_password_is_exit_6_and_never_printed(
    ledger_mysql: str, mysql_user: Callable[..., str], migrations: Path
) -> None:
    right = mysql_user(PASSWORD, "ALL ON {db}.*")
    wrong = right.replace(quote(PASSWORD, safe=""), quote(WRONG, safe=""))
    write_versions(migrations, [1])
    for done in _everywhere(wrong, migrations):
        assert done.returncode == 6, (done.args, done.stderr)
        assert "Access denied" in done.stdout + done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        secret_free(done.stdout + done.stderr, WRONG)
    assert_exactly_once(ledger_mysql, [])


def test_unreachable_server_never_prints_the_password(migrations: Path) -> None:
    write_versions(migrations, [1])
    url = f"mysql://root:{quote(PASSWORD, safe='')}@127.0.0.1:1/x"  # nothing listens on port 1
    for done in _everywhere(url, migrations):
        assert done.returncode == 6, (done.args, done.stderr)
        assert "cannot connect" in done.stdout + done.stderr, done.stderr
        secret_free(done.stdout + done.stderr, PASSWORD)

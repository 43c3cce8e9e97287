"""`down`: --steps, --to and --all are alternatives (two of them: exit 2, nothing reverted), and
reverting more than one migration asks first: y/N on a terminal (a real pseudo-terminal here),
a refusal naming --yes when stdin is not one (issue 11, item 5)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.helpers import UNREACHABLE, Cli, describe
from tests.conftest import query, write


def _three(folder: Path, url: str) -> Cli:
    for n, name in ((1, "a"), (2, "b"), (3, "c")):
        write(folder, f"000{n}_{name}", f"CREATE TABLE {name} (id int);\n", f"DROP TABLE {name};\n")
    cli = Cli(url, folder)
    cli.ok("up")
    return cli


def _applied(url: str) -> list[int]:
    return [int(r[0]) for r in query(url, "SELECT version FROM sqlmig_history ORDER BY version")]


# --- conflicting flags -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--all", "--steps", "1"), ("--all", "--steps 1")),
        (("--steps", "1", "--to", "1"), ("--steps 1", "--to 1")),
        (("--to", "0", "--all"), ("--to 0", "--all")),
        (("--all", "--to", "2", "--steps", "3", "--dry-run"), ("--all", "--to 2", "--steps 3")),
    ],
)
def test_two_down_selectors_are_a_usage_error_before_connecting(
    flags: tuple[str, ...], named: tuple[str, ...], migrations: Path
) -> None:
    done = Cli(UNREACHABLE, migrations)("down", *flags, "--yes")
    assert done.returncode == 2, describe(done)  # 6 would mean it tried to connect
    assert "cannot be combined" in done.stderr and all(f in done.stderr for f in named), done.stderr


def test_conflicting_flags_revert_nothing(any_url: str, migrations: Path) -> None:
    cli = _three(migrations, any_url)
    for flags in (("--all", "--steps", "1"), ("--steps", "1", "--to", "1")):
        done = cli("down", *flags, "--yes")
        assert done.returncode == 2, describe(done)
        assert "nothing was reverted" in done.stderr
    assert _applied(any_url) == [1, 2, 3]


# --- no terminal: refuse, unless --yes --------------------------------------------------------


def test_several_without_a_terminal_are_refused_unless_yes(any_url: str, migrations: Path) -> None:
    cli = _three(migrations, any_url)  # cli() runs with stdin from /dev/null
    for flags in (("--steps", "2"), ("--to", "1"), ("--all",)):
        done = cli("down", *flags)
        assert done.returncode == 2, describe(done)
        assert "stdin is not a terminal" in done.stderr and "--yes" in done.stderr, done.stderr
        assert "0003_c" in done.stderr and "0002_b" in done.stderr  # what it would revert
    assert _applied(any_url) == [1, 2, 3]
    assert cli.ok("down", "--all", "--dry-run").stdout.startswith("would revert 3")  # no question
    cli.ok("down")  # one migration: never asks
    assert _applied(any_url) == [1, 2]
    cli.ok("redo")  # redo reverts exactly one: never asks
    cli.ok("down", "--steps", "2", "--yes")
    assert _applied(any_url) == []


def test_all_asks_even_for_one_migration(sqlite_url: str, migrations: Path) -> None:
    write(migrations, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    cli = Cli(sqlite_url, migrations)
    cli.ok("up")
    done = cli("down", "--all")
    assert done.returncode == 2 and "--yes" in done.stderr, describe(done)
    assert _applied(sqlite_url) == [1]


# --- a real terminal ---------------------------------------------------------------------------


def _env() -> dict[str, str]:
    """The environment without sqlmig's settings, as tests.conftest.sqlmig runs it."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_") and k != "DATABASE_URL"
    }


def _on_a_terminal(
    cli: Cli, answer: bytes | None, *args: str, meanwhile: Callable[[], None] | None = None
) -> tuple[int, str, str]:
    """Run `sqlmig ARGS` with stdin and stderr on a pseudo-terminal; once it prints the y/N
    question, run `meanwhile` (while the question waits), then type `answer` (None: wait for it
    to finish without typing). Return the exit code, stdout and everything the terminal showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *cli.argv(*args)],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=_env(),
        cwd=cli.cwd,
    )
    os.close(follower)
    shown = b""
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:  # a safety net against a hang, not a timing assertion
                raise AssertionError(f"no output for 60 s; so far: {shown!r}")
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not data:
                break
            shown += data
            if answer is not None and shown.rstrip().endswith(b"[y/N]"):
                if meanwhile is not None:
                    meanwhile()
                os.write(leader, answer)
                answer = None
    finally:
        code = proc.wait(timeout=60)
        out = proc.stdout.read().decode() if proc.stdout else ""
        os.close(leader)
    return code, out, shown.decode(errors="replace")


def test_a_terminal_is_asked_and_no_reverts_nothing(any_url: str, migrations: Path) -> None:
    cli = _three(migrations, any_url)
    for answer in (b"n\n", b"\n", b"whatever\n", b"\x04"):  # \x04: Ctrl-D, end of input
        code, _out, shown = _on_a_terminal(cli, answer, "down", "--steps", "2")
        assert code == 2, shown
        assert "about to revert 2 migration(s)" in shown and "Revert them? [y/N]" in shown
        assert "0003_c" in shown and "0002_b" in shown and "0001_a" not in shown, shown
        assert "not confirmed: nothing was reverted" in shown, shown
    assert _applied(any_url) == [1, 2, 3]


def test_a_terminal_answering_yes_reverts(any_url: str, migrations: Path) -> None:
    cli = _three(migrations, any_url)
    code, out, shown = _on_a_terminal(cli, b"y\n", "down", "--to", "1")
    assert code == 0, shown
    assert "Revert them? [y/N]" in shown and "reverted 0002_b" in shown, shown
    assert out.splitlines()[-1] == "now at 0001_a"
    assert _applied(any_url) == [1]
    code, out, shown = _on_a_terminal(cli, b"YES\n", "down", "--all")  # one left: --all asks
    assert code == 0 and "about to revert 1 migration(s)" in shown, shown
    assert _applied(any_url) == []


def test_the_question_does_not_hold_the_lock_and_a_changed_list_reverts_nothing(
    any_url: str, migrations: Path
) -> None:
    """While a person reads the question, other runners go on (the lock is not held: an `up`
    with a 5 s lock timeout applies 0004); the answer then covers a list that is no longer the
    one to revert, so nothing is reverted and the user is told why."""
    cli = _three(migrations, any_url)
    applied_meanwhile: list[str] = []

    def another_runner_applies_0004() -> None:
        write(migrations, "0004_d", "CREATE TABLE d (id int);\n", "DROP TABLE d;\n")
        result = cli("up", "--lock-timeout", "5s")
        applied_meanwhile.append(describe(result))
        assert result.returncode == 0, describe(result)

    code, _out, shown = _on_a_terminal(
        cli, b"y\n", "down", "--steps", "2", meanwhile=another_runner_applies_0004
    )
    assert applied_meanwhile, shown
    assert code == 2, shown
    assert "changed while you answered" in shown and "nothing was reverted" in shown, shown
    assert _applied(any_url) == [1, 2, 3, 4]


def test_a_terminal_is_not_asked_for_one_or_with_yes(sqlite_url: str, migrations: Path) -> None:
    cli = _three(migrations, sqlite_url)
    code, _out, shown = _on_a_terminal(cli, None, "down")
    assert code == 0 and "[y/N]" not in shown, shown
    code, _out, shown = _on_a_terminal(cli, None, "down", "--all", "--yes")
    assert code == 0 and "[y/N]" not in shown, shown
    assert _applied(sqlite_url) == []


def test_a_terminal_on_stdin_only_is_not_asked(sqlite_url: str, migrations: Path) -> None:
    """stderr into a file or a pipe: the question would wait there unseen, so it is refused."""
    cli = _three(migrations, sqlite_url)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sqlmig", *cli.argv("down", "--all")],
            stdin=follower,
            capture_output=True,
            text=True,
            env=_env(),
            cwd=cli.cwd,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2, describe(done)
    assert "stderr is not a terminal" in done.stderr and "--yes" in done.stderr, done.stderr
    assert _applied(sqlite_url) == [1, 2, 3]

"""A password in the database URL never appears on stdout or stderr, in any spelling, ever.

The sentinel holds the characters that need percent-encoding (@ : / %), so a leak of the raw,
the encoded or the decoded form - or of a part of it - is caught by looking for its stem.
The local PostgreSQL trusts every login, so a real server accepts (and ignores) the password.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

from tests.cli.helpers import GATED_SQL, Cli, describe, execute, gate, holding_lock, run_many
from tests.conftest import write

PASSWORD = "Sentinel-Pw_7q@x:/%"
ENCODED = quote(PASSWORD, safe="")  # Sentinel-Pw_7q%40x%3A%2F%25
UNREACHABLE_ENCODED = f"postgresql://postgres:{ENCODED}@127.0.0.1:1/x"
UNREACHABLE_PLAIN = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/x"  # not a valid URL

COMMANDS: list[tuple[str, ...]] = [
    ("init",),
    ("new", "add_things"),
    ("up",),
    ("up", "--dry-run"),
    ("up", "--single-transaction"),
    ("down",),
    ("down", "--dry-run"),
    ("down", "--all", "--yes"),
    ("redo",),
    ("status",),
    ("status", "--exit-code"),
    ("current",),
    ("history",),
    ("validate",),
    ("repair",),
    ("repair", "--dry-run"),
    ("mark", "1", "--applied", "--reason", "r"),
    ("baseline", "1"),
]
MODES: list[tuple[str, ...]] = [(), ("--json",), ("--verbose",), ("--json", "--verbose")]


def assert_no_secret(proc: subprocess.CompletedProcess[str]) -> None:
    """Neither stream holds the password, encoded or not, nor a telling piece of it."""
    for stream in (proc.stdout, proc.stderr):
        text = stream.lower()
        for piece in ("sentinel", "pw_7q", "7q@x", "7q%40x", "%3a%2f%25", "x:/%"):
            assert piece not in text, f"{piece!r} leaked:\n{describe(proc)}"


def _with_password(url: str) -> str:
    """The test database's URL with the sentinel as its (ignored) password."""
    head, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{head}://{user}:{ENCODED}@{host}"


def test_no_command_leaks_the_password_of_an_unreachable_server(tmp_path: Path) -> None:
    """Every command, in every output mode, with the URL from the flag and the environment."""
    sources = [
        lambda cli: cli,  # --url, percent-encoded
        lambda cli: Cli("", cli.folder, {"SQLMIG_URL": UNREACHABLE_PLAIN}),
        lambda cli: Cli("", cli.folder, {"DATABASE_URL": UNREACHABLE_ENCODED}),
        lambda cli: Cli(UNREACHABLE_PLAIN, cli.folder),
    ]
    calls: list[tuple[Cli, tuple[str, ...]]] = []
    for i, command in enumerate(COMMANDS):
        for j in (i % len(MODES), (i + 2) % len(MODES)):  # each mode with each source
            mode = MODES[j]
            folder = tmp_path / f"run{i}-{j}" / "migrations"
            folder.mkdir(parents=True)
            write(folder, "0001_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
            cli = sources[(i + j) % len(sources)](Cli(UNREACHABLE_ENCODED, folder))
            calls.append((cli, (*mode, *command)))
    procs = run_many(calls)
    for proc in procs:
        assert_no_secret(proc)
    for (_cli, args), proc in zip(calls, procs, strict=True):
        local = args[-1] == "init" or "new" in args  # need no database
        assert proc.returncode == 0 if local else proc.returncode in (2, 6), describe(proc)
    for written in tmp_path.glob("*/sqlmig.toml"):
        assert "sentinel" not in written.read_text().lower()


def test_no_output_leaks_the_password_against_a_real_server(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    """Success, SQL failure, failed state, drift and lock timeout, with and without --json/-v."""
    cli = Cli(_with_password(pg_url), migrations)
    env_cli = Cli("", migrations, {"DATABASE_URL": cli.url})
    procs: list[subprocess.CompletedProcess[str]] = []

    def run(code: int, *args: str) -> None:
        """Run in two of the modes, taking turns; once with the URL from the environment."""
        for k in range(2):
            mode = MODES[(len(procs) + k) % len(MODES)]
            proc = (env_cli if k else cli)(*mode, *args)
            assert proc.returncode == code, describe(proc)
            procs.append(proc)

    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    run(8, "status", "--exit-code")
    run(0, "up", "--dry-run")
    procs.append(cli("--verbose", "up"))
    run(0, "status")
    run(0, "current")
    run(0, "validate")
    run(0, "down", "--dry-run")
    run(0, "redo")

    write(migrations, "0002_broken", "CREATE TABLE b (id int);\nSELECT 1 / 0;\n")
    run(1, "up")
    run(1, "up", "--single-transaction")
    write(migrations, "0002_broken", "-- sqlmig:no-transaction\nCREATE TABLE b (id int);\nx;\n")
    procs.append(cli("up"))
    run(5, "up")
    run(5, "status", "--exit-code")
    run(0, "repair", "--dry-run")
    run(0, "repair")
    run(0, "mark", "1", "--applied", "--reason", "r")
    execute(pg_url, "DROP TABLE b")
    (migrations / "0002_broken.up.sql").unlink()

    write(migrations, "0001_create_a", "CREATE TABLE a (id bigint);\n", "DROP TABLE a;\n")
    run(4, "up")
    run(4, "validate")
    run(4, "status", "--exit-code")
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE z;\n")
    run(4, "down")
    write(migrations, "0001_create_a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")

    write(migrations, "0002_slow", GATED_SQL["postgres"], "SELECT 1;\n")  # held at the gate
    with gate(pg_url) as open_gate, holding_lock(cli) as holder:
        waiting = run_many([(cli, (*mode, "up", "--lock-timeout", "1")) for mode in MODES])
        open_gate()
    assert [p.returncode for p in waiting] == [3, 3, 3, 3], [describe(p) for p in waiting]
    assert holder.proc.returncode == 0, holder.stderr
    assert_no_secret(subprocess.CompletedProcess([], 0, holder.stdout, holder.stderr))
    procs += waiting

    run(0, "history")
    run(0, "down", "--all", "--yes")
    procs.append(cli.ok("--json", "--verbose", "baseline", "1"))
    for proc in procs:
        assert_no_secret(proc)


MALFORMED = [
    UNREACHABLE_PLAIN,  # the password not percent-encoded
    f"postgresql://postgres:{PASSWORD}@127.0.0.1:notaport/x",
    f"postgresql://postgres:{ENCODED}@[127.0.0.1/x",
    f"postgresql://postgres:{ENCODED}@127.0.0.1:99999/x",
    f"postgres:{ENCODED}@127.0.0.1/x",  # no //
    f"postgresql:/postgres:{ENCODED}@127.0.0.1/x",
    f"mysql2://root:{ENCODED}@127.0.0.1/x",
    f"postgresql://postgres@127.0.0.1:1/x?password={ENCODED}",  # libpq's query parameter
    f"postgresql://postgres@127.0.0.1:1/x?sslmode=bogus&password={ENCODED}",
    f"host=127.0.0.1 port=1 user=postgres password={ENCODED}",  # a libpq DSN, not a URL
]


def test_no_output_leaks_the_password_of_a_malformed_url(migrations: Path) -> None:
    write(migrations, "0001_a", "SELECT 1;\n")
    calls = [
        (Cli(url, migrations), args)
        for url in MALFORMED
        for args in (("status",), ("--json", "up"), ("-v", "history"))
    ]
    procs = run_many(calls)
    leaks: list[str] = []
    for proc in procs:
        assert proc.returncode != 0, describe(proc)
        try:
            assert_no_secret(proc)
        except AssertionError as exc:
            leaks.append(str(exc))
    assert not leaks, f"{len(leaks)} of {len(procs)} runs leaked:\n" + "\n".join(leaks)


def test_scrubbing_a_password_leaves_the_rest_of_the_message_readable(migrations: Path) -> None:
    """Only the password goes: not every 'p' inside the words of a message. A user name equal to
    the password (postgres:postgres) is hidden too: showing it would show the password."""
    (migrations / "foo.sql").write_text("SELECT 1;\n")
    empty = migrations.parent / "empty"  # no migration at all: up goes on to connect
    empty.mkdir()
    bad_file, connect = run_many(
        [
            (Cli("postgresql://u:p@127.0.0.1:1/x", migrations), ("up",)),
            (Cli("postgresql://postgres:postgres@127.0.0.1:1/x", empty), ("up",)),
        ]
    )
    assert bad_file.returncode == 2, describe(bad_file)
    assert f"{migrations / 'foo.sql'}: not a migration file name" in bad_file.stderr
    assert connect.returncode == 6, describe(connect)
    assert "cannot connect to postgresql://***:***@127.0.0.1:1/x" in connect.stderr, describe(
        connect
    )

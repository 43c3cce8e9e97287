"""Issue 10, item 9: no part of a password reaches any output, whatever the URL form or command.

A sentinel password goes through every URL form - user:password@ with and without an unencoded
@, percent-encoded, ?password=, a libpq keyword string - given every way - --url, SQLMIG_URL,
DATABASE_URL, SQLMIG_URL_FILE, url in sqlmig.toml, --scratch-url, transpile's --source-url and
--target-url - into every command that takes a URL, in every output mode (text, --json,
--log-format json, --verbose), against a server that is not there and one that is (PostgreSQL,
MariaDB, SQLite). Neither stdout, stderr nor the history tables may hold any piece of it.

Every piece of every sentinel holds MARK, so a leak of a part of one (libpq reads u:Head@Tail@h
as password "Head" at host "Tail@h", and names that host in its error) is caught like the whole.
The local PostgreSQL trusts every login: it accepts, and ignores, any password.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.cli.helpers import describe
from tests.conftest import _PG_PROBLEM, PG_URL, _mysql_admin, query, require_pg, sqlmig

pytestmark = pytest.mark.timeout(600)

MARK = "zq9k"  # in every piece of every sentinel; looked for case-insensitively
PLAIN = "Zq9k-plain.pw"
WITH_AT = "Zq9kHead@Zq9kTail"  # written into the URL as it is
SPECIAL = "Zq9k@:/%?#&=' Zq9k"  # written percent-encoded
PASSWORDS = (PLAIN, WITH_AT, SPECIAL)
UP, DOWN = "CREATE TABLE IF NOT EXISTS a (id int);\n", "DROP TABLE IF EXISTS a;\n"

SOURCES = ("--url", "SQLMIG_URL", "DATABASE_URL", "SQLMIG_URL_FILE", "sqlmig.toml")
MODES: list[tuple[str, ...]] = [
    (),
    ("--json",),
    ("--log-format", "json"),
    ("--verbose",),
    ("--json", "--log-format", "json", "--verbose"),
]
# Every command that takes a URL, and whether it also takes --scratch-url.
COMMANDS: list[tuple[tuple[str, ...], bool]] = [
    (("status",), False),
    (("status", "--exit-code"), False),
    (("status", "--schema"), True),
    (("up",), False),
    (("up", "--dry-run"), False),
    (("up", "--check-schema"), True),
    (("up", "--wait", "1"), False),
    (("down",), False),
    (("redo",), False),
    (("current",), False),
    (("history",), False),
    (("validate",), False),
    (("repair",), False),
    (("baseline", "1"), False),
    (("wait", "--timeout", "1"), False),
    (("verify",), True),
    (("diff", "--check", "schema.sql"), True),
    (("schema", "dump"), False),
    (("lint",), False),
    (("init",), False),
    (("new", "more"), False),
    (("plan",), True),
    (("up", "--plan"), True),
    (("preflight",), False),
    (("up", "--preflight"), False),
]
LOCAL = {"init": (0,), "new": (0,), "lint": (0, 1)}  # commands that never connect
# The commands that make a scratch database next to the live one: the MySQL users here have
# rights on their own databases only, so there they stop at "cannot create a scratch database".
SCRATCH = {"verify", "diff", "--schema", "--check-schema"}


# --- the URL forms ----------------------------------------------------------------------------


def pg_forms(host: str, port: int, db: str) -> dict[str, str]:
    at = f"{host}:{port}/{db}"
    return {
        "pg-userinfo": f"postgresql://postgres:{PLAIN}@{at}",
        "pg-userinfo-@": f"postgresql://postgres:{WITH_AT}@{at}",
        "pg-encoded": f"postgres://postgres:{quote(SPECIAL, safe='')}@{at}",
        "pg-parameter": f"postgresql://postgres@{at}?sslmode=disable&password={PLAIN}",
        "pg-keywords": f"host={host} port={port} dbname={db} user=postgres password={PLAIN}",
    }


def mysql_forms(users: dict[str, str], host: str, port: int, db: str) -> dict[str, str]:
    """users: each sentinel password -> the user that has it."""
    at = f"{host}:{port}/{db}"
    return {
        "mysql-userinfo": f"mysql://{users[PLAIN]}:{PLAIN}@{at}",
        "mysql-userinfo-@": f"mysql://{users[WITH_AT]}:{WITH_AT}@{at}",
        "mariadb-encoded": f"mariadb://{users[SPECIAL]}:{quote(SPECIAL, safe='')}@{at}",
        "mysql-parameter": f"mysql://{users[PLAIN]}@{at}?password={PLAIN}",
    }


def sqlite_forms(path: Path) -> dict[str, str]:
    return {
        "sqlite-parameter": f"sqlite:///{path}?password={PLAIN}",
        # not a SQLite URL: its "path" is sqlmig:Zq9k...@/..., which SQLite's error names
        "sqlite-userinfo": f"sqlite://sqlmig:{PLAIN}@/{path}",
    }


MYSQL_FORMS = list(mysql_forms(dict.fromkeys(PASSWORDS, "u"), "h", 1, "d"))


# PostgreSQL cannot log in with these (libpq looks up the host "Zq9kTail@..."; a keyword string
# is not a URL), sqlmig's MySQL driver refuses ?password=, and the folder of the SQLite "path"
# sqlmig:Zq9k...@/... does not exist.
NEVER_WORKS = {
    "pg-userinfo-@": (6,),
    "pg-keywords": (2,),
    "mysql-parameter": (2,),
    "sqlite-userinfo": (6,),
}


# --- running sqlmig ---------------------------------------------------------------------------


@dataclass
class Run:
    """One sqlmig process, and the exit codes it may end with."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    codes: tuple[int, ...] | None  # None: the exit code is not checked, only the output
    proc: subprocess.CompletedProcess[str] | None = None

    def __call__(self) -> Run:
        self.proc = sqlmig(*self.argv, env=self.env, cwd=self.cwd, timeout=120)
        return self


def project(cwd: Path) -> Path:
    """A folder with one reversible migration and the schema it builds; the cwd of the runs."""
    (cwd / "migrations").mkdir(parents=True)
    (cwd / "migrations" / "0001_a.up.sql").write_text(UP)
    (cwd / "migrations" / "0001_a.down.sql").write_text(DOWN)
    (cwd / "schema.sql").write_text("CREATE TABLE a (id int);\n")
    return cwd


def given(url: str, source: str, cwd: Path) -> tuple[list[str], dict[str, str]]:
    """The arguments and environment that give sqlmig `url` the way `source` names."""
    if source == "--url":
        return ["--url", url], {}
    if source == "SQLMIG_URL_FILE":
        (cwd / "url.secret").write_text(url + "\n")
        return [], {"SQLMIG_URL_FILE": str(cwd / "url.secret")}
    if source == "sqlmig.toml":
        (cwd / "sqlmig.toml").write_text(f"url = {json.dumps(url)}\n")
        return [], {}
    return [], {source: url}


def run(
    cwd: Path,
    url: str,
    command: tuple[str, ...],
    codes: tuple[int, ...],
    *,
    source: str = "--url",
    mode: tuple[str, ...] = (),
    scratch: str | None = None,
) -> Run:
    args, env = given(url, source, cwd)
    tail = ["--scratch-url", scratch] if scratch else []
    return Run([*args, "--dir", str(cwd / "migrations"), *mode, *command, *tail], env, cwd, codes)


def run_all(runs: list[Run], workers: int = 4) -> list[Run]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda r: r(), runs))


def problems(runs: list[Run]) -> list[str]:
    """Every run that printed a piece of a sentinel, crashed, or ended with an unexpected code."""
    found = []
    for r in runs:
        assert r.proc is not None
        text = r.proc.stdout + r.proc.stderr
        if MARK in text.lower():
            found.append(f"LEAK: {describe(r.proc)}")
        elif r.codes is not None and (r.proc.returncode not in r.codes or "internal" in text):
            found.append(f"EXIT (expected {r.codes}): {describe(r.proc)}")
    return found


def assert_clean(runs: list[Run]) -> None:
    bad = problems(runs)
    assert not bad, f"{len(bad)} of {len(runs)} runs:\n\n" + "\n\n".join(bad)


def recorded(url: str) -> str:
    """Every row of every sqlmig table of the database at `url` (a URL without password)."""
    sql, q = "SELECT tablename FROM pg_tables WHERE tablename LIKE 'sqlmig%'", '"'
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlmig%'"
    elif url.startswith("mysql"):
        q = "`"
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
        sql += "AND table_name LIKE 'sqlmig%'"
    tables = [name for (name,) in query(url, sql)]
    return "\n".join(f"{t}: {query(url, f'SELECT * FROM {q}{t}{q}')}" for t in tables)


def assert_nothing_recorded(*urls: str) -> None:
    """The history tables hold no piece of a sentinel (and there are history tables to read)."""
    text = "\n".join(recorded(url) for url in urls)
    assert "sqlmig_history" in text, text
    assert MARK not in text.lower(), text


# --- the findings, one by one -----------------------------------------------------------------


def test_no_piece_of_a_password_with_an_unencoded_at_is_shown(tmp_path: Path) -> None:
    """libpq splits at the first @: its error names the host 'Zq9kTail@127.0.0.1'."""
    url = pg_forms("127.0.0.1", 1, "x")["pg-userinfo-@"]
    cwd = project(tmp_path)
    runs = run_all([run(cwd, url, ("status",), (6,), mode=mode) for mode in MODES[:3]])
    assert_clean(runs)
    assert runs[0].proc and "cannot connect to postgresql://postgres:***@" in runs[0].proc.stderr


def test_wait_shows_no_password_parameter(tmp_path: Path) -> None:
    """`ready: URL` on stdout, text and --json, with the URL from --url and SQLMIG_URL_FILE."""
    url = sqlite_forms(tmp_path / "live.db")["sqlite-parameter"]
    cwd = project(tmp_path / "p")
    runs = [
        run(cwd, url, ("wait",), (0,), source=source, mode=mode)
        for source in ("--url", "SQLMIG_URL_FILE")
        for mode in ((), ("--json",), ("--log-format", "json", "--verbose"))
    ]
    assert_clean(run_all(runs))
    assert all(r.proc and "ready: sqlite:///" in r.proc.stdout for r in runs)
    assert runs[0].proc and "?password=***" in runs[0].proc.stdout


def test_a_scratch_url_password_is_never_shown(tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 'live.db'}"
    cwd = project(tmp_path / "p")
    scratches = [
        *pg_forms("127.0.0.1", 1, "x").values(),
        *sqlite_forms(tmp_path / "missing" / "x.db").values(),
    ]
    runs = [
        run(cwd, live, command, (2, 6), mode=MODES[i % len(MODES)], scratch=scratch)
        for i, scratch in enumerate(scratches)
        for command in (("verify",), ("status", "--schema"))
    ]
    assert_clean(run_all(runs))


def test_an_option_error_shows_no_password(tmp_path: Path) -> None:
    """A URL typed where a command or a number belongs is echoed by the option parser."""
    cwd = project(tmp_path)
    url = pg_forms("127.0.0.1", 1, "x")["pg-userinfo"]
    keywords = pg_forms("127.0.0.1", 1, "x")["pg-keywords"]
    argvs = [[url, "up"], ["up", "--to", url], ["wait", "--timeout", keywords]]
    runs = [Run([*mode, *argv], {}, cwd, (2,)) for argv in argvs for mode in ((), ("--json",))]
    assert_clean(run_all(runs))


# --- every form, every source, every command: a server that is not there -----------------------


def _unreachable_forms(tmp_path: Path) -> dict[str, str]:
    users = dict.fromkeys(PASSWORDS, "root")
    return {
        **pg_forms("127.0.0.1", 1, "x"),  # nothing listens on port 1
        **mysql_forms(users, "127.0.0.1", 1, "x"),
        **sqlite_forms(tmp_path / "missing" / "x.db"),  # its folder does not exist
    }


def _codes(form: str, command: tuple[str, ...]) -> tuple[int, ...] | None:
    if form.startswith("sqlite") and command[0] in ("verify", "diff"):
        return (0,)  # the live URL only says that the scratch database is a temporary file
    return LOCAL.get(command[0], (2, 6))


def test_no_form_source_command_or_mode_shows_the_password_of_a_missing_server(
    tmp_path: Path,
) -> None:
    """Each form with each command; the source and the output mode take turns, so that every
    form meets every source and every command every mode. Scratch commands run once more with
    the form as --scratch-url (the live database a working SQLite file), and the PostgreSQL
    forms as transpile's --source-url."""
    runs: list[Run] = []
    for f, (form, url) in enumerate(_unreachable_forms(tmp_path).items()):
        for i, (command, takes_scratch) in enumerate(COMMANDS):
            mode = MODES[(i + 2 * f) % len(MODES)]
            source = SOURCES[(i + f) % len(SOURCES)]
            cwd = project(tmp_path / f"{form}-{i}")
            codes = _codes(form, command)
            runs.append(run(cwd, url, command, codes, source=source, mode=mode))
            if takes_scratch:
                live = f"sqlite:///{cwd / 'live.db'}"
                runs.append(run(cwd, live, command, (2, 6), mode=mode, scratch=url))
        if form.startswith("pg"):
            cwd = project(tmp_path / f"{form}-transpile")
            check = ("transpile", "--to", "sqlite", "--check", "--source-url", url)
            runs.append(Run(["--dir", str(cwd / "migrations"), *check], {}, cwd, (2, 6)))
    assert_clean(run_all(runs))


# --- a server that is there: every command, then the history tables ---------------------------

# (command, exit code where the URL works); the commands that use a scratch database use the
# default one (a temporary database or file) here, and the sentinel scratch URL afterwards.
SCENARIO: list[tuple[tuple[str, ...], tuple[int, ...]]] = [
    (("status", "--exit-code"), (8,)),
    (("plan",), (0,)),
    (("preflight",), (0,)),
    (("up", "--dry-run"), (0,)),
    (("up", "--wait", "5"), (0,)),
    (("status",), (0,)),
    (("current",), (0,)),
    (("history",), (0,)),
    (("validate",), (0,)),
    (("redo",), (0,)),
    (("repair",), (0,)),
    (("wait", "--timeout", "5"), (0,)),
    (("schema", "dump"), (0,)),
    (("lint",), (0, 1)),
    (("status", "--schema"), (0,)),
    (("up", "--check-schema"), (0,)),
    (("verify",), (0,)),
    (("diff", "--check", "schema.sql"), (0, 1)),
    (("down",), (0,)),
    (("baseline", "1"), (0,)),
    (("down",), (0,)),
    (("init",), (0,)),
    (("new", "more"), (0,)),
]


def scenario(cwd: Path, form: str, url: str, scratch: str) -> list[Run]:
    """SCENARIO in order, the source and mode taking turns; then verify on the sentinel scratch
    URL (which it empties again at the end) and status --schema on it (which works there)."""
    project(cwd)
    out = []
    for i, (command, codes) in enumerate(SCENARIO):
        source, mode = SOURCES[i % len(SOURCES)], MODES[(i + i // len(SOURCES)) % len(MODES)]
        expected = _expected(form, command, codes)
        out.append(run(cwd, url, command, expected, source=source, mode=mode)())
    for command, codes in ((("verify",), (0,)), (("status", "--schema"), (0,))):
        expected = NEVER_WORKS.get(form) or _expected(form, command, codes, scratch=True)
        out.append(run(cwd, url, command, expected, mode=("--json",), scratch=scratch)())
    return out


def _expected(
    form: str, command: tuple[str, ...], codes: tuple[int, ...], *, scratch: bool = False
) -> tuple[int, ...] | None:
    """The exit codes of a SCENARIO step with a URL of this form (and a given --scratch-url)."""
    if form.startswith(("mysql", "mariadb")) and SCRATCH & {*command} and not scratch:
        return NEVER_WORKS.get(form, (2,))
    if form.startswith("sqlite") and command[0] in ("verify", "diff"):
        return (0,)  # the live URL only says that the scratch database is a temporary file
    if form in NEVER_WORKS and command[0] not in LOCAL:
        return NEVER_WORKS[form]
    return codes


@pytest.fixture
def pg_database() -> Iterator[Callable[[], str]]:
    """make() -> the name of a new empty PostgreSQL database; all are dropped afterwards."""
    require_pg()
    import psycopg

    made: list[str] = []

    def make() -> str:
        made.append(f"sqlmig_t_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{made[-1]}"')
        return made[-1]

    yield make
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("form", list(pg_forms("h", 1, "d")))
def test_a_working_postgres_never_shows_the_password(
    form: str, pg_url: str, pg_database: Callable[[], str], tmp_path: Path
) -> None:
    parts = urlsplit(pg_url)
    host, port, live = parts.hostname or "", parts.port or 5432, parts.path.lstrip("/")
    scratch = pg_database()
    url = pg_forms(host, port, live)[form]
    runs = scenario(tmp_path / "p", form, url, pg_forms(host, port, scratch)[form])
    cwd = project(tmp_path / "t")
    check = ("transpile", "--to", "sqlite", "--check", "--source-url", url)
    target = ("--target-url", sqlite_forms(tmp_path / "t.db")["sqlite-parameter"])
    codes = NEVER_WORKS.get(form, (0,))
    argv = ["--dir", str(cwd / "migrations"), *check, *target]
    runs += run_all([Run([*mode, *argv], {}, cwd, codes) for mode in MODES[:2]])
    assert_clean(runs)
    if form not in NEVER_WORKS:
        assert_nothing_recorded(pg_url, pg_url.replace(live, scratch))


@pytest.fixture
def mysql_database(mysql_url: str) -> Iterator[Callable[[str], str]]:
    """make(user) -> a new empty database on mysql_url's server that `user` may use fully."""
    made: list[str] = []

    def make(user: str) -> str:
        made.append(f"sqlmig_t_{uuid.uuid4().hex[:12]}")
        with _mysql_admin() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{made[-1]}`")
            cur.execute(f"GRANT ALL ON `{made[-1]}`.* TO '{user}'@'%'")
        return made[-1]

    yield make
    with _mysql_admin() as conn, conn.cursor() as cur:
        for name in made:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.mark.parametrize("form", MYSQL_FORMS)
def test_a_working_mariadb_never_shows_the_password(
    form: str,
    mysql_url: str,
    mysql_user: Callable[..., str],
    mysql_database: Callable[[str], str],
    tmp_path: Path,
) -> None:
    parts = urlsplit(mysql_url)
    host, port, live = parts.hostname or "", parts.port or 3306, parts.path.lstrip("/")
    users = {p: urlsplit(mysql_user(p, "ALL ON {db}.*")).username or "" for p in PASSWORDS}
    scratch, target = mysql_database(users[PLAIN]), mysql_database(users[PLAIN])
    with _mysql_admin() as conn, conn.cursor() as cur:
        for password, db in itertools.product((WITH_AT, SPECIAL), (scratch, target)):
            cur.execute(f"GRANT ALL ON `{db}`.* TO '{users[password]}'@'%'")
    url = mysql_forms(users, host, port, live)[form]
    runs = scenario(tmp_path / "p", form, url, mysql_forms(users, host, port, scratch)[form])
    if not _PG_PROBLEM:  # transpile --check builds the source on PostgreSQL
        cwd = project(tmp_path / "t")
        check = ("transpile", "--to", "mysql", "--check", "--source-url", PG_URL)
        target_url = mysql_forms(users, host, port, target)[form]
        codes = NEVER_WORKS.get(form, (0,))
        argv = ["--dir", str(cwd / "migrations"), *check, "--target-url", target_url]
        runs.append(Run(argv, {}, cwd, codes)())
    assert_clean(runs)
    if form not in NEVER_WORKS:
        base = mysql_url.rsplit("/", 1)[0]
        assert_nothing_recorded(mysql_url, f"{base}/{scratch}")


@pytest.mark.parametrize("form", list(sqlite_forms(Path("x.db"))))
def test_a_working_sqlite_never_shows_the_password(form: str, tmp_path: Path) -> None:
    url = sqlite_forms(tmp_path / "live.db")[form]
    scratch = sqlite_forms(tmp_path / "scratch.db")[form]
    runs = scenario(tmp_path / "p", form, url, scratch)
    assert_clean(runs)
    if form not in NEVER_WORKS:
        live, scratch = (f"sqlite:///{tmp_path / name}" for name in ("live.db", "scratch.db"))
        assert_nothing_recorded(live, scratch)


# --- secret placeholder values (issue 17): never printed, never stored -------------------------

TOKEN_VALUE, KEY_VALUE, PASSWORD_VALUE = "Zq9k_Tok3n", "Zq9kKeyVal", "Zq9k-pass"
SECRET_UP = (
    "-- sqlmig:placeholders\n"
    "CREATE TABLE s (v varchar(100));\n"
    "INSERT INTO s VALUES ('${api_token}'), ('${deploy_key}'), ('${db_password}'), ('${role}');\n"
)
# the database names the unknown column in its error: the value, lower-cased by PostgreSQL
FAILING_UP = "-- sqlmig:placeholders\nSELECT ${api_token} FROM s;\n"


def secret_project(cwd: Path) -> tuple[Path, dict[str, str]]:
    """Secrets by name (api_token, db_password) and by secret_vars (deploy_key), given by the
    environment, sqlmig.toml and --var; role is not secret."""
    (cwd / "migrations").mkdir(parents=True)
    (cwd / "migrations" / "0001_s.up.sql").write_text(SECRET_UP)
    (cwd / "migrations" / "0001_s.down.sql").write_text(
        "-- sqlmig:placeholders\nDROP TABLE s; -- ${db_password}\n"
    )
    (cwd / "migrations" / "0002_f.up.sql").write_text(FAILING_UP)
    (cwd / "sqlmig.toml").write_text(
        f'secret_vars = ["deploy_key"]\n[vars]\ndeploy_key = "{KEY_VALUE}"\nrole = "app"\n'
    )
    return cwd, {"SQLMIG_VAR_api_token": TOKEN_VALUE}


SECRET_SCENARIO: list[tuple[tuple[str, ...], tuple[int, ...] | None]] = [
    (("up", "--dry-run"), (0,)),
    (("up", "--sql"), (2,)),
    # 0001 applied, 0002 fails naming the value; MariaDB keeps 0002's failed row: then exit 5
    (("up",), (1, 5)),
    (("status",), (0,)),
    (("history",), (0,)),
    (("up", "--sql", "--to", "1"), (0, 5)),  # nothing pending up to 1: no value in the script
    (("down", "--dry-run"), (0, 5)),
    (("down", "--sql"), (2, 5)),  # the down file holds a secret: refused
]


def test_secret_placeholder_values_are_never_shown_nor_stored(any_url: str, tmp_path: Path) -> None:
    cwd, env = secret_project(tmp_path)
    runs = []
    for i, (command, codes) in enumerate(SECRET_SCENARIO):
        for mode in (MODES[i % len(MODES)], MODES[(i + 2) % len(MODES)]):
            argv = ["--url", any_url, "--dir", str(cwd / "migrations"), *mode, *command]
            runs.append(Run([*argv, "--var", f"db_password={PASSWORD_VALUE}"], env, cwd, codes)())
    assert_clean(runs)
    assert_nothing_recorded(any_url)
    stored = sorted(v for (v,) in query(any_url, "SELECT v FROM s"))
    assert stored == sorted(["app", TOKEN_VALUE, KEY_VALUE, PASSWORD_VALUE])  # they were used
    said = "".join(r.proc.stdout + r.proc.stderr for r in runs if r.proc)
    assert "placeholders: api_token=***, deploy_key=***, db_password=***, role=app" in said
    if not any_url.startswith("mysql"):  # there 0002's failed row stops down (exit 5)
        assert "DROP TABLE s; -- ***" in said  # down --dry-run: filled in, the secret masked

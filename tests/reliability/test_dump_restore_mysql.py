"""MySQL/MariaDB files run as the mysql client runs them, checked on a real MariaDB server.

Compound statements (END CASE, END IF, labels, loops, nested BEGIN ... END, handlers, CASE
expressions, MariaDB's FOR and BEGIN NOT ATOMIC) are created through split_mysql statement by
statement, with and without DELIMITER, and must exist and behave. Then mariadb-dump's output of
that database (DELIMITER ;;, executable comments, the sandbox line) is restored through
split_mysql and through the mariadb client; both copies must equal the source.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from sqlmig.sqltext import client_commands, split_mysql
from tests.conftest import MYSQL_URL, _mysql_admin, require_mysql, skip_or_fail

# each a statement, as the mariadb client with a DELIMITER other than ';' would send it
SCHEMA = [
    "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, note VARCHAR(100))",
    """CREATE PROCEDURE classify(x INT, OUT r VARCHAR(20))
BEGIN
  CASE WHEN x > 1 THEN SET r = 'many'; WHEN x = 1 THEN SET r = 'one'; ELSE SET r = 'none';
  END CASE;
  SET r = CONCAT(r, ';');
END""",
    """CREATE FUNCTION sign_of(x INT) RETURNS INT DETERMINISTIC
BEGIN
  IF x > 0 THEN RETURN 1; ELSEIF x < 0 THEN RETURN -1; ELSE RETURN IF(x IS NULL, NULL, 0);
  END IF;
END""",
    """CREATE PROCEDURE loops(n INT)
outer_block: BEGIN
  DECLARE i INT DEFAULT 0;
  l1: LOOP SET i = i + 1; IF i >= n THEN LEAVE l1; END IF; END LOOP l1;
  w: WHILE i > 0 DO
    INSERT INTO t (a, note) VALUES (i, REPEAT('x', i)); SET i = i - 1;
  END WHILE w;
  REPEAT SET i = i + 1; UNTIL i >= 2 END REPEAT;
  inner_block: BEGIN
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET i = -1; END;
    INSERT INTO t (a, note) VALUES (i, CASE WHEN i > 1 THEN 'end;' ELSE 'x' END);
  END inner_block;
  FOR j IN 1..2 DO INSERT INTO t (a, note) VALUES (100 + j, 'for'); END FOR;
END outer_block""",
    """CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
  IF NEW.a < 0 THEN SET NEW.a = 0; ELSE SET NEW.note = IFNULL(NEW.note, 'n;'); END IF""",
    "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DISABLE DO BEGIN DELETE FROM t WHERE a < 0; END",
    "BEGIN NOT ATOMIC DECLARE x INT DEFAULT 5; INSERT INTO t (a, note) VALUES (x, 'anon'); END",
    "IF (SELECT COUNT(*) FROM t) = 1 THEN INSERT INTO t (a, note) VALUES (-6, NULL); END IF",
    "CALL loops(3)",
    r"""INSERT INTO t (a, note) VALUES
  (7, 'tab\there'), (8, 'back\\slash'), (9, 'line\nbreak'), (10, NULL),
  (11, 'it''s; "q" `b`'), (12, '\\.'), (13, '/*!40101 not a comment */')""",
    "CREATE VIEW v AS SELECT id, note FROM t WHERE a > 0",
]


def _file(delimiter: str | None) -> str:
    """SCHEMA as a file: ';' after each statement, or DELIMITER lines around them."""
    if delimiter is None:
        return "".join(f"{stmt};\n" for stmt in SCHEMA)
    body = "".join(f"{stmt}{delimiter}\n" for stmt in SCHEMA)
    return f"DELIMITER {delimiter}\n{body}DELIMITER ;\nSELECT 'done';\n"


ROUTINES = [("classify", "PROCEDURE"), ("loops", "PROCEDURE"), ("sign_of", "FUNCTION")]
CHECKSUM = (
    "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS('|', id, IFNULL(a, 'null'), "
    "IFNULL(note, 'null')) ORDER BY id SEPARATOR '#')) FROM t"
)


def _connect(url: str) -> Any:
    import pymysql

    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
        autocommit=True,
    )


def _run(url: str, sql: str) -> int:
    """Run sql statement by statement through split_mysql, as sqlmig's MySQL driver does."""
    statements = split_mysql(sql)
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            for stmt in statements:
                cur.execute(stmt.text)
    finally:
        conn.close()
    return len(statements)


def _query(url: str, *sql: str) -> list[tuple[Any, ...]]:
    """The rows of the last of the statements, run in one session."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            for one in sql:
                cur.execute(one)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture
def new_db() -> Iterator[Callable[[], str]]:
    """Makes fresh empty databases on demand; drops them afterwards."""
    require_mysql()
    names: list[str] = []

    def make() -> str:
        names.append(f"sqlmig_t_{uuid.uuid4().hex[:12]}")
        admin = _mysql_admin()
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{names[-1]}`")
        admin.close()
        return f"{MYSQL_URL.rsplit('/', 1)[0]}/{names[-1]}"

    yield make
    admin = _mysql_admin()
    with admin.cursor() as cur:
        for name in names:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


def _state(url: str) -> tuple[object, ...]:
    db = url.rsplit("/", 1)[1]
    routines = _query(
        url,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, MD5(ROUTINE_DEFINITION) "
        f"FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{db}' ORDER BY ROUTINE_NAME",
    )
    triggers = _query(
        url,
        "SELECT TRIGGER_NAME, MD5(ACTION_STATEMENT) FROM information_schema.TRIGGERS "
        f"WHERE TRIGGER_SCHEMA = '{db}'",
    )
    events = _query(
        url, f"SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{db}'"
    )
    views = _query(
        url, f"SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{db}'"
    )
    rows = _query(url, "SET SESSION group_concat_max_len = 1000000", CHECKSUM)
    return rows, routines, triggers, events, views


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed")
    return str(path)


@pytest.mark.parametrize("delimiter", [None, "$$", ";;"])
def test_compound_statements_exist_and_behave(
    new_db: Callable[[], str], delimiter: str | None
) -> None:
    url = new_db()
    found = split_mysql(_file(delimiter))
    assert [s.text.strip().removesuffix(";") for s in found][: len(SCHEMA)] == SCHEMA
    assert _run(url, _file(delimiter)) == len(SCHEMA) + (delimiter is not None)
    db = url.rsplit("/", 1)[1]
    names = _query(
        url,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
        f"WHERE ROUTINE_SCHEMA = '{db}' ORDER BY ROUTINE_NAME",
    )
    assert names == ROUTINES
    assert _query(url, "CALL classify(2, @r)", "SELECT @r") == [("many;",)]
    assert _query(url, "SELECT sign_of(-5), sign_of(0), sign_of(9)") == [(-1, 0, 1)]
    rows = _query(url, "SELECT a, note FROM t WHERE id <= 8 ORDER BY id")
    anon, top_if, loops = [(5, "anon")], [(0, None)], [(3, "xxx"), (2, "xx"), (1, "x")]
    assert rows == anon + top_if + loops + [(2, "end;"), (101, "for"), (102, "for")]
    assert _query(url, "INSERT INTO t (a) VALUES (20)", "SELECT note FROM t WHERE a = 20") == [
        ("n;",)
    ]
    _rows, _routines, triggers, events, _views = _state(url)
    assert [name for name, _md5 in triggers] == ["t_bi"] and events == [("ev",)]


@pytest.fixture
def dump(new_db: Callable[[], str]) -> tuple[str, str]:
    """(source URL, mariadb-dump's output for it, with routines, triggers and events)."""
    source = new_db()
    _run(source, _file(None))
    parts = urlsplit(source)
    out = subprocess.run(
        [
            _tool("mariadb-dump"),
            f"--host={parts.hostname}",
            f"--port={parts.port or 3306}",
            f"--user={unquote(parts.username or 'root')}",
            "--routines",
            "--triggers",
            "--events",
            parts.path.lstrip("/"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return source, out.stdout


def test_mariadb_dump_restores_through_split_mysql_as_through_the_client(
    dump: tuple[str, str], new_db: Callable[[], str]
) -> None:
    source, text = dump
    assert "DELIMITER ;;" in text and "/*!40101 SET" in text
    assert client_commands(text, "mysql") == []
    by_split, by_client = new_db(), new_db()
    statements = split_mysql(text)
    assert any(s.text.lstrip().startswith("/*!40101 SET NAMES") for s in statements)
    assert all("DELIMITER" not in s.text for s in statements)
    _run(by_split, text)
    parts = urlsplit(by_client)
    subprocess.run(
        [
            _tool("mariadb"),
            f"--host={parts.hostname}",
            f"--port={parts.port or 3306}",
            f"--user={unquote(parts.username or 'root')}",
            parts.path.lstrip("/"),
        ],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    want = _state(source)
    assert want[0][0][0] == 15  # type: ignore[index]
    assert _state(by_split) == want
    assert _state(by_client) == want


def _client_sent(url: str, text: str) -> list[str]:
    """The statements the mariadb client sends for text (-vvv echoes each one between lines of
    14 dashes; --comments keeps comments in them), normalized for comparison."""
    parts = urlsplit(url)
    out = subprocess.run(
        [
            _tool("mariadb"),
            f"--host={parts.hostname}",
            f"--port={parts.port or 3306}",
            f"--user={unquote(parts.username or 'root')}",
            "-vvv",
            "--comments",
            parts.path.lstrip("/"),
        ],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sent = [_norm(s) for s in re.findall(r"^-{14}\n(.*?)\n-{14}\n", out, re.S | re.M)]
    return [s for s in sent if s]  # --comments also echoes comment-only input


def _norm(statement: str) -> str:
    """White space folded, -- comment lines and a trailing ';' dropped; the client also drops
    the \\- (sandbox) from mariadb-dump's first line, which the server ignores either way."""
    text = re.sub(r"(?m)^--.*$", "", statement.replace("\\-", ""))
    return re.sub(r"\s+", " ", text).strip().removesuffix(";").strip()


def test_split_mysql_sends_what_the_mariadb_client_sends(
    dump: tuple[str, str], new_db: Callable[[], str]
) -> None:
    _source, text = dump
    ours = [_norm(s.text) for s in split_mysql(text)]
    assert ours == _client_sent(new_db(), text)
    with_delimiter = _file("$$")
    assert [_norm(s.text) for s in split_mysql(with_delimiter)] == _client_sent(
        new_db(), with_delimiter
    )

"""MySQL/MariaDB text as the mysql client runs it: DELIMITER, executable comments, client
commands; and compound statements (BEGIN ... END bodies) kept whole under ';'. (The real
MariaDB server checks these procedures in tests/reliability/test_dump_restore.py.)"""

from __future__ import annotations

import pytest

from sqlmig.sqltext import ClientCommandError, SplitError, client_commands, split_mysql


def texts(sql: str) -> list[str]:
    return [s.text.strip() for s in split_mysql(sql)]


# --- DELIMITER -----------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["$$", "//", ";;", "!"])
def test_delimiter_lines_set_the_delimiter_and_are_not_sent(delimiter: str) -> None:
    body = "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';'; END"
    sql = (
        f"SELECT 0;\nDELIMITER {delimiter}\n{body}{delimiter}\nSELECT 2{delimiter}\n"
        "DELIMITER ;\nSELECT 3;"
    )
    found = split_mysql(sql)
    assert [s.text.strip() for s in found] == ["SELECT 0;", body, "SELECT 2", "SELECT 3;"]
    assert [s.line for s in found] == [1, 3, 4, 6]
    assert all("DELIMITER" not in s.text for s in found)


def test_delimiter_forms() -> None:
    sql = "delimiter '$$' ignored\nSELECT 1$$\n  Delimiter\t;\nSELECT 2;"
    assert texts(sql) == ["SELECT 1", "SELECT 2;"]


def test_a_delimiter_line_ends_an_unterminated_statement_as_the_client_does() -> None:
    assert texts("SELECT 1\nDELIMITER $$\nSELECT 2$$") == ["SELECT 1", "SELECT 2"]


def test_delimiter_inside_strings_and_comments_does_not_count() -> None:
    sql = "DELIMITER $$\nSELECT '$$', \"$$\", `$$` -- $$\n /* $$ */ $$\nSELECT 2"
    assert texts(sql) == ["SELECT '$$', \"$$\", `$$` -- $$\n /* $$ */", "SELECT 2"]


@pytest.mark.parametrize("line", ["DELIMITER", "DELIMITER \\\\", "DELIMITER ''"])
def test_delimiter_without_a_usable_delimiter_is_a_split_error(line: str) -> None:
    with pytest.raises(SplitError, match="line 2: DELIMITER"):
        split_mysql(f"SELECT 1;\n{line} \nSELECT 2;")


# --- executable comments -------------------------------------------------------------------


def test_executable_comments_are_statements_plain_comments_are_not() -> None:
    sql = (
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
        "/*M!100101 SET NAMES utf8mb4 */;\n/* only a comment */;\n-- and another;\n"
        "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n# hash comment;\nSELECT 1 /*!, 2 */;"
    )
    assert texts(sql) == [
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
        "/*M!100101 SET NAMES utf8mb4 */;",
        "-- and another;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;",
        "# hash comment;\nSELECT 1 /*!, 2 */;",
    ]
    assert [s.line for s in split_mysql(sql)] == [1, 2, 5, 7]


def test_mysqldump_trigger_in_executable_comments_under_double_semicolon() -> None:
    trigger = (
        "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr BEFORE "
        "INSERT ON t FOR EACH ROW BEGIN IF NEW.a < 0 THEN SET NEW.a = 0; END IF; END */"
    )
    sql = f"DELIMITER ;;\n{trigger};;\nDELIMITER ;\n/*!50003 SET sql_mode = @saved */ ;"
    assert texts(sql) == [trigger, "/*!50003 SET sql_mode = @saved */ ;"]


def test_mariadb_dump_sandbox_line_is_a_no_op() -> None:
    sql = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n/*!40101 SET NAMES utf8 */;"
    found = split_mysql(sql)
    assert len(found) == 1 and found[0].line == 3
    assert client_commands(sql, "mysql") == []


def test_star_slash_outside_a_comment_is_not_its_end() -> None:
    assert texts("SELECT 2*/*c;*/3; SELECT 4;") == ["SELECT 2*/*c;*/3;", "SELECT 4;"]


# --- compound statements under ';' --------------------------------------------------------------

COMPOUND = {
    "end-case": (
        "CREATE PROCEDURE p(x INT) BEGIN\n  CASE x WHEN 1 THEN SELECT 'one'; ELSE SELECT 'other';"
        "\n  END CASE;\n  SELECT 'after';\nEND"
    ),
    "if-elseif": (
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN\n  IF x > 1 THEN RETURN 2;"
        "\n  ELSEIF x > 0 THEN RETURN 1;\n  ELSE RETURN IF(x < 0, -1, 0);\n  END IF;\nEND"
    ),
    "labels-and-loops": (
        "CREATE PROCEDURE p() outer_block: BEGIN\n  DECLARE i INT DEFAULT 0;\n"
        "  l1: LOOP SET i = i + 1; IF i > 3 THEN LEAVE l1; END IF; END LOOP l1;\n"
        "  w: WHILE i > 0 DO SET i = i - 1; END WHILE w;\n"
        "  REPEAT SET i = i + 1; UNTIL i >= 2 END REPEAT;\n"
        "  inner_block: BEGIN SELECT REPEAT('x', i); END inner_block;\nEND outer_block"
    ),
    "case-expression-and-handler": (
        "CREATE DEFINER=`root`@`%` PROCEDURE p()\nBEGIN\n"
        "  DECLARE done INT DEFAULT 0;\n"
        "  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET done = 1; END;\n"
        "  SELECT CASE WHEN done THEN 'end;' ELSE CASE done WHEN 0 THEN 'zero' END END AS s;\n"
        "  CASE WHEN done = 0 THEN SET done = 2; END CASE;\nEND"
    ),
    "trigger-if-no-begin": (
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
        "  IF NEW.a < 0 THEN SET NEW.a = 0; ELSE SET NEW.a = NEW.a; END IF"
    ),
    "event": (
        "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t WHERE a < 0; "
        "INSERT INTO t VALUES (0); END"
    ),
    "mariadb-for": (
        "CREATE OR REPLACE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; "
        "SELECT 'for update' FROM t FOR UPDATE; END"
    ),
    "begin-not-atomic": "BEGIN NOT ATOMIC DECLARE x INT DEFAULT 1; SELECT x; END",
    "top-level-if": "IF @x IS NULL THEN SELECT 1; ELSE SELECT 2; END IF",
    "end-as-a-name": "CREATE PROCEDURE p() BEGIN SELECT a, end FROM t; SELECT t.end FROM t; END",
}


@pytest.mark.parametrize("name", list(COMPOUND))
def test_compound_statement_is_one_statement(name: str) -> None:
    body = COMPOUND[name]
    sql = f"SELECT 0;\n{body};\nSELECT 9;"
    assert texts(sql) == ["SELECT 0;", f"{body};", "SELECT 9;"]


def test_begin_and_end_outside_routines_are_ordinary_words() -> None:
    sql = "CREATE TABLE event (begin INT, end INT);\nBEGIN;\nBEGIN WORK;\nCOMMIT;\nSELECT 1;"
    assert len(split_mysql(sql)) == 5


def test_an_unclosed_block_keeps_the_rest_together_rather_than_cutting_mid_body() -> None:
    sql = "CREATE PROCEDURE p() BEGIN SELECT 1;\nSELECT 2;"
    assert len(split_mysql(sql)) == 1


# --- client commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "line", "command"),
    [
        ("SELECT 1;\nsource other.sql\nSELECT 2;", 2, "source other.sql"),
        ("SELECT 1;\n\\. other.sql\n", 2, "\\. other.sql"),
        ("SELECT 1\\G\n", 1, "\\G"),
        ("SELECT 1;\nstatus;\n", 2, "status"),
        ("SELECT 1;\n\nconnect db2;", 3, "connect db2"),
        ("SELECT 1;\nhelp 'contents';", 2, "help 'contents'"),
        ("SELECT 1;\nSYSTEM ls\n", 2, "SYSTEM ls"),
    ],
)
def test_client_commands_are_reported_by_line(sql: str, line: int, command: str) -> None:
    assert client_commands(sql, "mysql") == [(line, command)]
    with pytest.raises(ClientCommandError) as info:
        split_mysql(sql)
    assert (info.value.line, info.value.command) == (line, command)


def test_use_is_sql_even_without_a_delimiter() -> None:
    sql = "use other\nSELECT 1;\nUSE `x`;\nSELECT 2;"
    assert texts(sql) == ["use other", "SELECT 1;", "USE `x`;", "SELECT 2;"]
    assert client_commands(sql, "mysql") == []


def test_words_that_only_look_like_commands_are_sql() -> None:
    sql = "status_x;\nSELECT 'source x', \\N, \"\\\\G\";\nstatus x;\n-- \\G\nSELECT 1 # \\."
    assert client_commands(sql, "mysql") == []
    assert len(split_mysql(sql)) == 4


def test_unterminated_quote_or_comment_is_a_split_error() -> None:
    for tail in ("'abc", '"abc', "`abc", "/* abc"):
        with pytest.raises(SplitError, match="unterminated"):
            split_mysql(f"SELECT 1; SELECT {tail}")


# --- the quick "no command can be here" check ----------------------------------------------------

_PIECES = ["go", "GO", "Go", "source", "Status", "quit", "ego", "\\", "?", "$", "_", "1", "\xe9",
           "\u212a", "\u017f", " ", "\t", "\n", ";", "/", "'", '"', "--", "#", "/*", "*/", "SELECT",
           "x"]  # fmt: skip


def test_the_quick_check_never_hides_a_command_the_scanner_finds() -> None:
    """mysql_client_commands skips the scan where a quick search finds no command word; that
    search must find every one the scanner would: compared on drawn texts."""
    from hypothesis import assume, given, settings
    from hypothesis import strategies as st

    from sqlmig import mysqlscan
    from sqlmig.sqlscan import SplitError

    def full(text: str) -> list[str]:
        found = mysqlscan.scan_mysql(text)
        return [text[e.at : e.end] for e in found if isinstance(e, mysqlscan.MyCommand)]

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(_PIECES), max_size=12))
    def check(pieces: list[str]) -> None:
        text = "".join(pieces)
        try:
            scanned = [t.strip() for t in full(text)]
        except SplitError:  # an unterminated quote: the splitter says so when the file runs
            assume(False)
        quick = [t for _, t in mysqlscan.mysql_client_commands(text)]
        assert quick == scanned, text

    check()

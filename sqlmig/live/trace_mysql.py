"""Trace MariaDB/MySQL online DDL on a scratch database built from the applied migrations: each
pending ALTER TABLE or CREATE INDEX is tried with ALGORITHM=INSTANT, then INPLACE with
LOCK=NONE, then INPLACE with LOCK=SHARED, then COPY; the server refuses an algorithm it cannot
honour before it changes anything, so the first one it accepts is the one `up` gets (the
server picks the cheapest it can). The statement is then applied there, so that the next one
sees what it made. A changed InnoDB table id is a rebuild."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from . import rules
from .model import Pending, Touch

# ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON): the algorithm or lock asked for is refused
_REFUSED = {1845, 1846}
_SYNTAX = 1064
# the rows on the scratch table fail it: out of range, truncated, NULL, duplicate, orphan, CHECK
_ROWS_FAIL = {1048, 1062, 1138, 1264, 1265, 1292, 1366, 1452, 3819, 4025}
_TRIES = [  # (clause, algorithm, LOCK= shown)
    ("ALGORITHM=INSTANT", rules.INSTANT, "none"),
    ("ALGORITHM=INPLACE, LOCK=NONE", rules.INPLACE, "none (brief metadata locks)"),
    ("ALGORITHM=INPLACE, LOCK=SHARED", rules.INPLACE, "SHARED: blocks writes"),
    ("ALGORITHM=COPY", rules.COPY, "SHARED: blocks writes"),
]
_GIVEN = re.compile(r"\b(ALGORITHM|LOCK)\s*=", re.I)
_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b", re.I)
_DATA = re.compile(r"^\s*(INSERT|REPLACE|UPDATE|DELETE|LOAD\s+DATA|CALL|SELECT|DO)\b", re.I)
# MariaDB; MySQL 8 calls it INNODB_TABLES
_TABLE_ID = (
    "SELECT TABLE_ID FROM information_schema.{} WHERE NAME = CONCAT(COALESCE(%s, DATABASE()), "
    "'/', %s)"
)
_INDEXES = (
    "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS "
    "WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s"
)


class MysqlTracer:
    """Traces statements on an open scratch connection (sqlmig's MySQL driver)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.conn = driver.conn
        self.migration = ""
        self.left = ""  # file:line of a USE: this migration's names may be another database's

    def trace(self, stmt: Pending) -> tuple[list[Touch], str]:
        if stmt.label != self.migration:  # each migration starts in the run's session, as in up
            self.migration, self.left = stmt.label, ""
            self.driver._reset()  # e.g. a file's SET foreign_key_checks = 0 ends with it
        ruled = rules.mysql(stmt.text)
        if not ruled and _DATA.match(stmt.text):  # rows: not run, not parsed (a dump's INSERTs)
            return [], ""
        elsewhere = self.left or _elsewhere(stmt.text)
        if elsewhere:  # never run where it could change a database other than the scratch one
            if _USE.match(stmt.text):
                self.left = self.left or stmt.where
            why = f"{self.left} switches the database (USE)" if self.left else elsewhere
            return [replace(t, note=f"{t.note}: {why}") for t in ruled], ""
        if not ruled:  # not an ALTER TABLE or CREATE INDEX: made on the scratch database too
            return [], self._run(stmt.text)
        (touch,) = ruled
        table = _split(touch.table)
        before = self._shape(table)
        if _GIVEN.search(stmt.text):  # the statement names its algorithm: it gets that or fails
            error = self._run(stmt.text)
            if error:
                return [], error  # `up` fails here too: said as the statement's failure
            return [self._traced(touch, touch.lock, before, table, "as the statement asks")], ""
        return self._algorithms(stmt.text, touch, before, table, emptied=False)

    def _algorithms(
        self,
        text: str,
        touch: Touch,
        before: tuple[Any, Any],
        table: tuple[str | None, str],
        *,
        emptied: bool,
    ) -> tuple[list[Touch], str]:
        refusals: list[str] = []
        for clause, algo, lock in _TRIES:
            error, refused, code = self._try(text, clause)
            if refused:
                said = _reason(clause, error)
                refusals += [said] if said not in refusals else []
                continue
            if error and code in _ROWS_FAIL and not emptied and self._empty(table):
                # rows the migrations' own INSERTs put there; the algorithm does not hang on them
                return self._algorithms(text, touch, before, table, emptied=True)
            if error and code == _SYNTAX and not refusals:  # no clause can follow (PARTITION ...)
                return self._as_written(text, touch)
            if error:
                return [], error
            why = f"refused {'; '.join(refusals)}" if refusals else "the cheapest there is"
            if emptied:
                why += " (on the table emptied: its rows from the migrations failed it)"
            mode = f"ALGORITHM={algo.split()[0]}, LOCK={lock}"
            return [self._traced(touch, mode, before, table, why)], ""
        return [], "every algorithm was refused: " + "; ".join(refusals)

    def _as_written(self, text: str, touch: Touch) -> tuple[list[Touch], str]:
        error = self._run(text)
        if error:
            return [], error
        note = (
            "not known: no ALGORITHM= can be added to this statement to ask the server "
            "(partitioning, say), and the online DDL rules here do not cover it"
        )
        return [
            replace(
                touch,
                lock="ALGORITHM=?, LOCK=?",
                rewrite=False,
                scan=False,
                builds_index=False,
                how="rules",
                note=note,
            )
        ], ""

    def _empty(self, table: tuple[str | None, str]) -> bool:
        name = ".".join("`" + p.replace("`", "``") + "`" for p in table if p)
        sql = f"SET STATEMENT foreign_key_checks = 0 FOR DELETE FROM {name}"
        return not self._run(sql) or not self._run(f"DELETE FROM {name}")

    def _traced(
        self,
        touch: Touch,
        mode: str,
        before: tuple[Any, Any],
        table: tuple[str | None, str],
        why: str,
    ) -> Touch:
        after = self._shape(table)
        rebuilt = before[0] is not None and after[0] is not None and before[0] != after[0]
        copy = "ALGORITHM=COPY" in mode
        index = after[1] is not None and before[1] is not None and after[1] > before[1]
        note = f"traced on the scratch database: {why}"
        return Touch(
            touch.table,
            mode,
            rewrite=rebuilt or copy,
            scan=rebuilt or copy or index,
            builds_index=index,
            how="traced",
            note=note,
        )

    def _try(self, text: str, clause: str) -> tuple[str, bool, Any]:
        """(error, refused): the statement with the clause added on a line of its own (a
        trailing `-- comment` ends there)."""
        sep = "\n" if _CREATE_INDEX.match(text) else "\n, "
        sql = text.rstrip().rstrip(";") + sep + (clause.replace(",", "") if sep == "\n" else clause)
        import pymysql

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
            return "", False, None
        except pymysql.Error as exc:
            code = exc.args[0] if exc.args else None
            return _message(exc), code in _REFUSED, code

    def _run(self, text: str) -> str:
        import pymysql

        try:
            with self.conn.cursor() as cur:
                cur.execute(text)
            return ""
        except pymysql.Error as exc:
            return _message(exc)

    def _shape(self, table: tuple[str | None, str]) -> tuple[Any, Any]:
        """(InnoDB table id, number of indexes), None where not readable."""
        import pymysql

        table_id = None
        for view in ("INNODB_SYS_TABLES", "INNODB_TABLES"):
            try:
                with self.conn.cursor() as cur:
                    cur.execute(_TABLE_ID.format(view), table)
                    row = cur.fetchone()
                table_id = row[0] if row else None
                break
            except pymysql.Error:
                continue
        with self.conn.cursor() as cur:
            cur.execute(_INDEXES, table)
            row = cur.fetchone()
        return table_id, (row[0] if row else None)


_USE = re.compile(r"^\s*USE\b", re.I)
_DATABASE = re.compile(r"^\s*(USE|(CREATE|DROP|ALTER)\s+(DATABASE|SCHEMA))\b", re.I)


def _elsewhere(text: str) -> str:
    """Why the statement must not run on the scratch database, or "": it names another
    database (`db.t`), or switches to, makes or drops one."""
    if _DATABASE.match(text):
        return "it switches to, makes or drops a database"
    import logging

    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command": ours
    try:
        tree = sqlglot.parse_one(text, read="mysql")
    except sqlglot.errors.SqlglotError:
        tree = None
    if tree is None or isinstance(tree, exp.Command):
        if re.search(r"[`\w]\s*\.\s*[`A-Za-z_]", re.sub(r"'(?:[^'\\]|\\.|'')*'", "", text)):
            return "a statement not read here that may name another database"
        return ""
    if any(t.args.get("db") for t in tree.find_all(exp.Table)):
        return "it names a table of a database (db.table): it might be the live one"
    return ""


def _split(name: str) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    return (schema or None, table)


def _message(exc: Exception) -> str:
    args = getattr(exc, "args", ())
    return str(args[1] if len(args) > 1 else exc).strip().splitlines()[0]


def _reason(clause: str, error: str) -> str:
    """ "ALGORITHM=INSTANT (Cannot change column type)" from the server's refusal."""
    what = re.match(r"^(\S+=\S+) is not supported", error)
    why = re.search(r"Reason:\s*(.*?)(?:\.?\s*Try\b.*)?$", error)
    because = why[1].rstrip(".") if why else "not supported for this operation"
    return f"{what[1] if what else clause} ({because})"

"""Run the transpile corpus: each case on PostgreSQL and, transpiled, on SQLite and MySQL;
compare schemas (through the type-equivalence table), data and probe outcomes.

`python -m tests.transpile.harness` prints the results table (and every wrong case).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmig.drivers import connect
from sqlmig.errors import SqlmigError
from sqlmig.schema import snapshot
from sqlmig.sqltext import SPLITTERS
from sqlmig.transpile import Catalog, transpile_text
from sqlmig.transpile.equivalence import default, differences, type_class
from sqlmig.urls import parse_url

CORPUS = Path(__file__).parent / "corpus" / "cases.sql"
CASE = re.compile(r"^-- case: (\S+)\s*$", re.M)
SECTION = re.compile(r"^-- (setup|test|probe)\s*$", re.M)
TABLE = "sqlmig_history"


@dataclass(frozen=True)
class Case:
    id: str
    setup: str
    test: str
    probes: str


@dataclass
class Side:
    """The schema, data and probe outcomes one database ended with."""

    snap: Any
    data: dict[str, list]
    probes: list[str]


@dataclass(frozen=True)
class Result:
    case: str
    verdict: str  # correct | refused | invalid | wrong
    detail: str = ""


@dataclass
class Tally:
    results: list[Result] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)


def load(path: Path = CORPUS) -> list[Case]:
    text = path.read_text()
    marks = list(CASE.finditer(text))
    cases = []
    for i, m in enumerate(marks):
        body = text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        parts = {"setup": "", "test": "", "probe": ""}
        current = "test"
        last = 0
        for s in SECTION.finditer(body):
            parts[current] += body[last : s.start()]
            current, last = s[1], s.end()
        parts[current] += body[last:]
        cases.append(Case(m[1], parts["setup"].strip(), parts["test"].strip(), parts["probe"]))
    return cases


# -- databases ---------------------------------------------------------------------------------


class Databases:
    """One PostgreSQL and one MySQL database for the whole run, reset between cases."""

    def __init__(self, pg_url: str, mysql_url: str | None) -> None:
        import psycopg

        self.pg_name = f"sqlmig_tc_{uuid.uuid4().hex[:10]}"
        self.pg_admin = pg_url
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.pg_name}"')
        self.pg = connect(parse_url(pg_url.rsplit("/", 1)[0] + "/" + self.pg_name), table=TABLE)
        self.mysql = None
        if mysql_url:
            self.my_name = f"sqlmig_tc_{uuid.uuid4().hex[:10]}"
            self.mysql = connect(parse_url(mysql_url), table=TABLE)
            self.mysql.execute(f"CREATE DATABASE `{self.my_name}`")
            self.mysql.execute(f"USE `{self.my_name}`")

    def reset_pg(self) -> Any:
        for (name,) in self.pg.query(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema'"
        ):
            self.pg.execute(f"DROP SCHEMA {self.pg.quote(name)} CASCADE")
        self.pg.execute("CREATE SCHEMA public")
        return self.pg

    def fresh(self, target: str) -> Any:
        if target == "sqlite":
            driver = connect(parse_url("sqlite:///:memory:"), table=TABLE)
            driver.execute("PRAGMA foreign_keys = ON")  # as an application using FKs runs it
            return driver
        assert self.mysql is not None
        self.mysql.execute(f"DROP DATABASE `{self.my_name}`")
        self.mysql.execute(f"CREATE DATABASE `{self.my_name}`")
        self.mysql.execute(f"USE `{self.my_name}`")
        return self.mysql

    def close(self) -> None:
        import psycopg

        self.pg.close()
        with psycopg.connect(self.pg_admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        if self.mysql is not None:
            self.mysql.execute(f"DROP DATABASE IF EXISTS `{self.my_name}`")
            self.mysql.close()


def _run(driver: Any, text: str, dialect: str) -> str | None:
    """Run every statement; the first error's message, or None."""
    for stmt in SPLITTERS[dialect](text):
        try:
            driver.execute(stmt.text)
        except SqlmigError as exc:
            return exc.message.splitlines()[0]
    return None


def _run_file(driver: Any, text: str, dialect: str) -> str | None:
    """A transpiled file as sqlmig runs it: on SQLite in one transaction with foreign_keys off,
    then PRAGMA foreign_key_check (foreign_keys is back on for the probes, as an application
    has it)."""
    if dialect != "sqlite":
        return _run(driver, text, dialect)
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        driver.execute("BEGIN")
        error = _run(driver, text, dialect)
        if error is None and driver.query("PRAGMA foreign_key_check"):
            error = "PRAGMA foreign_key_check finds rows without their parent"
        driver.execute("ROLLBACK" if error else "COMMIT")
        return error
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _probes(driver: Any, text: str, dialect: str) -> list[str]:
    out = []
    for stmt in SPLITTERS["postgres"](text):
        try:
            driver.execute(stmt.text)
            out.append("ok")
        except SqlmigError:
            out.append("error")
    return out


def _side(driver: Any, source: Any) -> Side:
    snap = snapshot(driver, table=TABLE)
    return Side(snap, _data(driver, source), [])


# -- data --------------------------------------------------------------------------------------


def _volatile(src: Any) -> dict[str, set[str]]:
    """Columns whose values differ run to run (now(), random uuids): compared as NULL or not."""
    out: dict[str, set[str]] = {}
    for t in src.tables:
        for c in t.columns:
            cls = type_class(src, c.type)
            if default(c.default, cls) in ("now", "uuid", "today"):
                out.setdefault(t.name, set()).add(c.name)
    return out


def _data(driver: Any, src: Any) -> dict[str, list]:
    volatile = _volatile(src)
    out = {}
    for name in [t.name for t in src.tables] + [v.name for v in src.views]:
        cols = _columns(src, name)
        if not cols:
            continue
        quoted = ", ".join(driver.quote(c) for c in cols)
        try:
            rows = driver.query(f"SELECT {quoted} FROM {driver.quote(name)}")
        except SqlmigError as exc:
            out[name] = [f"error: {exc.message.splitlines()[0]}"]
            continue
        skip = volatile.get(name, set())
        out[name] = sorted(
            (tuple(_value(v, c in skip) for v, c in zip(r, cols, strict=True)) for r in rows),
            key=repr,
        )
    return out


def _columns(src: Any, name: str) -> list[str]:
    table = next((t for t in src.tables if t.name == name), None)
    if table is not None:
        return [c.name for c in table.columns]
    return list(VIEW_COLUMNS.get(name, ()))


VIEW_COLUMNS: dict[str, tuple[str, ...]] = {}


def _value(v: Any, volatile: bool) -> str | None:
    if v is None:
        return None
    if volatile:
        return "<set>"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float, Decimal)):
        return format(Decimal(str(v)).normalize(), "f")
    if isinstance(v, (bytes, memoryview)):
        return bytes(v).hex()
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(timezone.utc).replace(tzinfo=None)
        return v.isoformat(sep=" ")
    if isinstance(v, timedelta):
        seconds = int(v.total_seconds())
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(v, (date, time, uuid.UUID)):
        return str(v)
    text = str(v)
    if text[:1] in "{[":
        try:
            return json.dumps(json.loads(text), sort_keys=True)
        except ValueError:
            return text
    return text


# -- one case ----------------------------------------------------------------------------------


Transpiler = Callable[[Case, str], tuple[str | None, str]]  # (target SQL or None, refusal reason)


def sqlmig_transpiler(case: Case, target: str) -> tuple[str | None, str]:
    catalog = Catalog()
    transpile_text(case.setup, target=target, catalog=catalog)  # what earlier migrations made
    out = transpile_text(case.test, target=target, path=case.id, catalog=catalog)
    if out.refusals:
        return None, "; ".join(r.reason for r in out.refusals)
    return out.text, ""


def sqlglot_transpiler(case: Case, target: str) -> tuple[str | None, str]:
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        out = sqlglot.transpile(
            case.test, read="postgres", write=target, unsupported_level=ErrorLevel.RAISE
        )
    except SqlglotError as exc:
        return None, str(exc).splitlines()[0]
    return ";\n".join(out) + ";", ""


def source_side(db: Databases, case: Case) -> Side:
    pg = db.reset_pg()
    for part in (case.setup, case.test):
        error = _run(pg, part, "postgres")
        if error:
            raise AssertionError(f"corpus case {case.id} fails on PostgreSQL: {error}")
    probes = _probes(pg, case.probes, "postgres")
    snap = snapshot(pg, table=TABLE)
    for v in snap.views:
        VIEW_COLUMNS[v.name] = tuple(r[0] for r in pg.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "ORDER BY attnum", (v.name,)))  # fmt: skip
    return Side(snap, _data(pg, snap), probes)


def judge(db: Databases, case: Case, src: Side, target: str, transpiler: Transpiler) -> Result:
    sql, reason = transpiler(case, target)
    if sql is None:
        return Result(case.id, "refused", reason)
    driver = db.fresh(target)
    try:
        error = _run(driver, case.setup, target)
        assert error is None, f"{case.id}: setup fails on {target}: {error}"
        error = _run_file(driver, sql, target)
        if error:
            return Result(case.id, "invalid", f"{error}\n      {' '.join(sql.split())[:200]}")
        probes = _probes(driver, case.probes, target)
        snap = snapshot(driver, table=TABLE)
        problems = differences(src.snap, snap)
        data = _data(driver, src.snap)
        problems += [
            f"data of {k}: {src.data.get(k)} != {data.get(k)}"
            for k in sorted(set(src.data) | set(data))
            if src.data.get(k) != data.get(k)
        ]
        if probes != src.probes:
            problems.append(f"probe outcomes {src.probes} != {probes}")
        if problems:
            text = " ".join(sql.split())[:300]
            return Result(case.id, "wrong", "; ".join(problems) + f"\n      {text}")
        return Result(case.id, "correct")
    finally:
        if target == "sqlite":
            driver.close()


def run_all(pg_url: str, mysql_url: str | None, cases: list[Case] | None = None) -> dict:
    cases = cases if cases is not None else load()
    targets = ["sqlite"] + (["mysql"] if mysql_url else [])
    tallies = {(t, n): Tally() for t in targets for n in ("sqlmig", "sqlglot")}
    db = Databases(pg_url, mysql_url)
    try:
        for case in cases:
            src = source_side(db, case)
            for target in targets:
                for name, fn in (("sqlmig", sqlmig_transpiler), ("sqlglot", sqlglot_transpiler)):
                    tallies[(target, name)].results.append(judge(db, case, src, target, fn))
    finally:
        db.close()
    return tallies


def table(tallies: dict, total: int) -> str:
    lines = ["| target | transpiler | correct | refused | invalid (fails on target) | "
             "wrong (runs, differs) |", "|---|---|---|---|---|---|"]  # fmt: skip
    for (target, name), t in tallies.items():
        cells = [f"{t.count(v)} ({100 * t.count(v) / total:.0f}%)"
                 for v in ("correct", "refused", "invalid", "wrong")]  # fmt: skip
        label = "sqlmig transpile" if name == "sqlmig" else "plain sqlglot (RAISE)"
        lines.append(f"| {target} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import logging

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    from tests.conftest import MYSQL_URL, PG_URL

    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    cases = [c for c in load() if not only or c.id in only]
    tallies = run_all(PG_URL, MYSQL_URL, cases)
    print(f"{len(cases)} statements\n")
    print(table(tallies, len(cases)))
    verbose = "-v" in sys.argv or only
    for (target, name), t in tallies.items():
        for r in t.results:
            if r.verdict in ("wrong", "invalid") and (name == "sqlmig" or verbose):
                print(f"\n[{target}/{name}] {r.verdict} {r.case}: {r.detail}")
            elif verbose and r.verdict == "refused":
                print(f"\n[{target}/{name}] refused {r.case}: {r.detail}")

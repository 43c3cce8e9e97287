"""`up --preflight`: before anything is applied, read-only checks of the rows each pending
statement would fail on (NULLs, duplicates, orphans, values that do not cast, CHECK
violations), each under a time limit."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from .. import placeholders
from ..config import Config
from ..errors import PreflightFailed
from ..events import Event
from ..results import Result
from . import catalog, conditions, parse
from .model import Check, Pending, Reading
from .pending import Work, read
from .readonly import Failed, Reader, TimedOut, reader

DEFAULT_TIMEOUT = 5.0
CATALOG_TIMEOUT = 2.0  # a table's columns and primary key: not the check's own time limit
_ON_COLUMNS = ("not_null", "unique", "primary_key", "foreign_key")
PREFLIGHT_CHECK = "preflight_check"  # the event of each check that passed or was skipped


@dataclass(frozen=True)
class Finding:
    stmt: Pending
    what: str
    table: str
    status: str  # failed | passed | skipped | not checked
    count: int | None = None
    keys: tuple[Any, ...] = ()
    key_columns: tuple[str, ...] = ()
    reason: str = ""
    seconds: float = 0.0
    unit: str = "rows"

    def line(self) -> str:
        head = f"{self.stmt.where}: {self.what} on {self.table}"
        if self.status == "failed" and self.count is None:
            return f"{head}: fails whatever the rows hold: {self.reason}"
        if self.status == "failed":
            keys = ", ".join(_key(k) for k in self.keys)
            shown = (
                f"; {'/'.join(self.key_columns)} = {keys}" if keys else "; no primary key to show"
            )
            return f"{head}: {self.count} {self.unit}{shown}"
        if self.status == "passed":
            return (
                f"{head}: passed: {self.reason}"
                if self.reason
                else f"{head}: passed ({self.seconds:.2f} s)"
            )
        return f"{head}: {self.status}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {
            "migration": self.stmt.label,
            "where": self.stmt.where,
            "check": self.what,
            "table": self.table,
            "status": self.status,
            "count": self.count,
            "keys": [list(k) for k in self.keys],
            "key_columns": list(self.key_columns),
            "reason": self.reason or None,
            "seconds": round(self.seconds, 3),
        }


def _key(k: Any) -> str:
    return "(" + ", ".join(map(str, k)) + ")" if len(k) > 1 else str(k[0])


_SEARCH_PATH = re.compile(
    r"^\s*SET\s+(SESSION\s+|LOCAL\s+)?search_path\s*(?:=|TO)\s*(.+?)\s*$", re.I | re.S
)
_RESET_PATH = re.compile(r"^\s*RESET\s+(search_path|ALL)\s*$", re.I)
_USE = re.compile(r"^\s*USE\b", re.I)
# a table made empty by a pending statement (not CREATE TABLE ... AS, which fills it)
_CREATE = re.compile(
    r"^\s*CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+"
    r'(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|`[^`]+`|[\w$]+)(?:\.(?:"[^"]+"|`[^`]+`|[\w$]+))?)\s*\(',
    re.I,
)
# the end of a file's own transaction: a SET LOCAL made in it is undone
_TX_END = re.compile(r"^\s*(COMMIT|END|ROLLBACK|ABORT)\b", re.I)


@dataclass
class _Seen:
    """What earlier pending statements did: the live rows no longer tell about these tables."""

    writes: dict[str, str] = field(default_factory=dict)  # table name (or *) -> file:line
    use: str = ""  # MySQL: the file:line of a USE; unqualified names then are another database's
    made: dict[str, str] = field(default_factory=dict)  # table name -> file:line of its CREATE

    def note(self, stmt: Pending, reading: Reading, dialect: str) -> None:
        for _schema, name in reading.writes:
            self.writes.setdefault(name, stmt.where)
        created = _CREATE.match(stmt.text)
        if created:
            self.made.setdefault(parse.split_name(created[1], dialect)[1], stmt.where)

    def changed(self, table: catalog.Name) -> str | None:
        if self.use and table[0] is None:
            where = self.use
            return f"{where} switches the database (USE) first, so this table may be another one"
        named = self.writes.get(table[1])
        if named:
            return f"{named} changes rows first"
        anything = self.writes.get("*")
        if anything:  # a DO block, CALL or function call: its writes cannot be read
            return f"{anything} may change rows first (a DO block, CALL or function call)"
        return None


def run(
    config: Config,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    work: Work | None = None,
    to: int | None = None,
    steps: int | None = None,
    phase: str | None = None,
) -> list[Finding]:
    work = work or read(config, to=to, steps=steps, masked=False, phase=phase)
    v = work.vars
    if v is not None and v.secrets:  # the checks query real values; none is printed
        with placeholders.masking(v):
            return [_masked(f, v) for f in _run(config, work, timeout)]
    return _run(config, work, timeout)


def _masked(f: Finding, v: placeholders.Vars) -> Finding:
    keys = tuple(tuple(v.mask(x) if isinstance(x, str) else x for x in k) for k in f.keys)
    stmt = replace(f.stmt, text=v.mask(f.stmt.text))
    return replace(
        f, stmt=stmt, what=v.mask(f.what), table=v.mask(f.table), keys=keys, reason=v.mask(f.reason)
    )


def _run(config: Config, work: Work, timeout: float) -> list[Finding]:
    found: list[Finding] = []
    seen = _Seen()
    with reader(config) as r:
        migration = ""
        session: str | None = None  # search_path as SET (SESSION) left it; SET LOCAL lasts less
        for stmt in work.statements:
            if stmt.label != migration:  # each migration starts in the run's session state
                migration, r.search_path, session = stmt.label, None, None
            path = _SEARCH_PATH.match(stmt.text)
            if path and work.dialect == "postgres":
                r.search_path = None if path[2].upper() == "DEFAULT" else path[2]
                if not (path[1] or "").upper().startswith("LOCAL"):
                    session = r.search_path
            elif _RESET_PATH.match(stmt.text) and work.dialect == "postgres":
                r.search_path = session = None
            elif _TX_END.match(stmt.text) and work.dialect == "postgres":
                r.search_path = session
            if work.dialect != "postgres" and _USE.match(stmt.text):
                seen.use = seen.use or stmt.where
            reading = parse.read(stmt.text, work.dialect)
            for check in reading.checks:
                found.append(_one(r, stmt, check, seen, timeout))
            seen.note(stmt, reading, work.dialect)
    return found


def _one(r: Reader, stmt: Pending, check: Check, seen: _Seen, timeout: float) -> Finding:
    table = check.shown_table
    base = {"stmt": stmt, "what": check.what, "table": table}
    earlier = seen.changed(check.table)
    if earlier:
        reason = f"{earlier}: the live data does not tell"
        return Finding(**base, status="skipped", reason=reason)
    start = time.perf_counter()
    try:
        types = catalog.column_types(r, check.table, CATALOG_TIMEOUT)
        if types is None and check.table[1] in seen.made:
            made = seen.made[check.table[1]]
            path, _, line = made.rpartition(":")
            reason = (
                f"no rows yet, a new table made at {'line ' + line if path == stmt.path else made}"
            )
            return Finding(**base, status="passed", reason=reason)
        if types is None:
            return Finding(**base, status="skipped", reason="no such table yet")
        missing = [c for c in check.columns if c not in types and check.kind in _ON_COLUMNS]
        if missing:
            reason = (
                f"no column {', '.join(missing)} yet: a pending statement adds it; its values "
                "will be its default's, which this check does not read"
            )
            return Finding(**base, status="not checked", reason=reason)
        pk = catalog.primary_key(r, check.table, CATALOG_TIMEOUT)
        query = conditions.build(r, check, types, pk)
        if isinstance(query, conditions.NotChecked):
            return Finding(**base, status="not checked", reason=query.reason)
        if isinstance(query, conditions.Fails):
            return Finding(**base, status="failed", reason=query.reason)
        counted = r.run(conditions.count_sql(query), timeout)[0]  # (failing[, unknown])
        count, unknown = int(counted[0] or 0), int(counted[1] or 0) if query.unknown else 0
        keys = _keys(r, query, pk, timeout) if count else ()
        if unknown and not count:
            reason = f"{unknown} rows are {query.unknown_reason}: not known to pass"
            took = time.perf_counter() - start
            return Finding(**base, status="not checked", reason=reason, seconds=took)
    except TimedOut:
        reason = f"timed out after {timeout:g} s (--preflight-timeout): not known to pass"
        return Finding(**base, status="skipped", reason=reason, seconds=time.perf_counter() - start)
    except Failed as exc:
        return Finding(**base, status="skipped", reason=f"the check's query failed: {exc}")
    took = time.perf_counter() - start
    status = "failed" if count else "passed"
    return Finding(
        **base,
        status=status,
        count=count,
        keys=keys,
        key_columns=tuple(pk),
        seconds=took,
        unit=query.unit,
    )


def _keys(r: Reader, query: conditions.Query, pk: list[str], timeout: float) -> tuple[Any, ...]:
    sql = conditions.keys_sql(query, pk, r)
    if sql is None:
        return ()
    try:
        return tuple(tuple(row) for row in r.run(sql, timeout))
    except (TimedOut, Failed):
        return ()


def result(findings: list[Finding]) -> Result:
    failed = [f for f in findings if f.status == "failed"]
    lines = [f.line() for f in findings]
    summary = (
        f"preflight: {len(failed)} of {len(findings)} check(s) found rows that would fail"
        if failed
        else f"preflight: {len(findings)} check(s), none found rows that would fail"
    )
    skipped = sum(f.status in ("skipped", "not checked") for f in findings)
    if skipped:
        summary += f" ({skipped} skipped or not checked: not known to pass)"
    return Result(
        "preflight",
        ok=not failed,
        messages=[*lines, summary],
        entries=[f.as_json() for f in findings],
    )


def require_clean(
    config: Config,
    *,
    timeout: float,
    to: int | None = None,
    steps: int | None = None,
    notify: Any = None,
    phase: str | None = None,
) -> None:
    """`up --preflight`: PreflightFailed (exit 9) before any lock is taken, naming each
    statement by file:line, its table, the count and up to 5 primary keys."""
    findings = run(config, timeout=timeout, to=to, steps=steps, phase=phase)
    if notify is not None:
        for f in findings:
            if f.status != "failed":
                level = "info" if f.status == "passed" else "warning"
                notify(Event(PREFLIGHT_CHECK, f"preflight: {f.line()}", f.as_json(), level))
    failed = [f for f in findings if f.status == "failed"]
    if failed:
        raise PreflightFailed(
            "pre-checks found rows that pending statements would fail on; nothing was "
            "applied:\n  " + "\n  ".join(f.line() for f in failed),
            hint="fix those rows (or change the migration, e.g. backfill first), then run "
            "sqlmig up again; `sqlmig preflight` runs the checks alone",
        )

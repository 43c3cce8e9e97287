"""`sqlmig plan`: for each pending statement, the locks it takes (traced on a scratch
database), the live table's size and the sessions it would queue behind, and a verdict."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from ..config import Config
from ..errors import SqlmigError, UsageError
from ..results import Result
from . import livefacts, rules
from .model import Blocker, Facts, Pending, StatementPlan, Touch
from .pending import Work, read
from .readonly import reader

# Throughputs behind "for about T", measured on the bench machine (bench/README.md, 2 cores,
# SSD): a rewrite copies the whole table and its indexes; a validating scan reads the heap;
# an index build reads the heap and sorts. Yours differ with disks, cache and load: an estimate.
REWRITE_MB_S = 60.0
SCAN_MB_S = 400.0
INDEX_MB_S = 80.0
READS_AND_WRITES = {"AccessExclusiveLock"}
WRITES = {"ExclusiveLock", "ShareRowExclusiveLock", "ShareLock"}
SAFE, BLOCKS_WRITES, BLOCKS_ALL = "safe", "blocks writes", "blocks reads and writes"
UNKNOWN = "unknown (not traced)"
ORDER = [SAFE, UNKNOWN, BLOCKS_WRITES, BLOCKS_ALL]


def plan(
    config: Config,
    *,
    scratch_url: str | None = None,
    to: int | None = None,
    steps: int | None = None,
    phase: str | None = None,
) -> Result:
    work = read(config, to=to, steps=steps, phase=phase)
    if scratch_url and work.dialect == "sqlite":
        raise UsageError(
            "--scratch-url is for PostgreSQL and MySQL/MariaDB: plan traces statements there; "
            "on SQLite it describes them from rules and uses no scratch database",
            hint="leave out --scratch-url",
        )
    plans = [StatementPlan(s) for s in work.statements]
    if plans:
        with _traced(config, work, scratch_url) as traced:
            for p in plans:
                p.touches, error = traced(p.stmt)
                if error:
                    p.notes.append(
                        f"failed on the scratch database, so later statements may "
                        f"be traced wrong: {error}"
                    )
        known: dict[tuple[str, str], Facts] = {}  # a dump's many INSERTs: one look per table
        with reader(config) as r:
            for p in plans:
                for t in p.touches:
                    if t.table not in ("*", "?", "database") and not t.new:
                        key = (t.table, t.waits_like or t.lock)
                        if key not in known:
                            known[key] = livefacts.facts(r, *key)
                        p.facts[t.table] = known[key]
                _judge(p)
    return _result(work, _fold(plans))


def _fold(plans: list[StatementPlan]) -> list[StatementPlan]:
    """A run of data statements on one table (a dump's INSERTs) is shown once, with a count."""
    out: list[StatementPlan] = []
    for p in plans:
        prev = out[-1] if out else None
        if prev is not None and _same_data(prev, p):
            prev.folded += 1
            prev.last_line = p.stmt.line
            continue
        out.append(p)
    return out


def _data(p: StatementPlan) -> bool:
    return len(p.touches) == 1 and p.touches[0].note.startswith("changes rows")


def _same_data(a: StatementPlan, b: StatementPlan) -> bool:
    same = a.stmt.label == b.stmt.label and a.notes == b.notes
    return same and _data(a) and _data(b) and a.touches[0].table == b.touches[0].table


@contextmanager
def _traced(config: Config, work: Work, scratch_url: str | None) -> Iterator:
    if work.dialect == "mysql":
        with _mysql_traced(config, work, scratch_url) as traced:
            yield traced
        return
    if work.dialect == "sqlite":
        note = (
            "SQLite locks the whole database file while a migration writes: other writers "
            "wait (readers too, unless journal_mode=WAL) until it commits"
        )
        yield lambda stmt: ([Touch("database", "database write lock", how="rules", note=note)], "")
        return
    from ..schema.build import builder
    from ..schema.scratch import scratch
    from .trace import Tracer

    with (
        scratch(config.url, scratch_url, table=config.table, prefix=config.scratch_prefix) as url,
        builder(url, config.table) as b,
    ):
        b.up_all(work.applied)
        tracer = Tracer(b.driver.conn, config.table.split(".")[-1])  # type: ignore[attr-defined]
        yield tracer.trace


@contextmanager
def _mysql_traced(config: Config, work: Work, scratch_url: str | None) -> Iterator:
    """The MariaDB/MySQL tracer; without a scratch database (no right to create one, a
    migration that fails there), the online DDL rules, saying why."""
    from ..schema.build import builder
    from ..schema.scratch import scratch
    from .trace_mysql import MysqlTracer

    with ExitStack() as stack:
        try:
            url = stack.enter_context(
                scratch(config.url, scratch_url, table=config.table, prefix=config.scratch_prefix)
            )
            b = stack.enter_context(builder(url, config.table))
            b.up_all(work.applied)
        except SqlmigError as exc:
            if scratch_url:
                raise  # the one given: its problem is the user's to fix
            why = f"no scratch database to trace on ({exc.message.splitlines()[0]})"
            yield lambda stmt: (
                [replace(t, note=f"{t.note}: {why}") for t in rules.mysql(stmt.text)],
                "",
            )
            return
        yield MysqlTracer(b.driver).trace


def _judge(p: StatementPlan) -> None:
    worst, seconds = SAFE, None
    for t in p.touches:
        f = p.facts.get(t.table)
        verdict = _blocks(t) if f is not None and f.exists and not t.new else SAFE
        if t.table == "database":  # SQLite: one lock for the whole file
            verdict = BLOCKS_WRITES
        if ORDER.index(verdict) > ORDER.index(worst):
            worst = verdict
        took = _seconds(t, f)
        if took is not None:
            seconds = (seconds or 0.0) + took
        if f is not None and f.blockers and t.waits_like:
            p.notes.append(
                f"{t.table}: first waits for {len(f.blockers)} session(s) to end their "
                "transactions; reads and writes go on meanwhile"
            )
            continue
        mdl = t.lock.startswith("ALGORITHM=")  # MySQL: every ALTER takes an exclusive MDL
        if f is not None and f.blockers and (verdict != SAFE or mdl):
            p.notes.append(
                f"{t.table}: waits behind {len(f.blockers)} session(s) first, and every query "
                "on the table queues behind it meanwhile"
            )
    p.verdict, p.seconds = worst, seconds
    if not p.touches and any(n.startswith("failed on the scratch") for n in p.notes):
        p.verdict = UNKNOWN


def _blocks(t: Touch) -> str:
    if "=?" in t.lock:  # MySQL: an algorithm neither traced nor in the rules
        return UNKNOWN
    if t.lock in READS_AND_WRITES or "LOCK=EXCLUSIVE" in t.lock:
        return BLOCKS_ALL
    if t.lock in WRITES or "LOCK=SHARED" in t.lock:
        return BLOCKS_WRITES
    return SAFE


def _seconds(t: Touch, f: Facts | None) -> float | None:
    if f is None or not f.exists or t.new:
        return None
    mb = lambda n: (n or 0) / 1e6  # noqa: E731
    if t.rewrite:
        return mb(f.bytes) / REWRITE_MB_S
    if t.builds_index:
        return mb(f.heap_bytes) / INDEX_MB_S
    if t.scan:
        return mb(f.heap_bytes) / SCAN_MB_S
    return None


def _how_long(p: StatementPlan) -> str:
    if p.seconds is None:
        return "a moment (catalog only)" if p.verdict in (BLOCKS_WRITES, BLOCKS_ALL) else ""
    took = _duration(p.seconds)
    return took if took.startswith("under") else f"about {took}"


def _duration(s: float) -> str:
    if s < 1:
        return "under a second"
    if s < 120:
        return f"{s:.0f} s"
    return f"{s / 60:.0f} min"


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _rows(n: int | None) -> str:
    return "rows unknown (never analysed)" if n is None else f"~{n:,} rows"


def lines(p: StatementPlan) -> list[str]:
    out = [f"{p.stmt.where} ({p.stmt.label}): {p.stmt.short()}"]
    for t in p.touches:
        out.append("  " + _touch_line(t, p.facts.get(t.table)))
        f = p.facts.get(t.table)
        for b in f.blockers if f else ():
            age = (
                "no transaction"
                if b.xact_age_s is None
                else f"transaction open {b.xact_age_s:.0f} s"
            )
            held = "holds" if b.granted else "waits for"
            held = "has" if b.mode == livefacts.MYSQL_TRX else held
            out.append(
                f"    session {_who(b)} ({b.application or 'no application_name'}, "
                f"{b.state or '?'}, {age}) {held} {b.mode}; running {b.command or '-'}"
            )
    how = _how_long(p)
    out.append(
        f"  verdict: {p.verdict}"
        + (
            f" for {how}"
            if how and p.verdict in (BLOCKS_WRITES, BLOCKS_ALL)
            else f" (runs {how})"
            if how
            else ""
        )
    )
    out += [f"  note: {n}" for n in p.notes]
    if p.folded:
        out.append(
            f"  and {p.folded} more statement(s) like it on the table, up to line {p.last_line}"
        )
    return out


def _who(b: Blocker) -> str:
    return f"pid {b.pid}" if b.mode != livefacts.MYSQL_TRX else f"id {b.pid}"


def _touch_line(t: Touch, f: Facts | None) -> str:
    does = [
        w
        for w, on in (
            ("rewrites the table", t.rewrite),
            ("builds an index", t.builds_index),
            ("scans the table", t.scan and not t.rewrite),
        )
        if on
    ]
    head = f"{t.table}: {t.lock}" + (f", {', '.join(does)}" if does else "") + f" ({t.how})"
    if t.new or (f is not None and not f.exists):
        head += "; a new table: nothing waits for it"
    elif f is not None and f.error and f.bytes is not None:
        head += f"; {_rows(f.rows)}, {_size(f.bytes)} ({f.error})"
    elif f is not None and f.error:
        head += f"; size not known: {f.error}"
    elif f is not None:
        head += f"; {_rows(f.rows)}, {_size(f.bytes)}"
    return head + (f"; {t.note}" if t.note else "")


def _result(work: Work, plans: list[StatementPlan]) -> Result:
    text = [line for p in plans for line in lines(p)]
    worst = max((p.verdict for p in plans), key=ORDER.index, default=SAFE)
    count = f"{len(work.statements)} statement(s) in {len(work.todo)} pending migration(s)"
    summary = f"plan: {count}; worst: {worst}"
    if not plans:
        summary = "plan: nothing pending"
    estimate = (
        f"times are estimates from the table's size at {REWRITE_MB_S:g} MB/s (rewrite), "
        f"{INDEX_MB_S:g} MB/s (index build), {SCAN_MB_S:g} MB/s (scan), not measurements "
        "of your server"
    )
    return Result(
        "plan",
        messages=[*text, summary] + ([estimate] if plans else []),
        entries=[p.as_json() for p in plans],
    )


def pending_plans(plans: list[StatementPlan]) -> list[Pending]:
    return [p.stmt for p in plans]

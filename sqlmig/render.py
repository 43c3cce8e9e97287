"""Turn Result values into plain lines, terminal tables, or one JSON document."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

from .results import NO_MIGRATION, Result, StatusRow


def emit(
    result: Result, *, as_json: bool, out: TextIO | None = None, streamed: bool = False
) -> None:
    """streamed: the progress lines already showed each migration applied or reverted, on the
    same terminal or file as `out`; the result then says only where the database is now."""
    out = out or sys.stdout
    if as_json:
        out.write(json.dumps(result.as_json(), indent=2, default=str) + "\n")
        return
    if result.command == "status" and out.isatty():
        _status_table(result.rows, out)
        for line in [_status_summary(result), *result.messages]:
            out.write(line + "\n")
        return
    if result.command == "history" and out.isatty() and result.entries:
        _history_table(result.entries, out)
        return
    lines = text_lines(result)
    if streamed and result.command in _TEXT_STEPS and result.steps and not result.dry_run:
        lines = lines[len(result.steps) :]  # each one was printed as it happened
    for line in lines:
        out.write(line + "\n")


def text_lines(result: Result) -> list[str]:
    render = _TEXT.get(result.command, _messages)
    return render(result)


_TEXT_STEPS = ("up", "down", "redo")  # one line per step, then `now at ...`


def _steps(result: Result) -> list[str]:
    verb = {"up": "apply", "down": "revert"}.get(result.command, result.command)
    if result.dry_run:
        if not result.steps:
            return [f"nothing to {verb} (at {result.current or NO_MIGRATION})"]
        lines = [f"would {verb} {len(result.steps)} migration(s):"]
        for s in result.steps:
            tx = "" if s.transactional else " [no-transaction]"
            lines += [f"-- {s.direction} {s.label}{tx}", (s.sql or "").rstrip(), ""]
        return lines + result.messages  # a dry run's notes: no SQLite file there yet
    if not result.steps:
        return [
            f"nothing to {verb}; database is at {result.current or NO_MIGRATION}",
            *result.messages,
        ]
    lines = [f"{s.direction:<4} {s.label}  {s.duration_ms or 0} ms" for s in result.steps]
    return [*lines, f"now at {result.current or NO_MIGRATION}", *result.messages]


def _status(result: Result) -> list[str]:
    if not result.rows:
        return result.messages or ["no migrations found"]  # a new folder's note says so
    width = max(len(r.label) for r in result.rows)
    w = max(8, *(len(r.state) for r in result.rows))  # edited_down is wider than the rest
    lines = [
        f"{r.state:<{w}} {r.label:<{width}}  {when}{_by_and_duration(r)}".rstrip()
        for r in result.rows
        for when in [shown_time(r.applied_at)]
    ]
    lines += [f"  {r.label}: {r.detail}" for r in result.rows if r.detail]
    return [*lines, _status_summary(result), *result.messages]


def _status_summary(result: Result) -> str:
    pending = sum(r.state in ("pending", "changed") for r in result.rows)  # changed: repeatable
    return f"current: {result.current or NO_MIGRATION}; pending: {pending}"


def shown_time(iso: str | None) -> str:
    """A stored time as text shows it, the same on every database: `2026-12-03 07:21:09Z`
    (UTC, to the second; --json keeps the full ISO 8601 value with its offset)."""
    if not iso:
        return ""
    return iso[:19].replace("T", " ") + "Z" if iso[10:11] == "T" else iso


def _by_and_duration(row: StatusRow) -> str:
    ms = "" if row.duration_ms is None else f"  {row.duration_ms} ms"
    return f"  {row.applied_by}{ms}" if row.applied_by else ms


def _status_table(rows: list[StatusRow], out: TextIO) -> None:
    from rich.console import Console  # imported only for a terminal
    from rich.table import Table

    colours = {"applied": "green", "pending": "yellow", "applying": "yellow", "future": "yellow",
               "changed": "yellow"}  # fmt: skip
    table = Table("migration", "state", "applied at (UTC)", "by", "ms")
    for r in rows:
        colour = colours.get(r.state, "red")
        when = shown_time(r.applied_at).removesuffix("Z")
        ms = "" if r.duration_ms is None else str(r.duration_ms)
        table.add_row(r.label, f"[{colour}]{r.state}[/{colour}]", when, r.applied_by or "", ms)
    console = Console(file=out)
    console.print(table)
    for r in rows:
        if r.detail:
            style = "yellow" if r.state in ("pending", "applying", "future", "changed") else "red"
            console.print(f"{r.label}: {r.detail}", style=style, highlight=False, markup=False)


def _history(result: Result) -> list[str]:
    """One aligned line per event: time, event, migration, outcome, by, duration (right-aligned),
    then the detail."""
    if not result.entries:
        return ["no events recorded"]
    rows = [_history_cells(e) for e in result.entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    right = {5}  # ms
    lines = []
    for row in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def _history_cells(e: dict[str, Any]) -> list[str]:
    ms = "" if e.get("duration_ms") is None else f"{e['duration_ms']} ms"
    label = e.get("label") or ("" if e.get("version") is None else str(e["version"]))
    cells = [shown_time(e["happened_at"]), e["event"], label, e["outcome"], e["actor"]]
    return [_shown(str(c or "")) for c in [*cells, ms, e.get("detail")]]


# Control characters (a newline, a terminal's escape) in what a user wrote (mark's --reason,
# the actor): shown escaped, so that an event stays one line and cannot drive the terminal.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _history_table(entries: list[dict[str, Any]], out: TextIO) -> None:
    from rich.console import Console  # imported only for a terminal
    from rich.table import Table
    from rich.text import Text

    table = Table("at (UTC)", "event", "migration", "outcome", "by", "ms")
    for column in table.columns:
        column.no_wrap = column.header in ("at (UTC)", "migration")
        column.justify = "right" if column.header == "ms" else "left"
    details = []
    for e in entries:
        cells = _history_cells(e)
        cells[0] = cells[0].removesuffix("Z")
        cells[5] = cells[5].removesuffix(" ms")
        row = [Text(c) for c in cells[:-1]]  # Text: names are not rich markup
        row[3].stylize("green" if e["outcome"] == "ok" else "red")
        table.add_row(*row)
        if cells[-1]:
            details.append(f"{cells[0]} {e['event']} {cells[2]}: {cells[-1]}")
    console = Console(file=out)
    console.print(table)
    for line in details:
        console.print(line, style="red", highlight=False, markup=False)


def _current(result: Result) -> list[str]:
    return [result.current or NO_MIGRATION]


def _messages(result: Result) -> list[str]:
    lines = list(result.messages)
    if result.command == "baseline":
        lines = [f"baseline {s.label}" for s in result.steps] + [f"now at {result.current}"]
    return lines


_TEXT = {
    "up": _steps,
    "down": _steps,
    "redo": _steps,
    "status": _status,
    "history": _history,
    "current": _current,
}

"""Turn Result values into plain lines, terminal tables, or one JSON document."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from .results import Result, StatusRow


def emit(result: Result, *, as_json: bool, out: TextIO | None = None) -> None:
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
    for line in text_lines(result):
        out.write(line + "\n")


def text_lines(result: Result) -> list[str]:
    render = _TEXT.get(result.command, _messages)
    return render(result)


def _steps(result: Result) -> list[str]:
    verb = {"up": "apply", "down": "revert"}.get(result.command, result.command)
    if result.dry_run:
        if not result.steps:
            return [f"nothing to {verb} (at {result.current or 'nothing applied'})"]
        lines = [f"would {verb} {len(result.steps)} migration(s):"]
        for s in result.steps:
            tx = "" if s.transactional else " [no-transaction]"
            lines += [f"-- {s.direction} {s.label}{tx}", (s.sql or "").rstrip(), ""]
        return lines + result.messages  # a dry run's notes: no SQLite file there yet
    if not result.steps:
        return [f"nothing to {verb}; database is at {result.current or 'no migration'}"]
    lines = [f"{s.direction:<4} {s.label}  {s.duration_ms or 0} ms" for s in result.steps]
    return [*lines, f"now at {result.current or 'no migration'}"]


def _status(result: Result) -> list[str]:
    if not result.rows:
        return ["no migrations found", *result.messages]
    width = max(len(r.label) for r in result.rows)
    w = max(8, *(len(r.state) for r in result.rows))  # edited_down is wider than the rest
    lines = [
        f"{r.state:<{w}} {r.label:<{width}}  {r.applied_at or ''}{_by_and_duration(r)}".rstrip()
        for r in result.rows
    ]
    lines += [f"  {r.label}: {r.detail}" for r in result.rows if r.detail]
    return [*lines, _status_summary(result), *result.messages]


def _status_summary(result: Result) -> str:
    pending = sum(r.state == "pending" for r in result.rows)
    return f"current: {result.current or 'none'}; pending: {pending}"


def _by_and_duration(row: StatusRow) -> str:
    ms = "" if row.duration_ms is None else f"  {row.duration_ms} ms"
    return f"  {row.applied_by}{ms}" if row.applied_by else ms


def _status_table(rows: list[StatusRow], out: TextIO) -> None:
    from rich.console import Console  # imported only for a terminal
    from rich.table import Table

    colours = {"applied": "green", "pending": "yellow", "applying": "yellow"}
    table = Table("migration", "state", "applied at (UTC)", "by", "ms")
    for r in rows:
        colour = colours.get(r.state, "red")
        when = (r.applied_at or "")[:19].replace("T", " ")
        ms = "" if r.duration_ms is None else str(r.duration_ms)
        table.add_row(r.label, f"[{colour}]{r.state}[/{colour}]", when, r.applied_by or "", ms)
    console = Console(file=out)
    console.print(table)
    for r in rows:
        if r.detail:
            style = "yellow" if r.state in ("pending", "applying") else "red"
            console.print(f"{r.label}: {r.detail}", style=style, highlight=False, markup=False)


def _history(result: Result) -> list[str]:
    """One aligned line per event; version and duration right-aligned, the detail last."""
    if not result.entries:
        return ["no events recorded"]
    rows = [_history_cells(e) for e in result.entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    right = {2, 6}  # version, ms
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
    version = "" if e.get("version") is None else str(e["version"])
    cells = [e["happened_at"], e["event"], version, e.get("name"), e["outcome"], e["actor"]]
    return [*(str(c or "") for c in cells), ms, str(e.get("detail") or "")]


def _history_table(entries: list[dict[str, Any]], out: TextIO) -> None:
    from rich.console import Console  # imported only for a terminal
    from rich.table import Table
    from rich.text import Text

    table = Table("at (UTC)", "event", "version", "name", "outcome", "by", "ms")
    for column in table.columns:
        column.no_wrap = column.header in ("at (UTC)", "version")
        column.justify = "right" if column.header in ("version", "ms") else "left"
    details = []
    for e in entries:
        cells = _history_cells(e)
        cells[0] = cells[0][:19].replace("T", " ")
        cells[6] = cells[6].removesuffix(" ms")
        row = [Text(c) for c in cells[:-1]]  # Text: names are not rich markup
        row[4].stylize("green" if e["outcome"] == "ok" else "red")
        table.add_row(*row)
        if cells[-1]:
            details.append(f"{cells[0]} {e['event']} {cells[2]} {cells[3]}: {cells[-1]}")
    console = Console(file=out)
    console.print(table)
    for line in details:
        console.print(line, style="red", highlight=False, markup=False)


def _current(result: Result) -> list[str]:
    return [result.current or "none"]


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

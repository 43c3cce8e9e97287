"""Turn Result values into plain lines, terminal tables, or one JSON document."""

from __future__ import annotations

import json
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
        for line in result.messages:
            out.write(line + "\n")
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
        return lines
    if not result.steps:
        return [f"nothing to {verb}; database is at {result.current or NO_MIGRATION}"]
    lines = [f"{s.direction:<4} {s.label}  {s.duration_ms or 0} ms" for s in result.steps]
    return [*lines, f"now at {result.current or NO_MIGRATION}"]


def _status(result: Result) -> list[str]:
    if not result.rows:
        return ["no migrations found"]
    width = max(len(r.label) for r in result.rows)
    lines = [
        f"{r.state:<8} {r.label:<{width}}  {shown_time(r.applied_at)}{_by_and_duration(r)}".rstrip()
        for r in result.rows
    ]
    lines += [f"  {r.label}: {r.detail}" for r in result.rows if r.detail]
    pending = sum(r.state == "pending" for r in result.rows)
    lines.append(f"current: {result.current or NO_MIGRATION}; pending: {pending}")
    return lines + result.messages


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

    colours = {"applied": "green", "pending": "yellow", "applying": "yellow"}
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
            console.print(f"{r.label}: {r.detail}", style="red", highlight=False, markup=False)


def _history(result: Result) -> list[str]:
    if not result.entries:
        return ["no events recorded"]
    return [_history_line(e) for e in result.entries]


def _history_line(e: dict[str, Any]) -> str:
    ms = f" {e['duration_ms']} ms" if e.get("duration_ms") is not None else ""
    detail = f"  {e['detail']}" if e.get("detail") else ""
    return (
        f"{shown_time(e['happened_at'])}  {e['event']:<8} {e.get('label') or '':<36} "
        f"{e['outcome']:<7} {e['actor']}{ms}{detail}"
    )


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

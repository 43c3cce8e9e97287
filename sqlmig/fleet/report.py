"""The fleet's summary: one row per target, the worst exit code, a table and a JSON document.

Only these rows are kept (not the workers' documents), so memory grows by a row per target.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from ..results import NO_MIGRATION
from ..urls import redact
from .run import Finished
from .targets import Target

# Worst first: an interruption, then what needs a person before anything else can run, then
# what a rerun may fix, then pending (status --exit-code), then success.
SEVERITY = (143, 130, 2, 5, 4, 7, 1, 6, 3, 8, 0)
SHOWN = 90  # characters of an error in the table; stderr had it whole
DRIFT_STATES = {"edited", "missing", "renamed", "edited_down"}
FAILED_STATES = {"failed", "running"}


def worst(codes: list[int]) -> int:
    """The exit code of the fleet: the worst of its targets' (unknown codes rank as 1)."""
    rank = {code: i for i, code in enumerate(SEVERITY)}
    return min(codes, key=lambda c: rank.get(c, rank[1]), default=0)


@dataclass(slots=True)
class Row:
    target: str
    url: str
    result: str  # ok | failed | not run | interrupted
    exit_code: int | None = None
    before: str | None = None
    after: str | None = None
    applied: int | None = None
    pending: int | None = None
    drifted: int | None = None
    failed: int | None = None
    seconds: float | None = None
    error: dict[str, Any] | None = None
    dry_run: bool | None = None  # up --dry-run: `pending` is what it would apply
    seq: int = 0  # the target's place in the list: rows are shown in that order

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["seq"]
        data["duration_ms"] = None if self.seconds is None else round(self.seconds * 1000)
        del data["seconds"]
        return {k: v for k, v in data.items() if v is not None}


SINGLE_URL_SOURCES = "(--url, SQLMIG_URL or DATABASE_URL)"
# a hint's next step that is a command a fleet does not run (see command.COMMANDS)
SINGLE_ONLY = re.compile(
    r"`sqlmig (repair|mark|down|redo|baseline|adopt|create|plan|preflight|history|wait)\b"
)


def _true_hint(error: dict[str, Any], target: Target) -> dict[str, Any]:
    """A target's URL came from the targets file, not from --url or the environment: the
    single command's hint says where to fix it, so it names the file's line instead."""
    hint = error.get("hint")
    if not isinstance(hint, str):
        return error
    if SINGLE_URL_SOURCES in hint and not target.table:
        hint = hint.replace(SINGLE_URL_SOURCES, f"({target.origin})")
    single = SINGLE_ONLY.search(hint)
    if single:  # repair, mark ...: no --targets; say how to reach this one
        table = f" --table {shlex.quote(target.table)}" if target.table else ""
        hint += (
            f"; `{single.group(1)}` runs on one database at a time: "
            f"`sqlmig --url {shlex.quote(target.shown)}"
            f"{table} {single.group(1)} ...`"
            + (" (with its password for ***)" if "***" in target.shown else "")
        )
    return {**error, "hint": hint}


class Report:
    def __init__(self, command: str, *, shard: str | None = None) -> None:
        self.command = command
        self.shard = shard
        self.rows: list[Row] = []
        self.interrupted: int | None = None  # 130 or 143: the run was stopped

    def finished(self, done: Finished, before: str | None, seq: int) -> Row:
        doc = _document(done)
        row = Row(done.target.key, done.target.shown, "ok", done.code, seconds=done.seconds)
        row.seq = seq
        row.before = before
        if "error" in doc:
            row.result = "interrupted" if done.code in (130, 143) else "failed"
            row.error = _true_hint(doc["error"], done.target)
        elif not doc.get("ok"):  # validate's drift: a result, not an error
            row.result = "failed"
        row.after = doc.get("current", NO_MIGRATION) if doc.get("ok") else None
        if doc.get("ok") and self.command == "up" and doc.get("dry_run"):
            row.dry_run, row.pending = True, len(doc.get("steps", []))
        elif doc.get("ok") and self.command == "up":
            row.applied = len(doc.get("steps", []))
        if doc.get("ok") and self.command == "status":
            states = [r.get("state") for r in doc.get("rows", [])]
            row.pending = sum(s in ("pending", "applying") for s in states)
            row.drifted = sum(s in DRIFT_STATES for s in states)
            row.failed = sum(s in FAILED_STATES for s in states)
        self.rows.append(row)
        return row

    def not_run(self, target: Target, seq: int) -> None:
        self.rows.append(Row(target.key, target.shown, "not run", seq=seq))

    def sort(self) -> None:
        self.rows.sort(key=lambda row: row.seq)

    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.rows if r.exit_code is not None]
        return worst([*codes, *([self.interrupted] if self.interrupted else [])])

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.result] = counts.get(row.result, 0) + 1
        return counts

    def json_lines(self) -> Iterator[str]:
        """The --json document, a line at a time: one line per target (not one big string)."""
        code = self.exit_code()
        head: dict[str, Any] = {"command": self.command, "ok": code == 0, "exit_code": code}
        if self.shard:
            head["shard"] = self.shard
        head["counts"] = self.counts()
        yield json.dumps(head, indent=2)[:-2] + ","
        yield '  "targets": ['
        last = len(self.rows) - 1
        for i, row in enumerate(self.rows):
            yield "    " + json.dumps(row.as_json()) + ("," if i < last else "")
        yield "  ]"
        yield "}"

    def table_lines(self) -> Iterator[str]:
        """The summary table, a line at a time; the last line counts the results."""
        heads = _heads(self.command)
        widths = [_width(h) for h in heads]
        for row in self.rows:
            widths = [
                max(w, _width(c)) for w, c in zip(widths, _cells(self.command, row), strict=True)
            ]
        yield _line(heads, widths)
        for row in self.rows:
            yield _line(_cells(self.command, row), widths)
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.counts().items()))
        shard = f" (shard {self.shard})" if self.shard else ""
        many = "target" if len(self.rows) == 1 else "targets"
        yield f"{len(self.rows)} {many}{shard}: {counts or 'none'}; exit {self.exit_code()}"


def _width(text: str) -> int:
    """Columns on a terminal: East Asian wide characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _line(cells: list[str], widths: list[int]) -> str:
    padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
    return "  ".join(padded).rstrip()


def _document(done: Finished) -> dict[str, Any]:
    """The worker's --json document; a worker killed or broken before it wrote one gets an
    error of its own."""
    try:
        doc = json.loads(done.output.decode("utf-8", "replace") or "null")
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return doc
    how = f"killed by signal {done.killed_by}" if done.killed_by else f"exit {done.code}"
    message = f"the worker ended without a result ({how})"
    return {"ok": False, "error": {"kind": "error", "exit_code": done.code, "message": message}}


def _heads(command: str) -> list[str]:
    if command == "status":
        return ["target", "current", "pending", "state", "time"]
    if command == "up":
        return ["target", "before", "after", "result", "time"]
    return ["target", "current", "result", "time"]


def _cells(command: str, r: Row) -> list[str]:
    if command == "status":
        return [r.target, r.after or "-", _n(r.pending), _state(r), _time(r)]
    if command == "up":
        return [r.target, r.before or "-", r.after or "-", _result(r), _time(r)]
    return [r.target, r.after or "-", _result(r), _time(r)]


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def _time(row: Row) -> str:
    return "-" if row.seconds is None else f"{row.seconds:.2f}s"


def _result(row: Row) -> str:
    if row.error:
        message = " ".join(str(row.error.get("message", "")).split())
        text = f"{row.result} (exit {row.exit_code}): {message}"
        return redact(text[:SHOWN] + ("..." if len(text) > SHOWN else ""))
    if row.result == "ok" and row.dry_run:
        return f"ok, dry run: {row.pending} to apply"
    if row.result == "ok" and row.applied is not None:
        return f"ok, {row.applied} applied"
    return row.result if row.exit_code in (None, 0) else f"{row.result} (exit {row.exit_code})"


def _state(row: Row) -> str:
    if row.result != "ok" and row.error:
        return _result(row)
    if row.failed:
        return f"failed ({row.failed})"
    if row.drifted:
        return f"drifted ({row.drifted})"
    if row.pending:
        return f"behind {row.pending}"
    return row.result if row.result != "ok" else "up to date"

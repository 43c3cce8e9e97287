"""The fleet parent's stderr: the workers' progress lines, each headed by its target."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ..urls import redact
from .report import Row
from .targets import Target

BEFORE = "fleet_before"  # the worker's event that carries the version before `up`


class Progress:
    """The parent's stderr: the workers' progress, each line headed by its target."""

    def __init__(self, opts: Any, log_json: bool, befores: dict[int, str]) -> None:
        self.silent = opts.quiet or (opts.as_json and not log_json)  # progress lines
        # errors: as a single command, -q keeps them; --json alone puts them in the document
        self.errors_shown = not (opts.as_json and not log_json)
        self.gone = False  # stderr's reader went away
        self.verbose = opts.verbose
        self.log_json = log_json
        self.befores = befores

    def line(self, target: Target, text: str) -> None:
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict) and record.get("event") == BEFORE:
            self.befores[id(target)] = str(record.get("before"))
        elif self.silent or not text.strip():
            return
        elif not isinstance(record, dict):
            self._print(target, redact(text, target.url))
        elif self.log_json:
            self._write(json.dumps({"target": target.key, **record}) + "\n")
        elif record.get("level") in ("info", "warning") or (
            self.verbose and record.get("level") == "debug"
        ):
            self._print(target, redact(str(record.get("message", "")), target.url))

    def finished(self, row: Row) -> None:
        if not (self.errors_shown and (row.error or not self.silent)):
            return
        if self.log_json:
            record = {"event": "target_done", "target": row.target, **row.as_json()}
            self._write(json.dumps(record) + "\n")
            return
        if row.error:
            self._print_key(row.target, f"error: {redact(str(row.error.get('message')))}")
            if row.error.get("hint"):
                self._print_key(row.target, f"hint: {redact(str(row.error['hint']))}")

    def _print(self, target: Target, text: str) -> None:
        self._print_key(target.key, text)

    def _print_key(self, key: str, text: str) -> None:
        self._write("".join(f"{key}: {part}\n" for part in text.splitlines() or [""]))

    def _write(self, text: str) -> None:
        """Write to stderr; once its reader is gone (`2>&1 | head`), stay quiet."""
        if self.gone:
            return
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except BrokenPipeError:
            self.silent = self.gone = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())

"""The terminal's progress line during `up` and `verify`: count, current file, elapsed.

Never in logs or JSON."""

from __future__ import annotations

import shutil
import threading
import time
from typing import TextIO

from .events import (
    CHECK_STARTED,
    MIGRATION_APPLIED,
    MIGRATION_CHECKED,
    MIGRATION_FAILED,
    MIGRATION_REVERTED,
    MIGRATION_STARTED,
    PLAN,
    REVERT_STARTED,
    Clean,
    Event,
    as_event,
    text_sink,
)

CLEAR = "\r\x1b[K"
TICK_S = 0.5
# named by the redrawn line while it runs, then by one printed line once done
STARTED = (MIGRATION_STARTED, REVERT_STARTED, CHECK_STARTED)


class ProgressLine:
    """A text sink for a terminal that keeps one redrawn status line below the printed lines."""

    def __init__(self, *, clean: Clean, verbose: bool, out: TextIO, colour: bool = False) -> None:
        self.out = out
        self.lines = text_sink(clean=clean, verbose=verbose, out=out, colour=colour)
        self.total = self.done = 0
        self.current = ""
        self.started = time.monotonic()
        self._lock = threading.RLock()  # a signal may raise while the main thread holds it
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, item: Event | str) -> None:
        event = as_event(item)
        with self._lock:
            self._clear()
            self._track(event)
            if not (event.kind in STARTED and self.total):  # the line names it
                self.lines(event)
            self._draw()
        if self.total and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _track(self, event: Event) -> None:
        if event.kind == PLAN:
            self.total, self.done = int(event.fields.get("pending", 0)), 0
            self.started = time.monotonic()
        elif event.kind in STARTED:
            self.current = str(event.fields.get("label", ""))
        elif event.kind in (
            MIGRATION_APPLIED,
            MIGRATION_REVERTED,
            MIGRATION_FAILED,
            MIGRATION_CHECKED,
        ):
            self.done, self.current = self.done + 1, ""

    def line(self) -> str:
        """`[3/120] 0004_backfill  12.3 s`, cut to the terminal's width."""
        text = f"[{self.done}/{self.total}] {self.current or ''}  {self._elapsed():.1f} s"
        return text[: max(shutil.get_terminal_size().columns - 1, 10)]

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _draw(self) -> None:
        if self.total and self.done < self.total:
            self.out.write(self.line())
            self.out.flush()

    def _clear(self) -> None:
        if self.total:
            self.out.write(CLEAR)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            with self._lock:
                self._clear()
                self._draw()

    def close(self) -> None:
        """Stop redrawing and leave the terminal as it was (also on an error or a signal)."""
        self._stop.set()
        with self._lock:
            self._clear()
            self.out.flush()

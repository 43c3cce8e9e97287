"""What the watchdog saw: the sessions a migration blocked, and the cancel it sent."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN = 5  # sessions named in a message; the rest are counted


def printable(text: str | None) -> str:
    """Another session's application_name (or user@host), as it may be printed: no control
    characters (a terminal escape, a newline faking a log line), 63 characters at most."""
    return "".join(c if c.isprintable() else "?" for c in (text or ""))[:63]


@dataclass(frozen=True)
class Blocked:
    """A session waiting, directly or behind another waiter, for what the migration holds."""

    pid: int  # PostgreSQL backend pid, MySQL connection id
    app: str  # application_name (PostgreSQL), user@host (MySQL)
    waited: float  # seconds it has been waiting
    waits_for: str  # "a lock", "a row lock", "a table metadata lock"
    running: str  # the first word of its query only: a query's text may hold personal data
    depth: int = 1  # 1: behind the migration itself; 2 or more: behind another waiter

    def describe(self) -> str:
        who = f"pid {self.pid}" + (f" ({self.app})" if self.app else "")
        said = f"{who} waiting {self.waited:.1f} s for {self.waits_for}"
        if self.depth > 1:
            said += " (queued behind another blocked session)"
        return said + (f", running {self.running}" if self.running else "")

    def fields(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "application": self.app,
            "waited_s": round(self.waited, 3),
            "waits_for": self.waits_for,
            "running": self.running,
            "depth": self.depth,
        }


@dataclass(frozen=True)
class Cancel:
    """The watchdog cancelled the migration's statement: over `limit` s, these were waiting."""

    sessions: tuple[Blocked, ...]
    limit: float
    queued: bool = False  # the migration itself waited for a lock: others queued behind it

    def describe(self) -> str:
        worst = sorted(self.sessions, key=lambda s: -s.waited)
        named = "; ".join(s.describe() for s in worst[:SHOWN])
        more = len(worst) - SHOWN
        return named + (f"; and {more} more" if more > 0 else "")

    def headline(self) -> str:
        said = (
            f"it blocked {len(self.sessions)} session(s) longer than --max-blocking "
            f"{self.limit:g} s"
        )
        if self.queued:
            said += " while it was itself waiting for a lock (they queued behind it)"
        return said

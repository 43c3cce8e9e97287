"""Result values returned by the Migrator; `render` turns them into text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

NO_MIGRATION = "no migration"  # where no migration is applied: `now at`, `current`, status


@dataclass(frozen=True)
class Step:
    """One migration applied, reverted or planned."""

    version: int
    name: str
    label: str
    direction: str  # "up" | "down"
    duration_ms: int | None = None
    transactional: bool = True
    sql: str | None = None  # only in dry runs


@dataclass(frozen=True)
class StatusRow:
    version: int
    name: str
    label: str
    state: str  # applied | pending | applying | edited | missing | renamed | failed | running
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    detail: str | None = None
    phase: str | None = None  # pre | post, when the folder has post-deploy migrations (phases.py)


@dataclass(frozen=True)
class Result:
    """What a command did or found. `steps`/`rows`/`entries` are filled as the command needs."""

    command: str
    ok: bool = True
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)
    rows: list[StatusRow] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    current: str | None = None
    messages: list[str] = field(default_factory=list)
    lock_holder: str | None = None  # status: who holds the migration lock (a run in progress)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("steps", "rows", "entries"):
            # an entry without a version (a check finding, a squash warning) gets no null one
            data[key] = [
                {**item, "version": version_text(item["version"])} if "version" in item else item
                for item in data[key]
            ]
        return {k: v for k, v in data.items() if v not in ([], None) or k in ("ok", "command")}


def version_text(version: Any) -> Any:
    """A version in JSON: a string of digits ("20260506000000000001"), since a JavaScript
    reader's numbers are doubles and round anything above 2**53; None stays null."""
    return str(version) if isinstance(version, int) and not isinstance(version, bool) else version

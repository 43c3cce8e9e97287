"""Compare two snapshots item by item and say what differs, in words a reviewer can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .flatten import Item
from .frozen import Window, equal
from .model import Snapshot

MISSING, EXTRA, CHANGED = "missing", "extra", "changed"


@dataclass(frozen=True)
class Difference:
    """`kind name` is missing from, extra in, or changed in the actual schema."""

    kind: str
    name: str
    change: str  # missing | extra | changed
    details: tuple[str, ...] = ()

    def describe(self, phrases: dict[str, str]) -> str:
        text = f"{self.kind} {self.name} {phrases[self.change]}"
        return text + (": " + "; ".join(self.details) if self.details else "")


# How a difference reads, by what was compared with what.
VERIFY = {MISSING: "missing", EXTRA: "still exists", CHANGED: "differs"}
REPEAT = {MISSING: "missing", EXTRA: "extra", CHANGED: "differs"}
DRIFT = {
    MISSING: "was removed outside the migrations",
    EXTRA: "was added outside the migrations",
    CHANGED: "was changed outside the migrations",
}


def diff_phrases(source: str) -> dict[str, str]:
    """How `diff` says a difference, naming its desired schema (`schema.sql`, models)."""
    return {MISSING: f"is not in {source}", EXTRA: f"is only in {source}", CHANGED: "differs"}


DIFF = diff_phrases("schema.sql")


def compare(
    expected: Snapshot, actual: Snapshot, *, window: Window | None = None
) -> list[Difference]:
    """Every difference of `actual` from `expected`; children of a missing/extra table omitted.

    Date/time values the server froze at creation (`'now'::timestamp`) are not differences when
    they lie in `window` (default: around today, both sides built in this run)."""
    window = window or Window()
    want, have = expected.items(), actual.items()
    gone = {i.name for k, i in want.items() if k not in have and i.kind == "table"}
    new = {i.name for k, i in have.items() if k not in want and i.kind == "table"}
    out: list[Difference] = []
    for key in sorted(set(want) | set(have)):
        a, b = want.get(key), have.get(key)
        if a is None and b is not None and b.parent not in new:
            out.append(Difference(b.kind, b.name, EXTRA))
        elif b is None and a is not None and a.parent not in gone:
            out.append(Difference(a.kind, a.name, MISSING))
        elif a is not None and b is not None and not equal(a.attrs, b.attrs, window):
            out.append(Difference(a.kind, a.name, CHANGED, _details(a, b, window)))
    return out


def _details(a: Item, b: Item, window: Window) -> tuple[str, ...]:
    old, new = dict(a.attrs), dict(b.attrs)
    changed = [k for k in old if not equal(old.get(k), new.get(k), window)]
    return tuple(_change(k, old.get(k), new.get(k)) for k in changed)


def _change(key: str, old: Any, new: Any) -> str:
    """`key old -> new`; of long texts only the part around the first difference."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 60:
        pairs = enumerate(zip(old, new, strict=False))
        at = next((i for i, (x, y) in pairs if x != y), min(len(old), len(new)))
        start = max(at - 20, 0)
        return f"{key} ...{old[start : at + 30]!r}... -> ...{new[start : at + 30]!r}..."
    return f"{key} {_show(old)} -> {_show(new)}"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(map(str, value)) + ")"
    return repr(value) if isinstance(value, str) else str(value)


def describe(diffs: list[Difference], phrases: dict[str, str]) -> list[str]:
    return [d.describe(phrases) for d in diffs]

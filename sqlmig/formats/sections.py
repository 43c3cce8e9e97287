"""Files holding both directions, cut into sections by marker lines (dbmate's, goose's)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import MigrationFileError


@dataclass(frozen=True)
class Section:
    """The text after one marker line, up to the next marker line or the end of the file."""

    direction: str  # up | down
    options: str  # what follows the marker on its line
    text: str
    first_line: int  # the file's line number of the section's first line
    marker_line: int


def cut(text: str, path: Path, marker: re.Pattern[str], what: str) -> dict[str, Section]:
    """The up and down sections of `text`; `marker` has groups `direction` and `options`.
    Only comments and blank lines may come before the first marker."""
    found = list(marker.finditer(text))
    if not found:
        raise MigrationFileError(
            f"{path}: no {what} up marker", hint=f"start the file's up section with {what} up"
        )
    head = text[: found[0].start()]
    if _has_sql(head):
        line = _first_sql_line(head)
        raise MigrationFileError(
            f"{path}:{line}: SQL before the first {what} marker belongs to no direction",
            hint=f"put it in the up section, after the {what} up marker",
        )
    out: dict[str, Section] = {}
    for i, m in enumerate(found):
        direction = m["direction"].lower()
        if direction in out:
            line = text.count("\n", 0, m.start()) + 1
            raise MigrationFileError(f"{path}:{line}: a second {what} {direction} marker")
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        start = m.end() + 1 if m.end() < len(text) else m.end()  # after the marker's newline
        start = min(start, end)
        out[direction] = Section(
            direction,
            m["options"].strip(),
            text[start:end],
            text.count("\n", 0, start) + 1,
            text.count("\n", 0, m.start()) + 1,
        )
    return out


def _has_sql(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def _first_sql_line(text: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.strip().startswith("--"):
            return n
    return 1

"""PostgreSQL's table-level lock modes, weakest first, and which conflict (the documentation's
"Conflicting Lock Modes" table)."""

from __future__ import annotations

MODES = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]
# a row per mode, a column per mode, in MODES' order: X where the two conflict
_TABLE = """
.......X
......XX
....XXXX
...XXXXX
..XX.XXX
..XXXXXX
.XXXXXXX
XXXXXXXX
"""
CONFLICTS: dict[str, set[str]] = {
    mode: {MODES[i] for i, mark in enumerate(row) if mark == "X"}
    for mode, row in zip(MODES, _TABLE.split(), strict=True)
}

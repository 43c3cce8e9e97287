"""Paths without the parser: a file's direction, its pair (up <-> down), how it is shown."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..files import FILENAME, OVERRIDE


def direction(path: Path) -> str | None:
    match = FILENAME.match(path.name) or OVERRIDE.match(path.name)
    return match["direction"] if match else None


def pair_of(path: Path) -> Path | None:
    """The down file of an up file, or the up file of a down file, if it exists on disk (a
    dialect's override file pairs with the same dialect's override)."""
    match = FILENAME.match(path.name) or OVERRIDE.match(path.name)
    if match is None:
        return None
    other = "down" if match["direction"] == "up" else "up"
    dialect = f".{match['dialect']}" if "dialect" in match.re.groupindex else ""
    candidate = path.with_name(f"{match['version']}_{match['slug']}{dialect}.{other}.sql")
    return candidate if candidate.is_file() else None


def display(path: Path) -> str:
    """The path relative to the working directory when it is inside it (as users typed it)."""
    try:
        cwd = _real(os.getcwd())
        if os.path.islink(path):
            real = _real(str(path))
        else:  # the folder resolved once for all its files: a system call per path component
            real = os.path.join(_real(os.path.dirname(os.path.abspath(path))), path.name)
    except OSError:  # the working directory was removed
        return str(path)
    inside = cwd.rstrip(os.sep) + os.sep
    return real[len(inside) :] if real.startswith(inside) else str(path)


@functools.lru_cache(maxsize=256)
def _real(path: str) -> str:
    return os.path.realpath(path)

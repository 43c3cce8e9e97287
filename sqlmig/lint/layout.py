"""How the migrator reads a linted folder of another tool's layout (popx): which files it runs
for the dialect, which down it pairs with which up, which run outside a transaction, and which
versions are one migration split into statements. Imports no parser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..formats.popx import Chosen


@dataclass(frozen=True)
class Role:
    """A file as the migrator runs it: its direction, its pair, its transaction, and (popx)
    the files of its group: ups in the order `up` runs them, downs in the order `down` does."""

    direction: str
    pair: Path | None
    transactional: bool
    ups: tuple[Path, ...] = ()  # empty: a migration of its own
    downs: tuple[Path, ...] = ()
    format: str = "popx"


@dataclass(frozen=True)
class Layout:
    """The files to lint in a folder of another layout, each with its role."""

    format: str
    files: tuple[Path, ...]
    roles: Mapping[Path, Role]


def read(folder: Path, dir_format: str | None, dialect: str) -> Layout | None:
    """The folder as `up` reads it when that is not sqlmig's own layout (None: sqlmig's, which
    lint reads file by file); `dialect` chooses a popx folder's files."""
    from ..formats import format_of

    fmt = format_of(folder, dir_format)
    if fmt != "popx":
        return None
    from ..formats import popx

    dialect = "mysql" if dialect == "mariadb" else dialect
    chosen = sorted(popx.choose(folder, dialect), key=lambda c: (int(c.version_text), c.name))
    roles: dict[Path, Role] = {}
    for group in _groups(chosen):
        ups = tuple(c.up for c in group) if len(group) > 1 else ()
        downs = tuple(c.down for c in reversed(group) if c.down) if len(group) > 1 else ()
        for c in group:
            roles[c.up] = Role("up", c.down, _transactional(c.up), ups, downs)
            if c.down is not None:
                roles[c.down] = Role("down", c.up, _transactional(c.down), ups, downs)
    return Layout(fmt, tuple(roles), roles)


def _groups(chosen: Iterable[Chosen]) -> list[list[Chosen]]:
    """Consecutive migrations of one name: one pop migration, split into files (the rule is
    popx.group_key's, which `down` reads too)."""
    from ..formats.popx import group_key

    out: list[list[Chosen]] = []
    last: object = None
    for c in chosen:
        key = group_key(c.version_text, c.name) or c
        if out and key == last:
            out[-1].append(c)
        else:
            out.append([c])
        last = key
    return out


def _transactional(path: Path) -> bool:
    from ..formats.popx import runs_without_transaction

    return not runs_without_transaction(path)

"""A popx version group as one migration: its ups' statements in the order `up` runs them, its
downs' in the order `down` does, so a rebuild split over files and a down that reverses a
sibling's up are seen as they run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import objects, rebuilds
from .context import FileContext, GroupView, Objects, Rebuilds, Stmt


@dataclass(frozen=True)
class Merged:
    """Statements of several files run one after the other, renumbered."""

    stmts: tuple[Stmt, ...]
    origin: tuple[tuple[Path, int], ...]  # merged index -> (file, its index there)
    rebuilds: Rebuilds


@dataclass(frozen=True)
class Group:
    ups: Merged
    downs: Merged
    view: GroupView


def merge(files: Sequence[FileContext], dialect: str) -> Merged:
    stmts: list[Stmt] = []
    origin: list[tuple[Path, int]] = []
    for ctx in files:
        for stmt in ctx.statements:
            origin.append((ctx.path, stmt.index))
            stmts.append(replace(stmt, index=len(stmts)))
    return Merged(tuple(stmts), tuple(origin), rebuilds.find(stmts, dialect))


def build(ups: Sequence[FileContext], downs: Sequence[FileContext], dialect: str) -> Group:
    """`downs` in the order `down` runs them (newest version first)."""
    up, down = merge(ups, dialect), merge(downs, dialect)
    hidden = any(_hidden(c) for c in (*ups, *downs))
    view = GroupView(
        objects.created(up.stmts),
        objects.dropped(down.stmts),
        up.rebuilds.replacements,
        objects.dropped(up.stmts),
        up.origin,
        hidden,
        tuple(c.path for c in ups),
    )
    return Group(up, down, view)


def _hidden(ctx: FileContext) -> bool:
    from .rules.syntax import opaque

    return any(s.problem is not None or opaque(s) for s in ctx.statements)


def in_group(ctx: FileContext, group: Group) -> FileContext:
    """The file with what its group knows: rebuilds whose copy ran in a sibling file, and (a
    down file) everything the group's ups made as its own to drop."""
    merged = group.ups if ctx.direction == "up" else group.downs
    made = group.view.made
    owned = Objects(
        {**made.items, **ctx.created.items},
        {**made.index_on, **ctx.created.index_on},
        {**made.renamed, **ctx.created.renamed},
    )
    first = next((g for g, (p, _) in enumerate(merged.origin) if p == ctx.path), 0)
    return replace(
        ctx,
        earlier=objects.created(merged.stmts[:first]),
        rebuilds=_mine(merged, ctx.path),
        owned=owned if ctx.direction == "down" else ctx.owned,
        group=group.view,
    )


def _mine(merged: Merged, path: Path) -> Rebuilds:
    """The group's rebuilds, in this file's statement numbers."""
    local = {g: i for g, (p, i) in enumerate(merged.origin) if p == path}
    r = merged.rebuilds
    return Rebuilds(
        frozenset((local[g], t) for g, t in r.statements if g in local),
        r.replacements,
        frozenset((local[g], t, c) for g, t, c in r.partial if g in local),
        frozenset((local[g], t, c) for g, t, c in r.columns if g in local),
    )

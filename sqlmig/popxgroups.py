"""popx version groups in `down`, `redo` and `up`: a group's downs undo it only together, newest
first (kratos's down files are not its up files' pairs), so no revert stops inside a group."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .errors import UsageError
from .files import Migration
from .history import AppliedRow

Group = tuple[Migration, ...]


def of(found: Sequence[Migration], fmt: str) -> list[Group]:
    """The version groups of a folder: only a popx folder has them (a folder in sqlmig's layout,
    every plain `up`, imports no other format's module)."""
    if fmt != "popx":
        return []
    from .formats.popx import groups

    return groups(found)


def refuse_split(
    found: Sequence[Group],
    applied: Collection[int],
    reverting: Collection[int],
    *,
    to: int | None,
    steps: int | None,
    offline: bool = False,
) -> None:
    """A revert (of the `reverting` versions among the `applied` ones) that would leave a group
    half-reverted, or revert a group that is only partly applied: exit 2 naming the group and
    the --steps / --to at its edges (`offline`: `down --sql`, which has only --to)."""
    applied, gone = set(applied), set(reverting)
    for group in found:
        mine = [m for m in group if m.version in applied]
        back = [m for m in mine if m.version in gone]
        if not back:
            continue
        if len(mine) < len(group):
            raise _partial(group, mine)
        if len(back) < len(mine):
            raise _split(group, applied, len(back), to=to, steps=steps, offline=offline)


def refuse_redo(found: Sequence[Group], rows: Sequence[AppliedRow], newest: AppliedRow) -> None:
    """`redo` reverts one file: refused when that file is one of a group's."""
    for group in found:
        if newest.version in {m.version for m in group}:
            applied = {r.version for r in rows}
            n = sum(1 for v in applied if v >= group[0].version)
            raise UsageError(
                f"redo reverts and applies one file, but {newest.version}_{newest.name} is one "
                f"of {group_label(group)}, whose downs undo it only together, newest first; "
                "nothing was reverted",
                hint=f"revert the whole group with `sqlmig down --steps {n}`, then apply it "
                f"again with `sqlmig up --to {newest.version}`",
            )


def stops_inside(
    found: Sequence[Group], rows: Sequence[AppliedRow], todo: Sequence[Migration]
) -> list[str]:
    """`up --to` / `--steps` may stop inside a group (ups run forward, and a later `up` applies
    the rest): said, since `down` will not revert the group until it is whole."""
    after = {r.version for r in rows} | {m.version for m in todo}
    doing = {m.version for m in todo}
    out = []
    for group in found:
        done = [m for m in group if m.version in after]
        if any(m.version in doing for m in group) and len(done) < len(group):
            out.append(
                f"up stops inside {group_label(group)}: {len(done)} of its files applied; "
                "its downs undo it only whole, so `down` will not revert it until "
                f"`sqlmig up --to {group[-1].version_text}` applies the rest"
            )
    return out


def group_label(group: Sequence[Migration]) -> str:
    """A group as messages name it: its name, first and last version, size."""
    return (
        f"popx version group {group[0].name!r} ({group[0].version_text} to "
        f"{group[-1].version_text}, {len(group)} files)"
    )


def _partial(group: Group, mine: Sequence[Migration]) -> UsageError:
    versions = " ".join(m.version_text for m in mine)
    return UsageError(
        f"{group_label(group)} is only partly applied ({len(mine)} of its files): its downs "
        "undo it only whole, newest first, so they would not undo what its applied files "
        "made; nothing was reverted",
        hint=f"apply the rest with `sqlmig up --to {group[-1].version_text}`, then revert the "
        "whole group; or revert it by hand and record that with "
        f"`sqlmig mark {versions} --pending --reason TEXT`",
    )


def _split(
    group: Group,
    applied: set[int],
    reverted: int,
    *,
    to: int | None,
    steps: int | None,
    offline: bool,
) -> UsageError:
    whole = sum(1 for v in applied if v >= group[0].version)
    keep = sum(1 for v in applied if v > group[-1].version)
    below = max((v for v in applied if v < group[0].version), default=0)
    if to is not None or offline:
        edges = f"--to {below}", f"--to {group[-1].version_text}"
    else:
        edges = f"--steps {whole}", f"--steps {keep}"
    hint = f"pass {edges[0]} to revert the whole group"
    hint += f", or {edges[1]} to keep it" if keep else ""
    return UsageError(
        f"{_asked(to, steps, offline)} would revert {reverted} of the {len(group)} files of "
        f"{group_label(group)}, whose downs undo it only together, newest first; nothing was "
        "reverted",
        hint=hint,
    )


def _asked(to: int | None, steps: int | None, offline: bool) -> str:
    if to is not None:
        return f"--to {to}"
    if offline:
        return "down --sql (one migration)"
    return f"--steps {steps}" if steps is not None else "down (one migration)"

"""Future migrations: applied versions newer than every file in the folder (an app rolled back
to an older image), told apart from a file missing in the middle of the history (drift)."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import DriftError, UsageError
from .events import FUTURE_MIGRATIONS, Event, Notify
from .files import Migration
from .history import AppliedRow
from .plan import row_label

FUTURE = "future"  # the state `status` shows for them


def split(
    files: list[Migration], rows: list[AppliedRow]
) -> tuple[list[AppliedRow], list[AppliedRow]]:
    """(rows with a file or below the newest file, rows newer than every file). A folder with
    no file at all, or none of whose files is in the history (another project's folder), has
    no future: every applied row of it is missing (a wrong --dir, not an older build)."""
    versions = {m.version for m in files}
    if not any(r.version in versions for r in rows):
        return rows, []
    newest = max(versions)
    return [r for r in rows if r.version <= newest], [r for r in rows if r.version > newest]


def labels(future: list[AppliedRow], files: Mapping[int, Migration]) -> str:
    return ", ".join(row_label(r, files) for r in future)


def found(future: list[AppliedRow], files: Mapping[int, Migration], folder: object) -> str:
    return (
        f"{len(future)} applied migration(s) newer than every file in {folder}: "
        f"{labels(future, files)} (future: this folder is older than the database, as after "
        "an app rollback)"
    )


def note(future: list[AppliedRow], files: Mapping[int, Migration], folder: object) -> str:
    """What up and validate say of them: they are left as they are."""
    return f"{found(future, files, folder)}; left as they are"


def detail(row: AppliedRow, folder: object) -> str:
    """The status detail of one future row."""
    said = f"applied, newer than every file in {folder} (an older build of the app)"
    if row.down_sql is None:
        return said + "; no down SQL was stored: `down` cannot revert it"
    return said + "; `down` reverts it with the down SQL stored when it was applied"


def refuse(future: list[AppliedRow], files: Mapping[int, Migration], folder: object) -> DriftError:
    """--strict (or strict = true): future migrations are drift, exit 4."""
    undo = (
        "; `sqlmig down --to V` reverts them with their stored down SQL"
        if all(r.down_sql is not None for r in future)
        else ""
    )
    return DriftError(
        f"{found(future, files, folder)}: --strict refuses them; nothing was run",
        hint="deploy the build that has their files, or run without --strict (and without "
        f"strict = true / SQLMIG_STRICT) to leave them as they are{undo}",
    )


def no_redo(row: AppliedRow, files: Mapping[int, Migration], folder: object) -> UsageError:
    """`redo` of a future migration: its up file is not here to apply again."""
    label = row_label(row, files)
    return UsageError(
        f"{label} is a future migration (newer than every file in {folder}): redo needs its up "
        "file to apply it again; nothing was run",
        hint=f"run redo from the build that has {label}, or `sqlmig down` to revert it with "
        "its stored down SQL",
    )


def warn_or_refuse(
    future: list[AppliedRow], files: list[Migration], folder: object, *, strict: bool,
    notify: Notify | None,
) -> list[str]:  # fmt: skip
    """up: a warning naming them (the future_migrations event), or with --strict exit 4. With
    nothing listening (--quiet, --json) the warning is returned, for the result to keep."""
    known = {m.version: m for m in files}
    if strict:
        raise refuse(future, known, folder)
    fields = {"versions": [str(r.version) for r in future]}
    said = note(future, known, folder)
    if notify is None:
        return [f"warning: {said}"]
    notify(Event(FUTURE_MIGRATIONS, said, fields, level="warning"))
    return []


def stored(label: str, folder: object) -> str:
    """What `down` says when it ran the down SQL kept in the history, not a file."""
    return (
        f"{label}: ran the down SQL stored in the history when it was applied (no down file "
        f"for it in {folder})"
    )

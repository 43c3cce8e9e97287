"""A migrations folder that holds no migration: new (as `init` leaves it), or a mistake to name.

"New" means the folder holds nothing a person put there: no entry at all, or only hidden ones
(`.gitkeep`, which git needs to keep an empty folder). That is how `init` leaves it, and how a
fresh clone of a project that has no migration yet looks. A folder holding anything else (a
README, notes, files of another kind) but no migration is most likely the wrong folder: `--dir`
one level off, a copy that lost its .sql files in a container build. Saying "nothing to apply"
there with exit 0 would hide that, so every command that reads the folder stops with exit 2.
"""

from __future__ import annotations

from pathlib import Path

from .errors import MigrationFileError

FIRST = "`sqlmig new NAME` writes the first"


def visible(folder: Path) -> list[str]:
    """The names of the folder's entries that are not hidden, sorted."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def is_new(folder: Path) -> bool:
    return folder.is_dir() and not visible(folder)


def note(folder: Path) -> str:
    """What a command says about a new folder."""
    return f"migrations folder {folder} holds no migrations yet: {FIRST}"


def require_new(folder: Path) -> None:
    """Raise MigrationFileError (exit 2) unless the folder, holding no migration, is new."""
    if is_new(folder):
        return
    names = visible(folder)
    if all(_runs_without_versions(folder / n) for n in names):
        return  # only repeatable migrations (R__name.sql) and callbacks: `up` runs them

    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise MigrationFileError(
        f"migrations folder {folder} holds no migrations (only {shown})",
        hint="point --dir (or SQLMIG_DIR, dir in sqlmig.toml) at the folder that holds the "
        f"NNNN_name.up.sql files, or, if this is the right one, {FIRST}",
    )


def _runs_without_versions(path: Path) -> bool:
    from .files import REPEATABLE

    return bool(REPEATABLE.match(path.name)) or (path.name == "callbacks" and path.is_dir())

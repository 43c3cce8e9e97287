"""Read a migrations folder in sqlmig's layout or another tool's: chosen by `dir_format`, or
detected when every migration in the folder is of one format. One small module per format."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from .. import files
from ..errors import MigrationFileError
from ..events import Event
from .base import Found, option_hint

# format -> its reader module (each has read(folder, dialect) -> list[Migration])
FORMATS = {
    "sqlmig": "",
    "golang-migrate": "golang_migrate",
    "dbmate": "dbmate",
    "goose": "goose",
    "flyway": "flyway",
    "diesel": "diesel",
    "prisma": "prisma",
    "popx": "popx",
}

__all__ = ["FORMATS", "Found", "discover", "format_detected", "format_of"]
# formats whose folders hold sqlmig's own NNNN_slug.up.sql pairs, so `new` may write one
SQLMIG_LAYOUT = ("sqlmig", "golang-migrate")


def discover(folder: Path, dir_format: str | None = None, *, dialect: str | None = None) -> Found:
    """The folder's migrations, sorted by version. dir_format None: detected (sqlmig's layout
    unless every migration-like entry is of one other format); dialect: sqlmig's driver name,
    which popx needs to choose its files."""
    if not folder.is_dir() or dir_format == "sqlmig":
        return Found("sqlmig", files.discover(folder))
    from .detect import detect

    found = detect(folder)
    fmt = dir_format or found or "sqlmig"
    if fmt == "sqlmig":
        try:
            return Found("sqlmig", files.discover(folder))
        except MigrationFileError as exc:
            _name_misfit(exc, folder)
            raise
    reader = import_module(f"{__name__}.{FORMATS[fmt]}")
    try:
        migrations = reader.read(folder, dialect)
    except MigrationFileError as exc:
        if found and found != fmt:  # the user's format is not the folder's
            note = f"this folder looks like a {found} folder: {option_hint(found)}"
            exc.hint = f"{exc.hint}; {note}" if exc.hint else note
        raise
    return Found(fmt, migrations, detected=dir_format is None)


def _name_misfit(exc: MigrationFileError, folder: Path) -> None:
    """A file that looks like another format's, in a folder not detected as that format: the
    hint names the file that stopped the detection."""
    fmt = getattr(exc, "read_as", None)
    if fmt is None or not exc.hint:
        return
    from .detect import misfit

    other = misfit(folder, fmt)
    if other is not None:
        said = f"a {fmt} one;"
        exc.hint = exc.hint.replace(said, f"a {fmt} one (here {other.name} is not one, so it "
                                          "was not);", 1)  # fmt: skip


def format_detected(folder: Path, fmt: str) -> Event:
    """The one line `up`, `status` and the others say when they read a folder as another
    tool's without being told to."""
    return Event(
        "dir_format",
        f"reading {folder} as a {fmt} folder (detected; --dir-format {fmt} says so and "
        "silences this line)",
        {"dir": str(folder), "dir_format": fmt},
    )


def format_of(folder: Path, dir_format: str | None) -> str:
    """The format the folder is read as: the one given, else the detected one."""
    if dir_format or not folder.is_dir():
        return dir_format or "sqlmig"
    from .detect import detect

    return detect(folder) or "sqlmig"

"""Which format a folder is in: the one format every migration-like entry fits, or None."""

from __future__ import annotations

import re
from pathlib import Path

from ..files import FILENAME, OVERRIDE

HEAD_BYTES = 64 * 1024
SQLMIG_NAMES = {"sqlmig", "golang-migrate", "popx"}  # a NNNN_slug.up.sql fits all three


def detect(folder: Path) -> str | None:
    """sqlmig, another format, or None (no migration, or entries of several formats: the
    sqlmig reader then names the first file it cannot read)."""
    fits: set[str] | None = None
    popx_only = False
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".sql"):  # no stat: a folder named so errs later
            continue
        mine = _fits(path)
        popx_only = popx_only or (mine != SQLMIG_NAMES and _popx_only(path))
        fits = mine if fits is None else fits & mine
    if fits is None:
        return _by_folders(folder)
    if "sqlmig" in fits:
        return "sqlmig"
    if fits == {"golang-migrate", "popx"}:
        return "popx" if popx_only else "golang-migrate"
    return next(iter(fits)) if len(fits) == 1 else None


def misfit(folder: Path, fmt: str) -> Path | None:
    """The first `.sql` entry of the folder that format `fmt` does not take: what stops the
    folder from being detected as that format."""
    for path in sorted(folder.iterdir()):
        if path.name.lower().endswith(".sql") and fmt not in _fits(path):
            return path
    return None


def _fits(path: Path) -> set[str]:
    name = path.name
    if FILENAME.match(name) or OVERRIDE.match(name):
        return set(SQLMIG_NAMES)
    # the other formats' patterns only for a name sqlmig's own does not take: a plain sqlmig
    # folder (every `up`) imports none of their modules
    from . import dbmate, flyway, golang_migrate, goose, popx

    if flyway.REPEATABLE.match(name):
        return {"sqlmig", "flyway"}  # both read R__ files as repeatable migrations
    if flyway.NAME.match(name):
        return {"flyway"}
    from ..callback_names import is_callback

    if is_callback(name):
        return {"flyway"}  # Flyway keeps callbacks among its migrations
    out = set()
    if golang_migrate.NAME.match(name):
        out.add("golang-migrate")
    match = popx.NAME.match(name)
    if match and (match["dialect"] is None or match["dialect"] in popx.DIALECTS):
        out.add("popx")
    if out:
        return out
    head = _head(path)
    if dbmate.NAME.match(name) and dbmate.MARKER.search(head):
        return {"dbmate"}
    if goose.NAME.match(name) and goose.MARKER.search(head):
        return {"goose"}
    return set()


def _popx_only(path: Path) -> bool:
    """A name only popx reads so: `.<dialect>.` or `.autocommit.` before `up`/`down`."""
    from . import popx

    match = popx.NAME.match(path.name)
    return bool(match and (match["dialect"] in popx.DIALECTS or match["autocommit"]))


def _by_folders(folder: Path) -> str | None:
    """diesel or Prisma: a subfolder per migration (and no .sql file beside them)."""
    kinds = set()
    for sub in folder.iterdir():
        if not sub.is_dir() or sub.name.startswith("."):
            continue
        if (sub / "migration.sql").is_file():
            kinds.add("prisma")
        elif (sub / "up.sql").is_file():
            kinds.add("diesel")
        elif re.match(r"^[0-9]", sub.name) and any(sub.glob("*.sql")):
            return None  # another folder-per-version layout: not one of these
    return next(iter(kinds)) if len(kinds) == 1 else None


def _head(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""

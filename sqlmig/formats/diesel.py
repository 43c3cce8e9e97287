"""diesel: a folder per migration, `{version}_{name}/up.sql` and `down.sql`; a version such
as `2019-02-26-002946` is the integer of its digits, its text kept in every label."""

from __future__ import annotations

import re
from pathlib import Path

from ..callback_names import FOLDER as CALLBACKS
from ..errors import MigrationFileError
from ..files import Migration, SqlFile, read_sql_file
from .base import refuse_duplicates, version_of, without_transaction

# diesel's versions: digits, maybe with dashes (its generator writes %Y-%m-%d-%H%M%S)
FOLDER = re.compile(r"^(?P<version>[0-9][0-9-]*[0-9]|[0-9])_(?P<name>.+)$")
HINT = "diesel names each migration's folder {version}_{name}, holding up.sql and down.sql"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if sub.name == CALLBACKS:
            continue  # callbacks/, read by callbacks.py as in every layout
        match = FOLDER.match(sub.name)
        if match is None or not (sub / "up.sql").is_file():
            raise MigrationFileError(f"{sub}: not a diesel migration folder", hint=HINT)
        vtext = match["version"]
        down = sub / "down.sql"
        found.append(
            Migration(
                version=version_of(vtext.replace("-", ""), sub, vtext),
                version_text=vtext,
                name=match["name"],
                up=_in_transaction(read_sql_file(sub / "up.sql"), sub),
                down=_in_transaction(read_sql_file(down), sub) if down.is_file() else None,
            )
        )
    stray = [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(".sql")]
    if stray:
        raise MigrationFileError(
            f"{sorted(stray)[0]}: a .sql file beside diesel's folders", hint=HINT
        )
    return refuse_duplicates(found)


def _in_transaction(sql: SqlFile, sub: Path) -> SqlFile:
    """diesel's `run_in_transaction = false` in the folder's metadata.toml: no transaction."""
    meta = sub / "metadata.toml"
    if not meta.is_file():
        return sql
    from ..config import _toml  # the one TOML reader (tomllib, or tomli on 3.10)

    try:
        data = _toml().loads(meta.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MigrationFileError(f"{meta}: cannot read it: {exc}", hint="fix the file") from None
    if data.get("run_in_transaction", True) is False:
        return without_transaction(sql)
    return sql

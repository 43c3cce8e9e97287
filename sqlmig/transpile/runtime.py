"""`source_dialect` in sqlmig.toml: run PostgreSQL-written files on SQLite or MySQL, transpiled.

The history keeps each source file's checksum, so drift is judged against what the user wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import MigrationFileError
from ..files import Migration, SqlFile
from .command import override_names, transpile_set

MAX_LISTED = 20


def for_target(files: Sequence[Migration], *, source: str, target: str) -> list[Migration]:
    """The migrations with their text in the target dialect, or an error listing every refusal
    (raised before any database is touched)."""
    written, refusals, _notes = transpile_set(files, target=target, source=source, same_lines=True)
    if refusals:
        lines = [r.describe() for r in refusals[:MAX_LISTED]]
        more = len(refusals) - len(lines)
        raise MigrationFileError(
            f"source_dialect = {source!r}: {len(refusals)} statement(s) cannot be transpiled "
            f"faithfully to {target}, so nothing was run:\n"
            + "\n".join(lines)
            + (f"\n... and {more} more" if more > 0 else ""),
            hint=f"rewrite them portably, or add overrides ({override_names(refusals, target)}); "
            f"`sqlmig transpile --to {target}` lists them all",
        )
    texts = {f.name: f.text for f in written}
    return [_with_text(m, texts) for m in files]


def _with_text(m: Migration, texts: dict[str, str]) -> Migration:
    def swap(sql: SqlFile | None) -> SqlFile | None:
        return None if sql is None else replace(sql, text=texts[sql.path.name])

    return replace(m, up=swap(m.up), down=swap(m.down))

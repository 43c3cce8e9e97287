"""Pure planning: from files on disk and history rows to drift, pending work and targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import DriftError, FailedStateError, MigrationFileError, UsageError
from .files import Migration, SqlFile, directives
from .history import APPLIED, AppliedRow


@dataclass(frozen=True)
class Drift:
    """An applied migration whose file changed, was renamed or is gone."""

    version: int
    name: str
    kind: str  # "edited" | "renamed" | "missing"
    recorded: str
    on_disk: str | None
    path: Path | None
    label: str = ""

    def describe(self) -> str:
        if self.kind == "missing":
            return f"{self.label} is applied but its file is missing"
        if self.kind == "renamed":
            return f"{self.path} was applied under the name {self.name!r}"
        return (
            f"{self.path} was edited after it was applied "
            f"(recorded {self.recorded}, now {self.on_disk})"
        )


@dataclass(frozen=True)
class DownStep:
    """A migration to revert and the SQL that reverts it."""

    row: AppliedRow
    label: str
    sql: SqlFile


def by_version(files: list[Migration]) -> dict[int, Migration]:
    return {m.version: m for m in files}


DEFAULT_WIDTH = 4  # `sqlmig new`'s 0001


def label_of(version: int, name: str, files: Mapping[int, Migration]) -> str:
    """The one way a migration is named in every message: `0003_add_index`, its version as its
    file writes it (zero padding kept), then its name as recorded. A row whose file is gone is
    padded like the folder's files (4 digits in an empty folder)."""
    m = files.get(version)
    if m is not None:
        return m.label if m.name == name else f"{m.version_text}_{name}"
    padded = [len(f.version_text) for f in files.values() if f.version_text.startswith("0")]
    width = max(padded, default=1 if files else DEFAULT_WIDTH)
    return f"{str(version).zfill(width)}_{name}"


def row_label(row: AppliedRow, files: Mapping[int, Migration]) -> str:
    return label_of(row.version, row.name, files)


def drift(files: list[Migration], rows: list[AppliedRow]) -> list[Drift]:
    known = by_version(files)
    found: list[Drift] = []
    for row in rows:
        m = known.get(row.version)
        if m is None:
            label = row_label(row, known)
            found.append(Drift(row.version, row.name, "missing", row.checksum, None, None, label))
        elif m.name != row.name:
            found.append(
                Drift(row.version, row.name, "renamed", row.checksum, m.up.checksum, m.up.path)
            )
        elif row.status == APPLIED and m.up.checksum != row.checksum:
            found.append(
                Drift(row.version, row.name, "edited", row.checksum, m.up.checksum, m.up.path)
            )
    return found


def drift_error(found: list[Drift]) -> DriftError:
    lines = "\n  ".join(d.describe() for d in found)
    return DriftError(
        f"{len(found)} applied migration(s) no longer match their files; nothing was run:\n"
        f"  {lines}",
        hint="restore the original files, or after review run `sqlmig repair` to accept the "
        "edits; change a live schema with a new migration (`sqlmig new NAME`). "
        "--allow-drift skips this check.",
    )


def describe_row(row: AppliedRow, files: Mapping[int, Migration]) -> str:
    done = row.statements_done or 0
    text = f"{row_label(row, files)}: {row.status}, {done} statement(s) done"
    return f"{text}: {row.error}" if row.error else text


def check_failed(rows: list[AppliedRow], files: Mapping[int, Migration]) -> None:
    bad = [r for r in rows if r.status != APPLIED]
    if bad:
        lines = "\n  ".join(describe_row(r, files) for r in bad)
        raise FailedStateError(
            f"the database is in a partial state; nothing was run:\n  {lines}",
            hint="check those migrations' objects by hand, then run `sqlmig repair` to clear "
            "the state (an up that did not finish becomes pending again; a down that did not "
            "finish goes back to applied)",
        )


def pending(files: list[Migration], rows: list[AppliedRow]) -> list[Migration]:
    done = {r.version for r in rows}
    return [m for m in files if m.version not in done]


def out_of_order(todo: list[Migration], rows: list[AppliedRow]) -> list[Migration]:
    newest = max((r.version for r in rows), default=None)
    return [] if newest is None else [m for m in todo if m.version < newest]


def select_up(todo: list[Migration], *, to: int | None, steps: int | None) -> list[Migration]:
    if to is not None:
        todo = [m for m in todo if m.version <= to]
    if steps is not None:
        todo = todo[:steps]
    return todo


def select_down(
    rows: list[AppliedRow], *, to: int | None, steps: int | None, all_: bool
) -> list[AppliedRow]:
    newest_first = sorted(rows, key=lambda r: r.version, reverse=True)
    if all_:
        return newest_first
    if to is not None:
        return [r for r in newest_first if r.version > to]
    return newest_first[: 1 if steps is None else steps]


def down_step(
    row: AppliedRow,
    m: Migration | None,
    *,
    allow_drift: bool,
    files: Mapping[int, Migration] | None = None,
) -> DownStep:
    """The SQL that reverts `row`: the down file, or the copy stored when it was applied."""
    label = label_of(row.version, row.name, files or ({m.version: m} if m else {}))
    on_disk = m.down if m else None
    if on_disk is not None:
        if row.down_checksum and on_disk.checksum != row.down_checksum and not allow_drift:
            raise DriftError(
                f"{on_disk.path} differs from the down SQL stored when {label} was applied "
                f"(stored {row.down_checksum}, now {on_disk.checksum}); nothing was run",
                hint="restore the file, or pass --allow-drift to run the file on disk",
            )
        return DownStep(row, label, on_disk)
    if row.down_sql is not None:
        where = Path(f"<down SQL of {label} stored in the history>")
        tx = "no-transaction" not in directives(row.down_sql, where)
        return DownStep(row, label, SqlFile(where, row.down_sql, row.down_checksum or "", tx))
    raise UsageError(
        f"{label} is irreversible: it has no down file and none was stored",
        hint=f"write {label}.down.sql, or revert by hand and use `sqlmig repair`",
    )


# Cheap signs that a file may hold a client command: only such files are scanned in full.
_MAYBE_CLIENT = {
    "postgres": lambda text: "\\" in text,
    "mysql": lambda _text: True,  # client_commands has its own cheap pre-check
    "sqlite": lambda text: text.startswith(".") or "\n." in text,
}


def refuse_client_commands(sqls: list[SqlFile], dialect: str) -> None:
    """Stop before anything runs when a file holds a command for a database's own client
    (psql's \\connect or \\i, mysql's source, sqlite3's .read): sqlmig cannot run those."""
    from .sqltext import SplitError, client_commands

    maybe = _MAYBE_CLIENT.get(dialect, lambda _text: False)
    for sql in sqls:
        if not maybe(sql.text):
            continue
        try:
            found = client_commands(sql.text, dialect)
        except SplitError:
            continue  # the driver reports an unsplittable file by itself, by file and reason
        if found:
            line, command = found[0]
            raise MigrationFileError(
                f"{sql.path}:{line}: `{command}` is a command of the database's own client "
                "(psql, mysql, sqlite3), not SQL; sqlmig sends statements to the server and "
                "cannot run it; nothing was run",
                hint="replace it with SQL (e.g. SET search_path instead of \\connect, the "
                "included file's statements instead of \\i or source), or run this file with "
                "the client and record it with `sqlmig baseline`",
            )

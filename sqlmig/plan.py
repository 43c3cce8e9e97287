"""Pure planning: from files on disk and history rows to drift, pending work and targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import DriftError, FailedStateError, MigrationFileError, NotEmptyError, UsageError
from .files import Migration, SqlFile, directives
from .history import APPLIED, REVERTING, RUNNING, AppliedRow


@dataclass(frozen=True)
class Drift:
    """An applied migration whose file changed, was renamed or is gone."""

    version: int
    name: str
    kind: str  # "edited" | "renamed" | "missing" | "edited_down"
    recorded: str
    on_disk: str | None
    path: Path | None
    label: str = ""

    def describe(self) -> str:
        if self.kind == "missing":
            return f"{self.label} is applied but its file is missing"
        if self.kind == "renamed":
            said = f"{self.path} was applied under the name {self.name!r}"
            if self.on_disk != self.recorded:
                said += f" and holds other content (recorded {self.recorded}, now {self.on_disk})"
            return said
        if self.kind == "edited_down":
            return (
                f"{self.path} was edited after {self.version} ({self.name}) was applied "
                f"(down SQL stored {self.recorded}, file now {self.on_disk})"
            )
        return (
            f"{self.path} was edited after it was applied "
            f"(recorded {self.recorded}, now {self.on_disk})"
        )

    @property
    def repairable(self) -> bool:
        """Whether `sqlmig repair` settles it: an edit, or a new name for the same content."""
        return self.kind in ("edited", "edited_down") or (
            self.kind == "renamed" and self.on_disk == self.recorded
        )


@dataclass(frozen=True)
class DownStep:
    """A migration to revert and the SQL that reverts it."""

    row: AppliedRow
    label: str
    sql: SqlFile
    stored: bool = False  # the down SQL kept in the history: no down file in the folder


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
    from .formats import flyway

    if any(flyway.spelled(f) for f in files.values()):  # a Flyway folder: its version text
        return f"{flyway.text_of(version)}_{name}"
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


def down_drift(files: list[Migration], rows: list[AppliedRow]) -> list[Drift]:
    """Applied migrations whose down file differs from the down SQL stored when they were
    applied (what `down` refuses to run). A down file added or removed since is not drift:
    `down` runs the added file, or the stored copy."""
    known = by_version(files)
    found: list[Drift] = []
    for row in rows:
        m = known.get(row.version)
        down = m.down if m else None
        if row.status == APPLIED and down and row.down_checksum not in (None, down.checksum):
            found.append(
                Drift(
                    row.version, row.name, "edited_down", row.down_checksum or "",
                    down.checksum, down.path,
                )
            )  # fmt: skip
    return found


# The next step for each kind of drift, said once per kind found.
_NEXT = {
    "edited": "restore an edited file, or after review run `sqlmig repair` to record it as it "
    "is now (change a live schema with a new migration: `sqlmig new NAME`)",
    "renamed": "`sqlmig repair` records the new name of a renamed file (or rename it back)",
    "reused": "a file under an applied version with another name and other content is not "
    "repaired: if it is another migration, renumber it and restore the applied one's file; if "
    "it is the same one renamed and edited, rename it back and `sqlmig repair` the edit",
    "missing": "restore a missing file, or, if its migration was reverted by hand, record that "
    "with `sqlmig mark VERSION --pending`",
    "edited_down": "restore an edited down file, or after review run `sqlmig repair` to store "
    "it as the SQL `down` runs",
}


def _next_step(d: Drift) -> str:
    return "reused" if d.kind == "renamed" and not d.repairable else d.kind


def drift_error(found: list[Drift], *, allow_drift: bool = True) -> DriftError:
    """`allow_drift`: the command has --allow-drift (up, redo), so the hint names it."""
    lines = "\n  ".join(d.describe() for d in found)
    steps = list(dict.fromkeys(_NEXT[_next_step(d)] for d in found))
    if allow_drift:
        steps.append("--allow-drift skips this check")
    return DriftError(
        f"{len(found)} applied migration(s) no longer match their files; nothing was run:\n"
        f"  {lines}",
        hint="; ".join(steps),
    )


def describe_row(row: AppliedRow, files: Mapping[int, Migration]) -> str:
    done = f"{row.statements_done or 0} statement(s) done"
    if row.status == RUNNING and row.statements_done is None:  # sqlmig itself writes 0
        done = "how many of its statements ran is not recorded (an offline script's row)"
    text = f"{row_label(row, files)}: {row.status}, {done}"
    return f"{text}: {row.error}" if row.error else text


def settle_hint(direction: str, version: int | str = "VERSION") -> str:
    """What to do after a migration stopped midway: undo it and repair, or finish it and mark."""
    if direction == "down":
        return (
            "undo what ran of the down by hand and run `sqlmig repair` (the migration is "
            "applied again and `down` can run again), or finish the down by hand and record "
            f"that with `sqlmig mark {version} --pending`"
        )
    return (
        "undo what ran by hand and run `sqlmig repair` (the migration becomes pending and "
        f"`up` runs it again), or finish it by hand and record that with `sqlmig mark "
        f"{version} --applied`"
    )


def check_failed(rows: list[AppliedRow], files: Mapping[int, Migration]) -> None:
    bad = [r for r in rows if r.status != APPLIED]
    if bad:
        lines = "\n  ".join(describe_row(r, files) for r in bad)
        raise FailedStateError(
            f"the database is in a partial state; nothing was run:\n  {lines}",
            hint="check those migrations' objects by hand; then " + _settle_rows(bad),
        )


def _settle_rows(bad: list[AppliedRow]) -> str:
    """The next step for each stopped row: an up's and a down's differ."""
    downs = {r.version for r in bad if (r.error or "").startswith(REVERTING)}
    if len(bad) == 1:
        return settle_hint("down" if downs else "up", bad[0].version)
    said = [
        f"for {r.version} ({r.name}): "
        + settle_hint("down" if r.version in downs else "up", r.version)
        for r in bad
    ]
    return "; ".join(said) + ". `sqlmig repair --dry-run` shows what repair would do"


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


def check_down_flags(*, to: int | None, steps: int | None, all_: bool) -> None:
    """--steps, --to and --all each choose what `down` reverts: two of them are a usage error,
    never the most destructive reading."""
    given = [f"--steps {steps}"] if steps is not None else []
    given += [f"--to {to}"] if to is not None else []
    given += ["--all"] if all_ else []
    if len(given) > 1:
        both = ", ".join(given[:-1]) + " and " + given[-1]
        raise UsageError(
            f"{both} cannot be combined: each chooses which migrations `down` reverts; "
            "nothing was reverted",
            hint="pass only one of --steps N, --to V and --all (--dry-run shows what it reverts)",
        )


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
                hint="restore the file; or, after review, run `sqlmig repair` to store the file as "
                "the down SQL, or pass --allow-drift to run the file on disk this once",
            )
        return DownStep(row, label, on_disk)
    if row.down_sql is not None:
        where = Path(f"<down SQL of {label} stored in the history>")
        tx = "no-transaction" not in directives(row.down_sql, where)
        sql = SqlFile(where, row.down_sql, row.down_checksum or "", tx)
        return DownStep(row, label, sql, stored=True)
    by_hand = (
        f"revert it by hand and record that with `sqlmig mark {row.version} --pending "
        "--reason TEXT`"
    )
    raise UsageError(
        f"{label} is irreversible: it has no down file and none was stored",
        # a down file without its up file is refused: only where the up file is can one be added
        hint=f"write {label}.down.sql (`down` then runs it), or {by_hand}" if m else by_hand,
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


# History tables of other migration tools, by table name: how a user arriving from one is told.
OTHER_TOOLS = {
    "schema_migrations": "golang-migrate, dbmate or Rails",
    "goose_db_version": "goose",
    "flyway_schema_history": "Flyway",
    "__diesel_schema_migrations": "diesel",
    "_prisma_migrations": "Prisma",
    "schema_migration": "popx (ory)",
    "alembic_version": "Alembic",
    "django_migrations": "Django",
    "knex_migrations": "knex",
    "typeorm_migrations": "TypeORM",
    "migrations": "TypeORM or another tool",
    "databasechangelog": "Liquibase",
    "seaql_migrations": "SeaORM",
    "_sqlx_migrations": "sqlx",
    "__efmigrationshistory": "Entity Framework",
}
SHOWN_TABLES = 8


def refuse_not_empty(where: str, tables: list[str], adoptable: tuple[str, ...] = ()) -> None:
    """`up` with no history on a database that already has tables: name them and the ways on.

    Running 0001 there would fail on "already exists" at best, and at worst apply half of a
    migration set on top of a schema nobody recorded.
    """
    if not tables:
        return
    shown = ", ".join(tables[:SHOWN_TABLES]) + (
        f" and {len(tables) - SHOWN_TABLES} more" if len(tables) > SHOWN_TABLES else ""
    )
    tools = [f"{t} ({OTHER_TOOLS[t.lower()]})" for t in tables if t.lower() in OTHER_TOOLS]
    other = f"; another tool's history: {', '.join(tools)}" if tools else ""
    what = "table or view" if len(tables) == 1 else "tables or views"
    adopt = " or ".join(f"`sqlmig adopt --from {t}`" for t in adoptable)
    raise NotEmptyError(
        f"{where} has {len(tables)} {what} but no sqlmig history: {shown}{other}",
        hint=(f"to take over from that tool, record what it applied with {adopt}, then "
              "`sqlmig up` applies only what is new; otherwise, " if adopt else "")
        + "if these migrations built them, record them as applied without running them: "
        "`sqlmig baseline V` (V = the newest one the database has); to run the migrations on "
        "top of them anyway, pass `up --allow-non-empty`",
    )  # fmt: skip

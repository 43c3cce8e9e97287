"""Other migration tools' history tables: which one a database holds, and what it says ran.

Each tool is data (its table, the columns that tell it apart) and one reader that turns its
rows into a `Reported`: the versions it applied, written as the tool writes them, and what it
reports stuck (golang-migrate's dirty flag, a failed Flyway or Prisma row). Nothing here
writes: `adopt` records what these say in sqlmig's history and leaves their tables as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .drivers.base import Driver
from .errors import HistoryError, UsageError

Key = tuple[int, ...]


@dataclass(frozen=True)
class Reported:
    """What another tool's history table says. `upto`: every migration at or below it is
    applied too (golang-migrate keeps only its current version; a Flyway baseline)."""

    applied: tuple[str, ...] = ()
    upto: str | None = None
    stuck: tuple[tuple[str, str], ...] = ()  # (version, what the tool says of it)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tool:
    """One tool's history table: its name, the columns that must be there (and must not:
    dbmate's and golang-migrate's tables share a name), its reader and the way out of a
    dirty or failed state, in the tool's own commands."""

    name: str
    table: str
    needs: frozenset[str]
    without: frozenset[str]
    read: Callable[[Driver, str], Reported]
    unstick: str
    key: Callable[[str], Key]
    # popx: a row of this many digits also stands for the longer versions it begins (the
    # rows popx wrote before its versions grew past 14 digits)
    prefix: int = 0


def digits_key(version: str) -> Key:
    """A version as an integer: its digits (diesel writes 2019-02-26-002946 as a folder name,
    and the integer 20190226002946 is the migration's version)."""
    found = re.sub(r"[^0-9]", "", version)
    if not found:
        raise UsageError(
            f"version {version!r} in another tool's history has no digits",
            hint="sqlmig matches versions by number: rename the migration, or use "
            "`sqlmig baseline V`",
        )
    return (int(found),)


def dotted_key(version: str) -> Key:
    """A Flyway version (`1.2.10`, `1_2`) as Flyway compares it: by numeric parts, trailing
    zeros dropped (1.0 is 1)."""
    parts = [int(p) for p in re.split(r"[._]", version.strip()) if p.isdigit()]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    if not parts:
        return digits_key(version)
    return tuple(parts)


def _truthy(value: object) -> bool:
    """A boolean as each database returns it: True, 1, '1', 't', 'true'."""
    return str(value).strip().lower() in ("1", "t", "true") if value is not None else False


def _rows(driver: Driver, where: str, columns: str, order: str = "") -> list[tuple[object, ...]]:
    try:
        return driver.query(f"SELECT {columns} FROM {where}{order}")
    except HistoryError as exc:
        raise HistoryError(f"could not read {where}: {exc.message}", hint=exc.hint) from None


def _golang_migrate(driver: Driver, where: str) -> Reported:
    rows = _rows(driver, where, "version, dirty")
    if len(rows) > 1:
        raise UsageError(
            f"golang-migrate's {where} has {len(rows)} rows; golang-migrate keeps one (the "
            "current version)",
            hint="check the table by hand: `migrate force V` sets the one row",
        )
    if not rows:
        return Reported()
    version, dirty = str(rows[0][0]), _truthy(rows[0][1])
    stuck = ((version, "dirty"),) if dirty else ()
    # -1 is golang-migrate's "no version" (everything reverted)
    return Reported(upto=None if version == "-1" else version, stuck=stuck)


def _one_per_row(driver: Driver, where: str) -> Reported:
    """dbmate, diesel and popx: one row per applied version."""
    rows = _rows(driver, where, "version", " ORDER BY version")
    return Reported(applied=tuple(str(r[0]) for r in rows))


def _goose(driver: Driver, where: str) -> Reported:
    """The latest row of each version_id decides (older goose wrote is_applied = false rows on
    down); version 0 is the row goose writes when it creates its table."""
    latest: dict[str, bool] = {}
    for version, applied in _rows(driver, where, "version_id, is_applied", " ORDER BY id"):
        latest[str(version)] = _truthy(applied)
    return Reported(applied=tuple(v for v, ok in latest.items() if ok and v != "0"))


FLYWAY_GONE = ("UNDO_SQL", "UNDO_JDBC", "UNDO_SCRIPT", "DELETE")


def _flyway(driver: Driver, where: str) -> Reported:
    columns = "installed_rank, version, type, success, script"
    applied: dict[str, None] = {}
    upto: str | None = None
    stuck: list[tuple[str, str]] = []
    repeatable: list[str] = []
    for _rank, version, kind, success, script in _rows(
        driver, where, columns, " ORDER BY installed_rank"
    ):
        kind = str(kind or "").upper()
        if not _truthy(success):
            stuck.append((str(version or script), f"failed ({script})"))
        elif version is None:
            if kind != "SCHEMA":
                repeatable.append(str(script))
        elif kind == "BASELINE":
            upto = str(version)
        elif kind in FLYWAY_GONE:
            applied.pop(str(version), None)
        else:
            applied[str(version)] = None
    notes = (
        (f"Flyway's repeatable migrations are not recorded: the next `sqlmig up` applies "
         f"them again, once (R__ files are written to run again): "
         f"{', '.join(dict.fromkeys(repeatable))}",) if repeatable else ()
    )  # fmt: skip
    return Reported(applied=tuple(applied), upto=upto, stuck=tuple(stuck), notes=notes)


PRISMA_VERSION = re.compile(r"^([0-9]+)")


def _prisma(driver: Driver, where: str) -> Reported:
    """A migration is applied when a row of it finished and was not rolled back; a row that
    neither finished nor was rolled back is a failed migration (`prisma migrate resolve`)."""
    columns = "migration_name, finished_at, rolled_back_at"
    applied: dict[str, None] = {}
    failed: dict[str, None] = {}
    for name, finished, rolled_back in _rows(driver, where, columns, " ORDER BY started_at"):
        if rolled_back is not None:
            continue
        (applied if finished is not None else failed)[str(name)] = None
    stuck = tuple((n, "failed (finished_at and rolled_back_at are NULL)") for n in failed
                  if n not in applied)  # fmt: skip
    return Reported(applied=tuple(applied), stuck=stuck)


def prisma_key(name: str) -> Key:
    found = PRISMA_VERSION.match(name)
    return (int(found.group(1)),) if found else digits_key(name)


TOOLS = (
    Tool(
        "golang-migrate", "schema_migrations", frozenset({"version", "dirty"}), frozenset(),
        _golang_migrate,
        "finish or undo that migration by hand, then record where the database is with "
        "`migrate force V` (V: the version it now has) and run `sqlmig adopt` again",
        digits_key,
    ),
    Tool(
        "dbmate", "schema_migrations", frozenset({"version"}),
        frozenset({"dirty", "run_on", "version_self"}),
        _one_per_row, "", digits_key,
    ),
    Tool(
        "goose", "goose_db_version", frozenset({"version_id", "is_applied", "id"}),
        frozenset(), _goose, "", digits_key,
    ),
    Tool(
        "flyway", "flyway_schema_history",
        frozenset({"installed_rank", "version", "type", "script", "success"}), frozenset(),
        _flyway,
        "undo what the failed migration did by hand, remove its row with `flyway repair`, "
        "then run `sqlmig adopt` again",
        dotted_key,
    ),
    Tool(
        "diesel", "__diesel_schema_migrations", frozenset({"version", "run_on"}), frozenset(),
        _one_per_row, "", digits_key,
    ),
    Tool(
        "prisma", "_prisma_migrations",
        frozenset({"migration_name", "finished_at", "rolled_back_at", "started_at"}),
        frozenset(), _prisma,
        "undo it by hand and run `prisma migrate resolve --rolled-back NAME`, or finish it "
        "by hand and run `prisma migrate resolve --applied NAME`; then run `sqlmig adopt` again",
        prisma_key,
    ),
    Tool(
        "popx", "schema_migration", frozenset({"version"}), frozenset(), _one_per_row, "",
        digits_key, prefix=14,
    ),
)  # fmt: skip
NAMES = tuple(t.name for t in TOOLS)
TABLES = tuple(dict.fromkeys(t.table for t in TOOLS))

COLUMNS_SQL = {
    "postgres": "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = %s AND table_name = %s",
    "mysql": "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
    "sqlite": "SELECT name FROM pragma_table_info(?, ?)",
}


def tool_named(name: str) -> Tool:
    """The tool `--from` names (any case; `golang_migrate`, `migrate` and `ory` too)."""
    wanted = name.strip().lower().replace("_", "-")
    wanted = {"migrate": "golang-migrate", "ory": "popx"}.get(wanted, wanted)
    for tool in TOOLS:
        if tool.name == wanted:
            return tool
    raise UsageError(
        f"--from {name}: sqlmig does not read that tool's history",
        hint=f"pass one of {', '.join(NAMES)}; for another tool, `sqlmig baseline V`",
    )


def _columns(driver: Driver, home: str, table: str) -> set[str]:
    params = (table, home) if driver.dialect == "sqlite" else (home, table)
    return {str(r[0]).lower() for r in driver.query(COLUMNS_SQL[driver.dialect], params)}


def fitting(driver: Driver, home: str, table: str) -> list[Tool]:
    """The tools whose history table has the columns of `home.table` (a table renamed with the
    tool's own option: dbmate's --migrations-table, goose's -table, Flyway's table)."""
    columns = _columns(driver, home, table)
    fits = [t for t in TOOLS if t.needs <= columns and not t.without & columns]
    most = max((len(t.needs) for t in fits), default=0)
    return [t for t in fits if len(t.needs) == most]  # diesel's, not popx's: it has run_on


def present(driver: Driver, home: str, tables: list[str] | None = None) -> list[tuple[Tool, str]]:
    """The tools whose history table is in `home`, each with the table's name as it is
    written there; a table of a known name whose columns are another's is not counted."""
    found = driver.tables(home) if tables is None else tables
    by_name = {t.lower(): t for t in found}
    out: list[tuple[Tool, str]] = []
    for table in TABLES:
        actual = by_name.get(table)
        if actual is None:
            continue
        columns = _columns(driver, home, actual)
        out += [
            (tool, actual)
            for tool in TOOLS
            if tool.table == table and tool.needs <= columns and not tool.without & columns
        ]
    return out


def read(driver: Driver, home: str, tool: Tool, table: str) -> Reported:
    """What `tool`'s history table `home.table` says."""
    where = f"{driver.quote(home)}.{driver.quote(table)}"
    return tool.read(driver, where)

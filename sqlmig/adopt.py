"""`sqlmig adopt`: what another migration tool applied, matched to the files, as history rows.

The other tool's table is only read. Its versions are matched to the migrations sqlmig read
from the folder by number (Flyway's by its dotted version); each match becomes an applied row
with the file's checksum, and the adoption is one entry of the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import others
from .drivers.base import Driver
from .errors import DriftError, FailedStateError, UsageError
from .files import Migration
from .history import APPLIED, AppliedRow, History, now
from .others import Key, Reported, Tool
from .repairs import Fix


@dataclass(frozen=True)
class Adoption:
    """The migrations to record as applied, each with the version the other tool wrote."""

    tool: Tool
    table: str
    found: tuple[tuple[Migration, str], ...]
    pending: tuple[Migration, ...]
    notes: tuple[str, ...] = ()

    @property
    def versions(self) -> str:
        return ", ".join(v for _m, v in self.found) or "none"


Found = tuple[Tool, str, str]  # the tool, the schema (or database) and its table there


def find(
    driver: Driver,
    places: list[str],
    files: list[Migration],
    name: str | None,
    table: str | None = None,
) -> Adoption:
    """What the other tool's history (the one `--from` names, in `table` if given, else in
    its own table in one of `places`) says, matched to the files; refused (nothing written)
    when it is ambiguous, stuck or names a missing file."""
    tool, home, actual = choose(driver, places, name, table)
    place = f"{driver.url.redacted} ({home})"
    return plan(tool, actual, others.read(driver, home, tool, actual), files, place)


def has_history(table: str, rows: list[AppliedRow]) -> UsageError:
    return UsageError(
        f"the sqlmig history table {table} already has {len(rows)} row(s); adopt starts a "
        "history and records nothing into one",
        hint="`sqlmig status` shows what it holds; record single migrations with "
        "`sqlmig mark V --applied`",
    )


def choose(driver: Driver, places: list[str], name: str | None, table: str | None = None) -> Found:
    """The tool whose history table is there (the one `--from` names, if given)."""
    where = f"{driver.url.redacted} ({', '.join(places)})"
    if table is not None:
        return _given(driver, places[0], table, name)
    found = [(t, home, actual) for home in places for t, actual in others.present(driver, home)]
    if name is not None:
        tool = others.tool_named(name)
        mine = [f for f in found if f[0] is tool]
        if mine:
            return mine[0]
        raise UsageError(
            f"no {tool.name} history table in {where}: {_looked(driver, places, tool)}",
            hint=_others_hint(found)
            or f"if {tool.name} kept its history under another name, pass it with "
            "--from-table NAME; else check --url",
        )
    if len(found) > 1:
        both = " and ".join(f"{t.name}'s {actual}" for t, _home, actual in found)
        raise UsageError(
            f"{where} holds the history of more than one tool: {both}; nothing was recorded",
            hint="say which one applied these migrations: "
            + " or ".join(f"`sqlmig adopt --from {t.name}`" for t, _h, _a in found),
        )
    if not found:
        raise UsageError(
            f"no other migration tool's history table in {where} (looked for "
            f"{', '.join(others.TABLES)})",
            hint="pass --from TOOL --from-table NAME for a table the tool kept under another "
            "name; if the database was built another way, record what it has with "
            "`sqlmig baseline V` (V = the newest migration it has)",
        )
    return found[0]


def _given(driver: Driver, home: str, table: str, name: str | None) -> Found:
    """--from-table [SCHEMA.]TABLE: the tool is told by its columns (or named by --from)."""
    if "." in table:
        home, table = table.split(".", 1)
    tools = others.fitting(driver, home, table)
    if name is not None:
        tool = others.tool_named(name)
        if tool in tools:
            return tool, home, table
        raise UsageError(
            f"{home}.{table} is not {tool.name}'s history table: it is missing or its "
            f"columns are not {', '.join(sorted(tool.needs))}",
            hint="check the name given to --from-table and to --from",
        )
    if len(tools) == 1:
        return tools[0], home, table
    if not tools and table.lower() not in {t.lower() for t in driver.tables(home)}:
        raise UsageError(
            f"there is no table {home}.{table} (--from-table)",
            hint="check the name: the tool's history table, as [SCHEMA.]TABLE",
        )
    said = " or ".join(t.name for t in tools) if tools else "no tool sqlmig knows"
    raise UsageError(
        f"{home}.{table}: its columns fit {said}",
        hint=f"name the tool with --from ({', '.join(others.NAMES)})",
    )


def _looked(driver: Driver, places: list[str], tool: Tool) -> str:
    for home in places:
        tables = {t.lower(): t for t in driver.tables(home)}
        if tool.table in tables:
            return f"{home}.{tables[tool.table]} is not {tool.name}'s (its columns differ)"
    return f"there is no table {tool.table}"


def _others_hint(found: list[Found]) -> str:
    if not found:
        return ""
    return "it holds " + ", ".join(
        f"{t.name}'s {actual} (`sqlmig adopt --from {t.name}`)" for t, _home, actual in found
    )


def plan(
    tool: Tool, table: str, reported: Reported, files: list[Migration], place: str
) -> Adoption:
    """Match what the tool reports applied to the files; refuse a stuck state or a version
    with no file, before anything is written."""
    if reported.stuck:
        said = "; ".join(f"version {v}: {why}" for v, why in reported.stuck)
        raise FailedStateError(
            f"{tool.name}'s {table} in {place} reports a migration that did not finish: "
            f"{said}; nothing was recorded",
            hint=tool.unstick,
        )
    by_key: dict[Key, Migration] = {tool.key(m.version_text): m for m in files}
    found: dict[int, tuple[Migration, str]] = {}
    missing: list[str] = []
    for version in reported.applied:
        m = by_key.get(tool.key(version))
        matches = [m] if m is not None else _legacy(tool, version, files)
        if not matches:
            missing.append(version)
        for m in matches:
            found[m.version] = (m, version)
    if reported.upto is not None:
        top = tool.key(reported.upto)
        if tool.name == "golang-migrate" and top not in by_key:
            missing.append(reported.upto)
        for key, m in by_key.items():
            if key <= top and m.version not in found:
                found[m.version] = (m, reported.upto)
    if missing:
        raise DriftError(
            f"{tool.name}'s {table} in {place} lists {len(missing)} applied version(s) with no "
            f"file in the migrations folder: {', '.join(missing)}; nothing was recorded",
            hint="restore those files (or point --dir at the folder the tool used): sqlmig "
            "records each applied migration with its file's checksum",
        )
    chosen = tuple(found[v] for v in sorted(found))
    pending = tuple(m for m in files if m.version not in found)
    return Adoption(tool, table, chosen, pending, reported.notes + _gaps(chosen, pending))


def _legacy(tool: Tool, version: str, files: list[Migration]) -> list[Migration]:
    """The longer versions a popx row of 14 digits stands for (popx checks them so)."""
    if not tool.prefix or len(version) != tool.prefix:
        return []
    return [
        m for m in files if len(m.version_text) > tool.prefix and m.version_text.startswith(version)
    ]


def _gaps(found: tuple[tuple[Migration, str], ...], pending: tuple[Migration, ...]) -> tuple:
    """Files the tool did not apply but numbered below one it did: `up` asks before them."""
    newest = max((m.version for m, _v in found), default=None)
    early = [m.label for m in pending if newest is not None and m.version < newest]
    if not early:
        return ()
    return (
        f"not applied by the other tool, and numbered below the newest it applied: "
        f"{', '.join(early)} (`sqlmig up --allow-out-of-order` applies them)",
    )


def covered(rows: list[AppliedRow], adoption: Adoption) -> bool:
    """Whether the history already holds every migration this adoption records, applied and
    with the same checksum: another runner adopted first (and `up` may have run since)."""
    have = {(r.version, r.checksum) for r in rows if r.status == APPLIED}
    return all((m.version, m.up.checksum) in have for m, _v in adoption.found)


def already(adoption: Adoption) -> str:
    return (
        f"already adopted from {adoption.tool.name}: the history holds the "
        f"{len(adoption.found)} migration(s) it applied; nothing changed"
    )


def fixes(history: History, adoption: Adoption, by: str) -> list[Fix]:
    """One checked insert and log entry per migration, and the entry of the adoption."""
    tool, table = adoption.tool.name, adoption.table
    out = [_fix(history, m, f"adopted from {tool}'s {table} (version {v})", by)
           for m, v in adoption.found]  # fmt: skip
    summary = history.event(
        "adopt", version=None, name=None, checksum=None, duration_ms=None, by=by,
        detail=f"adopted from {tool}'s {table}: {len(adoption.found)} migration(s), "
        f"versions {adoption.versions}; {table} left as it is",
    )  # fmt: skip
    return [*out, Fix(0, done="", writes=(summary,))]


def _fix(history: History, m: Migration, detail: str, by: str) -> Fix:
    down = m.down
    row = AppliedRow(
        m.version, m.name, m.up.checksum, down.text if down else None,
        down.checksum if down else None, APPLIED, now(), by, None, None, None,
    )  # fmt: skip
    return Fix(
        m.version,
        done=f"recorded {m.label} as applied",
        writes=(
            history.insert(row),
            history.confirm(m.version, APPLIED, m.up.checksum),
            history.event(
                "adopt", version=m.version, name=m.name, checksum=m.up.checksum,
                duration_ms=None, detail=detail, by=by,
            ),
        ),
    )  # fmt: skip


def lines(adoption: Adoption, *, dry_run: bool) -> list[str]:
    """What `adopt` says: each migration recorded (or that would be), then what follows."""
    verb = "would record" if dry_run else "recorded"
    tool, table = adoption.tool.name, adoption.table
    said = [f"{verb} {m.label} as applied ({tool} version {v})" for m, v in adoption.found]
    if not adoption.found:
        said.append(f"{tool}'s {table} reports nothing applied: nothing to record")
    said += list(adoption.notes)
    left = "is" if not dry_run else "would be"
    said.append(f"{tool}'s {table} {left} left as it is")
    if adoption.pending:
        new = ", ".join(m.label for m in adoption.pending)
        said.append(f"`sqlmig up` applies what {tool} did not: {new}")
    return said

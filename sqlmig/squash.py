"""`sqlmig squash --to V`: one migration pair that builds what 0001..V build, proven by snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .chain import resolve
from .config import Config
from .errors import MigrationFailed, SqlmigError, UsageError
from .events import Event, Notify
from .files import Migration, sql_file
from .formats import discover, format_of
from .results import Result
from .urls import parse_url

if TYPE_CHECKING:
    from .schema.build import Builder
    from .schema.emptying import Held
    from .schema.model import Snapshot

# Statements whose effect a schema dump does not carry: rows, sequence positions, privileges.
DATA_WORDS = {"INSERT", "UPDATE", "DELETE", "COPY", "MERGE", "REPLACE", "UPSERT", "LOAD"}
WITH_DATA = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|COPY)\b", re.I)
SEQUENCE_SET = re.compile(r"\b(setval|nextval)\s*\(", re.I)
COUNTER = re.compile(r"\bAUTO_INCREMENT\s*=?\s*\d", re.I)
ROLE = re.compile(r"(CREATE|ALTER)\s+(ROLE|USER|GROUP)\b|ALTER\s+DEFAULT\s+PRIVILEGES\b", re.I)
FIRST_WORD = re.compile(r"[A-Za-z]+")
LEADING = re.compile(r"(?:\s+|--[^\n]*|#[^\n]*|/\*.*?\*/)*", re.S)  # blanks and comments
SHOWN_DIFFERENCES = 20


@dataclass(frozen=True)
class DataStatement:
    """A statement of a replaced file whose effect the squash file does not have."""

    path: str
    line: int
    statement: str
    reason: str = "writes rows"

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.statement}  ({self.reason})"


def squash(
    config: Config,
    *,
    to: int,
    name: str,
    scratch_url: str | None,
    notify: Notify | None = None,
) -> Result:
    """Write `<V>_<name>.up.sql`/`.down.sql`: the schema 0001..V build, dumped on a scratch
    database of the URL's kind, built again from the written text and compared; nothing is
    written when the two schemas (or the down and an empty database) differ."""
    say = notify or (lambda _e: None)
    found = _folder(config)
    todo = _replaced(found, to)
    _one_dialect(config, todo)
    last = todo[-1]
    slug = _slug(name, last)
    up_path = config.dir / f"{last.version_text}_{slug}.up.sql"
    down_path = config.dir / f"{last.version_text}_{slug}.down.sql"
    _refuse_existing(up_path, down_path)
    first = todo[0]
    start = min(m.replaces[0] if m.replaces else m.version for m in todo)
    header = _header(str(start).zfill(len(first.version_text)), last, len(todo))
    say(Event("squash", f"building {first.label} .. {last.label} on a scratch database"))
    up_text, down_text = _prove(config, todo, header, up_path, scratch_url, say)
    data = data_statements(todo, parse_url(config.require_url()).driver)
    up_path.write_text(up_text, "utf-8")
    down_path.write_text(down_text, "utf-8")
    every = [m for m in found if start <= m.version <= last.version]  # an older squash's too
    return _result(up_path, down_path, every, data, config.source_dialect)


def _folder(config: Config) -> list[Migration]:
    fmt = format_of(config.dir, config.dir_format)
    if fmt != "sqlmig":
        raise UsageError(
            f"{config.dir} is read as a {fmt} folder; `sqlmig squash` writes sqlmig's "
            "NNNN_name.up.sql files, which that format does not read",
            hint=f"move the folder to sqlmig's layout first: `sqlmig convert --from {fmt} "
            f"{config.dir} --to NEW_FOLDER`",
        )
    driver = parse_url(config.require_url()).driver
    found = discover(config.dir, fmt, dialect=driver).migrations
    if not found:
        raise UsageError(f"{config.dir} holds no migration to squash", hint="nothing to do")
    return found


def _replaced(found: list[Migration], to: int) -> list[Migration]:
    """What a fresh database runs up to `to`, which must end at a plain migration's version."""
    chain = resolve(found, None)
    todo = [m for m in chain.files if m.version <= to]
    if todo and todo[-1].version == to and not todo[-1].replaces:
        return todo
    at = [m for m in found if m.version == to]
    if not at:
        raise UsageError(
            f"no migration has version {to}",
            hint="pass --to the version of the newest migration the squash file replaces "
            "(`sqlmig status` lists them)",
        )
    squash = chain.replaced.get(to) or next((m for m in at if m.replaces), None)
    raise UsageError(
        f"{at[0].label} is already replaced by the squash file {squash.label if squash else ''}",
        hint="squash to a version after it (the new squash file replaces the old one too)",
    )


def _one_dialect(config: Config, todo: list[Migration]) -> None:
    """The squash file is one text in the URL's SQL: refuse where the folder's files become
    other text on some database (transpiled from source_dialect, or a per-dialect file)."""
    driver = parse_url(config.require_url()).driver
    source = config.source_dialect
    if source and source != driver:
        raise UsageError(
            f"{config.dir} is written in {source} and runs transpiled on {driver} "
            f"(source_dialect); a squash file built on {driver} is no {source} file: nothing "
            "was written",
            hint=f"squash with --url of a {source} database: the squash file is then written "
            f"in {source}, like the files it replaces",
        )
    split = next((m for m in todo if m.overrides), None)
    if split is not None:
        names = ", ".join(p.name for _d, _w, p in split.overrides)
        raise UsageError(
            f"{split.label} has per-dialect files ({names}): one squash file cannot build "
            "what it builds on each database; nothing was written",
            hint=f"squash --to a version before {split.label}"
            if split is not todo[0]
            else "no squash can replace it (a squash starts at the first file): keep the history",
        )


def _slug(name: str, last: Migration) -> str:
    from .scaffold import slugify

    slug = slugify(name)
    if slug == last.name:
        raise UsageError(
            f"the squash file would be named like {last.label}, which it replaces",
            hint="give it another --name (e.g. squashed)",
        )
    return slug


def _refuse_existing(*paths: Path) -> None:
    for path in paths:
        if path.exists():
            raise UsageError(
                f"{path} already exists; nothing was written",
                hint="remove it, or pass another --name",
            )


def _header(start: str, last: Migration, count: int) -> str:
    return (
        f"-- sqlmig:replaces {start}..{last.version_text}\n"
        f"-- Written by `sqlmig squash --to {last.version_text}`: the schema the {count} "
        f"migration file(s) up to {last.label} build.\n"
        "-- A fresh database runs this file instead of them; a database whose history has any\n"
        "-- of them keeps that history and skips this file. Rows those files wrote are not here.\n"
    )


def _prove(
    config: Config,
    todo: list[Migration],
    header: str,
    up_path: Path,
    scratch_url: str | None,
    say: Notify,
) -> tuple[str, str]:
    """Build `todo`, dump it, build the dump on the emptied scratch database, compare; then
    run the generated down and compare with the empty database."""
    from .schema.build import builder
    from .schema.emptying import inventory
    from .schema.scratch import reusable
    from .squash_tables import differences, written

    table = config.table
    with reusable(config.url, scratch_url, table=table, prefix=config.scratch_prefix) as made:
        with builder(made.url, table) as b:
            empty = b.snapshot()
            _build(b, todo)
            built, held, tables = b.snapshot(), inventory(b.driver), written(b.driver)
        up_text, down_text = _texts(built, empty, header, todo[-1])
        made.empty()
        say(Event("squash", f"building {up_path.name} on the emptied scratch database"))
        with builder(made.url, table) as b:
            squash = _as_migration(todo[-1], up_path, up_text, down_text)
            _run(lambda: b.up(squash), f"{up_path.name} fails on the scratch database")
            _same(built, b.snapshot(), f"{up_path.name} does not build what they build")
            _same_objects(held, inventory(b.driver), up_path.name)
            _same_lines(differences(tables, written(b.driver)), up_path.name)
            _run(lambda: b.down(squash), "the generated down file fails")
            _same(empty, b.snapshot(), "the generated down file does not empty the database")
    return up_text, down_text


def _build(b: Builder, todo: list[Migration]) -> None:
    for m in todo:
        try:
            b.up(m)
        except SqlmigError as exc:
            raise MigrationFailed(
                f"{m.label} fails on the scratch database: {exc.message}; nothing was written",
                hint="squash runs the migrations on a scratch database of the URL's kind: fix "
                "the file (or give --url a database of the kind they are written for)",
            ) from None


def _texts(built: Snapshot, empty: Snapshot, header: str, last: Migration) -> tuple[str, str]:
    from .schema import diffgen
    from .schema.dump import blocks

    notes = "".join(f"-- note: {n}\n" for n in built.notes)
    up_text = header + notes + "\n" + "\n\n".join(blocks(built)) + "\n"
    drops = diffgen.generate(built, empty)
    title = f"-- {last.version_text}: the squash file's down: drops everything it builds\n"
    return up_text, title + "\n" + "\n\n".join(s.sql for s in drops) + "\n"


def _as_migration(last: Migration, up_path: Path, up_text: str, down_text: str) -> Migration:
    down_path = up_path.with_name(up_path.name.replace(".up.sql", ".down.sql"))
    return Migration(
        version=last.version,
        version_text=last.version_text,
        name=up_path.name.split("_", 1)[1].removesuffix(".up.sql"),
        up=sql_file(up_path, up_text, first_line=1),
        down=sql_file(down_path, down_text, first_line=1),
    )


def _run(step: Callable[[], None], what: str) -> None:
    try:
        step()
    except SqlmigError as exc:
        raise MigrationFailed(
            f"{what}: {exc.message}; nothing was written",
            hint="the schema dump cannot express this schema; please report it with the "
            "migrations (squash to an earlier version meanwhile)",
        ) from None


def _same(expected: Snapshot, actual: Snapshot, what: str) -> None:
    from .schema.compare import VERIFY, compare, describe

    found = describe(compare(expected, actual), VERIFY)
    if found:
        shown = found[:SHOWN_DIFFERENCES]
        more = len(found) - len(shown)
        tail = f"\n  and {more} more" if more else ""
        raise MigrationFailed(
            f"{what}; nothing was written:\n  " + "\n  ".join(shown) + tail,
            hint="the schema dump cannot express these objects yet; squash to an earlier "
            "version, or report it with the migrations",
        )


def _same_lines(found: list[str], name: str) -> None:
    if found:
        raise MigrationFailed(
            f"{name} does not make the same tables, as the database's catalog describes them; "
            "nothing was written:\n  " + "\n  ".join(found[:SHOWN_DIFFERENCES]),
            hint="the schema dump cannot express these table options yet; squash to an "
            "earlier version, or report it with the migrations",
        )


def _same_objects(built: set[Held], squashed: set[Held], name: str) -> None:
    """Every object of any kind, as the scratch database lists them for dropping: a kind the
    snapshot does not model (an aggregate, an operator) must not go missing unseen."""
    gone, extra = sorted(built - squashed), sorted(squashed - built)
    if gone or extra:
        lines = [f"{h} is missing" for h in gone] + [f"{h} is extra" for h in extra]
        raise MigrationFailed(
            f"{name} does not build the same objects; nothing was written:\n  "
            + "\n  ".join(lines[:SHOWN_DIFFERENCES]),
            hint="the schema dump cannot express these objects yet; squash to an earlier "
            "version, or report it with the migrations",
        )


def data_statements(files: list[Migration], dialect: str) -> list[DataStatement]:
    """Every statement of `files` whose effect a schema dump does not carry, by file and
    line: what writes rows (or runs code that may: a DO block that does, a CALL), sets a
    sequence's position (setval, RESTART) or a counter, grants privileges or makes roles.
    Not found: a function that writes rows called from a SELECT (`SELECT seed()`)."""
    from .sqltext import SplitError, split_mysql, split_postgres, split_sqlite

    split = {"mysql": split_mysql, "sqlite": split_sqlite}.get(dialect, split_postgres)
    out: list[DataStatement] = []
    for m in files:
        try:
            statements = split(m.up.text)
        except SplitError:
            continue  # it ran on the scratch database, so the driver split it; not ours here
        for stmt in statements:
            reason = not_carried(stmt.text)
            if reason:
                lead = LEADING.match(stmt.text).end()  # type: ignore[union-attr]
                first = " ".join(stmt.text[lead:].split())[:60]  # as from stmt.line on
                out.append(DataStatement(str(m.up.path), stmt.line, first, reason))
    return out


def not_carried(text: str) -> str | None:
    """Why a schema dump lacks what `text` does, or None when it carries it."""
    body = _without_comments(text)
    word = FIRST_WORD.search(body)
    first = word.group().upper() if word else ""
    if first in DATA_WORDS or (first == "WITH" and WITH_DATA.search(body)):
        return "writes rows"
    if first == "DO" and (WITH_DATA.search(body) or SEQUENCE_SET.search(body)):
        return "a DO block that writes rows"
    if first == "CALL":
        return "calls a procedure, which may write rows"
    if (first == "SELECT" and SEQUENCE_SET.search(body)) or (
        first == "ALTER" and re.search(r"\bRESTART\b", body, re.I)
    ):
        return "sets a sequence's position"
    if first in ("GRANT", "REVOKE") or ROLE.match(body.strip()):
        return "privileges and roles are not in the dump"
    if first in ("CREATE", "ALTER") and COUNTER.search(body):
        return "sets an AUTO_INCREMENT counter"
    if first == "PRAGMA" and re.search(r"\b(user_version|application_id)\b", body, re.I):
        return "sets a PRAGMA the schema does not hold"
    return None


def _without_comments(text: str) -> str:
    return re.sub(r"(?:--|#)[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def _result(
    up_path: Path,
    down_path: Path,
    every: list[Migration],
    data: list[DataStatement],
    source: str | None,
) -> Result:
    last = every[-1]
    lines = [
        f"wrote {up_path}",
        f"wrote {down_path}",
        f"it replaces the {len(every)} migration(s) {every[0].label} .. {last.label}; built on "
        "a scratch database, it gives the same schema (compared object by object)",
    ]
    if data:
        lines.append(
            f"warning: {len(data)} statement(s) of the replaced files do what the squash file "
            "does not (rows, sequence positions, privileges: add them to it, or to a new "
            "migration, if a fresh database needs them):"
        )
        lines += [f"  {d.describe()}" for d in data]
    if source:
        lines.append(
            f"source_dialect is {source}: other databases run this file transpiled; see that "
            "they can with `sqlmig transpile --to sqlite` (or mysql)"
        )
    lines.append(
        "once every database is past "
        f"{last.label}, the replaced files may be deleted (see README, Squashing)"
    )
    entries = [
        {"path": d.path, "line": d.line, "statement": d.statement, "reason": d.reason} for d in data
    ]
    return Result("squash", current=up_path.name.removesuffix(".up.sql"), messages=lines,
                  entries=entries)  # fmt: skip

"""Callbacks in offline scripts (`up --sql`), at the points `sqlmig up` runs them: beforeMigrate
after the precondition, before/afterEachMigrate inside each migration's and each repeatable's
transaction around its SQL, afterMigrate at the end; each with its `callback` log event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import callbacks as cb
from .callback_names import AFTER, AFTER_EACH, AFTER_ERROR, BEFORE, BEFORE_EACH
from .config import Config
from .files import SqlFile
from .placeholders import Vars

if TYPE_CHECKING:
    from .offline import Script


def filled(cfg: Config, v: Vars, *, on: bool) -> cb.Callbacks:
    """The folder's callbacks (none with --no-callbacks), their placeholders filled in as
    `up` fills them, before anything is written."""
    if not on:
        return cb.NONE
    from .up_extras import Extras

    found = Extras.read(cfg)
    return Extras([], found.callbacks).filled(v).callbacks  # repeatables: offline_repeat.py


def files(hooks: cb.Callbacks) -> list[SqlFile]:
    """Every callback file a script runs (afterMigrateError never: see header)."""
    return [s for p in (BEFORE, BEFORE_EACH, AFTER_EACH, AFTER) for s in hooks.of(p)]


def runs_alone(hooks: cb.Callbacks) -> bool:
    """A script with nothing to apply still runs: `up` runs beforeMigrate/afterMigrate then."""
    return bool(hooks.of(BEFORE) or hooks.of(AFTER))


def header(script: Script) -> list[str]:
    """What the header comment says of the callbacks, where there are any."""
    hooks = script.callbacks
    names = ", ".join(s.path.name for s in files(hooks))
    where = (
        ["-- before/afterEachMigrate inside each migration's (and repeatable's) transaction,",
         "-- around its SQL (a no-transaction file: just before and after its statements);"]
        if script.d.atomic
        else ["-- before/afterEachMigrate just before and after each migration's (and",
              "-- repeatable's) statements;"]
    )  # fmt: skip
    out = [
        f"-- Callbacks: {names}.",
        "-- They run where `sqlmig up` runs them: beforeMigrate after the first check;",
        *where,
        "-- afterMigrate at the end. beforeMigrate and afterMigrate run also when there is",
        "-- nothing to apply, as on every `sqlmig up` (`up --sql --no-callbacks` writes none).",
    ] if names else []  # fmt: skip
    if hooks.of(AFTER_ERROR):
        skipped = ", ".join(s.path.name for s in hooks.of(AFTER_ERROR))
        out += [
            f"-- Not run: {skipped}. The client stops at the first error, so nothing runs after",
            "-- one: run it by hand after a failure (`sqlmig up` runs it itself).",
        ]
    return out


@dataclass(frozen=True)
class Around:
    """The before/afterEachMigrate lines of one migration or repeatable."""

    before: list[str]  # before its SQL (non-atomic: with their log events, before its row)
    after: list[str]  # after its SQL (non-atomic: with their log events)
    logged: list[str]  # atomic: the log events, written with its history


def around(script: Script, label: str, *, atomic: bool) -> Around:
    """As callbacks.Hooks.each: in the file's transaction when atomic (the events commit with
    it), else each statement committing as it runs, its event written after it."""
    before, after = (_each(script, p, label, atomic=atomic) for p in (BEFORE_EACH, AFTER_EACH))
    if not atomic:
        return Around([*before[0], *before[1]], [*after[0], *after[1]], [])
    return Around(before[0], after[0], [*before[1], *after[1]])


def _each(script: Script, point: str, label: str, *, atomic: bool) -> tuple[list[str], list[str]]:
    runs: list[str] = []
    events: list[str] = []
    for sql in script.callbacks.of(point):
        done = [] if atomic else [*script.d.settle, *script.d.own]
        runs += [f"-- callback {sql.path.name} ({point} of {label})", *_body(script, sql), *done]
        event = _event(script, sql, f"{point} of {label}")
        runs += [] if atomic else [event]
        events += [event] if atomic else []
    return runs, events


def alone(script: Script, point: str) -> list[str]:
    """beforeMigrate / afterMigrate, as callbacks.Hooks.alone: each file in a transaction of
    its own (statement by statement where DDL commits by itself, or a no-transaction file)."""
    out: list[str] = []
    for sql in script.callbacks.of(point):
        atomic = script.d.atomic and sql.transactional
        how = "" if atomic else ", statement by statement"
        head = f"-- callback {sql.path.name} ({point}{how})"
        body, event = _body(script, sql), _event(script, sql, point)
        if atomic:
            mark, check = same_transaction(script, f"{sql.path.name} ({point})")
            out += [head, script.d.begin, *mark, *body, *script.d.own, *check, event, "COMMIT;"]
        else:
            out += [head, *body, *script.d.settle, *script.d.own, event]
        out += [*script._reset(), ""]
    return out


def same_transaction(script: Script, what: str) -> tuple[list[str], list[str]]:
    """PostgreSQL: a file's own COMMIT, ROLLBACK or END ended its transaction: the script stops
    there (psql's \\if), as `sqlmig up` stops; elsewhere nothing (SQLite's COMMIT after it
    fails, with no transaction open, and stops the script; MySQL's run statement by
    statement). what: the file, as the check's comment names it."""
    if script.d.name != "postgres":
        return [], []
    now = "pg_catalog.txid_current()"
    said = f"{what} ran inside its transaction (else its own COMMIT, ROLLBACK or END ended it)"
    return [f"SELECT {now} AS sqlmig_tx \\gset"], [
        f"SELECT {now} = :sqlmig_tx AS sqlmig_same \\gset",
        "\\if :sqlmig_same",
        "\\else",
        *script._check(said, "FALSE"),
        "\\endif",
    ]


@dataclass(frozen=True)
class _File:
    sql: SqlFile  # what Script._body reads


def _body(script: Script, sql: SqlFile) -> list[str]:
    return script._body(_File(sql))  # type: ignore[arg-type]  # only its .sql is read


def _event(script: Script, sql: SqlFile, detail: str) -> str:
    said = f"{detail}, offline script written by {script.by}"
    values = [
        "NULL", script.lit(sql.path.name), script.lit(cb.EVENT), script.lit(sql.checksum),
        script.d.now, script.d.who, "NULL", script.lit("ok"), script.lit(said),
    ]  # fmt: skip
    return (
        f"INSERT INTO {script.history.log} (version, name, event, checksum, happened_at, actor, "
        f"duration_ms, outcome, detail) VALUES ({', '.join(values)});"
    )


def whose(hooks: cb.Callbacks) -> str:
    """Whose COMMIT may have ended a migration's transaction (PostgreSQL's check after it)."""
    if hooks.of(BEFORE_EACH) or hooks.of(AFTER_EACH):
        return "the file's (or a before/after-each callback's)"
    return "the file's"

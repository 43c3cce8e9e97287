"""Repeatable migrations in offline scripts (`up --sql`): after the versioned migrations, each
in its own transaction (statement by statement on MySQL) with its `repeatable` log event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import offline_callbacks, repeatables
from .config import Config
from .placeholders import Vars
from .repeatables import Repeatable

if TYPE_CHECKING:
    from .offline import Script


def filled(cfg: Config, v: Vars) -> list[Repeatable]:
    """The folder's repeatables with their placeholders filled in (before connecting: a
    missing value is an error naming file:line, as for the versioned files)."""
    from .up_extras import Extras

    return Extras.read(cfg, callbacks=False).filled(v).repeatables


def todo(cfg: Config, found: list[Repeatable], *, connected: bool, whole: bool) -> list[Repeatable]:
    """Those of `found` the script applies: none with --to or --phase pre (as `up`); with a URL
    and no --from, the ones whose checksum the database has not applied; with --from (no
    connection), every one (a repeatable is written to be run again)."""
    if not whole or not found or not connected:
        return found if whole else []
    from .migrator import Migrator

    with Migrator(cfg).session(locked=False) as (_driver, history):
        return repeatables.pending(found, repeatables.applied(history))


def lines(script: Script, again: list[Repeatable]) -> list[str]:
    out: list[str] = []
    for r in again:
        atomic = script.d.atomic and r.sql.transactional
        head = f"-- repeatable {r.label}" + ("" if atomic else " (statement by statement)")
        body = script._body(r)  # type: ignore[arg-type]  # only its .sql is read
        event = _event(script, r)
        cb = offline_callbacks.around(script, r.label, atomic=atomic)  # before/afterEach
        if atomic:  # PostgreSQL: stops if the file's (or a callback's) COMMIT ended it
            mark, check = offline_callbacks.same_transaction(script, r.label)
            out += [head, script.d.begin, *mark, *cb.before, *body, *cb.after, *script.d.own,
                    *check, *cb.logged, event, "COMMIT;"]  # fmt: skip
        else:
            out += [head, *cb.before, *body, *script.d.settle, *script.d.own, *cb.after, event]
        out += [*script._reset(), ""]
    return out


def _event(script: Script, r: Repeatable) -> str:
    detail = f"offline script written by {script.by}"
    values = [
        "NULL", script.lit(r.label), script.lit(repeatables.EVENT), script.lit(r.sql.checksum),
        script.d.now, script.d.who, "NULL", script.lit("ok"), script.lit(detail),
    ]  # fmt: skip
    return (
        f"INSERT INTO {script.history.log} (version, name, event, checksum, happened_at, actor, "
        f"duration_ms, outcome, detail) VALUES ({', '.join(values)});"
    )

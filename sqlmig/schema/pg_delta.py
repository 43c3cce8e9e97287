"""PostgreSQL snapshots taken again and again on one scratch database (verify): only the objects
whose catalog rows changed since the last snapshot, or whose named objects did, are read again.

Which ones changed comes from pg_changes (the catalog rows written or removed since the last
look; its queries go in the same round trip as the schemas and the extras probe). Only the
changed objects are read again, by the reader's own queries limited to their names; schemas,
and any catalog query this module does not know, are read in full each time. The queries go
over a second connection, prepared.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from typing import Any

from ..drivers.base import Driver
from ..errors import ConnectError, SqlmigError
from . import pg_extras_watch, postgres, postgres_extras
from .model import Snapshot, order_key, sort_snapshot
from .pg_changes import Changes, Unit

# psycopg logs "error ignored terminating <Pipeline>" when a pipeline's connection drops;
# the error raised below says it, once, in sqlmig's words
logging.getLogger("psycopg").addHandler(logging.NullHandler())

# The catalog queries read per object: (the unit kind, the column holding the object's name
# next to its schema in column 0). Any other query of the reader is run in full.
FILTERED = {
    postgres.COLUMNS: ("relation", 1),
    postgres.CONSTRAINTS: ("relation", 1),
    postgres.INDEXES: ("relation", 2),
    postgres.TRIGGERS: ("relation", 2),
    postgres.VIEWS: ("relation", 1),
    postgres.SEQUENCES: ("sequence", 1),
    postgres.ENUMS: ("enum", 1),
    postgres.ROUTINES: ("routine", 1),
}
# The snapshot's collections kept per object: (unit kind, the attribute naming the object).
KEPT = {
    "tables": ("relation", "name"),
    "indexes": ("relation", "table"),
    "triggers": ("relation", "table"),
    "views": ("relation", "name"),
    "sequences": ("sequence", "name"),
    "enums": ("enum", "name"),
    "routines": ("routine", "name"),
}


class _Prepared:
    """A connection of its own that only reads catalogs: each query is planned once (the
    migration connection cannot keep prepared statements: its session is reset after each
    migration), and a batch of them goes in one round trip."""

    dialect = "postgres"

    def __init__(self, driver: Driver) -> None:
        self.conn = driver.conn  # type: ignore[attr-defined]
        self.where = driver.url.redacted  # type: ignore[attr-defined]
        # sqlmig connects with prepare_threshold=None, which makes psycopg ignore prepare=True:
        # this connection prepares (planning the stamp and the extras query took longer than
        # running them)
        self.conn.prepare_threshold = 0
        # and keeps each plan: with custom plans (the default for the first runs, and then
        # for as long as the server guesses them cheaper) the limited reads were planned again
        # at every run (reading one table's columns: 3.3 ms with its planning, 0.8 ms without)
        self.conn.execute("SET plan_cache_mode = force_generic_plan")

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return self.many([(sql, params)])[0]

    def many(self, queries: list[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
        import psycopg

        try:
            with self.conn.pipeline():
                cursors = [self.conn.execute(q, p or None, prepare=True) for q, p in queries]
            return [c.fetchall() for c in cursors]
        except psycopg.Error as exc:
            text = " ".join(str(exc).split())
            if self.conn.broken or self.conn.closed:
                raise ConnectError(
                    f"lost the connection to the scratch database {self.where} while reading "
                    f"its catalogs: {text}",
                    hint="check the server and run verify again; the scratch database is "
                    "dropped (or, given with --scratch-url, emptied) as usual",
                ) from None
            raise SqlmigError(f"reading the scratch database's catalogs failed: {text}") from None


# Read by postgres.read besides the per-object queries, in full each time.
_EXTRAS = postgres_extras.QUERY
_WHOLE = (_EXTRAS, postgres.SCHEMAS)

Batch = list[tuple[str, str, Any]]  # (the reader's query, the query sent, its parameters)


def batch(units: set[Unit] | None, have: set[str] | frozenset[str]) -> Batch:
    """The queries that read `units` (all objects when None), and the whole-schema queries
    not in `have`."""
    out: Batch = [(sql, sql, ()) for sql in _WHOLE if sql not in have]
    for sql, (kind, at) in FILTERED.items():
        if units is None:
            out.append((sql, sql, ()))
            continue
        wanted = {(s, n) for k, s, n in units if k == kind}
        if not wanted:
            continue
        # two lists the server can test before it deparses anything; the pairs: in _Only
        wrapped = (
            f"SELECT * FROM ({sql.replace('%', '%%')}) AS q(k0, k1, k2) "
            f"WHERE k0::text = ANY(%s::text[]) AND k{at} = ANY(%s::name[])"
        )
        names = (sorted({s for s, _ in wanted}), sorted({n for _, n in wanted}))
        out.append((sql, wrapped, names))
    return out


class _Only:
    """The reader, with each per-object catalog query limited to the objects in `units` (all
    of them when None) and the whole-schema queries answered from `whole`; the per-object
    queries are sent together, in one round trip (none when no object changed), unless their
    answers came already (`sent`, `got`: read ahead in the round trip of the changes)."""

    def __init__(
        self,
        driver: _Prepared,
        units: set[Unit] | None,
        whole: dict[str, list[tuple[Any, ...]]],
        sent: Batch | None = None,
        got: list[list[tuple[Any, ...]]] | None = None,
    ) -> None:
        self.driver = driver
        self.ready: dict[str, list[tuple[Any, ...]]] = dict(whole)
        if sent is None:
            sent = batch(units, set(whole))
            got = driver.many([(q, p) for _, q, p in sent]) if sent else []
        for sql in FILTERED:
            self.ready[sql] = []
        for (key, _q, _p), rows in zip(sent, got or [], strict=True):
            spec = FILTERED.get(key)
            if spec is not None and units is not None:
                pairs = {(s, n) for k, s, n in units if k == spec[0]}
                rows = [r for r in rows if (r[0], r[spec[1]]) in pairs]
            self.ready[key] = rows

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if sql in self.ready and not params:
            return self.ready[sql]
        rows = self.driver.query(sql, params)  # a query this module does not know: in full
        if sql in _WHOLE:
            self.ready[sql] = rows
        return rows


class Tracker:
    """Snapshots of one PostgreSQL database, each read again only where its catalogs changed."""

    def __init__(self, driver: Driver, table: str) -> None:
        self.driver = _Prepared(driver)
        self.exclude = (table, f"{table}_log")
        self.changes = Changes()
        self.last: Snapshot | None = None
        self.read_again: set[Unit] | None = None  # the objects the last snapshot read again
        # the last extras: the probe's answer then, their rows, the objects they name
        self.extras: tuple[pg_extras_watch.Probe, list[Any], set[Unit]] | None = None

    def snapshot(self, *, same: bool = False) -> Snapshot:
        """same=True: the step since the last snapshot most likely changed the objects the last
        one read again (a down after its up, an up after its down): they are read in the same
        round trip as the changes, and used when no other object changed."""
        guess = self.read_again if same and self.last is not None and self.read_again else None
        ahead = batch(guess, set(_WHOLE)) if guess else []  # the extras only when needed
        looked = self.changes.queries()
        answers = self.driver.many(
            [
                *looked,
                (pg_extras_watch.PROBE, looked[1][1]),
                (postgres.SCHEMAS, ()),
                *((q, p) for _, q, p in ahead),
            ]
        )
        mine, (probed,), schemas = (
            answers[: len(looked)],
            *answers[len(looked) : len(looked) + 2],
        )
        probe, written = pg_extras_watch.seen(probed)
        changed = self.changes.changed(mine, self.driver.many)
        if self.extras is not None and pg_extras_watch.members_moved(
            self.extras[0], probe, written
        ):
            changed = None  # rare: everything is read again
        whole = {postgres.SCHEMAS: schemas}
        if (
            changed is not None
            and self.extras is not None
            and self.extras[0] == probe
            and not any(written)
            and not changed & self.extras[2]
        ):
            whole[_EXTRAS] = self.extras[1]  # nothing they show changed
        if self.last is None or changed is None:
            reader = _Only(self.driver, None, whole)
            snap = sort_snapshot(postgres.read(reader, self.exclude))  # type: ignore[arg-type]
        else:
            if guess is not None and changed <= guess:
                changed = guess  # what was read ahead: read again, whether changed or not
                reader = _Only(self.driver, changed, whole, ahead, answers[len(looked) + 2 :])
            else:
                reader = _Only(self.driver, changed, whole)
            fresh = postgres.read(reader, self.exclude)  # type: ignore[arg-type]
            snap = patch(self.last, sort_snapshot(fresh), changed)
        self.last, self.read_again = snap, changed
        if _EXTRAS not in whole:
            rows = reader.ready[_EXTRAS]
            self.extras = (probe, rows, pg_extras_watch.linked(rows))
        return snap


def patch(old: Snapshot, fresh: Snapshot, changed: set[Unit]) -> Snapshot:
    """`fresh` (sorted; read for the `changed` objects only, and in full for the rest), with the
    entries of every unchanged object taken from `old`."""
    merged: dict[str, Any] = {}
    for f in fields(Snapshot):
        if f.name not in KEPT:
            continue
        kind, attr = KEPT[f.name]
        kept = tuple(
            o for o in getattr(old, f.name) if (kind, o.schema, getattr(o, attr)) not in changed
        )
        new = getattr(fresh, f.name)
        merged[f.name] = tuple(sorted((*kept, *new), key=order_key)) if new else kept
    return replace(fresh, **merged)  # both parts sorted within (a table's constraints too)

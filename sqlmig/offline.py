"""Offline scripts (`up --sql`, `down --sql`): what a DBA runs with psql, mysql or sqlite3, with
the history rows sqlmig itself would write, built without connecting."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import emptyfolder, offline_callbacks, offline_repeat, phases, placeholders, plan, popxgroups
from .callback_names import AFTER, BEFORE
from .callbacks import NONE, Callbacks
from .config import Config
from .errors import UsageError
from .events import Notify
from .files import Migration, SqlFile
from .formats import discover, format_of
from .history import (
    APPLIED,
    COLUMNS,
    CREATE_LOG,
    CREATE_TABLE,
    FAILED,
    REVERTING,
    RUNNING,
    AppliedRow,
    History,
    actor,
    now,
)
from .offline_sql import (
    CHECK_NAME,
    CHECK_TABLE,
    GUARANTEES,
    MY_HOME,
    MY_MARK,
    Dialect,
    Names,
    choose_dialect,
    closed_text,
    dialect,
    home_of,
    literal,
    mysql_delimiter,
    mysql_lock_name,
    mysql_prepared,
    printable,
)
from .repeatables import Repeatable
from .results import Result, Step


@dataclass(frozen=True)
class Piece:
    """One migration of a script: the SQL that runs and the history it writes."""

    version: int
    name: str
    label: str
    sql: SqlFile
    checksum: str  # the up file's, as the history keeps it
    down: SqlFile | None  # the down SQL the history stores (up scripts)


def _files(cfg: Config, name: str) -> list[Migration]:
    read = discover(cfg.dir, cfg.dir_format, dialect=name)
    if not read.migrations:
        emptyfolder.require_new(cfg.dir)
    if cfg.source_dialect and cfg.source_dialect != name:
        from .transpile.runtime import for_target

        return for_target(read.migrations, source=cfg.source_dialect, target=name)
    return read.migrations


def _rows(cfg: Config) -> list[AppliedRow]:
    """The history as it is now: the one connection a script may make (no --from, a URL)."""
    from .migrator import Migrator

    with Migrator(cfg).session(locked=False) as (_driver, history):
        return history.read() or []


def _start(files: list[Migration], from_: int | None) -> None:
    if from_ not in (None, 0) and from_ not in {m.version for m in files}:
        raise UsageError(
            f"--from {from_}: no migration of that version in the folder",
            hint="pass the version the database is at (`sqlmig current`), or 0 for a database "
            "with no migration applied; one newer than every file (future) is known only to "
            "the database: pass --url instead of --from, and its stored down SQL is used",
        )


def up_script(
    cfg: Config,
    *,
    from_: int | None,
    to: int | None,
    dialect_name: str | None,
    notify: Notify | None = None,
    allow_drift: bool = False,
    allow_out_of_order: bool | None = None,
    strict: bool | None = None,
    phase: str | None = None,
    reveal_secrets: bool = False,
    callbacks: bool = True,
) -> Result:
    """--from: the database's version; else, with a URL, what `up` would apply now (its
    checks included: drift, out of order, failed rows, future migrations). The script holds
    the values of ${name} placeholders; a secret one only with reveal_secrets. callbacks:
    the folder's callbacks run where `up` runs them (offline_callbacks.py)."""
    name = choose_dialect(cfg, dialect_name)
    values = placeholders.from_config(cfg)
    files = placeholders.apply_up(_files(cfg, name), values)  # before connecting
    found = offline_repeat.filled(cfg, values)
    hooks = offline_callbacks.filled(cfg, values, on=callbacks)
    _start(files, from_)
    if from_ is None and cfg.url:
        from .migrator import Migrator

        rows = _rows(cfg)
        migrator = Migrator(cfg, notify=notify)
        todo = migrator._plan_up(
            files, rows, to=to, steps=None, allow_drift=allow_drift,
            allow_out_of_order=cfg.allow_out_of_order if allow_out_of_order is None
            else allow_out_of_order, strict=cfg.strict if strict is None else strict,
            phase=phase,
        )  # fmt: skip
        at = _newest(rows, plan.by_version(files))
        held = migrator.held  # --quiet, --json: the future warning, as a comment after it
    else:
        at = _at(from_ or 0, files)
        todo = [m for m in files if m.version > at[0] and (to is None or m.version <= to)]
        chosen = phases.select(todo, phase)
        phases.require_pre_first(todo, chosen, phase)
        todo = chosen
        held = []
    # repeatables: on a whole `up` (not --to, not the pre-deploy phase), as `up` applies them
    whole = to is None and phase != phases.PRE
    again = offline_repeat.todo(cfg, found, connected=from_ is None and bool(cfg.url), whole=whole)
    if not reveal_secrets:
        placeholders.refuse_secrets(
            [m.up for m in todo] + [r.sql for r in again] + offline_callbacks.files(hooks), values
        )
    pieces = [Piece(m.version, m.name, m.label, m.up, m.up.checksum, m.down) for m in todo]
    script = Script(cfg, name, hooks).build(pieces, at=at, up=True, again=again)
    return _result("up", pieces, script, [f"-- {w}" for w in held])


def down_script(
    cfg: Config,
    *,
    from_: int | None,
    to: int | None,
    dialect_name: str | None,
    reveal_secrets: bool = False,
) -> Result:
    """--from: the database's version (the down files say how); else the URL's history (the
    stored down SQL of migrations whose file is gone too). --to: down to that version (default:
    the one below --from, one migration)."""
    name = choose_dialect(cfg, dialect_name)
    files = _files(cfg, name)
    known = plan.by_version(files)
    _start(files, from_)
    values = placeholders.from_config(cfg)
    placeholders.check_downs(files, values)  # before connecting
    groups = _Groups(popxgroups.of(files, format_of(cfg.dir, cfg.dir_format)), to)
    if from_ is None:
        if not cfg.url:
            raise UsageError(
                "down --sql needs --from VERSION (the version the database is at) or a URL "
                "to read which migrations are applied",
                hint="e.g. sqlmig down --sql --dialect postgres --from 12 --to 10 > down.sql",
            )
        rows = _rows(cfg)
        plan.check_failed(rows, known)
        chosen = plan.select_down(rows, to=to, steps=None if to is not None else 1, all_=False)
        groups.check([r.version for r in rows], [r.version for r in chosen])
        steps = [plan.down_step(r, known.get(r.version), allow_drift=False, files=known)
                 for r in chosen]  # fmt: skip
        pieces = [Piece(s.row.version, s.row.name, s.label, s.sql, s.row.checksum, None)
                  for s in steps]  # fmt: skip
        at = _newest(rows, known)
    else:
        below = [m for m in files if m.version <= from_]
        floor = to if to is not None else (below[-2].version if len(below) > 1 else 0)
        chosen_m = [m for m in reversed(below) if m.version > floor]
        groups.check([m.version for m in below], [m.version for m in chosen_m])
        pieces = [Piece(m.version, m.name, m.label, _down_of(m), m.up.checksum, None)
                  for m in chosen_m]  # fmt: skip
        at = _at(from_, files)
    pieces = [replace(p, sql=placeholders.apply_one(p.sql, values)) for p in pieces]
    if not reveal_secrets:
        placeholders.refuse_secrets([p.sql for p in pieces], values)
    script = Script(cfg, name).build(pieces, at=at, up=False)
    return _result("down", pieces, script)


@dataclass(frozen=True)
class _Groups:
    """popx version groups: a script never reverts part of one."""

    found: list[popxgroups.Group]
    to: int | None

    def check(self, applied: list[int], reverting: list[int]) -> None:
        popxgroups.refuse_split(
            self.found, applied, reverting, to=self.to, steps=None, offline=True
        )


# where the database must be when a script starts: version, label, its up file's checksum
At = tuple[int, str, str]


def _at(version: int, files: list[Migration]) -> At:
    m = plan.by_version(files).get(version)
    return (version, m.label, m.up.checksum) if m else (version, "", "")


def _newest(rows: list[AppliedRow], known: dict[int, Migration]) -> At:
    """The newest applied row (a future one too: named as recorded)."""
    applied = [r for r in rows if r.status == APPLIED]
    if not applied:
        return 0, "", ""
    row = max(applied, key=lambda r: r.version)
    return row.version, plan.row_label(row, known), row.checksum


def _down_of(m: Migration) -> SqlFile:
    if m.down is None:
        raise UsageError(
            f"{m.label} is irreversible: it has no down file",
            hint="revert it by hand and record that with `sqlmig mark "
            f"{m.version} --pending`, or stop above it with --to {m.version}",
        )
    return m.down


def _result(direction: str, pieces: list[Piece], script: str, notes: list[str] = []) -> Result:  # noqa: B006
    steps = [Step(p.version, p.name, p.label, direction, None, p.sql.transactional)
             for p in pieces]  # fmt: skip
    return Result("script", steps=steps, messages=[script, *notes])


class Script:
    """The text of one script: header, history tables, a precondition, the migrations."""

    def __init__(self, cfg: Config, name: str, callbacks: Callbacks = NONE) -> None:
        self.cfg = cfg
        self.callbacks = callbacks  # up scripts: run as `up` runs them (offline_callbacks.py)
        self.d: Dialect = dialect(name)
        url = cfg.url
        names = Names(name, home_of(name, url))
        self.history = History(names, cfg.table)  # type: ignore[arg-type]
        self.by = actor()
        # MySQL: the check table too is named with the database (a migration's USE moves it)
        self.check_table = CHECK_TABLE
        if name == "mysql":
            self.check_table = f"{names.quote(str(names.home))}.{CHECK_TABLE}"

    def lit(self, value: object) -> str:
        return literal(self.d.name, value)

    def build(
        self, pieces: list[Piece], *, at: At, up: bool, again: list[Repeatable] | None = None
    ) -> str:
        """again: the repeatable migrations (offline_repeat.py), after the versioned ones."""
        again = again or []
        hooks = offline_callbacks.files(self.callbacks)
        plan.refuse_client_commands([p.sql for p in pieces] + [r.sql for r in again] + hooks,
                                    self.d.name)  # fmt: skip
        lines = self._header(pieces, at, up)
        lines += [f"-- then {len(again)} repeatable migration(s)"] if again else []
        lines += offline_callbacks.header(self)
        if not pieces and not again and not offline_callbacks.runs_alone(self.callbacks):
            return "\n".join([*lines, "-- nothing to do", ""])
        lines += list(self.d.prologue)
        if self.d.name == "mysql" and self.history.home != MY_HOME:
            # the URL's database from the start, as `up`'s session: whatever database the
            # client was given, the callbacks and migrations run where the history is
            lines += [f"USE {self.history.driver.quote(str(self.history.home))};"]
        lines += [self._check_table()]
        lines += self._lock("lock")
        lines += self._tables()
        lines += self._precondition(at)
        lines += offline_callbacks.alone(self, BEFORE)
        for p in pieces:
            lines += self._up(p) if up else self._down(p)
        lines += offline_repeat.lines(self, again)
        lines += offline_callbacks.alone(self, AFTER)
        lines += [f"DROP {self._temp_drop()} {self.check_table};", *self._lock("unlock"),
                  "-- done", ""]  # fmt: skip
        if self.d.name == "mysql" and self.history.home == MY_HOME:
            lines = [mysql_prepared(s) if MY_MARK in s else s for s in lines]
            at = lines.index(self.d.prologue[0])
            # fails with "No database selected" when the client was given none; else a no-op
            lines[at:at] = [f"DROP TEMPORARY TABLE IF EXISTS {CHECK_TABLE};",
                            "SET @sqlmig_db = DATABASE();"]  # fmt: skip
        return printable("\n".join(lines))

    def _lock(self, verb: str) -> list[str]:
        """sqlmig's own migration lock (the same key or name), held by the client's session
        while the script runs: a `sqlmig up` started meanwhile waits for it, as for another
        runner, and the script waits up to lock_timeout for a run going on (then stops).
        SQLite: none (sqlite3's BEGIN IMMEDIATE waits for a writer, per migration)."""
        wait = self.cfg.lock_timeout
        if self.d.name == "postgres":
            from .drivers.pg_lock import KEY

            table = self.cfg.table
            name = self.lit(table) if "." in table else f":'sqlmig_home' || {self.lit('.' + table)}"
            call = f"pg_catalog.pg_advisory_{verb}({KEY.replace('%s', name)})"
            if verb == "unlock":
                return [f"SELECT {call} AS sqlmig_unlocked \\gset"]  # prints nothing
            # \gset: psql keeps the (empty) result instead of printing it
            return [f"SET lock_timeout = '{int(wait * 1000)}ms';",
                    f"SELECT {call} AS sqlmig_locked \\gset", "RESET lock_timeout;"]  # fmt: skip
        if self.d.name == "mysql":
            name = self._mysql_lock_name()
            if verb == "unlock":
                return [f"DO RELEASE_LOCK({name});"]
            return [
                f"-- sqlmig's migration lock, waited for up to {wait:g} s",
                f"INSERT INTO {self.check_table} (ok) SELECT GET_LOCK({name}, {wait:g});",
            ]
        return []

    def _mysql_lock_name(self) -> str:
        home = self.history.home
        return mysql_lock_name(None if home == MY_HOME else str(home), self.cfg.table)

    def _temp_drop(self) -> str:
        return "TEMPORARY TABLE" if self.d.name == "mysql" else "TABLE"

    def _header(self, pieces: list[Piece], at: At, up: bool) -> list[str]:
        verb = "up" if up else "down"
        same = "the same migration: its checksum"
        where = f"be at {at[1]} ({same})" if at[0] else "have no migration applied"
        said = [
            f"-- sqlmig {verb} --sql: {len(pieces)} migration(s) for {self.d.title}, written by "
            f"{self.by} at {now()}",
            f"-- The database must {where} (and no failed or running one): else the script "
            f"stops at its first check ({CHECK_NAME}), having changed nothing.",
            f"-- Run it with: {self.d.run_with}",
        ]
        return said + [f"-- {line}" for line in GUARANTEES[self.d.name]] + [""]

    def _tables(self) -> list[str]:
        h = self.history
        schema = [f"CREATE SCHEMA IF NOT EXISTS {h.schema};"] if h.schema else []
        return [
            *schema,
            h._sql(CREATE_TABLE) + ";",
            h._sql(CREATE_LOG) + ";",
            "",
        ]

    def _check_table(self) -> str:
        """Where each check inserts 1 or 0: a 0 (or NULL) violates the constraint, and the
        client stops there."""
        return (
            f"CREATE {self.d.temp} TABLE {self.check_table} "
            f"(ok INTEGER NOT NULL, CONSTRAINT {CHECK_NAME} CHECK (ok = 1));"
        )

    def _check(self, what: str, condition: str) -> list[str]:
        return [
            f"-- check: {what}",
            f"INSERT INTO {self.check_table} (ok) SELECT CASE WHEN {condition} THEN 1 ELSE 0 END;",
        ]

    def _version(self, version: int) -> str:
        return self.lit(self.history._v(version))

    def _precondition(self, at: At) -> list[str]:
        t = self.history.table
        where = f"at {at[1]}" if at[0] else "with no migration applied"
        newest = f"(SELECT MAX(version) FROM {t} WHERE status = {self.lit(APPLIED)})"
        # the migration applied there is this folder's (its checksum), as `up` checks drift
        same = f"(SELECT checksum FROM {t} WHERE version = {self._version(at[0])}) = "
        is_at = f"{newest} = {self._version(at[0])} AND {same}{self.lit(at[2])}"
        is_at = is_at if at[0] else f"{newest} IS NULL"
        stopped = f"(SELECT COUNT(*) FROM {t} WHERE status <> {self.lit(APPLIED)}) = 0"
        return [*self._check(f"the database is {where}", f"{is_at} AND {stopped}"), ""]

    def _row(self, p: Piece, status: str, error: str | None = None) -> str:
        down = p.down
        values = [
            self._version(p.version), self.lit(p.name), self.lit(p.checksum),
            self.lit(down.text if down else None), self.lit(down.checksum if down else None),
            self.lit(status), self.d.now, self.d.who, "NULL", "NULL", self.lit(error),
        ]  # fmt: skip
        return f"INSERT INTO {self.history.table} ({COLUMNS}) VALUES ({', '.join(values)});"

    def _event(self, p: Piece, event: str) -> str:
        detail = f"offline script written by {self.by}"
        values = [
            self._version(p.version), self.lit(p.name), self.lit(event), self.lit(p.checksum),
            self.d.now, self.d.who, "NULL", self.lit("ok"), self.lit(detail),
        ]  # fmt: skip
        return (
            f"INSERT INTO {self.history.log} (version, name, event, checksum, happened_at, actor, "
            f"duration_ms, outcome, detail) VALUES ({', '.join(values)});"
        )

    def _status(self, p: Piece, status: str, error: str | None) -> str:
        return (
            f"UPDATE {self.history.table} SET status = {self.lit(status)}, error = "
            f"{self.lit(error)} WHERE version = {self._version(p.version)};"
        )

    def _reset(self) -> list[str]:
        """After each migration: the session as the script began. MySQL: the database it
        began in (a migration's USE); with none named, a check that a migration left it."""
        if self.d.name != "mysql":
            return list(self.d.reset)
        home = self.history.home
        if home != MY_HOME:
            return [*self.d.reset, f"USE {self.history.driver.quote(str(home))};"]
        check = self._check(
            "the session is in the database the script began in (a migration's USE is not "
            "undone by a script written without a database: write it with --url)",
            "DATABASE() <=> @sqlmig_db",
        )
        return [*self.d.reset, *check]

    def _body(self, p: Piece) -> list[str]:
        """The file as written; then its delimiter ends a last statement written without one
        (else it is an empty statement, which each client passes over)."""
        if self.d.name != "mysql":
            text = closed_text(p.sql.text.rstrip("\n"), self.d.name, str(p.sql.path))
            return [text, ";"]
        delimiter = mysql_delimiter(p.sql.text, str(p.sql.path))
        reset = ["DELIMITER ;"] if delimiter != ";" else []
        return [p.sql.text.rstrip("\n"), delimiter, *reset]

    def _up(self, p: Piece) -> list[str]:
        atomic = self.d.atomic and p.sql.transactional
        head = [f"-- up {p.label}" + ("" if atomic else " (statement by statement)")]
        cb = offline_callbacks.around(self, p.label, atomic=atomic)  # before/afterEachMigrate
        body = [*cb.before, *self._body(p), *cb.after] if atomic else self._body(p)
        if atomic and self.d.name == "postgres":  # a `running` row unless it all commits
            mark, check = self._same_transaction(p)
            return [*head, self.d.begin, mark, self._row(p, RUNNING), *body, *self.d.own,
                    *check, self._status(p, APPLIED, None), *cb.logged, self._event(p, "up"),
                    "COMMIT;", *self._reset(), ""]  # fmt: skip
        if atomic:
            return [*head, self.d.begin, self._row(p, APPLIED), *body, *self.d.own, *cb.logged,
                    self._event(p, "up"), "COMMIT;", *self._reset(), ""]  # fmt: skip
        return [*head, *cb.before, self._row(p, RUNNING), *body, *self.d.settle, *self.d.own,
                *cb.after, self._status(p, APPLIED, None), self._event(p, "up"),
                *self._reset(), ""]  # fmt: skip

    def _same_transaction(self, p: Piece, *, up: bool = True) -> tuple[str, list[str]]:
        """PostgreSQL: the script's transaction id, and after the file, unless it is still the
        one open (a file's own COMMIT or ROLLBACK ended it), the row recorded `failed`, as
        `sqlmig up` records it, and a failed check that stops the script there."""
        now = "pg_catalog.txid_current()"
        whose = offline_callbacks.whose(self.callbacks) if up else "the file's"
        said = (
            f"{whose} own COMMIT, ROLLBACK or END ended the script's transaction; part of it may "
            "be committed"
        )
        error = said if up else f"{REVERTING}{said}"
        failed = self._row(p, FAILED, error).removesuffix(";")
        return f"SELECT {now} AS sqlmig_tx \\gset", [
            f"SELECT {now} = :sqlmig_tx AS sqlmig_same \\gset",
            "\\if :sqlmig_same",
            "\\else",
            f"{failed} ON CONFLICT (version) DO UPDATE SET status = {self.lit(FAILED)}, "
            f"error = {self.lit(error)};",
            *self._check(f"{p.label} ran inside the script's transaction", "FALSE"),
            "\\endif",
        ]

    def _down(self, p: Piece) -> list[str]:
        atomic = self.d.atomic and p.sql.transactional
        head = [f"-- down {p.label}" + ("" if atomic else " (statement by statement)")]
        applied = (
            f"(SELECT COUNT(*) FROM {self.history.table} WHERE version = "
            f"{self._version(p.version)} AND status = {self.lit(APPLIED)} "
            f"AND checksum = {self.lit(p.checksum)}) = 1"
        )
        check = self._check(f"{p.label} is applied (the same migration: its checksum)", applied)
        delete = f"DELETE FROM {self.history.table} WHERE version = {self._version(p.version)};"
        if atomic and self.d.name == "postgres":
            mark, same = self._same_transaction(p, up=False)
            return [*head, self.d.begin, *check, mark, self._status(p, RUNNING, REVERTING),
                    *self._body(p), *self.d.own, *same, delete, self._event(p, "down"),
                    "COMMIT;", *self._reset(), ""]  # fmt: skip
        if atomic:
            return [*head, self.d.begin, *check, *self._body(p), *self.d.own, delete,
                    self._event(p, "down"), "COMMIT;", *self._reset(), ""]  # fmt: skip
        return [*head, *check, self._status(p, RUNNING, REVERTING), *self._body(p),
                *self.d.settle, *self.d.own, delete, self._event(p, "down"), *self._reset(),
                ""]  # fmt: skip

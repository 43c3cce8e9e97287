"""`--targets` / `--schemas` for up, status, validate and current: the same command, once
per target, in worker processes; then one summary. The CLI's only entry into the fleet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from .. import config
from ..errors import SqlmigError, UsageError
from ..events import Event
from ..results import NO_MIGRATION, Result
from ..urls import parse_url, redact
from . import shard as sharding
from . import targets as fleet_targets
from .progress import BEFORE, Progress
from .report import Report
from .run import Finished, Pool, signals_held, take_pending
from .targets import Source, Target

COMMANDS = ("up", "status", "validate", "current")
DEFAULT_PARALLEL = 4


def refuse_command(command: str | None, fleet: dict[str, Any]) -> UsageError | None:
    """The error for fleet options given to a command that does not take them."""
    if command in COMMANDS:
        return None
    given = ", ".join(
        f"--{k.replace('_', '-')}" for k, v in fleet.items() if v not in (None, False)
    )
    return UsageError(
        f"{given}: `{command}` does not run across a fleet",
        hint=f"fleet options work with {', '.join(COMMANDS)}; run other commands with --url",
    )


def run_fleet(
    ctx: typer.Context,
    action: Callable[..., Result],
    *,
    single: Callable[[Callable[..., Result]], None],
    fail: Callable[..., None],
) -> None:
    """Run the command on every target of this shard; print the summary; exit the worst code.

    `single(action)` runs the command once, as without a fleet, on the URL of ctx.obj (the
    CLI's runner); `fail` reports an error as the CLI does."""
    opts = ctx.obj
    command = ctx.command.name or ""
    log_json = _log_json(opts.flags)
    try:
        source, shard = _prepare(ctx, command, opts)
    except SqlmigError as exc:
        fail(exc, [opts.flags.get("url")], opts.as_json, log_json=log_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while the list was being checked
        stopped = SqlmigError(
            "interrupted while checking the list of targets: no target was started",
            hint=f"run `sqlmig {command}` with the same options again",
        )
        stopped.exit_code, stopped.kind = _stop_code(exc), "interrupted"
        fail(stopped, [opts.flags.get("url")], opts.as_json, log_json=log_json)
        raise typer.Exit(stopped.exit_code) from None
    report = Report(command, shard=str(shard) if shard else None)
    befores: dict[int, str] = {}
    say = Progress(opts, log_json, befores)
    wrapped = _with_before(action) if command == "up" else action

    def work(target: Target) -> int:
        flags = {**opts.flags, "url": target.url, "log_format": "json"}
        if target.table:
            flags["table"] = target.table
        ctx.obj = replace(opts, flags=flags, as_json=True, quiet=False, fleet=None)
        try:
            single(wrapped)
        except typer.Exit as exc:
            return int(exc.exit_code)
        return 0

    def done(finished: Finished) -> bool:
        key = id(finished.target)
        row = report.finished(finished, befores.pop(key, None), order.pop(key))
        say.finished(row)
        return bool(opts.fleet and opts.fleet.get("fail_fast")) and row.result != "ok"

    pool = Pool(work, parallel=_parallel(opts), on_line=say.line)
    order: dict[int, int] = {}  # id of a started target -> its place in the list

    def numbered() -> Iterator[Target]:
        for seq, target in enumerate(sharding.select(fleet_targets.iterate(source), shard)):
            order[id(target)] = seq
            yield target

    remaining = numbered()
    pool.run(remaining, done)
    with signals_held():  # a Ctrl-C now must not cost the summary: it is counted in it
        for target in remaining:
            report.not_run(target, order.pop(id(target)))
        report.sort()
        if pool.interrupted is not None:
            report.interrupted = _stop_code(pool.interrupted)
        late = take_pending()
        if late is not None:
            report.interrupted = max(report.interrupted or 0, 143 if late else 130)
        _print_summary(report, as_json=opts.as_json)
    raise typer.Exit(report.exit_code())


def _stop_code(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (which arrives as the CLI's Terminated)."""
    return 143 if type(exc).__name__ == "Terminated" else 130


def _print_summary(report: Report, *, as_json: bool) -> None:
    """The table or --json document on stdout; a reader that went away (`| head`) costs the
    rest of it, not the exit code."""
    import os

    try:
        for line in report.json_lines() if as_json else report.table_lines():
            print(redact(line))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit


def _log_json(flags: dict[str, Any]) -> bool:
    """Whether stderr gets JSON lines; a bad --log-format is reported by config.load later."""
    try:
        return config.log_format(flags) == "json"
    except SqlmigError:
        return False


# a URL of each kind, only to read the folder as that kind does (nothing connects to it)
STAND_IN = {"postgres": "postgresql://localhost/x", "mysql": "mysql://localhost/x",
            "sqlite": "sqlite:///x.db"}  # fmt: skip


def _parallel(opts: Any) -> int:
    value = opts.fleet.get("parallel")
    return DEFAULT_PARALLEL if value is None else int(value)


def _prepare(ctx: typer.Context, command: str, opts: Any) -> tuple[Source, Any]:
    """Check everything before the first worker starts: options, the migrations folder,
    every line of the targets file; import the drivers the workers will use."""
    fleet = opts.fleet
    if ctx.params.get("sql"):
        raise UsageError("up --sql prints one script: it does not run across a fleet",
                         hint="run up --sql with --url for one database")  # fmt: skip
    cfg = config.load(opts.flags)
    env = config.fleet_environment()
    source = _source(fleet, cfg, env["password"])
    shard = sharding.parse(fleet["shard"]) if fleet.get("shard") else sharding.from_job(env)
    from ..migrator import Migrator

    drivers = fleet_targets.check(source)
    # a bad folder is said once, not once per target: read as each kind of target reads it (a
    # popx folder holds files per database kind)
    for driver in sorted(drivers):
        kind = (
            cfg
            if cfg.url and parse_url(cfg.url).driver == driver
            else replace(cfg, url=STAND_IN[driver])
        )
        files = Migrator(kind).files()
        if command == "up":
            _check_placeholders(files, kind)
    for driver in drivers:
        _preload(driver)
    if not drivers and not (opts.quiet or opts.as_json):
        print("warning: the list names no target: nothing to do", file=sys.stderr)
    return source, shard


def _check_placeholders(files: Any, cfg: Any) -> None:
    """A ${name} without a value is the same error on every target: say it once. The
    built-ins that come from each target's URL (sqlmig.database, sqlmig.user) get a stand-in
    here; a target whose URL lacks one still fails on its own row."""
    from .. import placeholders

    found = placeholders.from_config(cfg)
    values = {**found.values}
    for name in found.missing:
        values[name] = "stand-in"
    with placeholders.masking(found):
        placeholders.apply_up(files, replace(found, values=values, missing={}))


def _source(fleet: dict[str, Any], cfg: Any, password: str | None) -> Source:
    chosen = [k for k in ("targets", "schemas", "schemas_query") if fleet.get(k)]
    if len(chosen) != 1:
        raise UsageError(
            "give one of --targets, --schemas and --schemas-query",
            hint="--targets FILE lists databases; --schemas FILE or --schemas-query SQL lists "
            "the tenant schemas of the --url database",
        )
    if fleet.get("url_template") and not fleet.get("targets"):
        raise UsageError("--url-template fills in the names of a --targets file",
                         hint="add --targets FILE with one name a line")  # fmt: skip
    if chosen[0] == "targets" and cfg.sources.get("url") == "--url":
        raise UsageError(
            "--url names one database and --targets lists them: give one of the two",
            hint="add the --url database to the targets file, or drop --targets",
        )
    table = cfg.table
    if chosen[0] != "targets":
        if not cfg.url:
            raise UsageError("--schemas needs the database that holds them: set --url",
                             hint=config.NO_URL_HINT)  # fmt: skip
        if parse_url(cfg.url).driver != "postgres":
            raise UsageError(
                f"--{chosen[0].replace('_', '-')} works on PostgreSQL only (one database, a "
                "schema per tenant)",
                hint="for SQLite files or MySQL/MariaDB databases, list them with --targets",
            )
        if "." in table:
            raise UsageError(
                f"--schemas: the history table {table!r} names a schema already",
                hint="each tenant schema gets its own history table: give --table NAME alone",
            )
    names = _query_names(cfg, fleet["schemas_query"]) if chosen[0] == "schemas_query" else None
    return Source(
        targets_file=Path(fleet["targets"]) if fleet.get("targets") else None,
        url_template=fleet.get("url_template"),
        schemas_file=Path(fleet["schemas"]) if fleet.get("schemas") else None,
        schema_names=names,
        base_url=cfg.url,
        table=table,
        password=password,
    )


def _query_names(cfg: Any, sql: str) -> tuple[str, ...]:
    """The schema names that `sql` lists (its first column), read on the --url database."""
    import psycopg

    from ..errors import ConnectError

    url = parse_url(cfg.url)
    if url.driver != "postgres":
        raise UsageError("--schemas-query works on PostgreSQL only",
                         hint="for other databases, list them with --targets")  # fmt: skip
    try:
        conn = psycopg.connect(url.raw, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise ConnectError(
            f"--schemas-query: cannot connect to {url.redacted}: "
            f"{redact(str(exc).strip(), url.raw)}",
            hint="check the --url server and database",
        ) from None
    try:
        rows = conn.execute(sql).fetchall()
    except psycopg.Error as exc:  # the user's SQL: its error is theirs to fix, not a crash
        raise UsageError(
            f"--schemas-query failed: {redact(str(exc).strip(), url.raw)}",
            hint="give a query whose first column lists the schema names, e.g. SELECT "
            "nspname FROM pg_namespace WHERE nspname LIKE 'tenant%'",
        ) from None
    finally:
        conn.close()
    return tuple(str(row[0]) for row in rows if row and row[0] is not None)


def _preload(driver: str) -> None:
    """Import a driver in the parent, once, so that forked workers start with it loaded."""
    import importlib

    from .. import drivers

    importlib.import_module(f"sqlmig.drivers.{drivers.DRIVERS[driver][0]}")
    importlib.import_module("sqlmig.migrator")


def _with_before(action: Callable[..., Result]) -> Callable[..., Result]:
    """`up`, first telling the parent which version the target is at (for the summary)."""

    def wrapped(cfg: Any, notify: Any) -> Result:
        from ..migrator import Migrator

        if notify is not None:
            try:
                before = Migrator(cfg).current().current or NO_MIGRATION
                notify(Event(BEFORE, "", {"before": before}, "debug"))
            except SqlmigError:
                pass  # `up` itself says what is wrong
        return action(cfg, notify)

    return wrapped

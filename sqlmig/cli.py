"""The `sqlmig` command line: parse options, build a Config, make one library call, render.

This is the only place that catches SqlmigError and turns it into a message and an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__, config
from .errors import SqlmigError
from .results import Result
from .urls import scrub

app = typer.Typer(
    help="Plain-SQL database migrations.\n\n"
    "Example: sqlmig --url postgresql://app@localhost/app up",
    pretty_exceptions_show_locals=False,  # locals hold URLs with passwords
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Options:
    flags: dict[str, Any]
    as_json: bool
    quiet: bool
    verbose: bool


def _version(value: bool) -> None:
    if value:
        print(f"sqlmig {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            "-u",
            help="Database URL (env SQLMIG_URL, then DATABASE_URL).",
            show_default=False,
        ),
    ] = None,
    dir: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "-d",
            help="Migrations folder (env SQLMIG_DIR). Default: ./migrations.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="History table, maybe schema.table (env SQLMIG_TABLE). Default: sqlmig_history.",
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (env SQLMIG_CONFIG). Default: ./sqlmig.toml, else tool.sqlmig "
            "in ./pyproject.toml.",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            "--lock-timeout",
            help="Seconds to wait for the migration lock (env SQLMIG_LOCK_TIMEOUT). Default: 60.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only results and errors.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print tracebacks of unexpected errors.")
    ] = False,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format",
            help="Progress and errors on stderr as `text` or `json` (one object per line; env "
            "SQLMIG_LOG_FORMAT). Default: text.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Plain-SQL database migrations: numbered NNNN_name.up.sql / .down.sql files."""
    flags = {
        "url": url,
        "dir": str(dir) if dir else None,
        "table": table,
        "config": str(config_file) if config_file else None,
        "lock_timeout": lock_timeout,
        "log_format": log_format,
    }
    ctx.obj = Options(flags, as_json, quiet, verbose)


def _run(
    ctx: typer.Context,
    action: Callable[..., Result],
    *,
    exit_code: Callable[[Result], int] | None = None,
) -> None:
    """Build the Config, run `action(config, notify)`, render; map errors to exit codes."""
    opts: Options = ctx.obj
    url: str | None = opts.flags.get("url")
    log_json = _log_json(opts.flags)
    try:
        cfg = config.load(opts.flags)
        url = cfg.url
        result = _call(action, cfg, opts)
    except SqlmigError as exc:
        _fail(exc, url, opts.as_json, log_json=log_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        _fail(
            SqlmigError(
                "interrupted; the migration in progress was rolled back",
                hint="run `sqlmig status` to see where the database stands",
            ),
            url,
            opts.as_json,
            log_json=log_json,
        )
        raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None
    except Exception as exc:  # a bug: still never print the password
        message = scrub(f"internal error: {type(exc).__name__}: {exc}", url)
        if opts.verbose:
            import traceback

            message += "\n" + scrub("".join(traceback.format_exc()), url)
        _fail(
            SqlmigError(message, hint="please report this with the command you ran"),
            url,
            opts.as_json,
            log_json=log_json,
        )
        raise typer.Exit(1) from None
    from .render import emit

    emit(result, as_json=opts.as_json)
    code = exit_code(result) if exit_code else 0
    if code:
        raise typer.Exit(code)


def _call(action: Callable[..., Result], cfg: config.Config, opts: Options) -> Result:
    """Run the action with the events sink that suits stderr; the sink is closed on any exit."""
    notify = _sink(cfg, opts)
    try:
        return action(cfg, notify)
    finally:
        if hasattr(notify, "close"):  # the progress line: leave the terminal clean
            notify.close()


def _sink(cfg: config.Config, opts: Options) -> Any:
    """JSON lines, a terminal's progress line, or plain lines for logs and pipes; or nothing."""
    from . import events

    def clean(text: str) -> str:
        return scrub(text, cfg.url)

    if cfg.log_format == "json":
        return None if opts.quiet else events.json_sink(clean=clean)
    if opts.quiet or opts.as_json:
        return None
    if sys.stderr.isatty():
        from .progress import ProgressLine

        return ProgressLine(clean=clean, verbose=opts.verbose, out=sys.stderr)
    return events.text_sink(clean=clean, verbose=opts.verbose)


def _log_json(flags: dict[str, Any]) -> bool:
    """Whether errors go to stderr as JSON too; a bad value is reported by config.load."""
    try:
        return config.log_format(flags) == "json"
    except SqlmigError:
        return False


def _fail(exc: SqlmigError, url: str | None, as_json: bool, *, log_json: bool = False) -> None:
    message = scrub(exc.message, url)
    hint = scrub(exc.hint, url, urls=False) if exc.hint else None
    if log_json:
        from .events import ERROR, Event, json_sink

        fields = {"kind": exc.kind, "exit_code": exc.exit_code, "hint": hint}
        json_sink(clean=lambda text: scrub(text, url))(Event(ERROR, message, fields, "error"))
        if not as_json:
            return
    if as_json:
        import json

        doc = {
            "ok": False,
            "error": {
                "kind": exc.kind,
                "exit_code": exc.exit_code,
                "message": message,
                "hint": hint,
            },
        }
        print(json.dumps(doc, indent=2))
        return
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def _migrator(cfg: config.Config, notify: Callable[..., None] | None) -> Any:
    from .migrator import Migrator

    return Migrator(cfg, notify=notify)


# -- commands ---------------------------------------------------------------------------------

AllowDrift = Annotated[
    bool,
    typer.Option("--allow-drift", help="Run even if applied files were edited or are missing."),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the plan and its SQL; change nothing.")
]
StatementLockTimeout = Annotated[
    str | None,
    typer.Option(
        "--statement-lock-timeout",
        metavar="DURATION",
        help="PostgreSQL: a statement that waits longer than this for a table lock fails (and "
        "its migration is rolled back) instead of stalling every later query, e.g. 2s or "
        "500ms (env SQLMIG_STATEMENT_LOCK_TIMEOUT). Default: off.",
        show_default=False,
    ),
]
Retries = Annotated[
    int | None,
    typer.Option(
        "--retries",
        min=0,
        max=100,
        help="Try a migration that hit --statement-lock-timeout again this many times, waiting "
        "1, 2, 4 ... s in between (env SQLMIG_RETRIES). Default: 0.",
        show_default=False,
    ),
]
ScratchUrl = Annotated[
    str | None,
    typer.Option(
        "--scratch-url",
        help="An EMPTY database to build schemas in. Default: a temporary SQLite file, or a "
        "temporary PostgreSQL database created and dropped on the --url server.",
        show_default=False,
    ),
]


def _lock_flags(ctx: typer.Context, lock_timeout: str | None, retries: int | None) -> None:
    """Command options that are also settings: they join the flags that config.load reads."""
    ctx.obj.flags.update(statement_lock_timeout=lock_timeout, retries=retries)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the migrations folder and a commented sqlmig.toml.

    Example: sqlmig init && sqlmig new create_users
    """
    from . import scaffold

    def action(cfg: config.Config, _n: Any) -> Result:
        return scaffold.init(cfg.dir, cfg.config_file or Path("sqlmig.toml"))

    _run(ctx, action)


@app.command()
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the migration does, e.g. add_users.")],
    timestamp: Annotated[
        bool,
        typer.Option(
            "--timestamp",
            help="Version by UTC date and time (YYYYMMDDHHMMSS) instead of the next number.",
        ),
    ] = False,
) -> None:
    """Create the next numbered NNNN_name.up.sql / .down.sql pair.

    Example: sqlmig new add_isbn_to_books
    """
    from . import scaffold

    _run(ctx, lambda cfg, _n: scaffold.new(cfg.dir, name, timestamp=timestamp))


@app.command()
def up(
    ctx: typer.Context,
    to: Annotated[
        int | None,
        typer.Option("--to", help="Apply pending migrations up to and including this version."),
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Apply at most this many.")
    ] = None,
    dry_run: DryRun = False,
    single_transaction: Annotated[
        bool,
        typer.Option(
            "--single-transaction",
            help="Apply all pending migrations in one transaction: all or none.",
        ),
    ] = False,
    allow_drift: AllowDrift = False,
    allow_out_of_order: Annotated[
        bool | None,
        typer.Option(
            "--allow-out-of-order/--no-allow-out-of-order",
            help="Apply pending files numbered below the newest applied one.",
            show_default=False,
        ),
    ] = None,
    wait_s: Annotated[
        float | None,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="First wait up to SECONDS for the database to accept connections "
            "(as `sqlmig wait`).",
            show_default=False,
        ),
    ] = None,
    lint: Annotated[
        bool,
        typer.Option("--lint", help="First run `sqlmig lint`; apply nothing if it finds errors."),
    ] = False,
    check_schema: Annotated[
        bool,
        typer.Option(
            "--check-schema",
            help="First compare the live schema with what the applied migrations build (as "
            "`status --schema`); apply nothing (exit 4) if it was changed by hand.",
        ),
    ] = False,
    scratch_url: ScratchUrl = None,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
) -> None:
    """Apply pending migrations in order, each in its own transaction.

    Example: sqlmig up --steps 1
    """
    _lock_flags(ctx, statement_lock_timeout, retries)
    _run(
        ctx,
        lambda cfg, n: (
            _lint_first(cfg, lint)
            or _schema_first(cfg, check_schema, scratch_url)
            or _migrator(cfg, n).up(
                to=to,
                steps=steps,
                dry_run=dry_run,
                single_transaction=single_transaction,
                allow_drift=allow_drift,
                allow_out_of_order=allow_out_of_order,
                wait=wait_s,
            )
        ),
    )


@app.command()
def wait(
    ctx: typer.Context,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, help="Give up (exit 6) after this many seconds.")
    ] = 60.0,
    allow_standby: Annotated[
        bool,
        typer.Option(
            "--allow-standby", help="PostgreSQL: a server in recovery (a standby) counts as ready."
        ),
    ] = False,
) -> None:
    """Wait until the database accepts connections (PostgreSQL: and is not in recovery).

    Retries with back-off, one line per attempt on stderr; exit 0 when ready, 6 on timeout.

    Example: sqlmig wait --timeout 30 && sqlmig up
    """
    from .wait import wait_for  # not through Migrator: a container start skips its imports

    _run(
        ctx,
        lambda cfg, n: wait_for(
            cfg, timeout=timeout, allow_standby=allow_standby, notify=n or (lambda _e: None)
        ),
    )


@app.command()
def down(
    ctx: typer.Context,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            min=1,
            help="Revert this many (newest first). Default: 1.",
            show_default=False,
        ),
    ] = None,
    to: Annotated[
        int | None, typer.Option("--to", help="Revert every migration newer than this version.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Revert every applied migration.")] = False,
    dry_run: DryRun = False,
    allow_drift: AllowDrift = False,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
) -> None:
    """Revert the newest applied migration (or more), using its down file.

    Example: sqlmig down --steps 2
    """
    _lock_flags(ctx, statement_lock_timeout, retries)
    _run(
        ctx,
        lambda cfg, n: _migrator(cfg, n).down(
            steps=steps, to=to, all_=all_, dry_run=dry_run, allow_drift=allow_drift
        ),
    )


@app.command()
def redo(
    ctx: typer.Context,
    allow_drift: AllowDrift = False,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
) -> None:
    """Revert the newest applied migration and apply it again.

    Example: sqlmig redo
    """
    _lock_flags(ctx, statement_lock_timeout, retries)
    _run(ctx, lambda cfg, n: _migrator(cfg, n).redo(allow_drift=allow_drift))


def _status_code(result: Result) -> int:
    states = {r.state for r in result.rows}
    if states & {"failed", "running"}:
        return 5
    if states & {"edited", "missing", "renamed"}:
        return 4
    return 8 if "pending" in states else 0


@app.command()
def status(
    ctx: typer.Context,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help="Exit 8 while migrations are pending (4 on drift, 5 on a failed state).",
        ),
    ] = False,
    schema: Annotated[
        bool,
        typer.Option(
            "--schema",
            help="Instead, compare the live schema with what the applied migrations build on a "
            "scratch database: objects added, removed or changed by hand (exit 4 with "
            "--exit-code).",
        ),
    ] = False,
    scratch_url: ScratchUrl = None,
) -> None:
    """Show every migration: applied, pending, edited, missing, failed or running.

    Example: sqlmig status --exit-code
    """
    if schema:
        from .schema.commands import drift

        _run(
            ctx,
            lambda cfg, n: drift(cfg, scratch_url=scratch_url),
            exit_code=(lambda result: 0 if result.ok else 4) if exit_code else None,
        )
        return
    _run(
        ctx,
        lambda cfg, n: _migrator(cfg, n).status(),
        exit_code=_status_code if exit_code else None,
    )


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the newest applied migration.

    Example: sqlmig current
    """
    _run(ctx, lambda cfg, n: _migrator(cfg, n).current())


@app.command()
def history(ctx: typer.Context) -> None:
    """Show the audit log: every up, down, baseline and repair, by whom, when, how long.

    Example: sqlmig --json history
    """
    _run(ctx, lambda cfg, n: _migrator(cfg, n).history())


@app.command()
def validate(ctx: typer.Context) -> None:
    """Check that files and history agree (names, order, checksums); exit 4 on drift.

    Example: sqlmig validate
    """
    _run(ctx, lambda cfg, n: _migrator(cfg, n).validate())


@app.command()
def repair(ctx: typer.Context) -> None:
    """After review: re-record checksums of edited files and clear failed/running states.

    Example: sqlmig repair
    """
    _run(ctx, lambda cfg, n: _migrator(cfg, n).repair())


@app.command()
def baseline(
    ctx: typer.Context,
    version: Annotated[int, typer.Argument(help="The newest migration already in the database.")],
) -> None:
    """Record every migration up to VERSION as applied without running it.

    Example: sqlmig baseline 12
    """
    _run(ctx, lambda cfg, n: _migrator(cfg, n).baseline(version))


# -- schema snapshots (sqlmig.schema is imported only by these commands) ----------------------

schema_app = typer.Typer(
    help="Read the database's schema from its catalogs.\n\n"
    "Example: sqlmig schema dump -o schema.sql",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(schema_app, name="schema")


@schema_app.command("dump")
def schema_dump(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Print the schema as deterministic DDL (sorted, one block per object); --json: the model.

    The history tables are left out. Same database, same bytes.

    Example: sqlmig schema dump -o schema.sql
    """
    from .schema.commands import dump_schema

    as_json = ctx.obj.as_json
    _run(ctx, lambda cfg, n: dump_schema(cfg, output=output, as_json=as_json))


@app.command()
def verify(
    ctx: typer.Context,
    scratch_url: ScratchUrl = None,
    from_: Annotated[
        int | None, typer.Option("--from", help="Check migrations from this version on.")
    ] = None,
) -> None:
    """Check on a scratch database that every down undoes its up and every up can run again.

    For each migration: snapshot, up, snapshot, down, snapshot, up. Exit 1 on any problem.

    Example: sqlmig verify
    """
    from .schema.commands import verify as run_verify

    _run(
        ctx,
        lambda cfg, n: run_verify(cfg, scratch_url=scratch_url, start=from_, notify=n),
        exit_code=lambda result: 0 if result.ok else 1,
    )


# -- lint (sqlmig.lint and sqlglot are imported only by these) ---------------------------------


def _lint_first(cfg: config.Config, enabled: bool) -> None:
    """`up --lint`: LintFailed (exit 1) before anything is applied, when lint finds errors."""
    if enabled:
        from .lint.commands import require_clean

        require_clean(cfg)


def _schema_first(cfg: config.Config, enabled: bool, scratch_url: str | None) -> None:
    """`up --check-schema`: DriftError (exit 4) before anything is applied, on schema drift."""
    if enabled:
        from .schema.commands import require_no_drift

        require_no_drift(cfg, scratch_url=scratch_url)


@app.command()
def lint(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to lint. Default: the migrations folder."),
    ] = None,
    dialect: Annotated[
        str | None,
        typer.Option(
            "--dialect",
            help="postgres, sqlite or mysql. Default: `dialect` in sqlmig.toml, else the URL's "
            "scheme, else postgres.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text, json, github (annotations) or sarif (2.1.0).")
    ] = "text",
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these rules (code, name or code prefix); repeatable."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these rules (code, name or code prefix); repeatable."),
    ] = None,
    pg_version: Annotated[
        int | None,
        typer.Option("--pg-version", help="Target PostgreSQL major version. Default: 17."),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option("--explain", metavar="RULE", help="Explain a rule (or `all`) and exit."),
    ] = None,
) -> None:
    """Find dangerous and broken statements in migration files; exit 1 on any error.

    Example: sqlmig lint --dialect postgres --format github migrations/
    """
    from .lint import commands as lint_commands

    if explain:
        _run(ctx, lambda cfg, n: lint_commands.explain_result(explain))
        return
    _run(
        ctx,
        lambda cfg, n: lint_commands.lint_result(
            lint_commands.lint(
                cfg,
                paths=paths or (),
                dialect=dialect,
                select=_split_names(select),
                ignore=_split_names(ignore),
                pg_version=pg_version,
            ),
            fmt,
            as_json=ctx.obj.as_json,
        ),
        exit_code=lambda result: 0 if result.ok else 1,
    )


def _split_names(values: list[str] | None) -> list[str]:
    """`--select a,b --select c` -> [a, b, c]."""
    return [name for value in values or [] for name in value.split(",") if name.strip()]


@app.command()
def diff(
    ctx: typer.Context,
    desired: Annotated[
        Path, typer.Argument(help="The schema you want, as SQL. Default: ./schema.sql.")
    ] = Path("schema.sql"),
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the migrations do not build it."),
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="Name of the migration to write.")
    ] = "schema_diff",
    scratch_url: ScratchUrl = None,
) -> None:
    """Write the next migration pair that turns what the migrations build into schema.sql.

    Both schemas are built on scratch databases; the generated up and down are tried there too.
    Statements that may lose data are marked `-- sqlmig:review`.

    Example: sqlmig diff schema.sql --check
    """
    from .schema.commands import diff as run_diff

    _run(
        ctx,
        lambda cfg, n: run_diff(
            cfg, desired=desired, check=check, name=name, scratch_url=scratch_url
        ),
        exit_code=lambda result: 0 if result.ok else 1,
    )


@app.command()
def transpile(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target dialect: sqlite, mysql or postgres.")],
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Migration folders. Default: the migrations folder."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--from", help="Dialect the files are written in. Default: postgres."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder to write to. Default: print to stdout."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Build both sets on scratch databases and compare them."),
    ] = False,
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", help="--check: PostgreSQL server for the source scratch."),
    ] = None,
    target_url: Annotated[
        str | None,
        typer.Option("--target-url", help="--check: an empty target database (MySQL: required)."),
    ] = None,
) -> None:
    """Write the migrations in another dialect, file by file; exit 1 listing every statement
    that has no faithful translation (nothing is written then).

    A hand-written NNNN_name.<dialect>.up.sql beside a file is used instead of translating it.

    Example: sqlmig transpile --to sqlite -o migrations_sqlite
    """
    from .transpile.command import run as run_transpile

    _run(
        ctx,
        lambda cfg, n: run_transpile(
            cfg,
            target=to,
            source=source,
            paths=paths or (),
            out_dir=out_dir,
            check=check,
            source_url=source_url,
            target_url=target_url,
        ),
        exit_code=lambda result: 0 if result.ok else 1,
    )


GLOBAL_VALUE_OPTIONS = {
    *("--url", "-u", "--dir", "-d", "--table", "--config", "--lock-timeout", "--log-format")
}
GLOBAL_FLAGS = {"--json", "--quiet", "-q", "--verbose", "-v"}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let global options follow the command too (`sqlmig status --json`): move them before it."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # skip global options given first
        i += 2 if argv[i] in GLOBAL_VALUE_OPTIONS else 1
    if i >= len(argv):
        return argv
    head, command, rest = argv[:i], argv[i], argv[i + 1 :]
    moved: list[str] = []
    kept: list[str] = []
    j = 0
    while j < len(rest):
        arg = rest[j]
        if arg == "--":
            kept += rest[j:]
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS:
            moved.append(arg)
        elif name in GLOBAL_VALUE_OPTIONS:
            takes_next = "=" not in arg and j + 1 < len(rest)
            moved += rest[j : j + 2] if takes_next else [arg]
            j += 1 if takes_next else 0
        else:
            kept.append(arg)
        j += 1
    return [*head, *moved, command, *kept]


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: cancel the statement, roll back, release the lock."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated()


def main() -> None:
    import signal

    # As PID 1 in a container the default SIGTERM action is ignored: handle it explicitly.
    signal.signal(signal.SIGTERM, _on_sigterm)
    args = hoist_global_options(sys.argv[1:])
    try:
        code = app(args=args, prog_name="sqlmig", standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "exit_code") and hasattr(exc, "format_message")):
            raise
        code = _option_error(exc, as_json="--json" in args)  # the option parser's usage error
    sys.exit(code if isinstance(code, int) else 0)


def _option_error(exc: Any, *, as_json: bool) -> int:
    """An error from typer's option parser, shown as text or, with --json, as a JSON document."""
    if as_json:
        _fail(UsageFailure(exc.format_message(), hint="see `sqlmig --help`"), None, True)
    else:
        exc.show()
    return int(exc.exit_code)


class UsageFailure(SqlmigError):
    exit_code = 2
    kind = "usage"

"""The migration commands: init, new, up, wait, down, redo, status, current, history,
validate, repair, mark, baseline, adopt."""

from pathlib import Path
from typing import Annotated, Any

import typer

from .. import config, phases
from ..results import Result
from .app import app
from .live import PreflightTimeout, plan_result, preflight_first, preflight_flags
from .options import (
    AllowDrift,
    DryRun,
    FromVersion,
    MaxBlocking,
    Phase,
    Retries,
    RevealSecrets,
    ScratchPrefix,
    ScratchUrl,
    ScriptDialect,
    SqlScript,
    StatementLockTimeout,
    Strict,
    lock_flags,
    scratch_flags,
    seconds,
)
from .runner import migrator, run


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the migrations folder and a commented sqlmig.toml.

    Example: sqlmig init && sqlmig new create_users
    """
    from .. import scaffold

    def action(cfg: config.Config, _n: Any) -> Result:
        url_from = cfg.sources.get("url", "--url") if cfg.url else None
        return scaffold.init(cfg.dir, cfg.config_file or Path("sqlmig.toml"), url_from=url_from)

    run(ctx, action)


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
    allow_mixed: Annotated[
        bool,
        typer.Option(
            "--allow-mixed",
            help="Allow a date version in a numbered folder, or a number in a dated one.",
        ),
    ] = False,
    repeatable: Annotated[
        bool,
        typer.Option(
            "--repeatable",
            help="Create R__name.sql, a repeatable migration (applied again when it changes).",
        ),
    ] = False,
) -> None:
    """Create the next numbered NNNN_name.up.sql / .down.sql pair.

    Example: sqlmig new add_isbn_to_books; sqlmig new --repeatable views
    """
    from .. import scaffold

    run(
        ctx,
        lambda cfg, n: scaffold.new(
            cfg.dir,
            name,
            timestamp=timestamp,
            allow_mixed=allow_mixed,
            notify=n,
            dir_format=cfg.dir_format,
            repeatable=repeatable,
        ),
    )


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
    strict: Strict = None,
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
            parser=seconds,
            metavar="DURATION",
            help="First wait up to DURATION (seconds, or e.g. 30s, 2min) for the database to "
            "accept connections "
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
    scratch_prefix: ScratchPrefix = None,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
    max_blocking: MaxBlocking = None,
    allow_non_empty: Annotated[
        bool,
        typer.Option(
            "--allow-non-empty",
            help="Run even when the database has tables but no sqlmig history (else exit 7; "
            "env SQLMIG_ALLOW_NON_EMPTY).",
        ),
    ] = False,
    sql: SqlScript = False,
    from_: FromVersion = None,
    dialect: ScriptDialect = None,
    phase: Phase = None,
    reveal_secrets: RevealSecrets = False,
    no_callbacks: Annotated[
        bool,
        typer.Option(
            "--no-callbacks",
            help="Do not run the SQL files in DIR/callbacks/ (beforeMigrate.sql, ...).",
        ),
    ] = False,
    # -- live/ (issue 19): plan and pre-checks, before anything is applied --
    plan: Annotated[
        bool,
        typer.Option(
            "--plan", help="Print `sqlmig plan` (locks, sizes, blockers) and apply nothing."
        ),
    ] = False,
    preflight: Annotated[
        bool,
        typer.Option(
            "--preflight",
            help="First run the pre-checks of `sqlmig preflight`; apply nothing (exit 9) if one "
            "finds rows a statement would fail on (env SQLMIG_PREFLIGHT).",
        ),
    ] = False,
    preflight_timeout: PreflightTimeout = None,
) -> None:
    """Apply pending migrations in order, each in its own transaction, then the repeatable
    migrations (R__name.sql) whose files changed; callbacks in DIR/callbacks/ run around them.

    --sql prints a script for psql, mysql or sqlite3 instead, with the history rows: the
    migrations after --from (or, with a URL and no --from, the pending ones) up to --to.

    Example: sqlmig up --steps 1
    """
    lock_flags(ctx, statement_lock_timeout, retries, max_blocking)
    scratch_flags(ctx, scratch_prefix)
    preflight_flags(ctx, preflight_timeout)
    cannot = {
        "--plan": plan,
        "--preflight": preflight,
        "--steps": steps is not None,
        "--dry-run": dry_run,
        "--single-transaction": single_transaction,
        "--check-schema": check_schema,
        "--wait": wait_s is not None,
    }
    _script_only(sql, reveal_secrets)
    if _script_flags(sql, from_, dialect, cannot):
        from ..offline import up_script

        def script(cfg: config.Config, n: Any) -> Result:
            _lint_first(cfg, lint)
            return up_script(
                cfg, from_=from_, to=to, dialect_name=dialect, notify=n, allow_drift=allow_drift,
                allow_out_of_order=allow_out_of_order, strict=strict,
                phase=phases.parse(phase), reveal_secrets=reveal_secrets,
                callbacks=not no_callbacks,
            )  # fmt: skip

        run(ctx, script)
        return
    if plan:  # live/: prints the plan, applies nothing
        run(
            ctx,
            lambda cfg, _n: plan_result(
                cfg, scratch_url=scratch_url, to=to, steps=steps, phase=phases.parse(phase)
            ),
        )
        return
    run(
        ctx,
        lambda cfg, n: (
            _lint_first(cfg, lint)
            or _schema_first(cfg, check_schema, scratch_url)
            # live/: the pre-checks, before the lock
            or preflight_first(
                cfg, preflight, n, to=to, steps=steps, wait=wait_s, phase=phases.parse(phase)
            )
            or migrator(cfg, n).up(
                to=to,
                steps=steps,
                dry_run=dry_run,
                single_transaction=single_transaction,
                allow_drift=allow_drift,
                allow_out_of_order=allow_out_of_order,
                wait=wait_s,
                allow_non_empty=allow_non_empty,
                strict=strict,
                phase=phases.parse(phase),
                callbacks=not no_callbacks,
            )
        ),
    )


@app.command()
def wait(
    ctx: typer.Context,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            parser=seconds,
            metavar="DURATION",
            help="Give up (exit 6) after this long: seconds, or e.g. 30s, 2min.",
        ),
    ] = "60s",  # type: ignore[assignment]  # parsed by `seconds`, like a given value
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
    from ..wait import wait_for  # not through Migrator: a container start skips its imports

    run(
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
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Revert several migrations (or --all) without asking. Without it sqlmig asks "
            "y/N on a terminal, and refuses (exit 2) when stdin or stderr is not one (scripts, "
            "CI).",
        ),
    ] = False,
    dry_run: DryRun = False,
    allow_drift: AllowDrift = False,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
    max_blocking: MaxBlocking = None,
    sql: SqlScript = False,
    from_: FromVersion = None,
    dialect: ScriptDialect = None,
    reveal_secrets: RevealSecrets = False,
) -> None:
    """Revert the newest applied migration (or more), using its down file.

    --steps, --to and --all are alternatives: two of them are a usage error (exit 2).

    More than one migration, or --all: asks y/N on a terminal; without one, exit 2 unless --yes.

    --sql prints a script for psql, mysql or sqlite3 instead: from --from (or the URL's newest
    applied one) down to --to (default: one migration), with the history changes.

    Example: sqlmig down --steps 2 --yes
    """
    from .confirm import ask

    cannot = {"--steps": steps is not None, "--dry-run": dry_run, "--all": all_}
    _script_only(sql, reveal_secrets)
    if _script_flags(sql, from_, dialect, cannot):
        from ..offline import down_script

        run(
            ctx,
            lambda cfg, n: down_script(
                cfg, from_=from_, to=to, dialect_name=dialect, reveal_secrets=reveal_secrets
            ),
        )
        return
    lock_flags(ctx, statement_lock_timeout, retries, max_blocking)
    run(
        ctx,
        lambda cfg, n: migrator(cfg, n).down(
            steps=steps,
            to=to,
            all_=all_,
            dry_run=dry_run,
            allow_drift=allow_drift,
            confirm=None if yes else ask,
        ),
    )


@app.command()
def redo(
    ctx: typer.Context,
    allow_drift: AllowDrift = False,
    statement_lock_timeout: StatementLockTimeout = None,
    retries: Retries = None,
    max_blocking: MaxBlocking = None,
) -> None:
    """Revert the newest applied migration and apply it again.

    Example: sqlmig redo
    """
    lock_flags(ctx, statement_lock_timeout, retries, max_blocking)
    run(ctx, lambda cfg, n: migrator(cfg, n).redo(allow_drift=allow_drift))


def _status_code(result: Result) -> int:
    states = {r.state for r in result.rows}
    if states & {"failed", "running"}:
        return 5
    if states & {"edited", "missing", "renamed", "edited_down"}:
        return 4
    return 8 if states & {"pending", "applying", "changed"} else 0  # changed: a repeatable


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
    scratch_prefix: ScratchPrefix = None,
) -> None:
    """Show every migration: applied, pending, future, edited, missing, failed or running.

    Example: sqlmig status --exit-code
    """
    scratch_flags(ctx, scratch_prefix)
    if schema:
        from ..schema.commands import drift

        run(
            ctx,
            lambda cfg, n: drift(cfg, scratch_url=scratch_url),
            exit_code=(lambda result: 0 if result.ok else 4) if exit_code else None,
        )
        return
    run(
        ctx,
        lambda cfg, n: migrator(cfg, n).status(),
        exit_code=_status_code if exit_code else None,
    )


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the newest applied migration.

    Example: sqlmig current
    """
    run(ctx, lambda cfg, n: migrator(cfg, n).current())


@app.command()
def history(ctx: typer.Context) -> None:
    """Show the audit log: every up, down, baseline and repair, by whom, when, how long.

    Example: sqlmig --json history
    """
    run(ctx, lambda cfg, n: migrator(cfg, n).history())


@app.command()
def validate(ctx: typer.Context, strict: Strict = None) -> None:
    """Check that files and history agree (names, order, checksums); exit 4 on drift.

    Applied versions newer than every file (future: an older build) are reported, not drift,
    unless --strict.

    Example: sqlmig validate
    """
    run(ctx, lambda cfg, n: migrator(cfg, n).validate(strict=strict))


@app.command()
def repair(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what repair would change; change nothing."),
    ] = False,
) -> None:
    """After review: record edited and renamed files as they are now; settle failed/running rows.

    Exit 4 when drift it cannot settle remains: a missing file, other content under a new name.

    Example: sqlmig repair --dry-run && sqlmig repair
    """
    run(
        ctx,
        lambda cfg, n: migrator(cfg, n).repair(dry_run=dry_run),
        exit_code=lambda result: 0 if result.ok else 4,
    )


@app.command()
def mark(
    ctx: typer.Context,
    versions: Annotated[list[int], typer.Argument(help="The version(s) to mark.")],
    applied: Annotated[
        bool | None,
        typer.Option(
            "--applied/--pending",
            help="Record as applied (run by hand, not by sqlmig) or as pending (reverted by "
            "hand). One of them is required.",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why, kept in the audit log (`sqlmig history`)."),
    ] = None,
) -> None:
    """Record that migrations were applied or reverted by hand, running nothing.

    Example: sqlmig mark 7 --pending --reason "reverted by hand: irreversible"
    """
    if applied is None:
        raise typer.BadParameter("pass --applied or --pending", param_hint="'--applied/--pending'")
    run(ctx, lambda cfg, n: migrator(cfg, n).mark(versions, applied=applied, reason=reason))


@app.command()
def baseline(
    ctx: typer.Context,
    version: Annotated[int, typer.Argument(help="The newest migration already in the database.")],
) -> None:
    """Record every migration up to VERSION as applied without running it.

    Example: sqlmig baseline 12
    """
    run(ctx, lambda cfg, n: migrator(cfg, n).baseline(version))


@app.command()
def adopt(
    ctx: typer.Context,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="TOOL",
            help="The tool whose history to read: golang-migrate, dbmate, goose, flyway, "
            "diesel, prisma or popx. Default: the one whose table the database holds.",
            show_default=False,
        ),
    ] = None,
    from_table: Annotated[
        str | None,
        typer.Option(
            "--from-table",
            metavar="TABLE",
            help="The tool's history table, maybe schema.table, when it has another name than "
            "the tool's default.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what would be recorded; change nothing."),
    ] = False,
) -> None:
    """Record what another migration tool applied as applied, running nothing.

    Reads its history table (left as it is); refuses while it reports a dirty or failed
    migration, or an applied version with no file.

    Example: sqlmig adopt --from dbmate && sqlmig up
    """
    run(
        ctx,
        lambda cfg, n: migrator(cfg, n).adopt(tool=from_, table=from_table, dry_run=dry_run),
    )


def _script_flags(
    sql: bool, from_: int | None, dialect: str | None, cannot: dict[str, bool]
) -> bool:
    """Whether to write a script (--sql); the flags that only a script takes, or that it
    cannot take (`cannot`: flag -> given), are usage errors."""
    if not sql and (from_ is not None or dialect is not None):
        given = "--from" if from_ is not None else "--dialect"
        raise typer.BadParameter(f"{given} is for --sql scripts only", param_hint=f"'{given}'")
    given = next((flag for flag, on in cannot.items() if on), None)
    if sql and given:
        raise typer.BadParameter(
            f"{given} cannot be combined with --sql (a script runs nothing; choose its "
            "migrations with --from and --to)",
            param_hint=f"'{given}'",
        )
    return sql


def _script_only(sql: bool, reveal_secrets: bool) -> None:
    if reveal_secrets and not sql:
        raise typer.BadParameter(
            "--reveal-secrets is for --sql scripts only (sqlmig itself never shows a secret)",
            param_hint="'--reveal-secrets'",
        )


def _lint_first(cfg: config.Config, enabled: bool) -> None:
    """`up --lint`: LintFailed (exit 1) before anything is applied, when lint finds errors."""
    if enabled:
        from ..lint.commands import require_clean

        require_clean(cfg)


def _schema_first(cfg: config.Config, enabled: bool, scratch_url: str | None) -> None:
    """`up --check-schema`: DriftError (exit 4) before anything is applied, on schema drift."""
    if enabled:
        from ..schema.commands import require_no_drift

        require_no_drift(cfg, scratch_url=scratch_url)

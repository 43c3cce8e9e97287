"""Options that several commands share."""

from typing import Annotated

import typer

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
        help="Try a migration that hit --statement-lock-timeout, or that --max-blocking "
        "cancelled, again this many times in all, waiting 1, 2, 4 ... s in between (env "
        "SQLMIG_RETRIES). Default: 0.",
        show_default=False,
    ),
]
MaxBlocking = Annotated[
    str | None,
    typer.Option(
        "--max-blocking",
        metavar="DURATION",
        help="PostgreSQL, MySQL/MariaDB: cancel (and roll back) a migration's statement that "
        "keeps another session waiting longer than this, e.g. 1s; --retries tries it again "
        "(env SQLMIG_MAX_BLOCKING). Default: off.",
        show_default=False,
    ),
]
Strict = Annotated[
    bool | None,
    typer.Option(
        "--strict/--no-strict",
        help="Applied versions newer than every file (future: an older build of the app) are "
        "drift: exit 4 (env SQLMIG_STRICT, strict = true). Default: a warning, exit 0.",
        show_default=False,
    ),
]

SqlScript = Annotated[
    bool,
    typer.Option(
        "--sql",
        help="Print a script for psql, mysql or sqlite3 (history rows included) instead of "
        "running anything; it connects only to read the history, with a URL and no --from.",
    ),
]
FromVersion = Annotated[
    int | None,
    typer.Option(
        "--from",
        metavar="VERSION",
        help="--sql: the version the database is at when the script runs (0: none applied). "
        "Without it, the URL's history is read.",
        show_default=False,
    ),
]
ScriptDialect = Annotated[
    str | None,
    typer.Option(
        "--dialect",
        help="--sql: postgres, mysql (MariaDB) or sqlite, when no URL says it.",
        show_default=False,
    ),
]
ScratchUrl = Annotated[
    str | None,
    typer.Option(
        "--scratch-url",
        help="An EMPTY database to build schemas in; sqlmig drops what it made there between "
        "attempts and at the end. Default: a temporary SQLite file, or a temporary database "
        "created and dropped on the --url server.",
        show_default=False,
    ),
]
ScratchPrefix = Annotated[
    str | None,
    typer.Option(
        "--scratch-prefix",
        help="Name the scratch databases sqlmig makes <prefix><12 hex digits> (env "
        "SQLMIG_SCRATCH_PREFIX; lower-case letters, digits and _). Default: sqlmig_scratch_.",
        show_default=False,
    ),
]


def scratch_flags(ctx: typer.Context, prefix: str | None) -> None:
    """--scratch-prefix is also a setting: it joins the flags that config.load reads."""
    ctx.obj.flags.update(scratch_prefix=prefix)


def seconds(value: object) -> float:
    """A duration flag (`--wait 30`, `--timeout 2min`) through config's one duration parser."""
    from ..config import parse_seconds
    from ..errors import UsageError

    try:
        return parse_seconds(value, "value")
    except UsageError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise typer.BadParameter(exc.message.removeprefix("value ") + hint) from None


def lock_flags(
    ctx: typer.Context,
    lock_timeout: str | None,
    retries: int | None,
    max_blocking: str | None = None,
) -> None:
    """Command options that are also settings: they join the flags that config.load reads."""
    ctx.obj.flags.update(
        statement_lock_timeout=lock_timeout, retries=retries, max_blocking=max_blocking
    )


RevealSecrets = Annotated[
    bool,
    typer.Option(
        "--reveal-secrets",
        help="--sql: write the values of secret placeholders into the script (else refused).",
    ),
]
Phase = Annotated[
    str | None,
    typer.Option(
        "--phase",
        metavar="PHASE",
        help="pre: apply pending pre-deploy migrations only (post-deploy ones stay pending); "
        "post: the post-deploy ones (-- sqlmig:phase post). Default: all, in order.",
        show_default=False,
    ),
]

"""The typer app, its global options, and `main`: the console script's entry point."""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from .. import __version__
from ..errors import SqlmigError
from . import completion
from .fleet_options import FLAGS as FLEET_FLAGS
from .fleet_options import VALUE_OPTIONS as FLEET_VALUE_OPTIONS
from .fleet_options import (
    FailFast,
    Parallel,
    Schemas,
    SchemasQuery,
    ShardSpec,
    Targets,
    UrlTemplate,
)
from .help import SqlmigCommand, SqlmigGroup
from .runner import Options, Redacted, Terminated, fail

app = typer.Typer(
    help="Plain-SQL database migrations.\n\n"
    "Example: sqlmig --url postgresql://app@localhost/app up",
    pretty_exceptions_show_locals=False,  # locals hold URLs with passwords
    add_completion=False,  # typer's detects the shell at every start; ours are below
    rich_markup_mode=None,  # plain help (help.py): rich's costs ~60 ms at every --help
    cls=SqlmigGroup,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
            metavar="URL",
            help="Database URL (env SQLMIG_URL, then the file named by SQLMIG_URL_FILE, then "
            "DATABASE_URL, then url in the config file).",
            show_default=False,
        ),
    ] = None,
    dir: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "-d",
            metavar="DIR",
            help="Migrations folder (env SQLMIG_DIR). Default: ./migrations.",
            show_default=False,
        ),
    ] = None,
    dir_format: Annotated[
        str | None,
        typer.Option(
            "--dir-format",
            metavar="FORMAT",
            help="The folder's layout: sqlmig, golang-migrate, dbmate, goose, flyway, diesel, "
            "prisma or popx (env SQLMIG_DIR_FORMAT). Default: detected from the files.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            metavar="TABLE",
            help="History table, maybe schema.table (env SQLMIG_TABLE). Default: sqlmig_history.",
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Config file (env SQLMIG_CONFIG). Default: ./sqlmig.toml, else tool.sqlmig "
            "in ./pyproject.toml.",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        str | None,
        typer.Option(
            "--lock-timeout",
            metavar="DURATION",
            help="How long to wait for the migration lock: seconds, or e.g. 60s, 2min (env "
            "SQLMIG_LOCK_TIMEOUT). Default: 60s.",
            show_default=False,
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME=VALUE",
            help="A value for ${NAME} in files with placeholders on (-- sqlmig:placeholders); "
            "repeatable; over SQLMIG_VAR_NAME and [vars] in the config file.",
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
            metavar="FORMAT",
            help="Progress and errors on stderr as `text` or `json` (one object per line; env "
            "SQLMIG_LOG_FORMAT). Default: text.",
            show_default=False,
        ),
    ] = None,
    targets: Targets = None,
    url_template: UrlTemplate = None,
    schemas: Schemas = None,
    schemas_query: SchemasQuery = None,
    parallel: Parallel = None,
    fail_fast: FailFast = False,
    shard: ShardSpec = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            callback=completion.show,
            is_eager=True,
            expose_value=False,
            help="Print the completion script for SHELL (bash, zsh, fish, powershell) and exit.",
            show_default=False,
        ),
    ] = None,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            callback=completion.install,
            is_eager=True,
            expose_value=False,
            help="Install completion for SHELL in its start-up file and exit.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plain-SQL database migrations: numbered NNNN_name.up.sql / .down.sql files."""
    flags = {
        "url": url,
        "dir": str(dir) if dir else None,
        "dir_format": dir_format,
        "table": table,
        "config": str(config_file) if config_file else None,
        "lock_timeout": lock_timeout,
        "log_format": log_format,
        "vars": var or None,
    }
    fleet = {
        "targets": targets,
        "url_template": url_template,
        "schemas": schemas,
        "schemas_query": schemas_query,
        "parallel": parallel,
        "fail_fast": fail_fast,
        "shard": shard,
    }
    given = any(v not in (None, False) for v in fleet.values())
    ctx.obj = Options(flags, as_json, quiet, verbose, fleet if given else None)
    if given:
        _fleet_command(ctx.invoked_subcommand, fleet, as_json)


def _fleet_command(command: str | None, fleet: dict[str, Any], as_json: bool) -> None:
    """Fleet options on a command that does not take them: a usage error, not ignored."""
    from ..fleet.command import refuse_command

    error = refuse_command(command, fleet)
    if error is not None:
        fail(error, (), as_json)
        raise typer.Exit(error.exit_code)


def plain_help(typer_app: typer.Typer = app) -> typer.Typer:
    """Give every registered command and group sqlmig's plain help (help.py)."""
    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = SqlmigCommand
    for group in typer_app.registered_groups:
        group.typer_instance.info.cls = SqlmigGroup
        plain_help(group.typer_instance)
    return typer_app


GLOBAL_VALUE_OPTIONS = {
    *(
        "--url",
        "-u",
        "--dir",
        "-d",
        "--dir-format",
        "--table",
        "--config",
        "--lock-timeout",
        "--log-format",
        "--var",
        *FLEET_VALUE_OPTIONS,
    ),
    *("--show-completion", "--install-completion"),
}
GLOBAL_FLAGS = {"--json", "--quiet", "-q", "--verbose", "-v", *FLEET_FLAGS}


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


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated()


def main() -> None:
    import signal

    # As PID 1 in a container the default SIGTERM action is ignored: handle it explicitly.
    signal.signal(signal.SIGTERM, _on_sigterm)
    args = hoist_global_options(sys.argv[1:])
    completion.prepare(os.environ)
    try:
        code = app(args=args, prog_name="sqlmig", standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "exit_code") and hasattr(exc, "format_message")):
            raise
        code = _option_error(exc, as_json="--json" in args)  # the option parser's usage error
    sys.exit(code if isinstance(code, int) else 0)


def _option_error(exc: Any, *, as_json: bool) -> int:
    """An error from typer's option parser, shown as text or, with --json, as a JSON document.

    It quotes what it could not parse: a URL typed where a command or a number belongs.
    """
    if as_json:
        fail(UsageFailure(exc.format_message(), hint="see `sqlmig --help`"), (), True)
    else:
        exc.show(file=Redacted(sys.stderr))
    return int(exc.exit_code)


class UsageFailure(SqlmigError):
    exit_code = 2
    kind = "usage"

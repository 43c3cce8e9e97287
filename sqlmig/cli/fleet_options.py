"""The fleet's global options (`--targets` and friends), declared once for app.py."""

from typing import Annotated

import typer

Targets = Annotated[
    str | None,
    typer.Option(
        "--targets",
        metavar="FILE",
        help="Run up, status, validate or current on every database of FILE: one URL or "
        "name a line (see --url-template), # comments. Passwords: SQLMIG_TARGET_PASSWORD_FILE.",
        show_default=False,
    ),
]
UrlTemplate = Annotated[
    str | None,
    typer.Option(
        "--url-template",
        metavar="URL",
        help="The URL of a --targets name, e.g. 'postgresql://app@db/${tenant}' (or a "
        "template=URL line in the file).",
        show_default=False,
    ),
]
Schemas = Annotated[
    str | None,
    typer.Option(
        "--schemas",
        metavar="FILE",
        help="PostgreSQL: run on every tenant schema of the --url database listed in FILE, "
        "each with its own search_path and SCHEMA.sqlmig_history.",
        show_default=False,
    ),
]
SchemasQuery = Annotated[
    str | None,
    typer.Option(
        "--schemas-query",
        metavar="SQL",
        help="As --schemas, with the names from the first column of SQL run on --url.",
        show_default=False,
    ),
]
Parallel = Annotated[
    int | None,
    typer.Option(
        "--parallel",
        min=1,
        max=256,
        metavar="N",
        help="Fleet: run N targets at a time, each in its own process. Default: 4.",
        show_default=False,
    ),
]
FailFast = Annotated[
    bool,
    typer.Option("--fail-fast", help="Fleet: start no more targets after one fails."),
]
ShardSpec = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help="Fleet: run only this shard's targets (stable hash). Default: from "
        "JOB_COMPLETION_INDEX and JOB_COMPLETIONS when set.",
        show_default=False,
    ),
]
VALUE_OPTIONS = (
    "--targets",
    "--url-template",
    "--schemas",
    "--schemas-query",
    "--parallel",
    "--shard",
)
FLAGS = ("--fail-fast",)

"""The schema, verify, lint, diff, squash and transpile commands; their packages (and sqlglot)
are imported only when one of them runs."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import UsageError
from .app import app
from .options import ScratchPrefix, ScratchUrl, scratch_flags
from .runner import run

if TYPE_CHECKING:
    from ..events import Notify
    from ..schema.desired import Source

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
    from ..schema.commands import dump_schema

    as_json = ctx.obj.as_json
    run(ctx, lambda cfg, n: dump_schema(cfg, output=output, as_json=as_json))


@app.command()
def verify(
    ctx: typer.Context,
    scratch_url: ScratchUrl = None,
    from_: Annotated[
        int | None, typer.Option("--from", help="Check migrations from this version on.")
    ] = None,
    scratch_prefix: ScratchPrefix = None,
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help="Fill every table with generated rows before each up; fail a down that loses "
            "rows or column values.",
        ),
    ] = False,
    data_rows: Annotated[
        int | None,
        typer.Option(
            "--data-rows",
            min=1,
            max=1000,
            help="Rows per table for --data (implies --data). Default: 4.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check on a scratch database that every down undoes its up and every up can run again.

    For each migration: snapshot, up, snapshot, down, snapshot, up. Exit 1 on any problem.
    --data: the same with generated rows in the tables, compared after the down.

    Example: sqlmig verify --data
    """
    from ..schema.commands import verify as run_verify

    scratch_flags(ctx, scratch_prefix)
    rows = data_rows if data_rows is not None else 4 if data else None
    run(
        ctx,
        lambda cfg, n: run_verify(
            cfg, scratch_url=scratch_url, start=from_, notify=n, data_rows=rows
        ),
        exit_code=lambda result: 0 if result.ok else 1,
    )


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
            help="postgres, sqlite, mysql or mariadb (MySQL files, MariaDB's behaviour). "
            "Default: `dialect` in sqlmig.toml, else the URL's scheme, else postgres.",
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
    changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="Only the .sql files git says changed (committed, uncommitted, untracked) "
            "since the merge base with --base.",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="REF",
            help="With --changed: the branch, tag or commit to compare with. Default: the "
            "first of origin/HEAD, origin/main, origin/master, main, master.",
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Lint every file again; neither read nor write the cache."),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Where to keep the cache. Default: `lint_cache_dir` in sqlmig.toml, else "
            ".sqlmig_cache/ beside sqlmig.toml (or at the git work tree's root).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find dangerous and broken statements in migration files; exit 1 on any error.

    Example: sqlmig lint --dialect postgres --format github migrations/
    """
    from ..lint import commands as lint_commands

    if explain:
        run(ctx, lambda cfg, n: lint_commands.explain_result(explain))
        return
    run(
        ctx,
        lambda cfg, n: lint_commands.lint_result(
            lint_commands.lint(
                cfg,
                paths=paths or (),
                dialect=dialect,
                select=_split_names(select),
                ignore=_split_names(ignore),
                pg_version=pg_version,
                changed=changed,
                base=base,
                cache=not no_cache,
                cache_dir=cache_dir,
            ),
            fmt,
            as_json=ctx.obj.as_json,
            colour=_colour_stdout(),
        ),
        exit_code=lambda result: 0 if result.ok else 1,
    )


def _colour_stdout() -> bool:
    import sys

    from ..config import colour

    return colour(sys.stdout)


def _split_names(values: list[str] | None) -> list[str]:
    """`--select a,b --select c` -> [a, b, c]."""
    return [name for value in values or [] for name in value.split(",") if name.strip()]


@app.command()
def diff(
    ctx: typer.Context,
    desired: Annotated[
        Path | None,
        typer.Argument(
            help="The schema you want, as SQL. Default: ./schema.sql.", show_default=False
        ),
    ] = None,
    from_models: Annotated[
        str | None,
        typer.Option(
            "--from-models",
            metavar="MODULE:ATTR",
            help="Take the schema from SQLAlchemy models instead: a MetaData, a declarative "
            "base or a Flask-SQLAlchemy db, e.g. myapp.models:Base (needs sqlmig[sqlalchemy]).",
        ),
    ] = None,
    from_django: Annotated[
        str | None,
        typer.Option(
            "--from-django",
            metavar="APP[,APP]",
            help="Instead of schema.sql: the SQL Django writes for these apps' models "
            "(DJANGO_SETTINGS_MODULE names the settings; needs sqlmig[django]).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the migrations do not build it."),
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="Name of the migration to write.")
    ] = "schema_diff",
    scratch_url: ScratchUrl = None,
    scratch_prefix: ScratchPrefix = None,
) -> None:
    """Write the next migration pair that turns what the migrations build into schema.sql
    (or into what --from-models' SQLAlchemy models make).

    Both schemas are built on one scratch database, one after the other; the generated up and
    down are tried there too.
    Statements that may lose data are marked `-- sqlmig:review`.

    --from-django APP[,APP]: the models of those apps (and the models they point at) are the
    schema, as Django's schema editor writes it for the URL's database.

    Example: sqlmig diff schema.sql --check; sqlmig diff --from-models myapp.models:Base
    """
    from ..schema.commands import diff as run_diff

    scratch_flags(ctx, scratch_prefix)

    def action(cfg: Any, notify: Any) -> Any:
        source = _desired(desired, from_models, from_django, notify)
        result = run_diff(cfg, desired=source, check=check, name=name, scratch_url=scratch_url)
        if ctx.obj.as_json and hasattr(source, "warnings"):  # not on stderr: in the document
            result.messages[:0] = source.warnings()
        return result

    run(ctx, action, exit_code=lambda result: 0 if result.ok else 1)


def _desired(
    schema: Path | None, models: str | None, django: str | None, notify: "Notify | None"
) -> "Source":
    """The schema file, or the models of --from-models (their Python-side defaults said as
    warnings) or --from-django; each integration is imported only when it is asked for."""
    from ..schema.desired import SchemaFile

    given = [
        f"{label} {value}"
        for label, value in (("", schema), ("--from-models", models), ("--from-django", django))
        if value is not None
    ]
    if len(given) > 1:
        raise UsageError(
            f"diff takes one desired schema; given: {', '.join(g.strip() for g in given)}",
            hint="name one: the schema file, --from-models or --from-django",
        )
    if django is not None:
        from ..django.source import DjangoSource, parse_apps

        return DjangoSource(parse_apps(django), notify=notify)
    if models is None:
        return SchemaFile(schema or Path("schema.sql"))
    from ..events import Event
    from ..models_sqlalchemy import load

    source = load(models)
    for line in source.warnings() if notify else ():
        notify(Event("models_warning", line, level="warning"))
    return source


@app.command()
def squash(
    ctx: typer.Context,
    to: Annotated[
        int, typer.Option("--to", metavar="V", help="The newest migration the squash replaces.")
    ],
    name: Annotated[
        str, typer.Option("--name", help="Name of the squash file: V_NAME.up.sql.")
    ] = "squashed",
    scratch_url: ScratchUrl = None,
    scratch_prefix: ScratchPrefix = None,
) -> None:
    """Write one migration pair, V_NAME.up.sql/.down.sql, that builds what 0001..V build.

    The migrations are built on a scratch database of the URL's kind and the schema dumped;
    the dump is built again and compared object by object (and its down with an empty
    database): nothing is written when they differ. A fresh database runs the squash file
    instead of 0001..V; a database whose history has them keeps it and skips the squash.
    Statements of 0001..V that write rows (INSERT, UPDATE, DELETE, COPY) are listed.

    Example: sqlmig squash --to 50
    """
    from ..squash import squash as run_squash

    scratch_flags(ctx, scratch_prefix)
    run(ctx, lambda cfg, n: run_squash(cfg, to=to, name=name, scratch_url=scratch_url, notify=n))


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
    from ..transpile.command import run as run_transpile

    run(
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


# -- convert (another tool's folder into sqlmig's layout) -------------------------------------


@app.command()
def convert(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The folder to convert.")],
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="FORMAT",
            help="Its format: golang-migrate, dbmate, goose, flyway, diesel, prisma or popx.",
        ),
    ],
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="OUTDIR",
            help="Where to write sqlmig's files (new or empty). Default: --dir (./migrations).",
            show_default=False,
        ),
    ] = None,
    dialect: Annotated[
        str | None,
        typer.Option(
            "--dialect",
            metavar="DIALECT",
            help="popx: whose files to write (postgres, mysql, sqlite). Default: the URL's.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write another tool's migration folder once in sqlmig's NNNN_name.up.sql layout.

    Versions are kept, names made sqlmig names (a table shows what changed); an existing file
    is never overwritten (then nothing is written). Each up file keeps the checksum its
    migration has when sqlmig reads the old folder natively.

    Example: sqlmig convert --from dbmate db/migrations --to migrations
    """
    from ..formats.convert import convert as run_convert

    def action(cfg, _n):  # type: ignore[no-untyped-def]
        from ..urls import parse_url

        kind = dialect or (parse_url(cfg.url).driver if cfg.url else None)
        return run_convert(directory, from_.lower(), to or cfg.dir, dialect=kind)

    run(ctx, action)

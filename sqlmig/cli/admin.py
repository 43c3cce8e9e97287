"""`sqlmig create`, the database itself; `check --base` and `renumber`, the files against git."""

from typing import Annotated

import typer

from ..results import Result
from .app import app
from .runner import run


@app.command()
def create(ctx: typer.Context) -> None:
    """Create the database the URL names (PostgreSQL, MySQL/MariaDB) or the SQLite file.

    Exit 0 when it already exists, so it can run at every start.

    Example: sqlmig --url postgresql://app@localhost/app create && sqlmig up
    """
    run(ctx, lambda cfg, _n: _create(cfg.require_url()))


def _create(raw_url: str) -> Result:
    from ..drivers.createdb import create_database
    from ..urls import parse_url

    url = parse_url(raw_url)
    name, created = create_database(url)
    what = "SQLite database" if url.driver == "sqlite" else "database"
    text = f"created {what} {name!r}" if created else f"{what} {name!r} already exists"
    entry = {"database": name, "created": created}
    return Result(command="create", messages=[text], entries=[entry])


# -- merge safety (git) -----------------------------------------------------------------------


@app.command()
def check(
    ctx: typer.Context,
    base: Annotated[
        str,
        typer.Option(
            "--base", metavar="REF", help="The branch (tag, commit) this one merges into."
        ),
    ],
) -> None:
    """Check with git that this branch's migrations merge cleanly into --base; exit 1 if not.

    Fails, naming each file, when the branch adds a version the base also has (another file),
    adds one numbered below the base's newest, or edits or deletes a file that is on the base.
    Reads only files: no database.

    Example: sqlmig check --base origin/main
    """
    from ..merges import check as run_check

    run(ctx, lambda cfg, n: run_check(cfg.dir, base), exit_code=lambda r: 0 if r.ok else 1)


@app.command()
def renumber(
    ctx: typer.Context,
    base: Annotated[
        str,
        typer.Option("--base", metavar="REF", help="The branch this one merges into."),
    ] = "main",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the renames; change nothing.")
    ] = False,
) -> None:
    """Rename this branch's new migrations (up and down) after the base's newest version.

    Their order is kept (goose's `fix`). Commit the renamed files.

    Example: sqlmig renumber --base origin/main --dry-run
    """
    from ..merges import renumber as run_renumber

    run(ctx, lambda cfg, n: run_renumber(cfg.dir, base, dry_run=dry_run))

"""`sqlmig create`: the database itself, before there is anything to migrate."""

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

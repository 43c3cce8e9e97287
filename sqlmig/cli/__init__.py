"""The `sqlmig` command line: parse options, build a Config, make one library call, render.

`runner.run` is the only place that catches SqlmigError and turns it into a message and an
exit code. app.py holds the typer app, its global options and `main`; core.py the migration
commands; tools.py the schema, lint, diff and transpile commands, which import their packages
(and sqlglot) only when they run.
"""

from . import admin, core, tools  # noqa: F401 - importing them registers their commands on the app
from .app import app, main

__all__ = ["app", "main"]

"""The `sqlmig` command line: parse options, build a Config, make one library call, render.

`runner.run` is the only place that catches SqlmigError and turns it into a message and an
exit code. app.py holds the typer app, its global options and `main`; core.py the migration
commands; admin.py `create`; tools.py the schema, lint, diff and transpile commands, which
import their packages (and sqlglot) only when they run; help.py the plain `--help` text.
Nothing is imported until it is needed: `sqlmig --version` answers without importing typer.
"""

import sys
from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # the common case, answered without typer (~40 ms)
        from .. import __version__

        print(f"sqlmig {__version__}")
        sys.exit(0)
    _load().main()


def _load() -> Any:
    """The app module, with every command registered on the app."""
    from importlib import import_module

    module = import_module(f"{__name__}.app")
    for name in ("admin", "core", "tools", "live"):  # importing them registers their commands
        import_module(f"{__name__}.{name}")
    module.plain_help()
    globals()["app"] = module.app  # `sqlmig.cli.app` is the typer app, as before, not the module
    return module


def __getattr__(name: str) -> Any:
    if name == "app":
        return _load().app
    raise AttributeError(name)

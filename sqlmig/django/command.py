"""`python manage.py sqlmig ARGS...`: sqlmig's command line, in the Django process, with the URL
of DATABASES['default'] and the folder SQLMIG_DIR (default BASE_DIR/migrations_sql)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .databases import url_of

# Django's own options, which manage.py has applied before the command runs
_DJANGO = ("--settings", "--pythonpath")


def given(args: Sequence[str], *names: str) -> bool:
    """Whether one of the options `names` is among `args` (`--url X`, `--url=X`, `-u X`)."""
    return any(a in names or a.startswith(tuple(f"{n}=" for n in names if n[1] == "-"))
               for a in args)  # fmt: skip


def without_django_options(args: Sequence[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in _DJANGO:
            skip = True
        elif not arg.startswith(tuple(f"{o}=" for o in _DJANGO)):
            out.append(arg)
    return out


def argv(args: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """sqlmig's arguments: the user's, after --url and --dir from the Django settings where
    neither the arguments nor the environment give them."""
    from django.conf import settings
    from django.db import connections

    args = without_django_options(args)
    if not args or given(args, "--help", "-h", "--version"):
        return args  # help needs no database, and answers even where DATABASES is wrong
    extra: list[str] = []
    url_given = any(environ.get(k) for k in ("SQLMIG_URL", "SQLMIG_URL_FILE"))
    if not given(args, "--url", "-u") and not url_given:
        extra += ["--url", url_of(_vendor(connections), connections.settings["default"])]
    if not given(args, "--dir", "-d") and not environ.get("SQLMIG_DIR"):
        extra += ["--dir", shown(folder(settings))]
    return [*extra, *args]


def _vendor(connections: object) -> str:
    """The vendor of DATABASES['default'] (its backend loaded, no connection made)."""
    from ..errors import UsageError

    try:
        return connections["default"].vendor  # type: ignore[index]
    except Exception as exc:  # ImproperlyConfigured: a driver missing, an ENGINE mistyped
        raise UsageError(
            f"Django cannot load DATABASES['default']: {exc}",
            hint="install the driver its ENGINE needs, or give sqlmig --url",
        ) from None


def folder(settings: object) -> Path:
    """settings.SQLMIG_DIR, else migrations_sql/ in BASE_DIR (startproject's), else in cwd."""
    configured = getattr(settings, "SQLMIG_DIR", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "BASE_DIR", None) or os.getcwd()) / "migrations_sql"


def shown(path: Path) -> str:
    """The folder relative to the current one where it is inside it (sqlmig init writes it
    into sqlmig.toml)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(args: Sequence[str]) -> int:
    """Run sqlmig with `args` as its command line; its exit code."""
    from ..cli import main
    from ..errors import SqlmigError

    saved = sys.argv
    try:
        sys.argv = ["sqlmig", *argv(args, os.environ)]
    except SqlmigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0

"""`sqlmig diff --from-django APP[,APP]`: the desired schema is the SQL Django's schema editor
writes to create those apps' models, for the server of the scratch database."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConnectError, MigrationFailed, UsageError
from ..events import Event, Notify
from .databases import ENGINES, VENDORS, entry_of
from .models import models_of, not_carried

INSTALL = "pip install 'sqlmig[django]'"
ALIAS = "sqlmig_scratch"


@dataclass(frozen=True)
class DjangoSource:
    """The models of Django apps, by label; `scratch` is the URL `diff` builds them on."""

    apps: tuple[str, ...]
    notify: Notify | None = None
    scratch: str | None = None

    @property
    def label(self) -> str:
        return f"django:{','.join(self.apps)}"

    @property
    def title(self) -> str:
        return f"the Django models of {', '.join(self.apps)}"

    def on_scratch(self, url: str) -> DjangoSource:
        return replace(self, scratch=url)

    def sql(self, dialect: str) -> str:
        if self.scratch is None:
            raise ValueError("DjangoSource.sql before on_scratch()")  # diff binds it first
        setup()
        models = models_of(self.apps)
        engine = engine_for(dialect, self.apps)
        for line in not_carried(models, dialect):
            if self.notify:
                self.notify(Event("model_not_carried", f"warning: {line}", level="warning"))
        return "\n".join(collect(models, engine, self.scratch)) + "\n"

    def explain(self, exc: MigrationFailed) -> MigrationFailed:
        hint = (
            f"the SQL is what Django's schema editor writes for {', '.join(self.apps)} on this "
            "server (create_model of each model): a field or option this server lacks (an "
            "extension's type) fails here as it would under `manage.py migrate`"
        )
        return MigrationFailed(str(exc), hint=hint)


def parse_apps(value: str) -> tuple[str, ...]:
    """`books,auth` -> ("books", "auth"); UsageError for an empty list."""
    labels = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    if not labels:
        raise UsageError("--from-django names no app", hint="e.g. --from-django books,auth")
    return labels


def setup() -> None:
    """Django imported and set up from DJANGO_SETTINGS_MODULE (already, under manage.py)."""
    try:
        import django
        from django.apps import apps
    except ImportError:
        raise UsageError(
            "--from-django needs Django, which is not installed", hint=INSTALL
        ) from None
    if apps.ready:
        return  # `python manage.py sqlmig`: the project set Django up
    # Django's own variable, read here only to say what is wrong with it
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if not module:
        raise UsageError(
            "--from-django needs DJANGO_SETTINGS_MODULE, which is not set",
            hint="set it to your settings module (DJANGO_SETTINGS_MODULE=mysite.settings) and run "
            "from the folder of manage.py, or run `python manage.py sqlmig diff --from-django ...`",
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as manage.py puts its own folder there
    try:
        django.setup()
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(f"{exc.name}.")):
            raise UsageError(
                f"DJANGO_SETTINGS_MODULE={module} cannot be imported from {os.getcwd()}",
                hint="run from the folder that holds the settings package (where manage.py is), "
                "or correct the module name",
            ) from None
        raise _failed(exc) from None
    except Exception as exc:  # the project's settings and models are code: anything can fail
        raise _failed(exc) from None


def _failed(exc: Exception) -> UsageError:
    return UsageError(
        f"Django did not start: {type(exc).__name__}: {exc}",
        hint="`python manage.py check` shows the same error; fix it, then run sqlmig again",
    )


def engine_for(dialect: str, apps: tuple[str, ...]) -> str:
    """The ENGINE of DATABASES['default'] (PostGIS and the like keep theirs); UsageError when
    it is of another vendor than sqlmig's URL: the models are written for their database."""
    from django.db import connections

    _mysqldb()
    engine = connections.settings["default"].get("ENGINE") or ""
    if engine in ("", "django.db.backends.dummy"):
        return ENGINES[dialect]  # no database configured: Django's own backend for the URL's
    try:
        vendor = connections["default"].vendor  # loads the backend; does not connect
    except Exception as exc:
        raise UsageError(
            f"Django cannot load DATABASES['default'] ENGINE {engine}: {exc}",
            hint="install the driver the ENGINE needs, or fix the ENGINE",
        ) from None
    if vendor != VENDORS[dialect]:
        wanted = {"sqlite": "sqlite:///", "postgresql": "postgresql://", "mysql": "mysql://"}
        raise UsageError(
            f"DATABASES['default'] is {vendor} ({engine}) and sqlmig's URL is {dialect}: "
            f"Django's SQL for {', '.join(apps)} is written for {vendor}",
            hint=f"give a {wanted.get(vendor, vendor)} URL (--url), or run `python manage.py "
            "sqlmig ...`, which takes the URL from DATABASES['default']",
        )
    return engine


def _mysqldb() -> None:
    """Django's MySQL backend imports MySQLdb (mysqlclient). Where it is missing, PyMySQL (the
    driver of sqlmig's MySQL extra) stands in, as Django's MySQL notes allow: the schema
    editor only asks the server its version and quotes values."""
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        try:
            import pymysql
        except ImportError:
            return  # the backend's own error says what to install
        pymysql.install_as_MySQLdb()
        _alias_submodules(pymysql)


def _alias_submodules(pymysql: Any) -> None:
    """`install_as_MySQLdb` names only the package. Django then imports `MySQLdb.converters` and
    `MySQLdb.constants`, which Python loads again as new modules, and the new `err` replaces
    `pymysql.err`: afterwards `except pymysql.err.OperationalError` no longer catches what the
    driver raises (seen in this process's tests). Naming each loaded submodule under MySQLdb too
    makes those imports find the modules PyMySQL already has."""
    import importlib

    for sub in ("err", "converters", "constants", "constants.CLIENT", "constants.FIELD_TYPE"):
        importlib.import_module(f"pymysql.{sub}")
    for name, module in list(sys.modules.items()):
        if name.startswith("pymysql."):
            sys.modules.setdefault("MySQLdb." + name.removeprefix("pymysql."), module)


def collect(models: list[Any], engine: str, url: str) -> list[str]:
    """The statements `schema_editor(collect_sql=True)` gathers for `create_model` of each
    model, on a connection of its own to the scratch database.

    The scratch database, not the project's: Django asks the server for its version and
    features (MariaDB or MySQL, which release) and these decide the SQL, so it must be the
    server the SQL then runs on; nothing there is the user's, and it exists even before the
    project's database does. Nothing is executed through it (collect_sql)."""
    from django.db import DatabaseError, connections
    from django.db.utils import load_backend

    entry = connections.configure_settings({"default": {"ENGINE": engine, **entry_of(url)}})
    wrapper = load_backend(engine).DatabaseWrapper(entry["default"], alias=ALIAS)
    try:
        with wrapper.schema_editor(collect_sql=True, atomic=False) as editor:
            for model in models:
                editor.create_model(model)
        return list(editor.collected_sql)
    except DatabaseError as exc:
        raise ConnectError(
            f"Django could not use the scratch database: {exc}",
            hint="the scratch database is made from --url (or --scratch-url): check that it "
            "answers, as `sqlmig diff` does without --from-django",
        ) from None
    finally:
        wrapper.close()

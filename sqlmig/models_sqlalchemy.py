"""`diff --from-models MODULE:ATTR`: the schema SQLAlchemy models make, as the DDL SQLAlchemy's
own compiler emits for the scratch database's dialect."""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from .errors import MigrationFailed, UsageError

INSTALL = "pip install 'sqlmig[sqlalchemy]'"
# sqlmig's dialect -> the URL SQLAlchemy's mock engine takes (no driver is imported)
DIALECT_URLS = {"postgres": "postgresql://", "mysql": "mysql://", "sqlite": "sqlite://"}
SPEC_HINT = "name a module and, after a colon, its MetaData or declarative base: myapp.models:Base"
_NOT_IN_SQL = {
    ("default",): "the SQL has no default (server_default= puts one there)",
    ("onupdate",): "the SQL has no ON UPDATE (a trigger can do it)",
    ("default", "onupdate"): "the SQL has neither (server_default= puts a default there; "
    "an update needs a trigger)",
}
_AT_LINE = re.compile(r":(\d+):")  # the line in the SQL, after the label, when one is given


@dataclass(frozen=True)
class ModelsSource:
    """The models' tables (a MetaData), as `diff` builds them on its scratch database."""

    metadata: Any
    label: str
    # the SQL last given for each dialect, to name the statement a failure is in
    _made: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def title(self) -> str:
        return self.label

    def sql(self, dialect: str) -> str:
        text = ddl(self.metadata, dialect, self.label)
        self._made[dialect] = text
        return text

    def explain(self, exc: MigrationFailed) -> MigrationFailed:
        dialect, text = next(iter(self._made.items()), ("", ""))
        found = _AT_LINE.match(exc.message[len(self.label) :])
        at = ""
        if found and text:
            lines = text.splitlines()
            line = min(int(found[1]), len(lines))
            start = next(i for i in range(line - 1, -1, -1) if i == 0 or not lines[i - 1])
            at = f" (in `{lines[start].strip()}`)"
        return MigrationFailed(
            f"{exc.message}{at}",
            hint=f"that is the DDL SQLAlchemy emits for {dialect} from {self.label}: change "
            "the model (a type or server_default this database does not take), then run "
            "sqlmig diff again",
        )

    def warnings(self) -> list[str]:
        """One line per column whose model says what the SQL cannot carry."""
        return python_side(self.metadata)


def load(spec: str) -> ModelsSource:
    """Import MODULE (the current folder first on sys.path, as Alembic and Flask do) and take
    its ATTR: a MetaData, a declarative base or a Flask-SQLAlchemy `db`."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"--from-models {spec!r} is not MODULE:ATTR", hint=SPEC_HINT)
    if module_name.endswith(".py") or module_name.startswith(".") or set("/\\") & set(module_name):
        dotted = module_name.removesuffix(".py").replace("\\", "/").strip("./").replace("/", ".")
        raise UsageError(
            f"--from-models {spec!r} names a file (or a relative module), not a module",
            hint=f"name the module, as Python imports it: --from-models {dotted}:{attr}",
        )
    _require_sqlalchemy()
    module = _import(module_name)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(
                f"module {module_name} has no {attr}",
                hint=f"{module.__file__} defines no {part}; {SPEC_HINT}",
            )
        obj = getattr(obj, part)
    return ModelsSource(metadata_of(obj, spec), spec)


def _require_sqlalchemy() -> None:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        raise UsageError(
            "--from-models needs SQLAlchemy, which is not installed", hint=INSTALL
        ) from None


def _import(name: str) -> Any:
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise UsageError(
                f"module {name} not found (looked in {here} and sys.path)",
                hint="run sqlmig from the folder that holds the package, or set PYTHONPATH",
            ) from None
        raise _import_failed(name, exc) from None
    except (Exception, SystemExit) as exc:  # sys.exit("SECRET_KEY not set") too: exit 2
        raise _import_failed(name, exc) from None


def _import_failed(name: str, exc: BaseException) -> UsageError:
    return UsageError(
        f"importing {name} failed: {_where(exc)}{type(exc).__name__}: {exc}",
        hint="fix that, then run the command again",
    )


def _where(exc: BaseException) -> str:
    """`file:line: ` of the user's code that raised: a SyntaxError's own place, else the
    innermost frame outside Python's and the installed packages' files."""
    import sysconfig
    import traceback

    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}: "
    libraries = (
        *{sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")},
        os.path.dirname(__file__),
    )  # sqlmig's own, wherever it is installed
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    own = [f for f in frames if not f.filename.startswith(libraries)] or frames
    return f"{own[-1].filename}:{own[-1].lineno}: " if own else ""


def metadata_of(obj: Any, spec: str) -> Any:
    """The MetaData of a MetaData, a declarative base, an ORM registry or a Flask-SQLAlchemy
    `db`."""
    from sqlalchemy import MetaData
    from sqlalchemy.orm import registry

    if isinstance(obj, MetaData):
        return obj
    found = getattr(obj, "metadata", None)
    holder = isinstance(obj, (type, registry)) or _is_flask_db(obj)
    if isinstance(found, MetaData) and holder:
        return found
    kind = type(obj).__name__ if not isinstance(obj, type) else f"class {obj.__name__}"
    article = "an" if kind[0].lower() in "aeiou" else "a"
    raise UsageError(
        f"{spec} is {article} {kind}, not a MetaData, a declarative base or a Flask-SQLAlchemy db",
        hint=SPEC_HINT,
    )


def _is_flask_db(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "flask_sqlalchemy"


def ddl(metadata: Any, dialect: str, label: str) -> str:
    """What `metadata.create_all()` would run on an empty database of `dialect`: types, enum
    types and sequences first where the dialect has them, tables in dependency order, then
    their indexes and DDL events."""
    from sqlalchemy import create_mock_engine
    from sqlalchemy.exc import SQLAlchemyError

    statements: list[str] = []

    def execute(element: Any, *_args: Any, **_kw: Any) -> None:
        statements.append(str(element.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(DIALECT_URLS[dialect], execute)
    try:
        metadata.create_all(engine, checkfirst=False)
    except SQLAlchemyError as exc:
        raise UsageError(
            f"SQLAlchemy cannot write {label}'s DDL for {dialect}: {exc}",
            hint="change the model so that it compiles for this database (a String needs a "
            "length on MySQL), then run sqlmig diff again",
        ) from None
    if not statements:
        raise UsageError(
            f"{label} has no tables",
            hint="import the modules that define the models in the module named (or name the "
            "base their classes use)",
        )
    return "".join(f"{s};\n\n" for s in [*_schemas(metadata, dialect, label), *statements])


def _schemas(metadata: Any, dialect: str, label: str) -> list[str]:
    """`CREATE SCHEMA` of the schemas the models' tables, sequences and enum types name
    (create_all takes them as there, the migrations must make them); on PostgreSQL only: a
    schema is another database on MySQL and an attached file on SQLite, which no migration
    makes."""
    tables = metadata.tables.values()
    named = [*tables, *getattr(metadata, "_sequences", {}).values()]
    if dialect == "postgres":  # an enum is a type of its own there, which may name a schema
        named += [column.type for table in tables for column in table.columns]
    schemas = sorted({item.schema for item in named if getattr(item, "schema", None)})
    if schemas and dialect != "postgres":
        raise UsageError(
            f"{label} puts tables in schema {schemas[0]}, which is another database on {dialect}",
            hint="drop schema= from the models (the database in the URL holds the tables), "
            "or migrate PostgreSQL",
        )
    quote = '"{}"'.format
    return [
        f"CREATE SCHEMA IF NOT EXISTS {quote(s.replace(chr(34), chr(34) * 2))}" for s in schemas
    ]


def python_side(metadata: Any) -> list[str]:
    """Columns whose default or onupdate SQLAlchemy applies in Python: not in the SQL."""
    lines = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            # a default= beside a server_default= is one the SQL has too: nothing to say
            default = None if column.server_default is not None else column.default
            said = [
                f"{what}={_shown(value.arg)}"
                for what, value in (("default", default), ("onupdate", column.onupdate))
                if value is not None and not getattr(value, "is_sequence", False)
            ]
            if said:
                lines.append(
                    f"warning: {table.name}.{column.name}: {' and '.join(said)} "
                    f"{'is' if len(said) == 1 else 'are'} applied by SQLAlchemy, not by the "
                    f"database: {_NOT_IN_SQL[tuple(s.split('=')[0] for s in said)]}"
                )
    return lines


def _shown(arg: Any) -> str:
    import enum

    from sqlalchemy.sql import ClauseElement

    if isinstance(arg, (ClauseElement, enum.Enum)):
        text = str(arg)
    elif callable(arg):
        name = getattr(arg, "__qualname__", None) or getattr(arg, "__name__", None)
        text = "<lambda>" if name and "<lambda>" in name else f"{name}()" if name else "a function"
    else:
        text = repr(arg)
    return text if len(text) <= 40 else text[:37] + "..."

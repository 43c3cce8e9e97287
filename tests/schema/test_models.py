"""`sqlmig diff --from-models`: examples/sqlalchemy's Author/Book models through diff on each
database (what the models say reaches the SQL), and the errors that name module and attribute."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.cli.helpers import Cli, describe, kind_of
from tests.conftest import ROOT, clean_env, sqlmig

EXAMPLE = ROOT / "examples" / "sqlalchemy"
MODELS = ("diff", "--from-models", "models:Base")

# What the example's models say, as the generated SQL must say it (` quotes read as ")
SAID = {
    "all": [
        '"name" {varchar}(100) NOT NULL',  # nullability
        '"age" {int},',
        '"created_at" {ts} DEFAULT CURRENT_TIMESTAMP NOT NULL',  # server_default=func.now()
        '"updated_at" {ts},',  # onupdate: Python-side, no default in the SQL
        '"ck_books_pages_positive" CHECK',  # the naming convention's name
        '"ix_books_title"',
        'REFERENCES "authors" ("id") ON DELETE CASCADE',
    ],
    "postgres": [
        "CREATE TYPE \"format\" AS ENUM ('hardcover', 'paperback', 'ebook')",
        "\"format\" format DEFAULT 'paperback'::format NOT NULL",
        "\"id\" integer DEFAULT nextval('books_id_seq'::regclass) NOT NULL",
        '"pages" integer DEFAULT 1 NOT NULL',
        'CONSTRAINT "pk_books" PRIMARY KEY ("id")',
        'CONSTRAINT "fk_books_author_id_authors" FOREIGN KEY ("author_id")',
    ],
    "mysql": [
        "\"format\" enum('hardcover','paperback','ebook') DEFAULT 'paperback' NOT NULL",
        '"id" int AUTO_INCREMENT NOT NULL',
        '"pages" int DEFAULT 1 NOT NULL',
        'CONSTRAINT "fk_books_author_id_authors" FOREIGN KEY ("author_id")',
    ],
    # SQLite keeps no name of a primary key, unique or foreign key constraint (README)
    "sqlite": [
        "\"format\" character varying(9) DEFAULT 'paperback' NOT NULL",
        '"id" integer NOT NULL',
        "\"pages\" integer DEFAULT '1' NOT NULL",
        'PRIMARY KEY ("id")',
    ],
}
TYPES = {
    "postgres": {"varchar": "character varying", "int": "integer", "ts": "timestamp without "
                 "time zone"},
    "mysql": {"varchar": "varchar", "int": "int", "ts": "datetime"},
    "sqlite": {"varchar": "character varying", "int": "integer", "ts": "datetime"},
}  # fmt: skip


def _example(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app)
    (app / "migrations").mkdir()
    return app


def _edit(models: Path, old: str, new: str) -> None:
    text = models.read_text("utf-8")
    assert old in text
    models.write_text(text.replace(old, new), "utf-8")


def test_the_author_book_example_from_models_to_migrations(
    db_url: str, other_url: str, tmp_path: Path
) -> None:
    app, kind = _example(tmp_path), kind_of(db_url)
    scratch = ("--scratch-url", other_url)  # one scratch database, not one made per diff

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = sqlmig("--url", db_url, *args, *(scratch if args[0] == "diff" else ()), cwd=app)
        assert proc.returncode == code, describe(proc)
        return proc

    first = run(*MODELS, "--name", "create_authors_and_books")
    assert first.stderr.count("warning:") == 1, first.stderr
    assert "warning: books.updated_at: onupdate=now() is applied by SQLAlchemy" in first.stderr
    up = (app / "migrations/0001_create_authors_and_books.up.sql").read_text("utf-8")
    up = up.replace("`", '"')
    for said in SAID["all"] + SAID[kind]:
        assert said.format(**TYPES[kind]) in up, f"{said!r} not in\n{up}"
    run("up")
    assert "diff: they agree" in run(*MODELS, "--check").stdout

    # step 2 of the example, and a rename: one pair adds isbn, drops + adds for review
    _edit(app / "models.py", "# isbn:", "isbn:")
    _edit(app / "models.py", "published_date", "published_on")
    if kind == "sqlite":  # --check's exit code is the same on every database: once
        red = run(*MODELS, "--check", code=1)
        assert "column books.isbn is only in models:Base" in red.stdout, describe(red)
        as_json = json.loads(run(*MODELS, "--check", "--json", code=1).stdout)
        warned = [m for m in as_json["messages"] if m.startswith("warning: books.updated_at")]
        assert len(warned) == 1, as_json  # on stderr without --json; in the document with it
    wrote = run(*MODELS, "--name", "add_isbn")  # writes only where they differ
    assert "wrote" in wrote.stdout and "0002_add_isbn.up.sql" in wrote.stdout, describe(wrote)
    added = (app / "migrations/0002_add_isbn.up.sql").read_text("utf-8").replace("`", '"')
    assert re.search(r'"isbn" (character varying|varchar)\(13\)', added), added
    assert re.search(r"-- sqlmig:review .*books\.published_date\b", added), added
    assert '"published_on" date' in added, added


def test_models_that_cannot_be_read_are_refused_naming_module_and_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmig.errors import UsageError
    from sqlmig.models_sqlalchemy import load

    module = f"models_{uuid.uuid4().hex[:8]}"  # imported in this process: a name of its own
    shutil.copy(EXAMPLE / "models.py", tmp_path / f"{module}.py")
    (tmp_path / f"broken_{module}.py").write_text(f"import {module}\n\nBase = 1 / 0\n", "utf-8")
    (tmp_path / f"exits_{module}.py").write_text("import sys\nsys.exit('no SECRET_KEY')\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    cases = {
        module: f"--from-models {module!r} is not MODULE:ATTR",
        f"./{module}.py:Base": f"'./{module}.py:Base' names a file (or a relative module)",
        f"nosuch.{module}:Base": f"module nosuch.{module} not found (looked in {tmp_path}",
        f"{module}:Nope": f"module {module} has no Nope",
        f"{module}:Format": f"{module}:Format is a class Format, not a MetaData, a declarative",
        f"{module}:NAMING": f"{module}:NAMING is a dict, not a MetaData",
        f"broken_{module}:Base": f"importing broken_{module} failed: {tmp_path}/broken_{module}"
        ".py:3: ZeroDivisionError: division by zero",
        f"exits_{module}:Base": f"importing exits_{module} failed: {tmp_path}/exits_{module}.py:2"
        ": SystemExit: no SECRET_KEY",
    }
    for spec, said in cases.items():
        with pytest.raises(UsageError) as caught:
            load(spec)
        assert said in caught.value.message
    source = load(f"{module}:Base.metadata")  # an attribute path
    assert sorted(source.metadata.tables) == ["authors", "books"]

    # the models import, but SQLAlchemy cannot write them for a dialect, or there are none
    (tmp_path / f"odd_{module}.py").write_text(
        "from sqlalchemy import Column, Integer, MetaData, String, Table\n"
        "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import registry\n"
        "engine = create_engine('sqlite://')\nmapped = registry(metadata=MetaData())\n"
        "none = MetaData()\nodd = MetaData()\nother = MetaData(schema='billing')\n"
        "Table('t', odd, Column('id', Integer, primary_key=True), Column('s', String))\n"
        "Table('t', other, Column('id', Integer, primary_key=True))\n"
        "Table('w', odd, Column('n', Integer, default=1, server_default='1'), "
        "Column('u', Integer, default=2))\n",
        "utf-8",
    )
    assert "CREATE TABLE t" in load(f"odd_{module}:odd").sql("postgres")
    # a default= the server_default= also puts in the SQL is not warned about
    assert [w.split(" is ")[0] for w in load(f"odd_{module}:odd").warnings()] == [
        "warning: w.u: default=2"
    ]
    with pytest.raises(UsageError, match="VARCHAR requires a length on dialect mysql"):
        load(f"odd_{module}:odd").sql("mysql")
    with pytest.raises(UsageError, match=f"odd_{module}:engine is an Engine, not a MetaData"):
        load(f"odd_{module}:engine")
    assert load(f"odd_{module}:mapped").metadata is load(f"odd_{module}:mapped.metadata").metadata
    with pytest.raises(UsageError, match="tables in schema billing, which is another database"):
        load(f"odd_{module}:other").sql("mysql")
    with pytest.raises(UsageError, match=f"odd_{module}:none has no tables"):
        load(f"odd_{module}:none").sql("sqlite")
    for name in (
        module,
        f"broken_{module}",
        f"exits_{module}",
        f"odd_{module}",
    ):  # names of this test's own
        sys.modules.pop(name, None)


def test_diff_refuses_a_file_and_models_and_says_what_to_install_without_sqlalchemy(
    sqlite_url: str, tmp_path: Path
) -> None:
    app = _example(tmp_path)
    cli = Cli(sqlite_url, app / "migrations")
    both = cli.argv("diff", "schema.sql", "--from-models", "models:Base")
    # without SQLAlchemy installed: the import fails as it would then
    code = "import sys; sys.modules['sqlalchemy'] = None\nfrom sqlmig.cli import main; main()"
    none = cli.argv("diff", "--from-models", "models:Base")
    procs = [
        subprocess.Popen([sys.executable, *argv], cwd=app, env=clean_env(), text=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for argv in (["-m", "sqlmig", *both], ["-c", code, *none])
    ]  # fmt: skip
    (_, both_err), (_, none_err) = (p.communicate(timeout=60) for p in procs)
    assert [p.returncode for p in procs] == [2, 2], both_err + none_err
    assert "diff takes one desired schema; given: schema.sql, --from-models models:Base" in both_err
    assert "--from-models needs SQLAlchemy, which is not installed" in none_err
    assert "hint: pip install 'sqlmig[sqlalchemy]'" in none_err
    assert list((app / "migrations").iterdir()) == []


SHAPES = """
import enum
from sqlalchemy import Enum, ForeignKey, Index, Sequence, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Mood(enum.Enum):
    happy = "happy"
    sad = "sad"


class Account(Base):  # in a schema of its own
    __tablename__ = "accounts"
    __table_args__ = {"schema": "billing"}
    id: Mapped[int] = mapped_column(Sequence("account_ids", schema="billing"), primary_key=True)
    mood: Mapped[Mood] = mapped_column(Enum(Mood, schema="types"))  # shared with orders
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", use_alter=True))


class Order(Base):  # a foreign key cycle with accounts
    __tablename__ = "orders"
    __table_args__ = (Index("ix_open", "account_id", postgresql_where=text("NOT closed")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing.accounts.id"))
    mood: Mapped[Mood] = mapped_column(Enum(Mood, schema="types"))
    closed: Mapped[bool] = mapped_column(server_default=text("false"))
    note: Mapped[str] = mapped_column(String(20), server_default="")
"""


def test_models_in_a_schema_of_their_own_shared_enum_and_fk_cycle(
    pg_url: str, pg_url_2: str, tmp_path: Path
) -> None:
    """The schema the models name is made by the migration (create_all takes it as there)."""
    scratch = ("--scratch-url", pg_url_2)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "shapes.py").write_text(SHAPES, "utf-8")
    cli = Cli(pg_url, tmp_path / "migrations")
    # a model PostgreSQL does not take: the statement it is in is named, by its line
    odd = SHAPES.replace('server_default=""', 'server_default=text("nope(")')
    (tmp_path / "odd.py").write_text(odd, "utf-8")
    proc = cli("diff", "--from-models", "odd:Base", *scratch)
    assert proc.returncode == 1, describe(proc)
    assert re.search(r"odd:Base:\d+:\d+: syntax error .* \(in `CREATE TABLE orders", proc.stderr)
    cli.ok("diff", "--from-models", "shapes:Base", "--name", "billing", *scratch)
    up = (tmp_path / "migrations/0001_billing.up.sql").read_text("utf-8")
    assert up.index('CREATE SCHEMA "billing"') < up.index('CREATE TABLE "billing"."accounts"')
    for args in (("up",), ("down", "--yes"), ("up",)):  # applies, reverts, applies again
        cli.ok(*args)
    assert (
        "diff: they agree"
        in cli.ok("diff", "--from-models", "shapes:Base", "--check", *scratch).stdout
    )

"""`flask sqlmig ...` on examples/flask: init, migrate, upgrade, the password_hash change,
downgrade and history, in real `flask` processes on each database; and the URL translation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import describe, kind_of
from tests.conftest import ROOT, clean_env, query

EXAMPLE = ROOT / "examples" / "flask"
DRIVERS = {"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql", "sqlite": "sqlite"}


def _entry_point(folder: Path) -> Path:
    """sqlmig's flask.commands entry point as pyproject.toml declares it, in a dist-info that
    comes first on PYTHONPATH: the venv's metadata is that of the checkout it was installed
    from, which may predate it. The wheel's own is checked by tests/containers/test_package."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    meta = folder / f"sqlmig-{project['version']}.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: sqlmig\nVersion: {project['version']}\n", "utf-8"
    )
    points = project["entry-points"]["flask.commands"]
    lines = "".join(f"{name} = {target}\n" for name, target in points.items())
    (meta / "entry_points.txt").write_text(f"[flask.commands]\n{lines}", "utf-8")
    return folder


def _sqlalchemy_url(url: str) -> str:
    """The test database's URL as a Flask app's SQLALCHEMY_DATABASE_URI names it."""
    return DRIVERS[kind_of(url)] + url[url.index(":") :]


def test_the_flask_example_migrate_upgrade_downgrade_history(any_url: str, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app)
    path = os.pathsep.join([str(ROOT), str(_entry_point(tmp_path / "meta"))])
    env = clean_env({"PYTHONPATH": path, "FLASK_SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(any_url)})

    def flask(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "sqlmig", *args],
                              cwd=app, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
        assert proc.returncode == code, describe(proc)
        return proc

    def columns() -> list[str]:
        sql = "SELECT * FROM users WHERE 1 = 0"
        if kind_of(any_url) == "sqlite":
            return [r[1] for r in query(any_url, "SELECT * FROM pragma_table_info('users')")]
        if kind_of(any_url) == "mysql":
            sql = "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
            sql += "AND table_schema = DATABASE() ORDER BY ordinal_position"
            return [r[0] for r in query(any_url, sql)]
        sql = "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
        return [r[0] for r in query(any_url, sql + "ORDER BY ordinal_position")]

    if kind_of(any_url) == "sqlite":  # init touches no database: once is enough
        missing = flask("upgrade", code=2)  # its hint's --dir is an option of flask sqlmig too
        assert "point --dir / SQLMIG_DIR at your migrations" in missing.stderr, describe(missing)
        assert (
            "migrations folder elsewhere does not exist"
            in flask("upgrade", "--dir", "elsewhere", code=2).stderr
        )
        init = flask("init")
        assert "the database URL comes from SQLALCHEMY_DATABASE_URI" in init.stdout
    else:
        (app / "migrations").mkdir()
    assert "wrote" in flask("migrate", "-m", "create users").stdout
    up = (app / "migrations/0001_create_users.up.sql").read_text("utf-8").replace("`", '"')
    assert 'UNIQUE ("username")' in up and 'UNIQUE ("email")' in up, up

    models = app / "app.py"
    models.write_text(models.read_text("utf-8").replace("# password_hash:", "password_hash:"))
    if kind_of(any_url) == "sqlite":  # the CI check, as `flask db check`: once
        scratch = f"sqlite:///{tmp_path / 'scratch.db'}"  # no database made: this one is used
        red = flask("check", "--scratch-url", scratch, code=1)
        assert (tmp_path / "scratch.db").is_file()
        assert "column users.password_hash is only in the app's models" in red.stdout, red.stdout
    flask("migrate", "-m", "add password hash")
    added = (app / "migrations/0002_add_password_hash.up.sql").read_text("utf-8")
    assert "password_hash" in added and "(128)" in added, added
    assert "now at 0002_add_password_hash" in flask("upgrade", "head").stdout  # as `flask db`
    assert columns() == ["id", "username", "email", "password_hash"]
    assert "now at 0001_create_users" in flask("downgrade").stdout
    assert columns() == ["id", "username", "email"]
    if kind_of(any_url) == "sqlite":
        wrong = flask("upgrade", "tip", code=2)
        assert "'tip' is neither a version number (such as 3) nor 'head'" in wrong.stderr, wrong
        flask("downgrade", "base")  # every applied one, as `flask db downgrade base`
        assert "users" not in [r[0] for r in query(any_url, "SELECT name FROM sqlite_master")]
        flask("upgrade", "1")
        assert columns() == ["id", "username", "email"]
    if kind_of(any_url) != "sqlite":
        return  # history is sqlmig's, the same call on every database: read once
    events = [line.split()[2:4] for line in flask("history").stdout.splitlines()]
    assert events == [["up", "0001_create_users"], ["up", "0002_add_password_hash"],
                      ["down", "0002_add_password_hash"], ["down", "0001_create_users"],
                      ["up", "0001_create_users"]]  # fmt: skip
    flask("new", "seed admin user")  # a pair to write by hand
    assert (app / "migrations/0003_seed_admin_user.up.sql").is_file()


def test_sqlalchemy_urls_become_sqlmig_urls_and_others_are_refused() -> None:
    from sqlalchemy.engine import make_url

    from sqlmig.errors import UsageError
    from sqlmig.flask_cli import sqlmig_url
    from sqlmig.urls import parse_url

    cases = {
        "postgresql+psycopg://app:p%40ss@db:5433/app?sslmode=require":
            "postgresql://app:p%40ss@db:5433/app?sslmode=require",
        "postgresql://app@db/app": "postgresql://app@db/app",
        "mysql+pymysql://root@db/app?charset=utf8mb4": "mysql://root@db/app?charset=utf8mb4",
        "mariadb+pymysql://root@db/app": "mariadb://root@db/app",
        "sqlite:///relative.db": "sqlite:///relative.db",
        "sqlite:////srv/app/app.db": "sqlite:////srv/app/app.db",
        # the URI form Flask-SQLAlchemy supports: the file, not a path starting with file:
        "sqlite:///file:/srv/app/my%20app.db?mode=rwc&uri=true": "sqlite:////srv/app/my app.db",
        "sqlite:///file:///srv/app/app.db?uri=true": "sqlite:////srv/app/app.db",
    }  # fmt: skip
    for given, want in cases.items():
        assert sqlmig_url(make_url(given)) == want
        assert parse_url(want).driver in ("postgres", "mysql", "sqlite")
    for given, said in (
        ("sqlite://", "an in-memory SQLite database"),
        ("sqlite:///file:app?mode=memory&cache=shared&uri=true", "an in-memory SQLite"),
        ("mssql+pyodbc://sa@db/app", "a mssql database; sqlmig migrates PostgreSQL"),
    ):
        with pytest.raises(UsageError, match=said):
            sqlmig_url(make_url(given))

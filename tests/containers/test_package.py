"""The package as `pip install sqlmig` gives it: `python -m build`, `twine check`, and the CLI
run from a wheel installed in a fresh virtual environment (its dependencies from the index, as a
user's pip resolves them), against SQLite, PostgreSQL and, with the `mysql` extra, MariaDB.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

import pytest

import sqlmig
from sqlmig import docs
from tests.conftest import ROOT, query, skip_or_fail

pytestmark = pytest.mark.timeout(600)  # a cold pip cache downloads the dependencies


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Venv:
    root: Path
    wheel: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def pip_install(self, *requirements: str) -> None:
        pip = [sys.executable, "-m", "pip", "--python", str(self.python), "install"]
        run([*pip, "--disable-pip-version-check", *requirements])

    def sqlmig(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Proc:
        argv = [str(self.root / "bin" / "sqlmig"), *args]
        return run(argv, cwd=cwd, env={**user_env(), **(env or {})}, check=False)


Proc = subprocess.CompletedProcess[str]


def user_env() -> dict[str, str]:
    """A user's shell: nothing that points into this checkout or at a database."""
    drop = ("PYTHONPATH", "DATABASE_URL", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SQLMIG_")
    } | {"COLUMNS": "200"}


def run(
    argv: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> Proc:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env if env is not None else user_env(),
        capture_output=True,
        text=True,
        timeout=480,
    )
    if check:
        assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc


def tracked_files() -> list[str]:
    """The files a fresh clone has (git's list), else what the Dockerfile copies."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        return [name for name in listed.stdout.split("\0") if name and (ROOT / name).is_file()]
    package = [p.relative_to(ROOT).as_posix() for p in (ROOT / "sqlmig").rglob("*.py")]
    return ["pyproject.toml", "README.md", *package]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """`python -m build` of a copy of the tracked files: sdist, then the wheel from the sdist."""
    if importlib.util.find_spec("build") is None or importlib.util.find_spec("twine") is None:
        skip_or_fail("build and twine are not installed: `make test` installs the dev extra")
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in tracked_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    run([sys.executable, "-m", "build", "--outdir", str(out), str(src)])
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return Dist(sdist, wheel)


@pytest.fixture(scope="module")
def venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A fresh virtual environment with the wheel installed, as `pip install sqlmig` does it."""
    root = tmp_path_factory.mktemp("venv")
    # without its own pip (ensurepip costs seconds): this pip installs into it with --python
    run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    installed = Venv(root, dist.wheel)
    installed.pip_install(str(dist.wheel))
    yield installed
    shutil.rmtree(root, ignore_errors=True)


def package_sources() -> set[str]:
    return {p for p in tracked_files() if p.startswith("sqlmig/") and p.endswith(".py")}


def test_twine_check_passes(dist: Dist) -> None:
    check = run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.sdist), str(dist.wheel)]
    )
    assert check.stdout.count("PASSED") == 2, check.stdout


def test_the_sdist_holds_the_package_and_its_docs_not_the_tests(dist: Dist) -> None:
    """Decided: the sdist builds the wheel; the test suite (servers, fixtures) stays in the repo."""
    with tarfile.open(dist.sdist) as tar:
        names = {name.partition("/")[2] for name in tar.getnames()}
    assert package_sources() <= names, package_sources() - names
    assert {"README.md", "LICENSE", "pyproject.toml", "PKG-INFO"} <= names
    outside = {n for n in names if n and not n.startswith(("sqlmig/", "sqlmig.egg-info"))}
    kept = {"README.md", "LICENSE", "pyproject.toml", "PKG-INFO", "setup.cfg", "sqlmig"}
    assert outside <= kept, outside


def test_the_wheel_holds_every_module_and_the_metadata(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as whl:
        names = set(whl.namelist())
        (meta_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        meta = HeaderParser().parsestr(whl.read(meta_name).decode())
        entry_points = whl.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert package_sources() == {n for n in names if n.endswith(".py")}
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    assert "sqlmig = sqlmig.cli:main" in entry_points
    assert "[flask.commands]\nsqlmig = sqlmig.flask_cli:group" in entry_points  # `flask sqlmig`
    assert meta["Name"] == "sqlmig" and meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["Description-Content-Type"] == "text/markdown"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Documentation"] == docs.URL
    assert meta["Version"] == sqlmig.__version__


def test_the_sections_that_hints_name_exist_in_the_readme() -> None:
    headings = {
        docs.section_url(m)
        for m in re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), re.M)
    }
    named = set()
    for path in (ROOT / "sqlmig").rglob("*.py"):
        text = path.read_text("utf-8")
        named |= set(re.findall(r"""docs\.(?:see|section_url)\(["']([^"']+)["']\)""", text))
    assert named, "no hint names a section"
    missing = {name for name in named if docs.section_url(name) not in headings}
    assert not missing, f"README.md has no heading for {missing}"


def user_flow(venv: Venv, project: Path, env: dict[str, str]) -> list[Proc]:
    """What a new user types: init, new, write the SQL, up, status."""
    project.mkdir()
    init = venv.sqlmig("init", cwd=project, env=env)
    assert init.returncode == 0, init.stderr
    assert (project / "sqlmig.toml").is_file() and (project / "migrations").is_dir()
    new = venv.sqlmig("new", "create users", cwd=project, env=env)
    assert new.returncode == 0, new.stderr
    up_file = project / "migrations" / "0001_create_users.up.sql"
    with up_file.open("a", encoding="utf-8") as f:
        f.write("CREATE TABLE users (id int PRIMARY KEY, email varchar(200) NOT NULL);\n")
    up = venv.sqlmig("up", cwd=project, env=env)
    status = venv.sqlmig("status", "--exit-code", cwd=project, env=env)
    return [init, new, up, status]


def assert_applied(procs: list[Proc], url: str) -> None:
    init, _, up, status = procs
    assert "see 'Configuration' in the sqlmig documentation" in init.stdout
    assert up.returncode == 0, up.stdout + up.stderr
    assert "now at 0001_create_users" in up.stdout
    assert status.returncode == 0, status.stdout + status.stderr
    assert re.search(r"^applied\s+0001_create_users\s", status.stdout, re.M), status.stdout
    assert query(url, "SELECT version, status FROM sqlmig_history") == [(1, "applied")]


def test_the_installed_wheel_is_what_runs(venv: Venv, tmp_path: Path) -> None:
    version = venv.sqlmig("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"sqlmig {sqlmig.__version__}", (
        version
    )
    where = run(
        [str(venv.python), "-c", "import sqlmig, sys; print(sqlmig.__file__, sys.prefix)"],
        cwd=tmp_path,
    ).stdout.split()
    assert where[0].startswith(str(venv.root / "lib")), where
    listed = run([sys.executable, "-m", "pip", "--python", str(venv.python), "list"]).stdout
    assert "pymysql" not in listed.lower(), "PyMySQL is an extra, not a dependency"


def test_init_new_up_status_on_sqlite_from_the_wheel(venv: Venv, tmp_path: Path) -> None:
    """`init` sets no URL (a mistyped one must not migrate a new file): the user gives one."""
    project = tmp_path / "project"
    procs = user_flow(venv, project, {"DATABASE_URL": "sqlite:///app.db"})
    assert_applied(procs, f"sqlite:///{project / 'app.db'}")


def test_init_new_up_status_on_postgres_from_the_wheel(
    venv: Venv, tmp_path: Path, pg_url: str
) -> None:
    """psycopg's binary wheel is a dependency: PostgreSQL works after a plain install."""
    procs = user_flow(venv, tmp_path / "project", {"DATABASE_URL": pg_url})
    assert_applied(procs, pg_url)


def test_mysql_needs_the_extra_and_works_with_it(
    venv: Venv, tmp_path: Path, mysql_url: str
) -> None:
    procs = user_flow(venv, tmp_path / "without", {"DATABASE_URL": mysql_url})
    up = procs[2]
    assert up.returncode == 2, up.stdout + up.stderr
    assert "MySQL/MariaDB support needs PyMySQL" in up.stderr
    assert "pip install 'sqlmig[mysql]'" in up.stderr
    venv.pip_install(f"sqlmig[mysql] @ {venv.wheel.as_uri()}")
    procs = user_flow(venv, tmp_path / "with", {"DATABASE_URL": mysql_url})
    assert_applied(procs, mysql_url)

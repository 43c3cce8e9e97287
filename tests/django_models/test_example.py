"""examples/django end to end through `python manage.py sqlmig` in its own process: the
bookshop's first migration and the isbn one generated from the models, applied, reverted,
applied again; `diff --check` red after a model change and green once it is applied; a renamed
field and the RENAME written instead."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, clean_env, query

EXAMPLE = ROOT / "examples" / "django"
ISBN = "    isbn = models.CharField(max_length=13, null=True)\n"
SECRET = "s3cret-Bookshop-pw"  # PostgreSQL's trust authentication takes it and ignores it


def _project(tmp_path: Path, url: str) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "bookshop"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    if url.startswith("postgresql://"):  # a password in the settings: never printed
        user, rest = url[len("postgresql://") :].split("@", 1)
        url = f"postgresql://{user}:{SECRET}@{rest}"
    return project, {"BOOKSHOP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def manage(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "manage.py", "sqlmig", *args],
        cwd=project,
        env=clean_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert SECRET not in proc.stdout + proc.stderr
    return proc


def _ok(proc: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert proc.returncode == code, f"{proc.args}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _has_isbn(url: str) -> bool:
    try:
        query(url, "SELECT isbn FROM books_book")
    except Exception:  # each driver's "no such column"
        return False
    return True


def test_the_bookshop_example(any_url: str, tmp_path: Path) -> None:
    """Generated, applied, reverted and applied again on each database; the --check verdicts
    do not differ by database, so SQLite alone gives them (and `init`, `up` of the rest)."""
    project, env = _project(tmp_path, any_url)
    folder = project / "migrations_sql"
    on_sqlite = any_url.startswith("sqlite")
    if on_sqlite:
        assert "created migrations_sql/" in _ok(manage(project, env, "init"))
    else:
        folder.mkdir()
    out = _ok(manage(project, env, "diff", "--from-django", "books", "--name", "create_books"))
    assert (
        "these foreign keys have no ON DELETE (the database refuses to delete a row that "
        "rows still point at): books.Book.author (CASCADE)\n" in out
    )
    _ok(manage(project, env, "up"))
    assert query(any_url, "SELECT count(*) FROM books_author") == [(0,)]

    models = project / "books" / "models.py"
    models.write_text(models.read_text("utf-8") + ISBN, "utf-8")
    if on_sqlite:
        red = manage(project, env, "diff", "--from-django", "books", "--check")
        assert "the migrations do not build django:books" in _ok(red, 1)
    _ok(manage(project, env, "diff", "--from-django", "books", "--name", "add_isbn"))
    up = (folder / "0002_add_isbn.up.sql").read_text("utf-8")
    assert "isbn" in up and "DROP" not in up, up
    _ok(manage(project, env, "up"))
    assert _has_isbn(any_url)
    _ok(manage(project, env, "down", "--yes"))
    assert not _has_isbn(any_url)
    _ok(manage(project, env, "up"))
    assert _has_isbn(any_url)
    assert sorted(p.name for p in folder.iterdir()) == [
        "0001_create_books.down.sql", "0001_create_books.up.sql",
        "0002_add_isbn.down.sql", "0002_add_isbn.up.sql",
    ]  # fmt: skip
    if on_sqlite:
        _renamed(project, env, models)


def _renamed(project: Path, env: dict[str, str], models: Path) -> None:
    """A renamed field is a dropped column, marked for review; the RENAME the README says to
    write instead is what the models want (--check green once it is applied)."""
    green = manage(project, env, "diff", "--from-django", "books", "--check")
    assert "diff: they agree" in _ok(green)
    models.write_text(models.read_text("utf-8").replace("published_date", "published_on"))
    _ok(manage(project, env, "diff", "--from-django", "books", "--name", "rename"))
    up = project / "migrations_sql" / "0003_rename.up.sql"
    assert "-- sqlmig:review drops column books_book.published_date" in up.read_text("utf-8")
    up.write_text("ALTER TABLE books_book RENAME COLUMN published_date TO published_on;\n")
    (project / "migrations_sql" / "0003_rename.down.sql").write_text(
        "ALTER TABLE books_book RENAME COLUMN published_on TO published_date;\n"
    )
    again = manage(project, env, "diff", "--from-django", "books", "--check")
    assert "diff: they agree" in _ok(again)

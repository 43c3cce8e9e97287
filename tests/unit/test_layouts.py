"""Another tool's migration folder is named as what it is, never read as empty (issue 13, item 3):
`up` said "nothing to apply", `status` "no migrations found" and `lint` "0 files" on a diesel
folder, all with exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.errors import MigrationFileError
from sqlmig.files import discover
from tests.conftest import sqlmig

LAYOUTS = {
    "diesel": ({"2019-02-26-002946_create_user/up.sql": "CREATE TABLE u (id INT);\n",
                "2019-02-26-002946_create_user/down.sql": "DROP TABLE u;\n"}, "a diesel folder"),
    "prisma": ({"20240101000000_init/migration.sql": "CREATE TABLE u (id INT);\n",
                "migration_lock.toml": 'provider = "postgresql"\n'}, "a Prisma folder"),
    "flyway": ({"V1.2__init.sql": "CREATE TABLE u (id INT);\n"}, "a Flyway migration"),
    "dbmate": ({"20240101000000_init.sql": "-- migrate:up\nCREATE TABLE u (id INT);\n\n"
                "-- migrate:down\nDROP TABLE u;\n"}, "a dbmate migration"),
    "goose": ({"00001_init.sql": "-- +goose Up\nCREATE TABLE u (id INT);\n"}, "a goose migration"),
    "sqlx": ({"20220101000000_init.sql": "CREATE TABLE u (id INT);\n"}, "one file per migration"),
    # temporalio/temporal's schema/postgresql/v12/temporal/versioned: a folder per version
    "versioned": ({"v1.0/schema.sql": "CREATE TABLE u (id INT);\n", "v1.0/manifest.json": "{}",
                   "v1.1/more.sql": "SELECT 1;\n"},
                  "subfolders holding .sql files (v1.0/schema.sql)"),
    "django": ({"__init__.py": "", "0001_initial.py": "from django.db import migrations\n"},
               "migrations written as code (0001_initial.py"),
    "knex": ({"20240101000000_init.js": "exports.up = () => {};\n"}, "migrations written as code"),
    "alembic": ({"env.py": "", "script.py.mako": "", "README": "",
                 "versions/ae1027a6acf_add.py": "revision = 'ae1027a6acf'\n"}, "an Alembic folder"),
}  # fmt: skip


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "migrations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return tmp_path / "migrations"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_another_layout_is_named(layout: str, tmp_path: Path) -> None:
    files, words = LAYOUTS[layout]
    with pytest.raises(MigrationFileError) as caught:
        discover(_folder(tmp_path, files))
    assert words in caught.value.message, caught.value.message
    assert caught.value.hint and "NNNN_slug.up.sql" in caught.value.hint


def test_a_golang_migrate_title_gets_the_name_to_give(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"0002_1.7.0_schema.up.sql": "SELECT 1;\n"})
    with pytest.raises(MigrationFileError) as caught:
        discover(folder)
    assert "rename it 0002_1_7_0_schema.up.sql" in (caught.value.hint or "")


def test_sqlmig_files_beside_other_folders_are_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"0001_a.up.sql": "SELECT 1;\n", "archive/up.sql": "SELECT 1;\n"})
    assert [m.label for m in discover(folder)] == ["0001_a"]


def test_an_empty_folder_is_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    assert discover(tmp_path / "migrations") == []


@pytest.mark.parametrize("command", [("status",), ("up",), ("up", "--dry-run"), ("lint",)])
@pytest.mark.parametrize("layout", ["diesel", "django", "alembic"])
def test_no_command_exits_0_on_another_tools_folder(
    command: tuple[str, ...], layout: str, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, LAYOUTS[layout][0])
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    # a diesel folder is read as one when detected (tests/cli/test_formats.py): told to read
    # sqlmig's layout, it is still named, with the option that reads it
    told = ["--dir-format", "sqlmig"] if layout == "diesel" else []
    done = sqlmig("--url", url, "--dir", str(folder), *told, *command)
    assert done.returncode == 2, done.stdout + done.stderr
    assert LAYOUTS[layout][1] in done.stderr, done.stderr
    if layout == "diesel" and command[0] != "lint":
        assert "--dir-format diesel" in done.stderr, done.stderr


def test_a_dir_one_level_too_high_names_the_folder_to_give(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"db/migrations/0001_a.up.sql": "SELECT 1;\n"})
    with pytest.raises(MigrationFileError) as caught:
        discover(folder / "db")
    assert "its subfolder" in caught.value.message
    assert f"point --dir (or SQLMIG_DIR, dir in sqlmig.toml) at {folder / 'db' / 'migrations'}" == (
        caught.value.hint
    )

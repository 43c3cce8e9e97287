"""popx version groups (one pop migration split over files of one name) are reverted only whole:
`down`/`redo` that would stop inside one are refused (exit 2) before anything changes, naming the
group and the --steps / --to at its edges; `up --to` may stop inside one, and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import Cli, describe, kind_of
from tests.conftest import ROOT, query

BASE = "20230101000000000000"
G0, G1, G2 = "20240101000000000000", "20240101000000000001", "20240101000000000002"
BOOKS = "20240201000000000000"
# as pop writes a split migration (kratos's add_verification_methods): the group's down
# statements numbered from its first file, the rest padded empty; only run newest first, all
# together, do they undo the group (a `down --steps 1` here would revert nothing and mark the
# index's file pending, and the next `up` would fail on the index that is still there)
FILES = {
    f"{BASE}_base.up.sql": "CREATE TABLE base (id INTEGER PRIMARY KEY);\n",
    f"{BASE}_base.down.sql": "DROP TABLE base;\n",
    f"{G0}_users.up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    f"{G0}_users.down.sql": "DROP TABLE users;\n",
    f"{G0}_users.cockroach.down.sql": "DROP TABLE users;\n",  # a popx-only name
    f"{G1}_users.up.sql": "ALTER TABLE users ADD COLUMN email VARCHAR(80);\n",
    f"{G1}_users.down.sql": "",
    f"{G2}_users.up.sql": "CREATE INDEX users_email ON users (email);\n",
    f"{G2}_users.down.sql": "",
    f"{BOOKS}_books.up.sql": "CREATE TABLE books (id INTEGER PRIMARY KEY);\n",
    f"{BOOKS}_books.down.sql": "DROP TABLE books;\n",
}
GROUP = f"popx version group 'users' ({G0} to {G2}, 3 files)"


def folder(tmp_path: Path, *, popx: bool = True) -> Path:
    out = tmp_path / "migrations"
    out.mkdir()
    for name, text in FILES.items():
        if popx or ".cockroach." not in name:
            (out / name).write_text(text, "utf-8")
    return out


def applied(url: str) -> list[str]:
    rows = query(url, "SELECT version FROM sqlmig_history ORDER BY version")
    return [str(int(r[0])) for r in rows]


def tables(url: str) -> set[str]:
    if kind_of(url) == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        where = "DATABASE()" if kind_of(url) == "mysql" else "'public'"
        sql = f"SELECT table_name FROM information_schema.tables WHERE table_schema = {where}"
    return {r[0] for r in query(url, sql)} - {"sqlmig_history", "sqlmig_history_log"}


def refused(cli: Cli, *args: str) -> str:
    """Run a command that must be refused as a usage error; its output."""
    proc = cli(*args)
    assert proc.returncode == 2, describe(proc)
    return " ".join((proc.stdout + proc.stderr).split())


ALL = [BASE, G0, G1, G2, BOOKS]


def test_down_steps_inside_a_group_is_refused_and_the_hint_works(
    any_url: str, tmp_path: Path
) -> None:
    cli = Cli(any_url, folder(tmp_path))
    cli.ok("up")
    said = refused(cli, "down", "--steps", "2", "--yes")
    assert f"--steps 2 would revert 1 of the 3 files of {GROUP}" in said, said
    assert "nothing was reverted" in said
    assert "pass --steps 4 to revert the whole group, or --steps 1 to keep it" in said, said
    assert applied(any_url) == ALL and tables(any_url) == {"base", "users", "books"}
    assert refused(cli, "down", "--steps", "2", "--dry-run")  # a dry run plans the same
    cli.ok("down", "--yes")  # books
    said = refused(cli, "down")
    assert f"down (one migration) would revert 1 of the 3 files of {GROUP}" in said, said
    assert "pass --steps 3 to revert the whole group" in said and "keep" not in said, said
    cli.ok("up")
    cli.ok("down", "--steps", "4", "--yes")
    assert applied(any_url) == [BASE] and tables(any_url) == {"base"}
    cli.ok("up")
    assert applied(any_url) == ALL and tables(any_url) == {"base", "users", "books"}


def test_down_to_inside_a_group_names_its_edges(db_url: str, tmp_path: Path) -> None:
    cli = Cli(db_url, folder(tmp_path))
    cli.ok("up", "--to", G2)
    said = refused(cli, "down", "--to", G0, "--yes")
    assert f"--to {G0} would revert 2 of the 3 files of {GROUP}" in said, said
    assert f"pass --to {BASE} to revert the whole group" in said and "to keep it" not in said
    assert applied(db_url) == [BASE, G0, G1, G2]
    cli.ok("down", "--to", BASE, "--yes")
    assert applied(db_url) == [BASE] and tables(db_url) == {"base"}


def test_redo_of_a_groups_file_is_refused(db_url: str, tmp_path: Path) -> None:
    cli = Cli(db_url, folder(tmp_path))
    cli.ok("up", "--to", G2)
    said = refused(cli, "redo")
    assert f"{G2}_users is one of {GROUP}" in said, said
    assert f"`sqlmig down --steps 3`, then apply it again with `sqlmig up --to {G2}`" in said
    assert applied(db_url) == [BASE, G0, G1, G2]
    cli.ok("down", "--steps", "3", "--yes")
    cli.ok("up", "--to", G2)
    assert tables(db_url) == {"base", "users"}


def test_up_may_stop_inside_a_group_but_down_waits_for_it_whole(
    db_url: str, tmp_path: Path
) -> None:
    cli = Cli(db_url, folder(tmp_path))
    up = cli.ok("up", "--to", G1)
    said = " ".join((up.stdout + up.stderr).split())
    assert f"up stops inside {GROUP}: 2 of its files applied" in said, describe(up)
    assert f"until `sqlmig up --to {G2}` applies the rest" in said
    for args in (["--steps", "1"], ["--steps", "2"], ["--all"]):
        said = refused(cli, "down", *args, "--yes")
        assert f"{GROUP} is only partly applied (2 of its files)" in said, said
        assert f"apply the rest with `sqlmig up --to {G2}`" in said
    assert applied(db_url) == [BASE, G0, G1]
    cli.ok("up", "--to", G2)
    cli.ok("down", "--steps", "3", "--yes")
    assert tables(db_url) == {"base"}


def test_a_folder_not_read_as_popx_reverts_file_by_file(db_url: str, tmp_path: Path) -> None:
    """The same names in sqlmig's layout (detected: no popx-only file) are migrations of their
    own: `down --steps 1` reverts one, as before."""
    cli = Cli(db_url, folder(tmp_path, popx=False))
    cli.ok("up", "--to", G2)
    down = cli.ok("down", "--steps", "1")
    assert "version group" not in down.stdout + down.stderr
    assert applied(db_url) == [BASE, G0, G1] and "users" in tables(db_url)  # its down: empty


def test_a_group_is_read_only_in_a_popx_folder(tmp_path: Path) -> None:
    """Unit: the groups of the folder above, and none in sqlmig's layout."""
    from sqlmig.formats import discover
    from sqlmig.popxgroups import of

    found = discover(folder(tmp_path), "popx", dialect="postgres")
    assert [[m.version_text for m in g] for g in of(found.migrations, found.format)] == [
        [G0, G1, G2]
    ]
    assert of(found.migrations, "sqlmig") == []


def test_groups_are_consecutive_versions_of_one_name_longer_than_14_digits() -> None:
    from sqlmig.files import Migration, SqlFile
    from sqlmig.formats.popx import groups

    def m(version: str, name: str) -> Migration:
        sql = SqlFile(Path(f"{version}_{name}.up.sql"), "", "", True)
        return Migration(int(version), version, name, sql, None)

    found = [
        m("20200101000000", "a"), m("20200101000001", "a"),  # 14 digits: pop never split them
        m("20200102000000000000", "b"), m("20200102000000000001", "b"),
        m("20200102000001000000", "b"),  # a later timestamp of the same name: kratos's too
        m("20200103000000000000", "c"), m("20200103000000000001", "d"),  # alone
        m("20200104000000000000", "b"),  # the name again, after another: a new group of one
    ]  # fmt: skip
    assert [[x.version_text[-8:] for x in g] for g in groups(reversed(found))] == [
        ["00000000", "00000001", "01000000"]
    ]


def test_a_down_script_never_reverts_part_of_a_group(tmp_path: Path) -> None:
    """`down --sql` (no database): the same refusal, with --to edges (it has no --steps)."""
    cli = Cli("", folder(tmp_path))
    said = refused(cli, "down", "--sql", "--dialect", "sqlite", "--from", G2)
    assert f"down --sql (one migration) would revert 1 of the 3 files of {GROUP}" in said, said
    assert f"pass --to {BASE} to revert the whole group" in said, said
    said = refused(cli, "down", "--sql", "--dialect", "sqlite", "--from", BOOKS, "--to", G0)
    assert f"pass --to {BASE} to revert the whole group, or --to {G2} to keep it" in said, said
    script = cli.ok("down", "--sql", "--dialect", "sqlite", "--from", BOOKS, "--to", BASE).stdout
    assert "DROP TABLE users;" in script and "DROP TABLE books;" in script


def test_a_plain_folders_up_imports_no_popx_module(sqlite_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sqlmig.config import Config\n"
        "from sqlmig.migrator import Migrator\n"
        f"Migrator(Config(url={sqlite_url!r}, dir=__import__('pathlib').Path({str(tmp_path)!r})"
        ")).up()\n"
        "print('LOADED', 'sqlmig.formats.popx' in sys.modules)\n"
    )
    (tmp_path / "0001_t.up.sql").write_text("CREATE TABLE t (id int);\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "LOADED False" in done.stdout, done.stdout + done.stderr

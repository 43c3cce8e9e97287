"""`sqlmig transpile` in a real process: files written, refusals listed, overrides, --check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import PG_URL, fresh_mysql_database, require_pg, sqlmig, write

USERS = "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE);\n"


def test_writes_the_set_keeping_names(migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_users", USERS, "DROP TABLE users;\n")
    write(migrations, "0002_note", "COMMENT ON TABLE users IS 'people';\n")
    out = tmp_path / "lite"
    done = sqlmig("transpile", "--to", "sqlite", "-d", str(migrations), "-o", str(out))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["0001_users.down.sql", "0001_users.up.sql", "0002_note.up.sql"]
    db = sqlite3.connect(tmp_path / "x.db")
    db.executescript((out / "0001_users.up.sql").read_text())
    db.execute("INSERT INTO users (email) VALUES ('a')")
    assert db.execute("SELECT id FROM users").fetchall() == [(1,)]


def test_refusals_exit_1_and_write_nothing(migrations: Path, tmp_path: Path) -> None:
    write(migrations, "0001_users", USERS)
    comment = "-- " + "why we need this block, at length " * 4
    write(migrations, "0002_fn", f"SELECT 1;\n\n{comment}\nDO $$ BEGIN END $$;\n")
    write(migrations, "0003_ext", "CREATE EXTENSION pgcrypto;\n")
    out = tmp_path / "my"
    for args in ((), ("-o", str(out))):
        done = sqlmig("transpile", "--to", "mysql", "-d", str(migrations), *args)
        assert done.returncode == 1
        assert done.stdout == ""  # the refusals are an error: stderr, never mixed with SQL
        lines = done.stderr.splitlines()
        at = lines.index(next(line for line in lines if "0002_fn.up.sql:4: DO blocks" in line))
        assert lines[at + 1].strip() == "DO $$ BEGIN END $$;"  # the statement, not the comment
        assert "0003_ext.up.sql:1: extensions are PostgreSQL-only" in done.stderr
        assert not out.exists()


def test_a_hand_written_override_wins(migrations: Path, tmp_path: Path) -> None:
    write(
        migrations, "0001_fn", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\n"
    )
    (migrations / "0001_fn.sqlite.up.sql").write_text("CREATE TABLE hand (id INTEGER);\n")
    out = tmp_path / "lite"
    done = sqlmig("transpile", "--to", "sqlite", "-d", str(migrations), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "0001_fn.up.sql").read_text() == "CREATE TABLE hand (id INTEGER);\n"
    # the generic folder still runs as usual: the override is not a migration of its own
    done = sqlmig("status", "-d", str(migrations), "-u", f"sqlite:///{tmp_path / 's.db'}")
    assert done.returncode == 0, done.stderr


def test_check_reports_a_difference_the_types_do_not_explain(
    migrations: Path, tmp_path: Path
) -> None:
    require_pg()
    write(migrations, "0001_users", USERS)
    args = ("transpile", "--to", "sqlite", "-d", str(migrations), "--check", "--source-url", PG_URL)
    assert sqlmig(*args).returncode == 0
    # an override that forgets NOT NULL: --check must say so, once, at that migration
    bad = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email VARCHAR(200) UNIQUE);\n"
    (migrations / "0001_users.sqlite.up.sql").write_text(bad)
    for n in range(2, 6):
        write(migrations, f"000{n}_more", f"CREATE TABLE t{n} (id int PRIMARY KEY);\n")
    done = sqlmig(*args)
    assert done.returncode == 1
    found = [line.strip() for line in done.stdout.splitlines() if line.startswith("  ")]
    assert found == ["0001_users: table users: column email: NOT NULL expected, found NULL"]


def test_check_on_sqlite_builds_the_example_set(tmp_path: Path) -> None:
    require_pg()
    examples = Path(__file__).resolve().parents[2] / "migrations"
    args = ("transpile", "--to", "sqlite", "-d", str(examples), "--check", "--source-url", PG_URL)
    done = sqlmig(*args, "-o", str(tmp_path / "lite"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "build the same schema on sqlite" in done.stdout
    assert len(list((tmp_path / "lite").glob("*.up.sql"))) == 5


def test_check_on_mysql_builds_the_example_set(tmp_path: Path, mysql_url: str) -> None:
    require_pg()
    examples = Path(__file__).resolve().parents[2] / "migrations"
    args = ("transpile", "--to", "mysql", "-d", str(examples), "--check", "--source-url", PG_URL)
    done = sqlmig(*args, "--target-url", mysql_url, "-o", str(tmp_path / "my"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "build the same schema on mysql" in done.stdout


def test_check_runs_the_down_files_too(migrations: Path, mysql_url: str) -> None:
    """MariaDB in strict mode rejects an INSERT ... SELECT that leaves out a NOT NULL column
    without a default, even when it copies no row; PostgreSQL runs it. In a down file."""
    require_pg()
    write(migrations, "0001_a", "CREATE TABLE a (id int PRIMARY KEY, n int NOT NULL);\n",
          "DROP TABLE a;\n")  # fmt: skip
    write(migrations, "0002_b", "CREATE TABLE b (id int PRIMARY KEY);\n",
          "INSERT INTO a (id) SELECT id FROM b;\nDROP TABLE b;\n")  # fmt: skip
    args = ("transpile", "--to", "mysql", "-d", str(migrations), "--check")
    done = sqlmig(*args, "--source-url", PG_URL, "--target-url", mysql_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0002_b (down): the transpiled file fails" in done.stdout
    assert "transpiled 0002_b.down.sql:" in done.stdout and "doesn't have a default" in done.stdout
    assert "sqlmig-transpiled-" not in done.stdout  # the temporary folder is gone: not named
    # without the faulty down, both downs run and agree
    write(migrations, "0002_b", "CREATE TABLE b (id int PRIMARY KEY);\n", "DROP TABLE b;\n")
    second = fresh_mysql_database()  # --check leaves the target database's objects behind
    try:
        done = sqlmig(*args, "--source-url", PG_URL, "--target-url", next(second))
    finally:
        second.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 down file(s) revert it alike" in done.stdout


def test_another_tools_folder_is_read_as_dir_format_says(tmp_path: Path) -> None:
    """A Prisma folder (a subfolder per migration holding migration.sql): transpile read it as
    sqlmig's layout whatever --dir-format said, and refused it with a hint to give that option."""
    folder = tmp_path / "prisma"
    for name, sql in (("20230404095503_init", USERS),
                      ("20230411134605_more", "ALTER TABLE users ADD COLUMN n text;\n"
                       "ALTER TABLE users ALTER COLUMN n TYPE varchar(5);\n")):  # fmt: skip
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_text(sql)
    out = tmp_path / "lite"
    args = ("transpile", "--to", "sqlite", "-d", str(folder), "-o", str(out))
    done = sqlmig(*args, "--dir-format", "prisma")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "20230404095503_init.up.sql", "20230411134605_more.up.sql"
    ]  # fmt: skip
    assert 'CREATE TABLE "_sqlmig_new_users"' in (out / "20230411134605_more.up.sql").read_text()

"""`sqlmig squash`: one file standing in for 0001..0050, proven equal by snapshot, on SQLite,
PostgreSQL and MariaDB; a database with the old history keeps it, a fresh one runs the squash."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, describe, kind_of, run_many
from tests.conftest import write

SQUASHED = 50
TOTAL = 52


def drop_index(kind: str, index: str, table: str) -> str:
    return f"DROP INDEX {index} ON {table};" if kind == "mysql" else f"DROP INDEX {index};"


def generated(kind: str) -> list[tuple[str, str, str]]:
    """52 migrations (label, up, down) that build and change tables, columns, indexes, foreign
    keys and views, drop some of what earlier ones made, and write rows in two of them."""
    out: list[tuple[str, str, str]] = []
    table = "t0"
    for i in range(1, TOTAL + 1):
        step = i % 5
        if step == 1:
            table = f"t{i}"
            up = (
                f"CREATE TABLE {table} (id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, "
                "PRIMARY KEY (id));"
            )
            down = f"DROP TABLE {table};"
        elif step == 2:
            up, down = (
                f"ALTER TABLE {table} ADD COLUMN c{i} INTEGER;",
                f"ALTER TABLE {table} DROP COLUMN c{i};",
            )
        elif step == 3:
            up, down = f"CREATE INDEX ix{i} ON {table} (name);", drop_index(kind, f"ix{i}", table)
        elif step == 4:
            up = (
                f"CREATE TABLE c{i} (id INTEGER NOT NULL, parent_id INTEGER NOT NULL, "
                f"PRIMARY KEY (id), FOREIGN KEY (parent_id) REFERENCES {table} (id));"
            )
            down = f"DROP TABLE c{i};"
        elif i % 10 == 5:
            up, down = f"CREATE VIEW v{i} AS SELECT id, name FROM {table};", f"DROP VIEW v{i};"
        else:  # every tenth drops the view made five before, and the index made seven before
            old = f"t{i - 9}"
            up = f"DROP VIEW v{i - 5};\n{drop_index(kind, f'ix{i - 7}', old)}"
            down = (
                f"CREATE INDEX ix{i - 7} ON {old} (name);\n"
                f"CREATE VIEW v{i - 5} AS SELECT id, name FROM {old};"
            )
        if i == 7:
            up += "\n-- a row the application needs\nINSERT INTO t6 (id, name) VALUES (1, 'a');"
        if i == 33:
            up += "\nUPDATE t31 SET name = 'b' WHERE id = 1;"
        out.append((f"{i:04d}_step_{i}", up + "\n", down + "\n"))
    return out


def states(cli: Cli) -> dict[str, str]:
    proc = cli.ok("status", "--json")
    return {row["label"]: row["state"] for row in json.loads(proc.stdout)["rows"]}


def test_squash_of_fifty_migrations_builds_what_they_build(any_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for label, up, down in generated(kind_of(any_url)):
        write(folder, label, up, down)
    cli = Cli(any_url, folder)
    # the database built by the 52 files, and the squash (on a scratch database) side by side
    up, proc = run_many([(cli, ("up",)), (cli, ("squash", "--to", str(SQUASHED), "--json"))])
    assert up.returncode == 0 and proc.returncode == 0, describe(up) + describe(proc)
    result = json.loads(proc.stdout)
    assert result["current"] == "0050_squashed"
    data = {(Path(e["path"]).name, e["line"]) for e in result["entries"]}
    assert data == {("0007_step_7.up.sql", 3), ("0033_step_33.up.sql", 2)}, result
    squash = (folder / "0050_squashed.up.sql").read_text()
    assert squash.startswith("-- sqlmig:replaces 0001..0050\n")
    assert "c24" in squash and "v15" not in squash  # what 0024 made, and 0020 dropped

    # the replaced files deleted: this database keeps its history (no drift, nothing pending)
    for path in [*folder.glob("00[0-4]?_step_*.sql"), *folder.glob("0050_step_50.*")]:
        path.unlink()
    seen = states(cli)
    assert seen.pop("0050_squashed") == "skipped", seen
    assert len(seen) == TOTAL and set(seen.values()) == {"applied"}, seen
    # what the squash and 0051, 0052 build on a scratch database is the live schema, which
    # the 52 files built: the two are compared object by object
    drift = cli("status", "--schema", "--exit-code")
    assert drift.returncode == 0 and "matches what the 52 applied" in drift.stdout, describe(drift)


def test_fresh_databases_run_the_squash_and_old_ones_keep_their_history(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n", "DROP TABLE a;\n")
    write(folder, "0002_b", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n", "DROP TABLE b;\n")
    write(folder, "0003_c", "ALTER TABLE b ADD COLUMN c TEXT;\n", "ALTER TABLE b DROP COLUMN c;\n")
    write(folder, "0004_d", "CREATE TABLE d (id INTEGER PRIMARY KEY);\n", "DROP TABLE d;\n")
    old, behind, fresh = (Cli(f"sqlite:///{tmp_path / n}.db", folder) for n in "obf")
    both(run_many([(old, ("up", "--to", "2")), (behind, ("up", "--to", "1"))]))
    old.ok("squash", "--to", "3")
    early = fresh("up", "--to", "2")  # a fresh database runs the squash as a whole
    assert early.returncode == 2 and "--to 2 falls inside 0001..0003" in early.stderr

    # a database part way through 0001..0003 goes on with the old files, never the squash;
    # a fresh one runs the squash instead
    again, went_on, ran = run_many(
        [(old, ("squash", "--to", "3", "--name", "other")), (old, ("up",)), (fresh, ("up",))]
    )
    assert again.returncode == 2 and "already replaced by" in again.stderr, describe(again)
    assert "up   0003_c" in went_on.stdout and "up   0003_squashed" in ran.stdout
    assert states(old)["0003_squashed"] == "skipped"
    assert states(fresh) == {
        "0001_a": "replaced", "0002_b": "replaced", "0003_c": "replaced",
        "0003_squashed": "applied", "0004_d": "applied",
    }  # fmt: skip
    inside = fresh("down", "--to", "2", "--yes")  # the squash reverts only as a whole
    assert inside.returncode == 2 and "--to 2 falls inside 0001..0003" in inside.stderr
    assert states(fresh)["0004_d"] == "applied"
    fresh.ok("down", "--all", "--yes")  # the squash's own down file
    assert "up   0003_squashed" in fresh.ok("up").stdout

    # the old files deleted: the old database keeps its history, and one still short of 0003
    # cannot get there any more
    for path in folder.glob("000[1-3]_[abc].*"):
        path.unlink()
    checked, stuck = run_many([(old, ("validate",)), (behind, ("up",))])
    assert checked.returncode == 0, describe(checked)
    assert stuck.returncode == 4, describe(stuck)
    assert "history stops at version 1 inside 0001..0003" in stuck.stderr, describe(stuck)


def both(procs: list) -> None:  # type: ignore[type-arg]
    for proc in procs:
        assert proc.returncode == 0, describe(proc)


def test_a_squash_that_would_lose_an_object_is_not_written(tmp_path: Path) -> None:
    """SQLite's schema snapshot does not model a virtual table; the squash's check of every
    object the database holds still sees it go missing, so nothing is written."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    write(folder, "0002_search", "CREATE VIRTUAL TABLE search USING fts5(body);\n")
    proc = Cli(f"sqlite:///{tmp_path / 'app.db'}", folder)("squash", "--to", "2")
    assert proc.returncode == 1, describe(proc)
    assert "does not build the same objects; nothing was written" in proc.stderr
    assert 'table "search" is missing' in proc.stderr, describe(proc)
    assert sorted(p.name for p in folder.iterdir()) == ["0001_t.up.sql", "0002_search.up.sql"]


def test_a_squash_over_a_squash_and_the_folders_one_text_cannot_serve(tmp_path: Path) -> None:
    """A second squash names every file it replaces (the first squash's too); a folder whose
    files are other text on some database (transpiled, or per-dialect files) is refused."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n", "DROP TABLE a;\n")
    write(folder, "0002_b", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n", "DROP TABLE b;\n")
    write(folder, "0003_c", "CREATE TABLE c (id INTEGER PRIMARY KEY);\n", "DROP TABLE c;\n")
    cli = Cli(f"sqlite:///{tmp_path / 'app.db'}", folder)
    cli.ok("squash", "--to", "2")
    second = cli.ok("squash", "--to", "3", "--name", "again").stdout
    assert "it replaces the 4 migration(s) 0001_a .. 0003_c;" in second, second

    transpiled = Cli(cli.url, folder, env={"SQLMIG_SOURCE_DIALECT": "postgres"})
    (folder / "0004_d.up.sql").write_text("CREATE TABLE d (id serial PRIMARY KEY);\n")
    refused = transpiled("squash", "--to", "4", "--name", "third")
    assert refused.returncode == 2, describe(refused)
    assert "runs transpiled on sqlite (source_dialect)" in refused.stderr, describe(refused)
    (folder / "0004_d.sqlite.up.sql").write_text("CREATE TABLE d (id INTEGER PRIMARY KEY);\n")
    split = cli("squash", "--to", "4", "--name", "third")
    assert split.returncode == 2, describe(split)
    assert "0004_d has per-dialect files (0004_d.sqlite.up.sql)" in split.stderr, describe(split)
    assert not list(folder.glob("*third*"))

    # PRAGMA foreign_key_list omits deferral: the SQLite reader takes it from the CREATE TABLE
    # text, so the squash file keeps it (and squash compares it)
    (folder / "0004_d.sqlite.up.sql").unlink()
    (folder / "0004_d.up.sql").write_text(
        "CREATE TABLE d (a_id INTEGER REFERENCES a (id) DEFERRABLE INITIALLY DEFERRED);\n"
    )
    deferred = cli("squash", "--to", "4", "--name", "third")
    assert deferred.returncode == 0, describe(deferred)
    assert "DEFERRABLE INITIALLY DEFERRED" in (folder / "0004_third.up.sql").read_text()


def test_a_mysql_table_option_the_snapshot_lacks_stops_the_squash(
    mysql_url: str, tmp_path: Path
) -> None:
    """The MySQL snapshot holds no comments or partitions; SHOW CREATE TABLE of both builds
    does, so a squash that would drop them is not written."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_t", "CREATE TABLE t (id INT PRIMARY KEY COMMENT 'the id') COMMENT='x';\n")
    write(folder, "0002_p", "CREATE TABLE p (id INT) PARTITION BY HASH (id) PARTITIONS 2;\n")
    proc = Cli(mysql_url, folder)("squash", "--to", "2")
    assert proc.returncode == 1, describe(proc)
    assert "NOT NULL COMMENT 'the id' is missing" in proc.stderr, describe(proc)
    assert "table p: PARTITION BY HASH (`id`) is missing" in proc.stderr, describe(proc)
    assert len(list(folder.iterdir())) == 2


def test_a_partitioned_postgres_table_is_squashed_an_unlogged_one_is_not(
    pg_url: str, tmp_path: Path
) -> None:
    """The scratch database is emptied of a partitioned table too (its inventory missed it,
    so the squash file then failed on `ev` already existing); a quoted type name keeps its
    case (the dump wrote "mood"); table facts the snapshot lacks
    (UNLOGGED, identity options) stop the squash instead of going missing."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "0001_ev", 'CREATE TYPE "Mood" AS ENUM (\'ok\');\n'  # its case was lost
          'CREATE TABLE ev (id int, at date, m "Mood") PARTITION BY RANGE (at);\n')  # fmt: skip
    part = "CREATE TABLE ev_26 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
    write(folder, "0002_y", part + "\n")
    cli = Cli(pg_url, folder)
    cli.ok("squash", "--to", "2")
    assert "PARTITION OF" in (folder / "0002_squashed.up.sql").read_text()
    write(folder, "0003_u", "CREATE UNLOGGED TABLE u (id int GENERATED ALWAYS AS IDENTITY "
          "(START WITH 50));\n")  # fmt: skip
    proc = cli("squash", "--to", "3", "--name", "again")
    assert proc.returncode == 1, describe(proc)
    assert "table public.u: UNLOGGED is missing" in proc.stderr, describe(proc)
    assert "table public.u: column id identity (START 50 " in proc.stderr, describe(proc)

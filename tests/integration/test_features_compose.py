"""Issue 17's features together, on SQLite, PostgreSQL and MariaDB: a repeatable migration and
callbacks with placeholders, around deploy phases whose numbering interleaves."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import Cli
from tests.conftest import execute, query, write

from .test_callbacks import SEEN, callback, saw, seen


def test_a_repeatable_with_placeholders_and_callbacks_around_phases(
    any_url: str, migrations: Path
) -> None:
    cli = Cli(any_url, migrations)
    callback(migrations, "beforeMigrate.sql", SEEN)
    callback(migrations, "afterEachMigrate.sql", "-- sqlmig:placeholders\n" + saw("${tag}"))
    write(migrations, "0001_expand", "CREATE TABLE items (id int, old_name varchar(20));")
    write(
        migrations, "0002_contract", "-- sqlmig:phase post\nALTER TABLE items DROP COLUMN old_name;"
    )
    write(migrations, "0003_expand_more", "ALTER TABLE items ADD COLUMN label varchar(20);")
    (migrations / "R__view.sql").write_text(
        "-- sqlmig:placeholders\nDROP VIEW IF EXISTS labelled;\n"
        "CREATE VIEW labelled AS SELECT id, '${tag}' AS tag FROM items;\n",
        "utf-8",
    )
    pre = cli.ok("--var", "tag=first", "up", "--phase", "pre")
    assert "0002_contract" in pre.stdout + pre.stderr  # it says which it left pending
    assert seen(any_url) == ["first", "first"]  # after 0001 and 0003, filled in
    # the pre phase leaves the repeatable too: the view may need what the post phase changes
    assert query(any_url, "SELECT COUNT(*) FROM sqlmig_history_log WHERE event = 'repeatable'") == [
        (0,)
    ]
    cli.ok("--var", "tag=second", "up", "--phase", "post")
    assert seen(any_url) == ["first", "first", "second", "second"]  # 0002, then R__view
    execute(any_url, "INSERT INTO items (id, label) VALUES (1, 'x')")
    assert query(any_url, "SELECT id, tag FROM labelled") == [(1, "second")]
    # a changed value is not drift and does not re-run the repeatable (its file is unchanged)
    again = cli.ok("--var", "tag=third", "up")
    assert "R__view" not in again.stdout, again.stdout
    status = cli.ok("status", "--exit-code")
    assert "applied" in status.stdout


def test_plan_and_preflight_read_files_with_placeholders_as_up_runs_them(
    pg_url: str, migrations: Path
) -> None:
    cli = Cli(pg_url, migrations)
    write(migrations, "0001_t", "CREATE TABLE t (id int PRIMARY KEY, v text);\n"
          "INSERT INTO t VALUES (7, NULL);")  # fmt: skip
    write(
        migrations,
        "0002_nn",
        "-- sqlmig:placeholders\nALTER TABLE ${tbl} ALTER COLUMN v SET NOT NULL;",
    )
    cli.ok("--var", "tbl=t", "up", "--to", "1")
    refused = cli("--var", "tbl=t", "preflight")
    assert refused.returncode == 9, refused.stdout + refused.stderr
    assert "v SET NOT NULL on t: 1 rows" in refused.stdout, refused.stdout
    planned = cli.ok("--var", "tbl=t", "plan")
    assert "ALTER TABLE t ALTER COLUMN v SET NOT NULL" in planned.stdout, planned.stdout
    assert cli("plan").returncode == 2  # no value: refused before connecting, as up is

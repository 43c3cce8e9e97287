"""Pre-checks on tables and columns that pending statements make (found running documenso's
last ten Prisma migrations): a new table has no rows to fail on; a new column is not read."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import Cli, describe
from tests.conftest import write

NEXT = """\
CREATE TABLE "Kid" (id int PRIMARY KEY, "parentId" int);
CREATE UNIQUE INDEX kid_parent ON "Kid" ("parentId");
ALTER TABLE "Kid" ADD FOREIGN KEY ("parentId") REFERENCES parent (id);
ALTER TABLE parent ADD COLUMN "kidId" int;
ALTER TABLE parent ADD FOREIGN KEY ("kidId") REFERENCES "Kid" (id);
CREATE TABLE copied AS SELECT * FROM parent;
CREATE UNIQUE INDEX copied_id ON copied (id);
CREATE TABLE filled (id int);
INSERT INTO filled VALUES (1), (1);
CREATE UNIQUE INDEX filled_id ON filled (id);
"""


def test_new_tables_pass_and_new_columns_are_not_read(pg_url: str, migrations: Path) -> None:
    cli = Cli(pg_url, migrations)
    write(migrations, "0001_init", "CREATE TABLE parent (id int PRIMARY KEY);\n")
    cli.ok("up")
    write(migrations, "0002_next", NEXT)
    proc = cli("preflight")
    assert proc.returncode == 0, describe(proc)
    out = proc.stdout.replace(str(migrations) + "/", "")
    made = "passed: no rows yet, a new table made at line 1"
    assert f'0002_next.up.sql:2: UNIQUE (parentId) on "Kid": {made}' in out
    assert f'0002_next.up.sql:3: FOREIGN KEY (parentId) on "Kid": {made}' in out
    assert (
        "0002_next.up.sql:5: FOREIGN KEY (kidId) on parent: not checked: no column kidId yet: "
        "a pending statement adds it" in out
    )
    # CREATE TABLE ... AS fills the table, and an INSERT writes it: neither is taken as empty
    assert "0002_next.up.sql:7: UNIQUE (id) on copied: skipped: no such table yet" in out
    assert "0002_next.up.sql:10: UNIQUE (id) on filled: skipped: 0002_next.up.sql:9 changes" in out
    assert "(3 skipped or not checked: not known to pass)" in out


def test_a_change_to_text_passes_without_a_pattern(pg_url: str, migrations: Path) -> None:
    cli = Cli(pg_url, migrations)
    write(migrations, "0001_init", "CREATE TABLE w (id int PRIMARY KEY, at timestamp(3));\n")
    cli.ok("up")
    sql = 'ALTER TABLE w ALTER COLUMN id SET DATA TYPE TEXT, ALTER COLUMN "at" TYPE varchar;\n'
    write(migrations, "0002_text", sql)  # as Prisma writes it (documenso 20240227003622)
    proc = cli("preflight")
    assert proc.returncode == 0, describe(proc)
    assert "id TYPE TEXT on w: passed (" in proc.stdout
    assert "at TYPE VARCHAR on w: passed (" in proc.stdout
    assert "not checked" not in proc.stdout

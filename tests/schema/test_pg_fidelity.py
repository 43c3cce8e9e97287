"""PostgreSQL's finer kinds in the commands a user runs: `verify` names a down that leaves an
extension, a policy, a comment or an operator class behind, and `diff --check` does not say
"they agree" across such a difference."""

from __future__ import annotations

from pathlib import Path

from sqlmig.schema.commands import verify
from tests.conftest import sqlmig, write

from .helpers import cfg

# Each up makes one kind of object, its down forgets it (or restores it wrongly).
FORGETFUL = [
    ("create_t", "CREATE TABLE t (a text, n int);\nCREATE INDEX t_a ON t (a);", "DROP TABLE t;",
     None),
    ("add_ltree", "CREATE EXTENSION ltree;", "SELECT 1;", "extension ltree still exists"),
    ("row_security", "ALTER TABLE t ENABLE ROW LEVEL SECURITY;", "SELECT 1;",
     "row level security on t still exists"),
    ("policy", "CREATE POLICY p ON t USING (n > 0);", "SELECT 1;", "policy t.p still exists"),
    ("comment", "COMMENT ON COLUMN t.a IS 'the a';", "SELECT 1;",
     "comment on column t.a still exists"),
    ("pattern_index", "DROP INDEX t_a; CREATE INDEX t_a ON t (a text_pattern_ops);",
     "SELECT 1;", "index t_a differs"),
    ("statistics", "CREATE STATISTICS t_s ON a, n FROM t;", "SELECT 1;",
     "statistics t_s still exists"),
    ("domain", "CREATE DOMAIN pos AS int CHECK (VALUE > 0);", "SELECT 1;",
     "domain pos still exists"),
    ("fine", "CREATE TYPE pair AS (x int);", "DROP TYPE pair;", None),
]  # fmt: skip


def test_verify_names_each_down_that_leaves_a_kind_behind(pg_url: str, migrations: Path) -> None:
    for i, (name, up, down, _why) in enumerate(FORGETFUL, 1):
        write(migrations, f"{i:04d}_{name}", up, down)
    result = verify(cfg(pg_url, migrations), scratch_url=None, start=None, notify=None)
    found = [(e["migration"], e["details"][0]) for e in result.entries]
    expected = [
        (f"{i:04d}_{name}", why)
        for i, (name, _u, _d, why) in enumerate(FORGETFUL, 1)
        if why is not None
    ]
    assert [(m, d.split(":")[0]) for m, d in found] == expected, result.messages
    assert not result.ok


def test_diff_check_sees_an_operator_class_and_an_extension(
    pg_url: str, migrations: Path, tmp_path: Path
) -> None:
    write(migrations, "0001_t", "CREATE TABLE t (a text);\nCREATE INDEX t_a ON t (a);",
          "DROP TABLE t;")  # fmt: skip
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE EXTENSION citext;\nCREATE TABLE t (a text);\n"
                      "CREATE INDEX t_a ON t (a text_pattern_ops);\n")  # fmt: skip
    args = ("--url", pg_url, "--dir", str(migrations))
    check = sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "extension citext is only in schema.sql" in check.stdout
    assert "index t_a differs: columns (a) -> (a text_pattern_ops)" in check.stdout

    made = sqlmig(*args, "diff", str(schema), "--name", "pattern", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    up = (migrations / "0002_pattern.up.sql").read_text()
    assert up.index("CREATE EXTENSION") < up.index("CREATE INDEX")
    assert sqlmig(*args, "diff", "--check", str(schema), cwd=tmp_path).returncode == 0
    verified = sqlmig(*args, "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

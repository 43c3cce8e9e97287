"""Merge safety with a real git repository: two branches that each add migration 0006 are
caught by `check --base` before deploy, `renumber` fixes the branch, and `up` applies it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import Cli, describe
from tests.conftest import write
from tests.gitrepo import git


def table(folder: Path, label: str) -> None:
    name = label.split("_", 1)[1]
    write(
        folder, label, f"CREATE TABLE {name} (id INTEGER PRIMARY KEY);\n", f"DROP TABLE {name};\n"
    )


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_two_branches_adding_0006_are_caught_renumbered_and_applied(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    folder = repo / "db" / "migrations"
    folder.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for i, name in enumerate(["a", "b", "c", "d", "e"], start=1):
        table(folder, f"000{i}_{name}")
    commit(repo, "five migrations")

    git(repo, "checkout", "-q", "-b", "feature")
    table(folder, "0006_feature_one")  # the branch's next number, and the one after it
    table(folder, "0007_feature_two")
    (folder / "0003_c.up.sql").write_text("CREATE TABLE c (id INTEGER PRIMARY KEY, x TEXT);\n")
    commit(repo, "feature: two migrations, and an edit of an applied one")

    git(repo, "checkout", "-q", "main")  # meanwhile main takes 0006 and 0008
    table(folder, "0006_main_one")
    table(folder, "0008_main_two")
    commit(repo, "main: two migrations")
    cli = Cli(f"sqlite:///{tmp_path / 'prod.db'}", folder)
    cli.ok("up")  # production is at main's 0008

    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "--no-edit", "main")  # no git conflict: the file names differ
    # what would reach production without the check: up refuses the merged folder
    refused = cli("up")
    assert refused.returncode == 2 and "duplicate version 6" in refused.stderr, describe(refused)
    lint = cli("lint", str(folder))
    assert "F704 duplicate-version: version 0006 is also 0006_main_one.up.sql's" in lint.stdout

    caught = cli("check", "--base", "main", "--json")
    assert caught.returncode == 1, describe(caught)
    entries = json.loads(caught.stdout)["entries"]
    assert not any("version" in f for f in entries), entries  # no null version on findings
    kinds = {(f["kind"], f["path"]) for f in entries}
    assert kinds == {
        ("duplicate", "0006_feature_one.up.sql"),
        ("below-newest", "0007_feature_two.up.sql"),
        ("edited", "0003_c.up.sql"),
    }, caught.stdout

    git(repo, "checkout", "-q", "main", "--", "db/migrations/0003_c.up.sql")
    dry = cli.ok("renumber", "--base", "main", "--dry-run").stdout
    assert "would rename 0006_feature_one.up.sql -> 0009_feature_one.up.sql" in dry, dry
    assert (folder / "0006_feature_one.up.sql").exists()
    cli.ok("renumber", "--base", "main")
    names = sorted(p.name for p in folder.glob("*.up.sql"))[5:]
    assert names == [
        "0006_main_one.up.sql", "0008_main_two.up.sql",
        "0009_feature_one.up.sql", "0010_feature_two.up.sql",
    ], names  # fmt: skip
    assert (folder / "0010_feature_two.down.sql").exists()
    commit(repo, "feature: renumbered after main")

    passed = cli.ok("check", "--base", "main").stdout
    assert "2 new migration(s) on this branch, none in conflict with main" in passed, passed
    applied = cli.ok("up").stdout
    assert "up   0009_feature_one" in applied and "up   0010_feature_two" in applied, applied


def test_a_renamed_file_is_no_new_migration_and_a_shallow_clone_is_named(tmp_path: Path) -> None:
    """`git mv` of an applied file is a rename (never renumbered, never called a duplicate);
    renumber moves 0002_c and 0003_c to 0003_c and 0004_c without one overwriting the other;
    an edit is seen in a folder whose path git would quote; CI's shallow clone, which lacks
    the merge base, is said to be one."""
    repo = tmp_path / "app"
    folder = repo / "my mïgrations"  # git quotes such a path unless told not to
    folder.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    table(folder, "0001_a")
    table(folder, "0002_b")
    commit(repo, "two")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "mv", "my mïgrations/0001_a.up.sql", "my mïgrations/0001_renamed.up.sql")
    table(folder, "0002_c")
    (folder / "0003_c.up.sql").write_text("ALTER TABLE c ADD COLUMN x INTEGER;\n")
    (folder / "0002_b.down.sql").write_text("DROP TABLE IF EXISTS b;\n")
    git(repo, "checkout", "-q", "-b", "later")
    commit(repo, "renamed, and a new 0002")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "later")
    cli = Cli("", folder)
    caught = cli("check", "--base", "main", "--json")
    kinds = {(f["kind"], f["path"]) for f in json.loads(caught.stdout)["entries"]}
    assert kinds == {
        ("renamed", "0001_renamed.up.sql"), ("duplicate", "0002_c.up.sql"),
        ("edited", "0002_b.down.sql"),
    }, caught.stdout  # fmt: skip
    moved = cli.ok("renumber", "--base", "main").stdout
    assert moved.split("\n")[:2] == ["renamed 0002_c.down.sql -> 0003_c.down.sql",
                                     "renamed 0002_c.up.sql -> 0003_c.up.sql"], moved  # fmt: skip
    assert (folder / "0001_renamed.up.sql").exists()
    assert "ADD COLUMN x" in (folder / "0004_c.up.sql").read_text()  # 0003_c, moved not lost
    assert "CREATE TABLE c" in (folder / "0003_c.up.sql").read_text()

    for ref in ("main", "feature"):  # origin's branches
        git(repo, "branch", "-f", f"ci-{ref}", ref)
    clone = tmp_path / "clone"
    url = f"file://{repo}"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "ci-feature", url, str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", "ci-main:refs/remotes/origin/ci-main")
    shallow = Cli("", clone / "my mïgrations")("check", "--base", "origin/ci-main")
    assert shallow.returncode == 2, describe(shallow)
    assert "no common commit in this clone, which is shallow" in shallow.stderr, describe(shallow)

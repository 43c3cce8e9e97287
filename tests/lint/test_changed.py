"""`sqlmig lint --changed [--base REF]` in a real temporary git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlmig
from tests.gitrepo import git

from .helpers import write


def lint(repo: Path, *args: str) -> tuple[int, str, str]:
    proc = sqlmig("lint", "--dialect", "postgres", *args, cwd=repo)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: 0001 (clean) and 0002 (an error: CREATE INDEX without CONCURRENTLY); then a
    branch `feature` is checked out."""
    repo = tmp_path / "app"
    folder = repo / "migrations"
    folder.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(folder, "0001_a.up.sql", "CREATE TABLE a (id bigint PRIMARY KEY);")
    write(folder, "0001_a.down.sql", "DROP TABLE a;")
    write(folder, "0002_b.up.sql", "SET lock_timeout = '1s';\nCREATE INDEX b ON a (id);")
    write(folder, "0002_b.down.sql", "-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY b;")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def files_of(out: str) -> set[str]:
    return {line.split(":")[0] for line in out.splitlines() if line.startswith("migrations/")}


def test_only_committed_uncommitted_and_untracked_changes_are_linted(repo: Path) -> None:
    folder = repo / "migrations"
    write(folder, "0003_c.up.sql", "DROP TABLE a;")  # committed on the branch
    write(folder, "0003_c.down.sql", "SELECT 1;")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "c")
    write(folder, "0001_a.up.sql", "CREATE TABLE a (id bigint PRIMARY KEY, t varchar(9));")
    write(folder, "0004_d.up.sql", "TRUNCATE a CASCADE;")  # untracked
    code, out, err = lint(repo, "--changed", "migrations")
    assert code == 1, err
    assert files_of(out) == {
        "migrations/0001_a.up.sql",
        "migrations/0003_c.up.sql",
        "migrations/0004_d.up.sql",
    }
    assert "P101" not in out  # 0002 is unchanged
    assert out.rstrip().endswith(
        "4 file(s) checked (postgres), changed since the merge base of main and HEAD: "
        "2 error(s), 4 warning(s)"
    )
    code, out, _ = lint(repo, "--changed", "--base", "feature", "migrations")
    assert files_of(out) == {"migrations/0001_a.up.sql", "migrations/0004_d.up.sql"}


def test_nothing_changed_is_clean_and_the_default_folder_is_used(repo: Path) -> None:
    (repo / "sqlmig.toml").write_text('dir = "migrations"\n')
    code, out, err = lint(repo, "--changed")
    assert code == 0, err
    assert "0 file(s) checked (postgres), changed since the merge base of main and HEAD" in out


def test_folder_findings_still_see_the_whole_folder(repo: Path) -> None:
    folder = repo / "migrations"
    write(folder, "0002_other.up.sql", "SELECT 1;")  # untracked, same version as 0002_b
    write(folder, "0002_other.down.sql", "SELECT 1;")
    git(repo, "rm", "-q", "migrations/0001_a.up.sql")  # its down file stays, unchanged
    write(folder, "0005_café.up.sql", "SELECT 1;")  # a name `up` refuses, not ASCII
    code, out, err = lint(repo, "--changed", "migrations")
    assert code == 1, err
    found = {(line.split(":")[0], line.split(": ")[1].split()[0]) for line in out.splitlines()
             if line.startswith("migrations/")}  # fmt: skip
    assert ("migrations/0002_other.up.sql", "F704") in found
    assert ("migrations/0002_b.up.sql", "F704") in found  # unchanged, but half of the pair
    assert ("migrations/0001_a.down.sql", "F706") in found  # its up was deleted
    assert ("migrations/0005_café.up.sql", "F705") in found
    assert ("migrations/0002_b.up.sql", "P101") not in found  # only folder rules there


def test_errors_outside_git_with_an_unknown_ref_and_base_alone(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    write(outside, "0001_a.up.sql", "SELECT 1;")
    code, _, err = lint(outside, "--changed", ".")
    assert code == 2 and "is in no git repository" in err
    code, _, err = lint(repo, "--changed", "--base", "no-such-branch", "migrations")
    assert code == 2 and "unknown git ref 'no-such-branch'" in err
    code, _, err = lint(repo, "--changed", "--base", "--output=x", "migrations")
    assert code == 2 and "unknown git ref" in err
    code, _, err = lint(repo, "--base", "main", "migrations")
    assert code == 2 and "--base goes with --changed" in err


def test_a_repository_without_a_branch_to_compare_with(tmp_path: Path) -> None:
    repo = tmp_path / "solo"
    (repo / "m").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "trunk")
    write(repo / "m", "0001_a.up.sql", "DROP TABLE x;")
    code, out, err = lint(repo, "--changed", "m")  # no commit yet: every file is new
    assert code == 1 and "D201" in out, err
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "one")
    code, _, err = lint(repo, "--changed", "m")
    assert code == 2 and "pass --base REF" in err
    code, out, err = lint(repo, "--changed", "--base", "trunk", "m")
    assert code == 0 and "0 file(s) checked" in out, err

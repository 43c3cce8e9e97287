"""The suite's fork runner (tests/forkrun.py) gives what a fresh `python -m sqlmig` gives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests import forkrun
from tests.conftest import ROOT, clean_env, write

EXAMPLES = str(ROOT / "migrations")


def both(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple:
    """The same command forked and exec'd, each in its own copy of cwd (a relative sqlite:///t.db
    is its own database): (forked, fresh), each (exit code, stdout, stderr), timings and the
    copy's name masked."""
    full, results = clean_env(env), []
    for name, exec_ in (("forked", "0"), ("fresh", "1")):
        os.environ["SQLMIG_TEST_EXEC"] = exec_
        try:
            here = cwd / name
            shutil.copytree(cwd / "template", here)
            done = forkrun.run(args, full, clean_env(), here, 60)
        finally:
            del os.environ["SQLMIG_TEST_EXEC"]
        results.append((done.returncode, _mask(done.stdout, here), _mask(done.stderr, here)))
    return tuple(results)


def _mask(text: str, here: Path) -> str:
    return re.sub(r"\d+ ms", "N ms", text.replace(str(here), "HERE"))


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--url", "sqlite:///t.db", "--dir", EXAMPLES, "status"],
        ["--url", "sqlite:///t.db", "--dir", EXAMPLES, "up"],  # applies the 5 examples
        ["--url", "sqlite:///t.db", "--dir", EXAMPLES, "status", "--json"],
        ["--bogus"],
        ["--url", "sqlite:///t.db", "--dir", "missing", "up", "--to", "x"],
        ["--url", "sqlite:///t.db", "lint", "bad"],  # lint imports sqlglot: preloaded in forks
    ],
)
def test_a_forked_run_prints_and_exits_as_a_fresh_one(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "template" / "bad").mkdir(parents=True)
    bad = "DROP TABLE t;\nALTER TABLE u ADD COLUMN c int NOT NULL;\n"
    write(tmp_path / "template" / "bad", "0001_x", bad)
    forked, fresh = both(args, tmp_path)
    assert forked == fresh


def test_the_environment_reaches_the_child_and_start_up_settings_take_a_fresh_process(
    tmp_path: Path,
) -> None:
    url = "sqlite:///e.db"
    (tmp_path / "template").mkdir()
    forked, fresh = both(["--dir", EXAMPLES, "status"], tmp_path, {"SQLMIG_URL": url})
    assert forked == fresh and forked[0] == 0, forked
    assert "pending: 5" in forked[1]
    assert forkrun._faithful({**clean_env(), "SQLMIG_URL": url}, clean_env())
    assert not forkrun._faithful({**clean_env(), "LANG": "C"}, clean_env())
    assert not forkrun._faithful({**clean_env(), "PYTHONUTF8": "1"}, clean_env())


def test_a_run_over_its_timeout_is_killed(tmp_path: Path) -> None:
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"
    (tmp_path / "m").mkdir()
    write(tmp_path / "m", "0001_forever", slow + "\n")
    args = ["--url", f"sqlite:///{tmp_path / 's.db'}", "--dir", str(tmp_path / "m"), "up"]
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        forkrun.run(args, clean_env(), clean_env(), tmp_path, 2)
    assert time.monotonic() - start < 30
    time.sleep(0.5)  # the kill is sent before TimeoutExpired; the server reaps the child
    running = subprocess.run(["pgrep", "-f", str(tmp_path / "s.db")], capture_output=True)
    assert running.stdout == b"", "the timed-out child is still running"

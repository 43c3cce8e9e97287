"""The corpus, verified by running it: PostgreSQL vs transpiled SQLite and MySQL.

`python -m tests.transpile.harness` prints the same table (README "Transpiling across dialects").
"""

from __future__ import annotations

import logging

import pytest

from tests.conftest import _MYSQL_PROBLEM, MYSQL_URL, PG_URL, require_mysql, require_pg

from .harness import load, run_all, table

# The whole corpus runs on three databases in the fixture (about a minute alone, two or more
# on a loaded machine): more than pytest's default timeout, which would cut it mid-statement.
pytestmark = pytest.mark.timeout(600)

# Floors, so a change that turns correct translations into refusals is noticed.
FLOOR = {"sqlite": 189, "mysql": 182}


@pytest.fixture(scope="module")
def tallies() -> dict:
    require_pg()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return run_all(PG_URL, None if _MYSQL_PROBLEM else MYSQL_URL)


def test_corpus_is_large_enough() -> None:
    assert len(load()) >= 120


@pytest.mark.parametrize("target", ["sqlite", "mysql"])
def test_sqlmig_is_never_silently_wrong(tallies: dict, target: str) -> None:
    if (target, "sqlmig") not in tallies:
        require_mysql()
    results = tallies[(target, "sqlmig")].results
    bad = [f"{r.case}: {r.verdict}: {r.detail}" for r in results
           if r.verdict in ("wrong", "invalid")]  # fmt: skip
    print("\n" + table(tallies, len(load())))
    assert bad == []
    assert tallies[(target, "sqlmig")].count("correct") >= FLOOR[target]


@pytest.mark.parametrize("target", ["sqlite", "mysql"])
def test_plain_sqlglot_is_measured_on_the_same_corpus(tallies: dict, target: str) -> None:
    if (target, "sqlglot") not in tallies:
        require_mysql()
    # the reason this package exists: plain transpilation is often wrong without an error
    assert tallies[(target, "sqlglot")].count("wrong") > 0

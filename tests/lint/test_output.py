"""Text, JSON, GitHub annotations and SARIF 2.1.0: the documented shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlmig.lint import lint_paths
from sqlmig.lint.output import render

from .helpers import write

SQL = "SET lock_timeout = '1s';\nALTER TABLE books ADD COLUMN isbn varchar(13) NOT NULL;\n"


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "0001_isbn.up.sql", SQL)
    write(tmp_path, "0001_isbn.down.sql", "ALTER TABLE books DROP COLUMN isbn;")
    return lint_paths([Path("0001_isbn.up.sql")], select=["D207", "T301"])


def test_text(report) -> None:  # type: ignore[no-untyped-def]
    lines = render(report, "text").splitlines()
    assert lines == [
        "0001_isbn.up.sql:2:30: D207 add-column-not-null-without-default: column books.isbn is "
        "NOT NULL without a DEFAULT: adding it fails as soon as the table has a row",
        "  help: add the column nullable (or with a DEFAULT), backfill it, then make it NOT NULL",
        "0001_isbn.up.sql:2:30: T301 prefer-text: books.isbn is VARCHAR(13): prefer text",
        "  help: use text (add a CHECK (length(col) <= n) if the limit is a business rule)",
        "1 file(s) checked (postgres): 1 error(s), 1 warning(s)",
    ]


def test_json_shape(report) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(render(report, "json"))
    assert set(doc) == {"version", "tool", "dialect", "files", "summary", "findings"}
    assert doc["summary"] == {"errors": 1, "warnings": 1}
    keys = {"path", "line", "col", "code", "rule", "severity", "message", "help"}
    assert all(set(f) == keys for f in doc["findings"])
    assert doc["findings"][0]["code"] == "D207" and doc["findings"][0]["line"] == 2


def test_github_annotations_escape_their_properties(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b:c.sql", "TRUNCATE t CASCADE;")
    out = render(lint_paths([path], select=["D208"]), "github").splitlines()
    assert out[0].startswith("::error file=")
    assert "a%2Cb%3Ac.sql,line=1,col=1,title=D208 truncate-cascade::TRUNCATE t CASCADE" in out[0]
    assert "%0Ahelp: " in out[0]


def test_sarif_has_the_required_2_1_0_structure(report) -> None:  # type: ignore[no-untyped-def]
    log = json.loads(render(report, "sarif"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sqlmig"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["D207", "T301"]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in (
            "error",
            "warning",
        )
    for result in run["results"]:
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert result["level"] in ("none", "note", "warning", "error")
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (loc,) = result["locations"]
        physical = loc["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "0001_isbn.up.sql"  # relative, not absolute
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert [r["level"] for r in run["results"]] == ["error", "warning"]


def test_paths_follow_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The display path is cached per file, but not across a change of working directory."""
    (tmp_path / "m").mkdir()
    path = write(tmp_path / "m", "0001_isbn.up.sql", SQL)
    seen = []
    for cwd in (tmp_path, tmp_path / "m"):
        monkeypatch.chdir(cwd)
        seen.append(lint_paths([path], select=["D207"]).findings[0].path)
    assert seen == ["m/0001_isbn.up.sql", "0001_isbn.up.sql"]

"""Folders of dangerous migrations: each danger is reported once, on the line marked `expect:`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig.lint import lint_paths

HERE = Path(__file__).parent
EXPECT = re.compile(r"expect: ([A-Z0-9, ]+)")


def expected(folder: Path) -> list[tuple[str, int, str]]:
    """(file, line, code) for every `expect: CODE[, CODE]` marker."""
    out = []
    for path in sorted(folder.glob("*.sql")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = EXPECT.search(line)
            for code in match[1].replace(",", " ").split() if match else []:
                out.append((path.name, number, code))
    return sorted(out)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite", "mysql"])
def test_each_danger_is_reported_once_on_its_line(dialect: str) -> None:
    folder = HERE / "dangerous" / dialect
    from sqlmig.lint import REGISTRY

    opt_in = [f"+{c}" for c, r in REGISTRY.items() if r.opt_in]
    report = lint_paths([folder], dialect=dialect, select=opt_in)
    found = sorted((Path(f.path).name, f.line, f.code) for f in report.findings)
    assert found == expected(folder)
    assert not report.ok


def test_every_rule_is_shown_in_the_dangerous_folders() -> None:
    from sqlmig.lint import REGISTRY

    shown = {
        code
        for d in ("postgres", "sqlite", "mysql")
        for *_, code in expected(HERE / "dangerous" / d)
    }
    assert shown == set(REGISTRY)


def test_the_example_migrations_lint_clean() -> None:
    """The repository's migrations, in the dialect its sqlmig.toml names (SQLite)."""
    report = lint_paths([HERE.parent.parent / "migrations"], dialect="sqlite")
    assert report.findings == () and report.files == 10
    pg = lint_paths([HERE.parent.parent / "migrations"], dialect="postgres")
    assert pg.ok  # only conventions (varchar, int keys) and lock_timeout warnings

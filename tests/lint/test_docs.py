"""README documents every rule; the pre-commit hook exists; lint stays off the `up` import path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmig.lint import REGISTRY, lint_paths
from sqlmig.lint.rules import load_all

ROOT = Path(__file__).resolve().parent.parent.parent


def test_readme_lists_every_rule_with_code_name_and_severity() -> None:
    load_all()
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Linting", 1)[1].split("\n## ", 1)[0]
    for rule in REGISTRY.values():
        assert f"| {rule.code} | `{rule.name}` | {rule.severity} |" in section, rule.code


def test_pre_commit_hook_runs_sqlmig_lint_on_sql_files() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: sqlmig-lint" in hooks
    assert "entry: sqlmig lint" in hooks and "files: \\.sql$" in hooks


def test_importing_the_cli_does_not_import_sqlglot_or_lint() -> None:
    code = (
        "import sys, sqlmig.cli; "
        "bad = [m for m in ('sqlglot', 'sqlmig.lint') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_corpus_lints_without_a_rule_failing() -> None:
    report = lint_paths([ROOT / "tests" / "lint" / "corpus"])
    assert report.files >= 13
    assert not [f for f in report.findings if "failed on this statement" in f.message]
    assert {"P101", "P103", "D201", "T301", "S002"} <= {f.code for f in report.findings}


def test_the_squawk_table_names_real_sqlmig_rules() -> None:
    import re

    load_all()
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### squawk's rules and sqlmig's", 1)[1].split("\n## ", 1)[0]
    pairs = re.findall(r"\b([A-Z]\d{3}) `([a-z-]+)`", table)
    assert len(pairs) >= 30
    for code, name in pairs:
        assert REGISTRY[code].name == name, code

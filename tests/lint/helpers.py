"""Write SQL into migration files in a temp folder and lint them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from sqlmig.lint import Finding, lint_paths
from sqlmig.lint.model import Rule

EXAMPLE = re.compile(r"^(Bad|Good):\n(?P<body>(?:    .*\n?|\n)+)", re.M)


def write(folder: Path, name: str, sql: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(sql).lstrip("\n"), encoding="utf-8")
    return path


def lint_sql(
    tmp_path: Path,
    sql: str,
    *,
    dialect: str = "postgres",
    down: str | None = None,
    name: str = "0001_change",
    **options: object,
) -> list[Finding]:
    """Lint `sql` as NAME.up.sql (with a down file when `down` is given; else F701 is off)."""
    if down is None:
        options["ignore"] = [*options.get("ignore", []), "up-without-down"]  # type: ignore[list-item]
    folder = tmp_path / "m"
    folder.mkdir(parents=True, exist_ok=True)
    up = write(folder, f"{name}.up.sql", sql)
    paths = [up]
    if down is not None:
        paths.append(write(folder, f"{name}.down.sql", down))
    return list(lint_paths(paths, dialect=dialect, **options).findings)  # type: ignore[arg-type]


def names(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def examples(rule: Rule) -> dict[str, str]:
    """The Bad: and Good: SQL of a rule's docstring."""
    doc = textwrap.dedent("\n".join(rule.doc.splitlines()[1:])) + "\n"
    return {m[1]: textwrap.dedent(m["body"]) for m in EXAMPLE.finditer(doc)}

"""`sqlmig lint`: find dangerous and broken statements in migration files before they run.

Public API: lint_paths(), LintReport, Finding, REGISTRY (every rule), explain().
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from . import engine, parse
from .context import DEFAULT_PG_VERSION, FileContext
from .explain import explain
from .model import DIALECTS, REGISTRY, Finding, LintFailed, Rule
from .rules import load_all

__all__ = [
    "DEFAULT_PG_VERSION",
    "REGISTRY",
    "Finding",
    "LintFailed",
    "LintReport",
    "dialect_of_url",
    "explain",
    "lint_paths",
]


@dataclass(frozen=True)
class LintReport:
    """Every finding, sorted by file and position, and how many files were read."""

    findings: tuple[Finding, ...]
    files: int
    dialect: str
    rules: tuple[Rule, ...]
    new_folders: tuple[Path, ...] = ()  # folders passed that hold no migration yet
    changed_base: str | None = None  # `lint --changed`: what the files were compared with

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def dialect_of_url(url: str | None) -> str | None:
    """postgres / sqlite / mysql / mariadb (MySQL files, MariaDB's behaviour) from a database
    URL's scheme, or None."""
    scheme = (url or "").split(":", 1)[0].split("+", 1)[0].lower()
    return {
        "postgresql": "postgres",
        "postgres": "postgres",
        "sqlite": "sqlite",
        "mysql": "mysql",
        "mariadb": "mariadb",
    }.get(scheme)


def lint_paths(
    paths: Sequence[Path],
    *,
    dialect: str = "postgres",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    pg_version: int = DEFAULT_PG_VERSION,
) -> LintReport:
    """Lint files and folders (every *.sql in a folder) with the selected rules.

    `dialect` "mariadb" lints MySQL files with MariaDB's behaviour where the two differ."""
    server, dialect = dialect, "mysql" if dialect == "mariadb" else dialect
    if dialect not in DIALECTS:
        raise UsageError(
            f"unknown dialect {dialect!r}",
            hint="use one of: " + ", ".join(sorted(DIALECTS | {"mariadb"})),
        )
    load_all()
    rules = engine.select_rules(select, ignore)
    parse_all = bool({r.code for r in rules} & engine.SYNTAX_RULES)
    parse.quiet_sqlglot()
    files = _files(paths)
    gc.freeze()  # sqlglot's import: never collected, so never scanned again
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)  # trees are acyclic enough; fewer full scans
    try:
        with parse.armed():
            findings = _lint_files(files, server, pg_version, rules, parse_all)
    finally:
        gc.set_threshold(*threshold)
    new = tuple(p for p in paths if p.is_dir() and not any(f.parent == p for f in files))
    return LintReport(tuple(findings), len(files), server, tuple(rules), new)


def _lint_files(
    files: list[Path], dialect: str, pg_version: int, rules: list[Rule], parse_all: bool
) -> list[Finding]:
    cache: dict[Path, FileContext] = {}
    wanted = set(files)

    def load(path: Path) -> FileContext:
        if path not in cache:
            cache[path] = engine.load(path, dialect, pg_version, parse_all=parse_all)
        return cache[path]

    findings: list[Finding] = []
    done: set[Path] = set()
    for path in files:
        ctx = load(path)
        pair = load(ctx.pair_path) if ctx.pair_path else None
        if ctx.direction == "down" and pair is not None:
            ctx = engine.with_pair(ctx, pair)
        findings += engine.run(ctx, rules, pair)
        done.add(path)
        if ctx.pair_path is None or ctx.pair_path in done or ctx.pair_path not in wanted:
            cache.pop(path, None)  # keep a tree only while its pair still needs it
            cache.pop(ctx.pair_path, None)  # type: ignore[arg-type]
    return findings


def _other_layout(folder: Path) -> list[Path]:
    """A folder with no .sql file: fine when empty, an error when it holds another tool's
    folder-per-migration layout, which would otherwise pass as "0 files, no problems"."""
    from ..emptyfolder import require_new
    from ..layouts import describe_code, describe_folders

    looks = describe_folders(folder)
    if looks is not None:
        raise UsageError(
            f"{folder} holds no .sql file; it looks like {looks}",
            hint=f"pass the files themselves: sqlmig lint {folder}/*/*.sql",
        )
    code = describe_code(folder)
    if code is not None:
        raise UsageError(
            f"{folder} holds no .sql file; it looks like {code}",
            hint="lint reads SQL migration files (NNNN_slug.up.sql); there is nothing here to lint",
        )
    require_new(folder)  # an empty (new) folder has nothing to lint; one with other files is wrong
    return []


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".sql" and p.is_file())
            out += found or _other_layout(path)
            hooks = path / "callbacks"  # callbacks.py: the callback files `up` runs
            if found and hooks.is_dir():
                out += sorted(p for p in hooks.iterdir() if p.suffix.lower() == ".sql")
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"{path} does not exist", hint="pass migration files or folders")
    return list(dict.fromkeys(out))

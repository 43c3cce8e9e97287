"""`sqlmig lint`: find dangerous and broken statements in migration files before they run.

Public API: lint_paths(), LintReport, Finding, REGISTRY (every rule), explain().
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .explain import explain
from .model import DEFAULT_PG_VERSION, DIALECTS, Finding, LintFailed, Rule

if TYPE_CHECKING:
    from .cache import LintCache
    from .layout import Layout, Role

# The parser (sqlglot) and the rules are imported only when some file is not in the cache.

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
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    new_folders: tuple[Path, ...] = ()  # folders passed that hold no migration yet
    changed_base: str | None = None  # `lint --changed`: what the files were compared with
    cached: int = field(default=0, compare=False)  # files whose findings came from the cache

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        """The rules that ran (loading them imports the parser: SARIF output needs them)."""
        return tuple(_rules(self.select, self.ignore))

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
    cache_dir: Path | None = None,
    jobs: int | None = None,
    dir_format: str | None = None,
) -> LintReport:
    """Lint files and folders (every *.sql in a folder) with the selected rules.

    `dialect` "mariadb" lints MySQL files with MariaDB's behaviour where the two differ.
    `cache_dir`: reuse and keep each file's findings there (see cache.py); None: no cache.
    `jobs`: worker processes (None: every usable CPU when there are many files).
    `dir_format`: the folders' format (None: detected); a popx folder is read as `up` reads
    it for the dialect: its files for that database only, each down paired as `down` runs it."""
    server, dialect = dialect, "mysql" if dialect == "mariadb" else dialect
    if dialect not in DIALECTS:
        raise UsageError(
            f"unknown dialect {dialect!r}",
            hint="use one of: " + ", ".join(sorted(DIALECTS | {"mariadb"})),
        )
    select, ignore = tuple(select), tuple(ignore)
    files, roles = _files(paths, dir_format, server)
    cache = _open_cache(cache_dir, server, pg_version, select, ignore)
    per_file: dict[Path, list[Finding]] = {}
    keys: dict[Path, str | None] = {}
    if cache is not None:
        from .paths import display

        for path in files:
            role = roles.get(path)
            keys[path] = cache.key(path, _context_files(role) if role else None)
            hit = cache.get(keys[path], display(path)) if keys[path] else None
            if hit is not None:
                per_file[path] = hit
    cached = len(per_file)
    missing = [p for p in files if p not in per_file]
    if missing or cache is None or not files:
        rules = _rules(select, ignore)  # also refuses unknown rule names, cache or not
        per_file.update(_lint_files(missing, server, pg_version, rules, jobs, roles))
    if cache is not None:
        for path in missing:
            if keys[path] is not None:
                cache.put(keys[path], per_file[path])  # type: ignore[arg-type]
        cache.save()
    findings = tuple(f for path in files for f in per_file[path])
    new = tuple(p for p in paths if p.is_dir() and not any(f.parent == p for f in files))
    return LintReport(findings, len(files), server, select, ignore, new, cached=cached)


def _rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    from . import engine
    from .rules import load_all

    load_all()
    return engine.select_rules(select, ignore)


def _open_cache(
    folder: Path | None, server: str, pg_version: int, select: tuple, ignore: tuple
) -> LintCache | None:
    if folder is None:
        return None
    from .cache import LintCache, settings_key

    return LintCache(folder, settings_key(server, pg_version, select, ignore))


def _lint_files(
    files: list[Path],
    server: str,
    pg_version: int,
    rules: list[Rule],
    jobs: int | None,
    roles: Mapping[Path, Role],
) -> dict[Path, list[Finding]]:
    from . import batch, engine, parse

    parse_all = bool({r.code for r in rules} & engine.SYNTAX_RULES)
    parse.quiet_sqlglot()
    gc.freeze()  # sqlglot's import: never collected, so never scanned again
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)  # trees are acyclic enough; fewer full scans
    try:
        with parse.armed():
            return batch.lint_files(
                files, server, pg_version, rules, parse_all, jobs=jobs, roles=roles
            )
    finally:
        gc.set_threshold(*threshold)


def __getattr__(name: str) -> Any:
    """REGISTRY (every rule) loads the rules, and with them the parser, on first use."""
    if name == "REGISTRY":
        from .model import REGISTRY
        from .rules import load_all

        load_all()
        return REGISTRY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _files(
    paths: Sequence[Path], dir_format: str | None, dialect: str
) -> tuple[list[Path], dict[Path, Role]]:
    """The files to lint, and the roles of those a folder of another layout gives them."""
    out: list[Path] = []
    roles: dict[Path, Role] = {}
    layouts: dict[Path, Layout | None] = {}

    def _layout(folder: Path) -> Layout | None:
        from .layout import read

        if folder not in layouts:
            layouts[folder] = read(folder, dir_format, dialect)
        return layouts[folder]

    for path in paths:
        if path.is_dir():
            other = _layout(path)
            if other is not None:
                out += other.files
                roles.update(other.roles)
                continue
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".sql" and p.is_file())
            out += found or _other_layout(path)
            hooks = path / "callbacks"  # callbacks.py: the callback files `up` runs
            if found and hooks.is_dir():
                out += sorted(p for p in hooks.iterdir() if p.suffix.lower() == ".sql")
        elif path.is_file():
            other = _layout(path.parent)
            if other is not None and path not in other.roles:
                continue  # another database's file of a popx folder: `up` does not run it here
            out.append(path)
            if other is not None:
                roles[path] = other.roles[path]
        else:
            raise UsageError(f"{path} does not exist", hint="pass migration files or folders")
    return list(dict.fromkeys(out)), roles


def _context_files(role: Role) -> list[Path]:
    """What a file of another layout is linted with: its pair and its version group."""
    return [*([role.pair] if role.pair else []), *role.ups, *role.downs]

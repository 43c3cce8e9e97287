"""What the CLI calls: `sqlmig lint` and `sqlmig up --lint`, with flags over sqlmig.toml."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import UsageError
from ..results import Result
from . import LintReport, dialect_of_url, lint_paths
from .cache import FOLDER_NAME
from .explain import explain
from .model import DEFAULT_PG_VERSION, LintFailed
from .output import FORMATS, render

MAX_LISTED = 20  # up --lint: errors named in the message


def lint(
    cfg: Config,
    *,
    paths: Sequence[Path] = (),
    dialect: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    pg_version: int | None = None,
    changed: bool = False,
    base: str | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
) -> LintReport:
    """Lint `paths` (default: the migrations folder); flags (None / empty) beat the config.
    `changed`: only the files git says changed since `base` (see changed.py). `cache` False
    (--no-cache): neither read nor write the cache folder."""
    ignored = list(ignore) or list(cfg.lint_ignore)
    if getattr(cfg, "statement_lock_timeout", None):  # `up` sets lock_timeout for every file
        ignored.append("missing-lock-timeout")
    options = {
        "dialect": dialect or cfg.dialect or dialect_of_url(cfg.url) or "postgres",
        "select": list(select) or list(cfg.lint_select),
        "ignore": ignored,
        "pg_version": pg_version or cfg.pg_version or DEFAULT_PG_VERSION,
        "cache_dir": cache_folder(cfg, cache_dir) if cache else None,
        "dir_format": getattr(cfg, "dir_format", None),
    }
    if base is not None and not changed:
        raise UsageError("--base goes with --changed", hint="sqlmig lint --changed --base main")
    if changed:
        from .changed import lint_changed

        return lint_changed(list(paths) or [cfg.dir], base, options)
    return lint_paths(list(paths) or [cfg.dir], **options)  # type: ignore[arg-type]


def cache_folder(cfg: Config, given: Path | None = None) -> Path:
    """--cache-dir, else `lint_cache_dir` in the config, else .sqlmig_cache/ beside the config
    file, else at the root of the git work tree holding the working directory, else in it."""
    chosen = given or getattr(cfg, "lint_cache_dir", None)
    if chosen is not None:
        return Path(chosen)
    if cfg.config_file is not None:
        return cfg.config_file.parent / FOLDER_NAME
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder / FOLDER_NAME
    return here / FOLDER_NAME


def lint_result(
    report: LintReport, fmt: str, *, as_json: bool = False, colour: bool = False
) -> Result:
    """The report as a Result: findings as entries, and (unless --json) the rendered output."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use one of: " + ", ".join(FORMATS))
    entries = [f.as_dict() for f in report.findings]
    messages = [] if as_json else [render(report, fmt, colour=colour)]
    return Result(command="lint", ok=report.ok, entries=entries, messages=messages)


def explain_result(rule: str) -> Result:
    return Result(command="lint", messages=[explain(rule)])


def _run_by_up(folder: Path, dir_format: str | None = None) -> list[Path]:
    """The folder's .sql files without the dialect override files; [] (the folder itself) when
    it has none of those, or when it is another tool's folder (lint reads a popx folder's
    files for the dialect as `up` does)."""
    from ..files import OVERRIDE
    from ..formats import format_of

    if format_of(folder, dir_format) != "sqlmig":
        return []
    try:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".sql")
    except OSError:
        return []
    kept = [p for p in found if not OVERRIDE.match(p.name)]
    return kept if kept and len(kept) < len(found) else []


def require_clean(cfg: Config) -> None:
    """`up --lint`: raise LintFailed (nothing applied) when lint finds any error. Only the
    files `up` runs: a dialect's override file is `transpile`'s, not `up`'s."""
    report = lint(cfg, paths=_run_by_up(cfg.dir, getattr(cfg, "dir_format", None)))
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return
    lines = [f"{f.path}:{f.line}:{f.col}: {f.code} {f.rule}: {f.message}" for f in errors]
    more = len(lines) - MAX_LISTED
    listed = "\n".join(lines[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else []))
    raise LintFailed(
        f"lint found {len(errors)} error(s); nothing was applied:\n{listed}",
        hint="run `sqlmig lint` for the details and the safe alternatives, or run `up` "
        "without --lint",
    )

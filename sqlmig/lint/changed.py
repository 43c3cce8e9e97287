"""`lint --changed [--base REF]`: the .sql files git says changed since the merge base of REF
and HEAD (committed, staged, unstaged and untracked), and the files of the same folders whose
names alone make a folder-level finding (a duplicate version, a down left without its up)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..files import FILENAME, OVERRIDE

if TYPE_CHECKING:
    from . import LintReport

# Tried in order when --base is not given: the remote's default branch, then local ones.
DEFAULT_BASES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree: a repo with no commit
FOLDER_RULES = ("F704", "F705", "F706", "F708")  # found from the folder's file names


@dataclass(frozen=True)
class Changed:
    files: tuple[Path, ...]  # changed .sql files under the paths asked for: linted fully
    neighbours: tuple[Path, ...]  # unchanged files of touched folders with a name problem
    base: str  # what they were compared with, for the summary


def changed(paths: Sequence[Path], base: str | None) -> Changed:
    """The files to lint for `--changed`; UsageError outside a git repository or for a ref
    git does not know."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist", hint="pass migration files or folders")
    start = next((p if p.is_dir() else p.parent for p in paths), Path.cwd())
    found = _git(start, "rev-parse", "--show-toplevel", what=f"{start} is in no git repository")
    top = Path(found.rstrip("\n"))
    commit, said = _base(top, base)
    listed = _git(top, "diff", "--name-only", "-z", "--no-renames", commit, "--")
    untracked = _git(top, "ls-files", "-z", "--others", "--exclude-standard")
    names = [n for n in (listed + "\0" + untracked).split("\0") if n]
    everything = [(top / os.fsdecode(n)).resolve() for n in names]
    wanted = [p.resolve() for p in paths]
    sql = [p for p in everything if p.suffix.lower() == ".sql" and _under(p, wanted)]
    present = sorted({p for p in sql if p.is_file()})
    touched = {p.parent for p in sql}  # also the folders of deleted files
    neighbours = sorted(p for folder in touched if folder.is_dir() for p in _name_problems(folder))
    kept = tuple(p for p in neighbours if p not in set(present))
    return Changed(tuple(present), kept, said)


def _under(path: Path, wanted: list[Path]) -> bool:
    """Would `sqlmig lint WANTED` read the file (a file named, or one directly in a folder)?"""
    return any(path == w or path.parent == w for w in wanted)


def _base(top: Path, base: str | None) -> tuple[str, str]:
    """(commit to diff against, how to describe it)."""
    if not _has_head(top):
        return EMPTY_TREE, "an empty repository (every file is new)"
    if base is not None:
        if not _resolves(top, base):
            raise UsageError(
                f"unknown git ref {base!r} (for --base)",
                hint="name a branch, tag or commit (`git branch -a` lists them); in CI, fetch the "
                "base branch first (actions/checkout with fetch-depth: 0)",
            )
        return _merge_base(top, base), f"the merge base of {base} and HEAD"
    for candidate in DEFAULT_BASES:
        if _resolves(top, candidate):
            return _merge_base(top, candidate), f"the merge base of {candidate} and HEAD"
    raise UsageError(
        "lint --changed found no branch to compare with (" + ", ".join(DEFAULT_BASES) + ")",
        hint="pass --base REF (a branch, tag or commit)",
    )


def _merge_base(top: Path, ref: str) -> str:
    """The merge base of REF and HEAD; REF itself for histories that share none."""
    try:
        return _git(top, "merge-base", ref, "HEAD", what="").strip()
    except UsageError:
        return _git(top, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()


def _has_head(top: Path) -> bool:
    return _resolves(top, "HEAD")


def _resolves(top: Path, ref: str) -> bool:
    if ref.startswith("-"):
        return False  # never an option to git
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what="")
    except UsageError:
        return False
    return True


def _git(cwd: Path, *args: str, what: str | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, errors="surrogateescape"
        )
    except FileNotFoundError:
        raise UsageError(
            "lint --changed needs git, which is not installed (or not on PATH)",
            hint="install git, or run lint without --changed",
        ) from None
    if proc.returncode != 0:
        said = proc.stderr.strip().splitlines()
        raise UsageError(
            what or f"git {' '.join(args)} failed: {said[-1] if said else proc.returncode}",
            hint="run lint without --changed, or from inside the repository's work tree",
        )
    return proc.stdout


def _name_problems(folder: Path) -> list[Path]:
    """Files whose names alone make a folder-level finding: two up files of one version, a
    down without its up, an override without its generic file, a name `up` refuses."""
    try:
        names = [p.name for p in folder.iterdir() if p.suffix.lower() == ".sql" and p.is_file()]
    except OSError:
        return []
    if not any(FILENAME.match(n) for n in names):
        return []  # not a migrations folder
    present = set(names)
    by_version: dict[int, list[str]] = {}
    out: list[str] = []
    for name in names:
        match = FILENAME.match(name)
        override = OVERRIDE.match(name)
        if match and match["direction"] == "up":
            by_version.setdefault(int(match["version"]), []).append(name)
        elif match and f"{match['version']}_{match['slug']}.up.sql" not in present:
            out.append(name)
        elif override:
            generic = f"{override['version']}_{override['slug']}.{override['direction']}.sql"
            if generic not in present:
                out.append(name)
        elif not match:
            out.append(name)
    out += [n for group in by_version.values() if len(group) > 1 for n in group]
    return [folder / n for n in out]


def lint_changed(paths: list[Path], base: str | None, options: dict[str, Any]) -> LintReport:
    """Lint the changed files fully, and their folders' name problems with the folder rules."""
    from . import LintReport, lint_paths

    found = changed(paths, base)
    if found.files:
        report = lint_paths(list(found.files), **options)
    else:
        report = LintReport(
            (), 0, options["dialect"], tuple(options["select"]), tuple(options["ignore"])
        )
    folder_rules = [r.code for r in report.rules if r.code in FOLDER_RULES]
    if found.neighbours and folder_rules:
        more = lint_paths(list(found.neighbours), **{**options, "select": folder_rules})
        findings = sorted(
            report.findings + more.findings, key=lambda f: (f.path, f.line, f.col, f.code)
        )
        report = replace(report, findings=tuple(findings), files=report.files + more.files)
    return replace(report, changed_base=found.base)

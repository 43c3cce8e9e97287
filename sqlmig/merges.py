"""Merge safety: a branch's migration files against a base branch's, read with git."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import MigrationFileError, UsageError
from .files import FILENAME, OVERRIDE, read_sql_file
from .results import Result


@dataclass(frozen=True)
class Entry:
    """A migration file by name: `0006_add_x.up.sql` -> version 6, label 0006_add_x."""

    name: str
    version: int
    version_text: str
    label: str
    direction: str


@dataclass(frozen=True)
class Finding:
    kind: str  # duplicate | below-newest | edited | deleted | renamed
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "message": self.message}


@dataclass(frozen=True)
class Sides:
    """The folder on the base (REF), where the branch left it (the merge base), and now."""

    folder: Path
    base: str
    on_base: dict[str, Entry]
    at_fork: dict[str, Entry]
    here: dict[str, Entry]
    changed: dict[str, str]  # file name -> git's status letter (M, D) since the merge base

    @property
    def added(self) -> list[Entry]:
        """The branch's new files (not at the merge base nor on the base; no rename)."""
        moved = self.renamed
        new = [e for e in self._fresh() if e.name not in moved]
        return sorted(new, key=lambda e: (e.version, e.name))

    @property
    def renamed(self) -> dict[str, Entry]:
        """Files that take the place of a merge-base file the branch removed, of the same
        version and direction (a `git mv`): a new name of an old migration, not a new one."""
        gone = {(e.version, e.direction): e for n, e in self.at_fork.items() if n not in self.here}
        return {
            e.name: gone[(e.version, e.direction)]
            for e in self._fresh()
            if (e.version, e.direction) in gone
        }

    def _fresh(self) -> list[Entry]:
        return [e for n, e in self.here.items() if n not in self.at_fork and n not in self.on_base]

    @property
    def newest_on_base(self) -> Entry | None:
        ups = [e for e in self.on_base.values() if e.direction == "up"]
        return max(ups, key=lambda e: e.version, default=None)


def entry(name: str) -> Entry | None:
    """A migration file by its name: sqlmig's, or a per-dialect one (`.postgres.up.sql`, as
    overrides and popx folders name them), which has its migration's version and label."""
    match = FILENAME.match(name) or OVERRIDE.match(name)
    if match is None:
        return None
    vtext, slug = match["version"], match["slug"]
    return Entry(name, int(vtext), vtext, f"{vtext}_{slug}", match["direction"])


def git(folder: Path, *args: str) -> str:
    """Run git in the migrations folder's repository; its error is a usage error naming it."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError(
            "git is not installed (or not on PATH); `check --base` and `renumber` read the "
            "base branch with it",
            hint="install git, or run the check where the repository is checked out",
        ) from None
    if proc.returncode != 0:
        raise UsageError(
            f"git {' '.join(args)} failed in {folder}: {proc.stderr.strip()}",
            hint="the migrations folder must be in a git work tree, and --base a branch, tag "
            "or commit of it (in CI, fetch it first: git fetch origin main)",
        )
    return proc.stdout


def sides(folder: Path, base: str) -> Sides:
    if not folder.is_dir():
        raise MigrationFileError(f"migrations folder {folder} does not exist", hint="check --dir")
    git(folder, "rev-parse", "--show-toplevel")  # a work tree, else git's own words
    try:
        git(folder, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except UsageError:
        raise UsageError(
            f"--base {base} is no branch, tag or commit of the repository of {folder}",
            hint=f"name the branch this one merges into; in CI fetch it first (git fetch origin "
            f"{base.split('/')[-1]}) and pass origin/{base.split('/')[-1]}",
        ) from None
    fork = _merge_base(folder, base)

    def listed(ref: str) -> dict[str, Entry]:
        # run in the folder, ls-tree lists the folder's own entries at `ref` (none if it lacks it)
        # -z: names as they are (git quotes a non-ASCII path otherwise)
        return _entries(git(folder, "ls-tree", "-z", "--name-only", ref).split("\0"))

    here = _entries(p.name for p in folder.iterdir() if p.is_file())
    status = git(folder, "diff", "-z", "--name-status", "--no-renames", fork, "--", ".")
    parts = status.split("\0")  # letter, path, letter, path, ...
    changed = {
        Path(path).name: letter[0] for letter, path in zip(parts[::2], parts[1::2], strict=False)
    }
    return Sides(folder, base, listed(base), listed(fork), here, changed)


def _merge_base(folder: Path, base: str) -> str:
    """The commit HEAD left `base` at; in a shallow clone (CI's default) there may be none."""
    try:
        return git(folder, "merge-base", base, "HEAD").strip()
    except UsageError:
        shallow = git(folder, "rev-parse", "--is-shallow-repository").strip() == "true"
    if shallow:
        raise UsageError(
            f"{base} and HEAD have no common commit in this clone, which is shallow: the "
            "commit the branch left the base at was not fetched",
            hint="fetch the history: git fetch --unshallow origin (in GitHub Actions, "
            "actions/checkout with fetch-depth: 0)",
        )
    raise UsageError(
        f"{base} and HEAD have no common commit: their histories are unrelated",
        hint="pass --base the branch this one was made from and merges into",
    )


def _entries(names: Iterable[str]) -> dict[str, Entry]:
    found = (entry(n) for n in names)
    return {e.name: e for e in found if e is not None}


def findings(s: Sides) -> list[Finding]:
    """Each way the branch's files would break the base's history once merged."""
    out: list[Finding] = []
    base_ups = {e.version: e for e in s.on_base.values() if e.direction == "up"}
    newest = s.newest_on_base
    squashes = _squashes(s)
    for e in (e for e in s.added if e.direction == "up"):
        other = base_ups.get(e.version)
        if e.label in squashes:
            continue  # a squash file takes the version of the last file it replaces
        if other is not None and other.label != e.label:
            out.append(Finding("duplicate", e.name, (
                f"{e.name}: version {e.version_text} is also {other.name}'s on {s.base}: after "
                "the merge the folder has two migrations of one version"
            )))  # fmt: skip
        elif other is None and newest is not None and e.version < newest.version:
            out.append(Finding("below-newest", e.name, (
                f"{e.name} is numbered below {newest.name}, the newest on {s.base}: a database "
                "already at it would refuse to apply this one (out of order)"
            )))  # fmt: skip
    out += _renamed(s)
    out += _changed(s, squashes)
    return out


def _renamed(s: Sides) -> list[Finding]:
    return [
        Finding(
            "renamed",
            name,
            (
                f"the branch renames {old.name}, which is on {s.base}, to {name}: databases that "
                "applied it find it renamed (drift, exit 4, until `sqlmig repair` records the name)"
            ),
        )
        for name, old in sorted(s.renamed.items())
        if old.name in s.on_base
    ]


def _changed(s: Sides, squashes: dict[str, tuple[int, int]]) -> list[Finding]:
    out: list[Finding] = []
    renamed = {old.name for old in s.renamed.values()}
    for name, letter in sorted(s.changed.items()):
        e = s.on_base.get(name)
        if e is None or name not in s.at_fork or letter not in "MD" or name in renamed:
            continue
        if letter == "D" and any(a <= e.version <= b for a, b in squashes.values()):
            continue  # a file a squash replaces may be deleted (README: Squashing)
        verb = "edits" if letter == "M" else "deletes"
        out.append(Finding("edited" if letter == "M" else "deleted", name, (
            f"the branch {verb} {name}, which is on {s.base}: databases that applied it keep "
            "what it was (drift, exit 4)"
        )))  # fmt: skip
    return out


def _squashes(s: Sides) -> dict[str, tuple[int, int]]:
    """The squash files in the folder now, by label: the ranges they replace."""
    out: dict[str, tuple[int, int]] = {}
    for e in s.here.values():
        if e.direction == "up":
            sql = read_sql_file(s.folder / e.name)
            if sql.replaces is not None:
                out[e.label] = sql.replaces
    return out


NEXT = (
    "renumber the branch's new files after the base's newest with `sqlmig renumber --base "
    "{base}`; restore an edited, deleted or renamed file from {base} (`git checkout {base} -- "
    "FILE`) and make the change in a new migration"
)


def check(folder: Path, base: str) -> Result:
    """`sqlmig check --base REF`: ok, or every finding named (exit 1)."""
    s = sides(folder, base)
    found = findings(s)
    if not found:
        new = [e.label for e in s.added if e.direction == "up"]
        newest = s.newest_on_base
        after = f" (its newest: {newest.label})" if newest else ""
        said = f"{len(new)} new migration(s) on this branch, none in conflict with {s.base}{after}"
        return Result("check", messages=[said])
    lines = [f.message for f in found]
    lines.append(f"check: {len(found)} problem(s); " + NEXT.format(base=base))
    return Result("check", ok=False, messages=lines, entries=[f.as_dict() for f in found])


def renumber(folder: Path, base: str, *, dry_run: bool) -> Result:
    """Rename the branch's new files (up and down together) after the base's newest version,
    keeping their order (goose's `fix`)."""
    s = sides(folder, base)
    squashes = _squashes(s)
    moved = [e for e in s.added if e.label not in squashes]
    newest = s.newest_on_base
    renames = _renames(moved, newest)
    if not renames:
        said = "nothing to renumber: the branch's new files already come after " + (
            newest.label if newest else "every file on " + base
        )
        return Result("renumber", dry_run=dry_run, messages=[said])
    leaving = {old for old, _new in renames}
    for _old, new in renames:
        if (folder / new).exists() and new not in leaving:
            raise UsageError(
                f"{folder / new} already exists; nothing was renamed",
                hint="move it out of the way, or renumber by hand",
            )
    if not dry_run:
        _rename_all(folder, renames)
    verb = "would rename" if dry_run else "renamed"
    lines = [f"{verb} {old} -> {new}" for old, new in renames]
    entries = [{"from": old, "to": new} for old, new in renames]
    return Result("renumber", dry_run=dry_run, messages=lines, entries=entries)


def _rename_all(folder: Path, renames: list[tuple[str, str]]) -> None:
    """Through a temporary name each: a new name may be one that another file leaves
    (0005_a -> 0006_a while 0006_a -> 0007_a), and a rename would overwrite it."""
    parked = [(folder / f".renumber-{i}-{new}", new) for i, (_old, new) in enumerate(renames)]
    for (old, _new), (tmp, _n) in zip(renames, parked, strict=True):
        (folder / old).rename(tmp)
    for tmp, new in parked:
        tmp.rename(folder / new)


def _renames(moved: list[Entry], newest: Entry | None) -> list[tuple[str, str]]:
    """(old name, new name) for each file, numbered after `newest` in the files' order (an up
    and its down keep one number; two new files of one version get two)."""
    ups = sorted({(e.version, e.label) for e in moved})
    if not ups or newest is None or ups[0][0] > newest.version:
        return []
    width = len(newest.version_text) if newest.version_text.startswith("0") else 0
    number = {label: str(newest.version + i + 1).zfill(width) for i, (_v, label) in enumerate(ups)}
    return [
        (e.name, number[e.label] + e.name[len(e.version_text) :])
        for e in moved
        if number[e.label] != e.version_text
    ]

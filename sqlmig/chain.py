"""Which files a database runs when the folder holds squash files (`-- sqlmig:replaces A..B`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .errors import DriftError, UsageError
from .files import Migration
from .history import AppliedRow
from .results import StatusRow


@dataclass(frozen=True)
class Chain:
    """The folder as one database sees it.

    files: what it runs (a used squash file instead of the files it replaces; a skipped one
    left out). replaced: files a used squash stands in for (status says `replaced`). skipped:
    squash files whose range this database's history already has (status says `skipped`).
    covered: history rows of a skipped squash's range whose files were removed: their
    history stays, and is not drift. stranded: a database part way through a skipped
    squash's range whose remaining files are gone: it cannot get past it."""

    files: list[Migration]
    replaced: dict[int, Migration] = field(default_factory=dict)  # version -> its squash
    replaced_files: tuple[Migration, ...] = ()
    skipped: tuple[Migration, ...] = ()
    covered: dict[int, Migration] = field(default_factory=dict)  # version -> the squash
    stranded: tuple[str, ...] = ()

    def rows(self, rows: Sequence[AppliedRow]) -> list[AppliedRow]:
        """The rows whose files drift checks: not those a skipped squash covers."""
        return [r for r in rows if r.version not in self.covered]

    def built_by(self, applied: Sequence[int]) -> list[Migration]:
        """The files that build what the `applied` versions built: where a skipped squash's
        old files were removed, the squash itself (proven to build the same schema)."""
        known = {m.version: m for m in self.files}
        out = [known[v] for v in applied if v in known]
        for s in self.skipped:
            first, last = s.replaces  # type: ignore[misc]
            if any(first <= v <= last and v in self.covered for v in applied):
                out = [m for m in out if not first <= m.version <= last] + [s]
        return sorted(out, key=lambda m: m.version)

    def require_whole(self) -> None:
        """DriftError (exit 4) when the database is stranded part way through a squash."""
        if self.stranded:
            raise DriftError(
                "the files this database still needs were removed after a squash; nothing "
                "was run:\n  " + "\n  ".join(self.stranded),
                hint="restore the removed files from version control (the commit before "
                "they were deleted) and run `sqlmig up` there first; delete a squash's old "
                "files only once every database is past its last version",
            )


def resolve(found: list[Migration], rows: Sequence[AppliedRow] | None) -> Chain:
    """The chain of `found` for a database whose history is `rows` (None or []: a fresh one,
    which runs every squash file instead of the files it replaces)."""
    squashes = sorted((m for m in found if m.replaces), key=lambda m: -m.version)
    if not squashes:
        return Chain(list(found))
    rows = list(rows or [])
    hidden: dict[int, Migration] = {}  # id(migration) -> squash that hides it
    used: dict[int, Migration] = {}
    skipped: list[Migration] = []
    for s in squashes:
        if id(s) in hidden:
            continue
        first, last = s.replaces  # type: ignore[misc]
        ran_old = [r for r in rows if first <= r.version <= last and not _own(r, s)]
        if ran_old:
            skipped.append(s)
            hidden[id(s)] = s
            continue
        for m in found:
            if m is not s and first <= m.version <= last and id(m) not in hidden:
                hidden[id(m)] = s
                used[m.version] = s
    files = [m for m in found if id(m) not in hidden]
    visible = {m.version for m in files}
    covered, stranded = _covered(skipped, rows, visible)
    replaced = [m for m in found if id(m) in hidden and m not in skipped]
    return Chain(files, used, tuple(replaced), tuple(skipped), covered, stranded)


def _own(row: AppliedRow, squash: Migration) -> bool:
    """Whether `row` records the squash file itself (its version, its name)."""
    return row.version == squash.version and row.name == squash.name


def _covered(
    skipped: list[Migration], rows: list[AppliedRow], visible: set[int]
) -> tuple[dict[int, Migration], tuple[str, ...]]:
    """Rows in a skipped squash's range whose files are gone (kept, not drift); and, for a
    database short of the squash's last version whose file is gone, what it lacks."""
    covered: dict[int, Migration] = {}
    stranded: list[str] = []
    recorded = {r.version for r in rows}
    for s in skipped:
        first, last = s.replaces  # type: ignore[misc]
        for r in rows:
            if first <= r.version <= last and r.version not in visible:
                covered.setdefault(r.version, s)
        if last not in recorded and last not in visible:
            newest = max((v for v in recorded if first <= v <= last), default=first)
            stranded.append(
                f"the history stops at version {newest} inside {span(s)}, which "
                f"{s.label} replaces, and the files after it are gone"
            )
    return covered, tuple(stranded)


def require_whole_apply(files: Sequence[Migration], rows: Sequence[AppliedRow], to: int) -> None:
    """`up --to V` with V inside the range of a squash file this database would run: it
    applies the whole range at once, which would take the database past V; refuse (exit 2)."""
    ran = {(r.version, r.name) for r in rows}
    for m in files:
        if m.replaces and m.replaces[0] <= to < m.version and (m.version, m.name) not in ran:
            raise UsageError(
                f"--to {to} falls inside {span(m)}, which {m.label} replaces on this database: "
                f"it applies the whole range at once, past {to}; nothing was run",
                hint=f"pass --to {m.version} to apply it, or --to {m.replaces[0] - 1} to stop "
                "before it",
            )


def require_whole_revert(
    reverting: Sequence[AppliedRow], files: Mapping[int, Migration], to: int
) -> None:
    """`down --to V` with V inside the range of a squash file this database ran: the squash
    reverts only as a whole, which would take the database below V; refuse (exit 2)."""
    for r in reverting:
        m = files.get(r.version)
        if m is not None and m.replaces and m.name == r.name and m.replaces[0] <= to:
            raise UsageError(
                f"--to {to} falls inside {span(m)}, which {m.label} replaces on this database: "
                "its down reverts the whole range, so the database would end below "
                f"{to}; nothing was reverted",
                hint=f"pass --to {m.replaces[0] - 1} to revert the squash as a whole, or --to "
                f"{m.version} to keep it",
            )


def upto(found: list[Migration], version: int) -> list[Migration]:
    """What `baseline V` records: the fresh chain up to V; a squash whose range ends after V
    is left out (the database was built by the files it replaces, up to V)."""
    kept = [m for m in found if not (m.replaces and m.replaces[1] > version)]
    return [m for m in resolve(kept, None).files if m.version <= version]


def shown(rows: list[StatusRow], chain: Chain) -> list[StatusRow]:
    """Status rows with the chain's words: a covered row is applied (its file was removed
    after the squash), and the files the chain leaves out are `replaced` or `skipped`."""
    out = [_covered_row(r, chain) if r.version in chain.covered else r for r in rows]
    out += [_left_out(m, chain) for m in (*chain.replaced_files, *chain.skipped)]
    return sorted(out, key=lambda r: (r.version, r.state in ("replaced", "skipped")))


def _covered_row(row: StatusRow, chain: Chain) -> StatusRow:
    """Applied, its file removed after a squash: said once for all in notes(), not per row."""
    if row.state != "missing":
        return row
    return replace(row, state="applied", detail=None)


def notes(chain: Chain) -> list[str]:
    """One line per squash for what status would otherwise say on every row of its range."""
    out: list[str] = []
    for squash in dict.fromkeys(chain.replaced.values()):
        files = [m for m in chain.replaced_files if chain.replaced[m.version] is squash]
        out.append(
            f"{len(files)} migration(s), {files[0].label} .. {files[-1].label}, are replaced "
            f"by {squash.label} on this database"
        )
    for squash in dict.fromkeys(chain.covered.values()):
        count = sum(1 for s in chain.covered.values() if s is squash)
        out.append(
            f"{count} applied migration(s) of {span(squash)} have no file any more: "
            f"{squash.label} replaces them, and this database keeps their history"
        )
    return out + list(chain.stranded)


def _left_out(m: Migration, chain: Chain) -> StatusRow:
    if m in chain.skipped:
        detail = (
            f"this database's history has migrations of {span(m)}, which this squash "
            "replaces: it keeps them and never runs this file"
        )
        return StatusRow(m.version, m.name, m.label, "skipped", detail=detail)
    return StatusRow(m.version, m.name, m.label, "replaced")


def span(squash: Migration) -> str:
    """`0001..0050`: a squash file's range, padded like its version."""
    first, last = squash.replaces  # type: ignore[misc]
    width = len(squash.version_text)
    return f"{str(first).zfill(width)}..{str(last).zfill(width)}"

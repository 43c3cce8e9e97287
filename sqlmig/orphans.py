"""Foreign keys SQLite does not enforce while migrating: rows a migration left without a parent."""

from __future__ import annotations

from .drivers.base import Driver, Orphans
from .files import SqlFile, directives

NO_CHECK = "no-foreign-key-check"
SHOWN = 5  # child/parent pairs named in a message


class OrphanCheck:
    """Compares the database's orphans after each migration with those before it: only new ones
    fail the migration, so a legacy database that already holds some is never blocked by them."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.known: dict[tuple[str, str], int] | None = None
        self._last: dict[tuple[str, str], int] = {}

    def before(self) -> None:
        """Count the orphans before a migration (SQLite answers from its last count when
        nothing changed since: right after the previous migration's check, it is free)."""
        self.known = _counts(self.driver.orphans())

    def after(self) -> str | None:
        """The new orphans since `before` (None: none), described; else remembered as known."""
        found = self.driver.orphans()
        known = self.known or {}
        self._last = _counts(found)
        new = [o for o in found if o.count > known.get((o.table, o.parent), 0)]
        if new:
            sampled = {(o.table, o.parent): o for o in self.driver.orphans(rowids=True)}
            said = [
                _describe(sampled.get((o.table, o.parent), o), known.get((o.table, o.parent), 0))
                for o in new[:SHOWN]
            ]
            more = f"; and in {len(new) - SHOWN} more table(s)" if len(new) > SHOWN else ""
            return "; ".join(said) + more
        self.known = self._last  # --single-transaction: the next file is compared with this
        return None

    def accept(self) -> None:
        """The orphans `after` found are wanted (`-- sqlmig:no-foreign-key-check`): known now."""
        self.known = self._last


def _counts(found: list[Orphans]) -> dict[tuple[str, str], int]:
    return {(o.table, o.parent): o.count for o in found}


def _describe(o: Orphans, before: int) -> str:
    if o.problem:  # SQLite could not check this key at all
        return f"table {_name(o.table)}: {o.problem}"
    more = ", ..." if o.count > len(o.rowids) else ""
    rows = (
        f"rowid {', '.join(str(r) for r in o.rowids)}{more}"
        if None not in o.rowids
        else "(WITHOUT ROWID)"
    )
    was = f" ({before} of them were there before this migration)" if before else ""
    return (
        f"table {_name(o.table)} {rows}: {o.count} row(s) whose foreign key points at no row "
        f"of {_name(o.parent)}{was}"
    )


def _name(name: str) -> str:
    """A table's name as SQL quotes it, control characters escaped (one line per message)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return '"' + shown.replace('"', '""') + '"'


def failure(found: str) -> str:
    """The error of a migration that left orphans, after the file's name."""
    return (
        f"FOREIGN KEY constraint failed: {found} (PRAGMA foreign_key_check after the "
        "migration's last statement; SQLite does not check foreign keys while migrating, "
        "PostgreSQL and MySQL would refuse the statement)"
    )


def checked(sql: SqlFile) -> bool:
    """Whether the file's orphans fail it: not with `-- sqlmig:no-foreign-key-check`."""
    return NO_CHECK not in directives(sql.text, sql.path)

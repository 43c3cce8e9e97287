"""`verify --data`: generated rows in every table before each migration's up, and the rows read
again after its down (and after its second up) to find a down that loses data."""

from __future__ import annotations

from ..drivers.base import Driver
from ..errors import SqlmigError
from . import rows as r
from .model import Snapshot
from .seed import Filler, counts
from .seed_plan import parents_first, qname

DEFAULT_ROWS = 4


class DataCheck:
    """The rows side of one verify run; one Filler for the whole run, so that generated values
    stay distinct across migrations and fresh scratch databases."""

    def __init__(self, rows: int = DEFAULT_ROWS) -> None:
        self.rows = rows
        self.filler: Filler | None = None
        self.before: dict[r.Key, r.Rows] = {}
        self.after: dict[r.Key, int] = {}  # row counts after the first up

    @property
    def notes(self) -> list[str]:
        return [f"data: {n}" for n in self.filler.notes] if self.filler else []

    def fill(self, driver: Driver, snap: Snapshot, *, read: bool = True) -> None:
        """Top every table up to `rows` rows, then read them (unless not `read`: no down will
        be checked): what the down must bring back."""
        if self.filler is None:
            self.filler = Filler(driver, self.rows)
        self.filler.driver = driver
        self.filler.fill(snap, counts(driver, snap))
        self.before = r.read(driver, snap, snap.tables, r.kept) if read else {}

    def up_done(self, driver: Driver, snap: Snapshot) -> None:
        self.after = counts(driver, snap)

    def down_done(self, driver: Driver, snap: Snapshot) -> tuple[str, ...]:
        """What the down lost or changed in the tables that were there before the up."""
        tables = [t for t in snap.tables if (t.schema, t.name) in self.before]
        now = r.read(driver, snap, tables, r.kept)
        return tuple(r.differences(self.before, now, then="before the up", when="after the down"))

    def second_up_done(self, driver: Driver, snap: Snapshot) -> tuple[str, ...]:
        """The tables whose row count the second up made other than the first did. Values are
        not compared: an up may set them with now() or a random uuid, each time another."""
        now = counts(driver, snap)
        return tuple(
            f"table {snap.display(*k)}: {n} row(s) after the first up, {now[k]} after the second up"
            for k, n in self.after.items()
            if k in now and now[k] != n
        )

    def clear(self, driver: Driver, snap: Snapshot) -> bool:
        """Delete every row, children first (PostgreSQL, when foreign keys in a circle refuse
        that: one TRUNCATE of them all); False when a table refused."""
        q = driver.quote
        names = [qname(snap, q, t) for t in reversed(parents_first(snap))]
        self.before = {}
        try:
            for name in names:
                driver.execute(f"DELETE FROM {name}")
            return True
        except SqlmigError:
            if driver.dialect != "postgres":
                return False
        try:
            driver.execute(f"TRUNCATE {', '.join(names)}")
        except SqlmigError:
            return False
        return True

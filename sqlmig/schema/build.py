"""An open scratch database that migrations are applied to and reverted from, one at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from ..drivers import connect
from ..drivers.base import Driver
from ..errors import HistoryError, MigrationFailed
from ..files import Migration
from ..history import History, actor
from ..plan import down_step
from ..repeatables import Repeatable
from ..sqltext import line_col
from ..steps import Runner
from ..urls import parse_url
from .model import Snapshot


class Builder:
    """Applies and reverts migrations on a scratch database and takes its snapshots."""

    def __init__(self, driver: Driver, table: str, reader: Driver | None = None) -> None:
        self.driver = driver
        self.table = table
        self.tracker = None
        self.shown: dict = {}  # MySQL: SHOW CREATE of each routine, while it is unchanged
        if reader is not None:  # PostgreSQL: a second connection reads only what changed
            from .pg_delta import Tracker

            self.tracker = Tracker(reader, table)
        self.history = History(driver, table)
        self.history.ensure()
        self.runner = Runner(driver, self.history, by=actor(), notify=lambda _m: None)

    def snapshot(self, *, same: bool = False) -> Snapshot:
        """same=True: the last step most likely changed what the one before it did (a down
        after its up); PostgreSQL then reads those objects ahead, in one round trip less."""
        from . import snapshot

        if self.tracker is not None:
            return self.tracker.snapshot(same=same)
        if self.driver.dialect == "mysql":
            from . import mysql
            from .model import sort_snapshot

            exclude = (self.table, f"{self.table}_log")
            return sort_snapshot(mysql.read(self.driver, exclude, self.shown))
        return snapshot(self.driver, table=self.table)

    def up(self, m: Migration) -> None:
        self.runner.apply(m)

    def down(self, m: Migration) -> None:
        row = self.history.read_row(m.version)
        if row is None:
            raise HistoryError(
                f"{m.label}: its row in the scratch database's history is gone after its up",
                hint="a migration must not change sqlmig's history table; fix the file",
            )
        self.runner.revert(down_step(row, m, allow_drift=True))

    def up_all(self, files: list[Migration]) -> None:
        for m in files:
            self.up(m)

    def repeat(self, found: list[Repeatable]) -> None:
        """Repeatable migrations, after the versioned ones, as `up` applies them."""
        from ..repeatables import apply

        for r in found:
            apply(self.runner, r)

    def run_sql(self, text: str, where: str) -> None:
        """Run a schema file in one transaction, as a migration would be; where DDL commits by
        itself (MySQL), statement by statement, stopping at the first that fails."""
        from ..drivers.base import ScriptError

        if not self.driver.ATOMIC_DDL:
            for stmt in self.driver.split(text):
                _stay_here(stmt.text, f"{where}:{stmt.line}")
                try:
                    self.driver.run_statement(stmt.text)
                except ScriptError as exc:
                    message = f"{where}:{stmt.line}: {exc.message}"
                    raise MigrationFailed(message, hint="fix the file") from None
            return
        self.driver.begin()
        try:
            self.driver.run_script(text)
            self.driver.commit()
        except ScriptError as exc:
            self.driver.rollback()
            at = "" if exc.offset is None else ":{}:{}".format(*line_col(text, exc.offset))
            raise MigrationFailed(f"{where}{at}: {exc.message}", hint="fix the file") from None
        except BaseException:
            self.driver.rollback()
            raise


# On MySQL a file can leave the scratch database: USE, or CREATE/DROP DATABASE (mysqldump's
# --databases output has them); it would then build, or drop, outside it.
_ELSEWHERE = re.compile(
    r"(?:\s+|--[^\n]*\n|#[^\n]*\n|/\*.*?\*/)*(USE|(?:CREATE|DROP)\s+(?:DATABASE|SCHEMA))\b",
    re.I | re.S,
)


def _stay_here(text: str, where: str) -> None:
    found = _ELSEWHERE.match(text)
    if found:
        raise MigrationFailed(
            f"{where}: {' '.join(found[1].upper().split())} would leave the scratch database",
            hint="take the USE and CREATE/DROP DATABASE statements out of the schema file",
        )


# A scratch database is thrown away: durability only costs time there (on PostgreSQL a
# commit that waits for the disk took 1.5-4 ms here, one that does not 0.3-0.5 ms, and verify
# commits three times per migration). PostgreSQL's is kept through the reset after every
# migration, which a plain SET did not survive.
FAST = {"sqlite": ("PRAGMA synchronous = OFF", "PRAGMA journal_mode = MEMORY")}


@contextmanager
def builder(url: str, table: str) -> Iterator[Builder]:
    driver = connect(parse_url(url), table=table)
    reader = None
    try:
        for setting in FAST.get(driver.dialect, ()):
            driver.execute(setting)
        if driver.dialect == "postgres":
            driver.keep_setting("synchronous_commit", "off")  # type: ignore[attr-defined]
            reader = connect(parse_url(url), table=table)
        yield Builder(driver, table, reader)
    finally:
        driver.close()
        if reader is not None:
            reader.close()

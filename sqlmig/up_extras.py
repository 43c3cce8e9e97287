"""What `up` runs besides the versioned migrations: repeatable migrations and callbacks, read
from the folder before connecting (so a bad name stops the run before any database work)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from . import callback_names, placeholders, repeatables
from . import callbacks as cb
from .config import Config
from .files import SqlFile
from .formats import format_of
from .history import History
from .placeholders import Vars
from .repeatables import Repeatable
from .results import Step
from .steps import Runner

READS_REPEATABLES = ("sqlmig", "flyway")  # the formats whose folders hold R__ files


@dataclass(frozen=True)
class Extras:
    repeatables: list[Repeatable]
    callbacks: cb.Callbacks

    @classmethod
    def read(cls, config: Config, *, callbacks: bool = True) -> Extras:
        fmt = format_of(config.dir, config.dir_format)
        found = (
            repeatables.discover(config.dir, strict_names=fmt == "sqlmig")
            if fmt in READS_REPEATABLES
            else []
        )
        hooks = cb.discover(config.dir, beside=fmt == "flyway") if callbacks else cb.NONE
        return cls(found, hooks)

    def filled(self, v: Vars, *, masked: bool = False) -> Extras:
        """Repeatables and callbacks with their placeholders filled in, as migrations are;
        every problem of every file in one error, before connecting. Checksums stay those of
        the files as written."""
        problems: list[str] = []

        def fill(sql: SqlFile) -> SqlFile:
            done, found = placeholders.substitute(sql, v, masked=masked)
            problems.extend(found)
            return done

        again = [replace(r, sql=fill(r.sql)) for r in self.repeatables]
        hooks = cb.Callbacks(
            {
                point: tuple(fill(s) for s in files)
                for point, files in self.callbacks.by_point.items()
            }
        )
        placeholders.check(problems)
        return Extras(again, hooks)

    def pending(self, history: History, *, whole: bool) -> list[Repeatable]:
        """The repeatables to apply: none when `up` stops short (--to, --steps: a repeatable
        may use what a later migration makes), else those whose checksum is not applied."""
        if not whole or not self.repeatables:
            return []
        return repeatables.pending(self.repeatables, repeatables.applied(history))

    def waiting(self, history: History) -> list[str]:
        """What `up --to`, `--steps` or `--phase pre` leaves: the repeatables to apply, said
        (else "nothing to apply" would hide an edited one)."""
        if not self.repeatables:
            return []
        applied = repeatables.applied(history)
        later = [r.label for r in repeatables.pending(self.repeatables, applied)]
        if not later:
            return []
        return [
            f"{len(later)} repeatable migration(s) left pending ({', '.join(later)}): a whole "
            "`sqlmig up`, or `sqlmig up --phase post`, applies them"
        ]

    def notes(self, *, dry_run: bool) -> list[str]:
        """A dry run names the callbacks a real run would run."""
        points = [p for p in callback_names.POINTS if p != callback_names.AFTER_ERROR]
        names = [s.path.name for p in points for s in self.callbacks.of(p)]
        return [f"callbacks that would run: {', '.join(names)}"] if dry_run and names else []

    @contextmanager
    def around(self, runner: Runner) -> Iterator[None]:
        """The run's callbacks around the body (the Runner runs each file's own)."""
        if not self.callbacks:
            yield
            return
        hooks = cb.Hooks(
            self.callbacks, runner.driver, runner.history, by=runner.by, notify=runner.notify
        )
        runner.hooks = hooks
        with hooks.around():
            yield

    @staticmethod
    def planned(again: list[Repeatable], *, dry_run: bool) -> list[Step]:
        return [repeatables.planned(r, dry_run) for r in again]

    @staticmethod
    def apply(runner: Runner, again: list[Repeatable]) -> list[Step]:
        return [repeatables.apply(runner, r) for r in again]

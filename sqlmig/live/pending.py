"""The pending migrations and their statements, read without the migration lock."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import phases, placeholders, plan
from ..chain import resolve
from ..config import Config
from ..files import Migration
from ..history import APPLIED
from ..migrator import Migrator
from ..sqltext import SPLITTERS, noise_end
from .model import Pending


@dataclass(frozen=True)
class Work:
    """What the live database has applied (to build a scratch copy) and what is pending."""

    dialect: str
    applied: list[Migration]
    todo: list[Migration]
    statements: list[Pending]
    vars: placeholders.Vars | None = field(default=None, compare=False)  # to mask secrets


def read(
    config: Config,
    *,
    to: int | None = None,
    steps: int | None = None,
    masked: bool = True,
    phase: str | None = None,
) -> Work:
    """Files and history, as `up` would plan them; never takes the migration lock."""
    migrator = Migrator(config)
    # ${name} filled in as `up` would, secrets as *** (plan prints statements; a password
    # literal traces the same either way); the pre-checks query with the real values
    # (masked=False) and mask what they print
    files = placeholders.apply_up(migrator.files(), migrator.vars, masked=masked)
    with migrator.session(locked=False) as (driver, history):
        rows = history.read() or []
        dialect = driver.dialect
    chain = resolve(files, rows)
    chain.require_whole()
    applied_versions = [r.version for r in rows if r.status == APPLIED]
    pending = plan.pending(chain.files, rows)
    todo = plan.select_up(phases.select(pending, phase), to=to, steps=steps)  # as up chooses
    phases.require_pre_first(pending, todo, phase)
    applied = chain.built_by(applied_versions)
    return Work(dialect, applied, todo, statements(todo, dialect), migrator.vars)


def statements(todo: list[Migration], dialect: str) -> list[Pending]:
    split = SPLITTERS[dialect]
    found: list[Pending] = []
    for m in todo:
        for s in split(m.up.text):
            text = s.text[noise_end(s.text) :].strip().rstrip(";").strip()
            if text:
                found.append(Pending(m.label, str(m.up.path), s.line, text, m.up.transactional))
    return found

"""The schema commands as library calls: each takes a Config and returns a Result."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .. import placeholders
from ..config import Config
from ..drivers import connect
from ..errors import DriftError, MigrationFailed, SqlmigError
from ..events import Notify
from ..files import Migration
from ..formats import discover
from ..history import APPLIED, AppliedRow, History
from ..repeatables import Repeatable
from ..results import Result
from ..urls import parse_url
from . import desired as schema_file
from . import snapshot
from .build import Builder, builder
from .compare import DRIFT, compare, describe
from .dump import dump
from .frozen import Window
from .model import Snapshot
from .scratch import Scratch, reusable, scratch

R = TypeVar("R", bound=Callable[..., Result])


def secrets_masked(command: R) -> R:
    """A command taking a Config first whose result, progress and errors hold no secret
    placeholder value (a scratch run's error may quote one, a view's definition hold one)."""

    @functools.wraps(command)
    def wrapper(config: Config, *args: Any, **kwargs: Any) -> Result:
        v = placeholders.from_config(config)
        if not v.secrets:
            return command(config, *args, **kwargs)
        if kwargs.get("notify") is not None:
            kwargs["notify"] = placeholders.masked_notify(kwargs["notify"], v)
        with placeholders.masking(v):
            result = command(config, *args, **kwargs)
        return dataclasses.replace(
            result,
            messages=[v.mask(m) for m in result.messages],
            entries=[_masked(e, v) for e in result.entries],
        )

    return wrapper  # type: ignore[return-value]


def _masked(item: Any, v: placeholders.Vars) -> Any:
    if isinstance(item, str):
        return v.mask(item)
    if isinstance(item, dict):
        return {k: _masked(x, v) for k, x in item.items()}
    if isinstance(item, list | tuple):
        return type(item)(_masked(x, v) for x in item)
    return item


def live_snapshot(config: Config) -> tuple[Snapshot, list[AppliedRow]]:
    """The live database's schema, and the history rows of the migrations applied to it."""
    driver = connect(parse_url(config.require_url()), table=config.table, create=False)
    try:
        rows = History(driver, config.table).read() or []
        applied = [r for r in rows if r.status == APPLIED]
        return snapshot(driver, table=config.table), applied
    finally:
        driver.close()


def dump_schema(config: Config, *, output: Path | None, as_json: bool) -> Result:
    snap = live_snapshot(config)[0]
    model = snap.as_json()
    if output is None:
        if as_json:
            return Result("schema dump", entries=[model])
        return Result("schema dump", messages=[dump(snap).rstrip("\n")])
    text = json.dumps(model, indent=2, sort_keys=True) + "\n" if as_json else dump(snap)
    output.write_text(text, "utf-8")
    return Result("schema dump", messages=[f"wrote {output}"])


@secrets_masked
def verify(
    config: Config,
    *,
    scratch_url: str | None,
    start: int | None,
    notify: Notify | None,
    data_rows: int | None = None,
) -> Result:
    """`sqlmig verify`; with `data_rows`, `--data`: that many generated rows in each table."""
    from . import verify as checks

    files = _files(config)
    data = None
    if data_rows is not None:
        from .verify_data import DataCheck

        data = DataCheck(data_rows)
    with reusable(
        config.url, scratch_url, table=config.table, prefix=config.scratch_prefix
    ) as made:
        problems, notes = checks.run(
            _fresh(made), files, start=start, notify=notify or (lambda _m: None), data=data
        )
    lines = [line for p in problems for line in p.lines()] + notes
    return Result(
        "verify",
        ok=not problems,
        messages=[*lines, checks.verdict(files, start, problems, data=data is not None)],
        entries=checks.as_entries(problems),
    )


def _fresh(made: Scratch) -> Callable[[], AbstractContextManager[Builder]]:
    """Opens the scratch database as it started: emptied of what an earlier attempt made."""
    used: list[bool] = []

    @contextmanager
    def fresh() -> Iterator[Builder]:
        if used:
            made.empty()
        used.append(True)
        with builder(made.url, made.table) as b:
            yield b

    return fresh


@secrets_masked
def drift(config: Config, *, scratch_url: str | None) -> Result:
    """Compare the live schema with what its applied migrations build on a scratch database."""
    found, applied = _schema_drift(config, scratch_url)
    summary = (
        f"schema: {len(found)} difference(s) from what the {applied} applied migration(s) build"
        if found
        else f"schema: matches what the {applied} applied migration(s) build"
    )
    return Result("schema drift", ok=not found, messages=[*found, summary])


def require_no_drift(config: Config, *, scratch_url: str | None) -> None:
    """`up --check-schema`: DriftError (exit 4) before anything is applied, on schema drift."""
    found, applied = _schema_drift(config, scratch_url)
    if found:
        raise DriftError(
            f"the live schema differs from what the {applied} applied migration(s) build; "
            "nothing was applied:\n  " + "\n  ".join(found),
            hint="bring the change made by hand into a migration (or undo it), then run "
            "sqlmig up again; sqlmig status --schema lists the differences",
        )


def _schema_drift(config: Config, scratch_url: str | None) -> tuple[list[str], int]:
    """What differs between the live schema and its applied migrations built on a scratch
    database, and how many migrations are applied."""
    from ..chain import resolve

    live, rows = live_snapshot(config)
    found = resolve(_found(config), rows)
    found.require_whole()
    files = {m.version: m for m in found.files}
    applied = [r.version for r in rows]
    missing = [v for v in applied if v not in files and v not in found.covered]
    build = found.built_by(applied)
    if missing:
        raise DriftError(
            f"applied migration(s) {', '.join(map(str, missing))} have no file",
            hint="restore the files: the expected schema is built from them",
        )
    with (
        scratch(config.url, scratch_url, table=config.table, prefix=config.scratch_prefix) as url,
        builder(url, config.table) as b,
    ):
        b.up_all(build)
        b.repeat(_repeated(config))  # views, functions, grants of R__ files
        expected = b.snapshot()
    found_drift = describe(compare(expected, live, window=Window(live=True)), DRIFT)
    mask = placeholders.from_config(config).mask  # a view's definition may hold a secret
    return [mask(line) for line in found_drift], len(applied)


def _repeated(config: Config) -> list[Repeatable]:
    """The repeatable migrations the live database has applied, with the SQL it applied (one
    applied by an offline script, which keeps none, as its file is now)."""
    from .. import repeatables
    from ..up_extras import Extras

    found = Extras.read(config, callbacks=False).repeatables
    if not found:
        return []
    driver = connect(parse_url(config.require_url()), table=config.table, create=False)
    try:
        history = History(driver, config.table)
        done, sql = repeatables.applied(history), repeatables.applied_sql(history)
    finally:
        driver.close()
    v = placeholders.from_config(config)
    return [_as_applied(r, sql.get(r.label), v) for r in found if r.label in done]


def _as_applied(r: Repeatable, text: str | None, v: placeholders.Vars) -> Repeatable:
    """The repeatable as the database last applied it (its event keeps the SQL, with *** for
    a secret value: where that is the file filled in now, the file with the real value)."""
    from dataclasses import replace

    filled, problems = placeholders.substitute(r.sql, v)
    now = None if problems else filled
    if now is not None and (
        text is None or text == placeholders.substitute(r.sql, v, masked=True)[0].text
    ):
        return replace(r, sql=now)
    if text is None or text == r.sql.text:
        return r
    return replace(r, sql=replace(r.sql, text=text))


@secrets_masked
def diff(
    config: Config,
    *,
    desired: schema_file.Source,
    check: bool,
    name: str,
    scratch_url: str | None,
) -> Result:
    """Compare what the migrations build with `desired`; write the next migration pair."""
    from . import diffgen
    from .compare import diff_phrases

    files = _files(config)
    # one scratch database, used twice: schema.sql's schema, then the migrations' (on which the
    # generated pair is tried)
    with reusable(
        config.url, scratch_url, table=config.table, prefix=config.scratch_prefix
    ) as made:
        if isinstance(desired, schema_file.OnScratch):
            desired = desired.on_scratch(made.url)
        with builder(made.url, config.table) as b:
            text = desired.sql(b.driver.dialect)
            try:
                b.run_sql(text, desired.label)
            except MigrationFailed as exc:
                raise desired.explain(exc) from None
            want = b.snapshot()
        made.empty()
        with builder(made.url, config.table) as have:
            have.up_all(files)
            current = have.snapshot()
            found = describe(compare(current, want), diff_phrases(desired.title))
            if check or not found:
                verdict = f"the migrations do not build {desired.label}" if found else "they agree"
                return Result("diff", ok=not found, messages=[*found, f"diff: {verdict}"])
            up = diffgen.generate(current, want)
            down = diffgen.generate(want, current)
            problems = _self_check(have, up, down, current, want)
    return _write_pair(config, name, desired, up, down, problems)


def _self_check(b: Builder, up: list, down: list, current: Snapshot, want: Snapshot) -> list[str]:
    """Apply the generated pair on the scratch database: up must give `want`, down `current`."""
    from . import diffgen
    from .compare import VERIFY

    problems: list[str] = []
    for label, stmts, target in (("up", up, want), ("down", down, current)):
        try:
            b.run_sql(diffgen.render(stmts, title=label), f"generated {label}")
        except SqlmigError as exc:
            return [*problems, f"the generated {label} fails: {exc.message}"]
        problems += [f"after the generated {label}: {d}" for d in describe(
            compare(target, b.snapshot()), VERIFY)]  # fmt: skip
    return problems


def _write_pair(
    config: Config,
    name: str,
    desired: schema_file.Source,
    up: list,
    down: list,
    problems: list[str],
) -> Result:
    from .. import scaffold
    from . import diffgen

    label = scaffold.new(config.dir, name, timestamp=False).current
    title = f"{label}: {{}}, written by `sqlmig diff` from {desired.title}"
    up_path, down_path = config.dir / f"{label}.up.sql", config.dir / f"{label}.down.sql"
    up_path.write_text(diffgen.render(up, title=title.format("up")), "utf-8")
    down_path.write_text(diffgen.render(down, title=title.format("down")), "utf-8")
    reviews = sum(1 for s in up + down if s.review)
    lines = [f"wrote {up_path}", f"wrote {down_path}"]
    if reviews:
        lines.append(f"{reviews} statement(s) are marked `-- sqlmig:review`: read them first")
    return Result("diff", ok=not problems, current=label, messages=[*problems, *lines])


def _files(config: Config) -> list[Migration]:
    """The folder's migrations as a fresh database runs them: a squash file instead of the
    files it replaces."""
    from ..chain import resolve

    return resolve(_found(config), None).files


def _found(config: Config) -> list[Migration]:
    """The folder's migrations as `up` reads them (its format, the URL's dialect for popx)."""
    from ..urls import parse_url

    driver = parse_url(config.url).driver if config.url else None
    found = discover(config.dir, config.dir_format, dialect=driver).migrations
    return placeholders.apply_all(found, placeholders.from_config(config))  # ${name} filled in

"""`sqlmig transpile`: the migration set in another dialect, file by file, or every refusal."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from ..errors import SqlmigError, UsageError
from ..files import DIRECTIVE, LEADING_COMMENTS, Migration
from ..results import Result
from .base import SOURCES, TARGETS, OutFile, Refusal
from .catalog import Catalog
from .core import transpile_text


def transpile_set(
    files: Sequence[Migration], *, target: str, source: str = "postgres", same_lines: bool = False
) -> tuple[list[OutFile], list[Refusal], list[str]]:
    """Every up and down file in the target dialect, in version order; refusals collected.
    `same_lines` (files that are run, not read): each statement at its source line where it
    can be, so an error names the source line; no header note, no `-- dropped` lines."""
    _check_dialects(target, source)
    catalog = Catalog()
    out: list[OutFile] = []
    refusals: list[Refusal] = []
    notes: list[str] = []
    for m in files:
        for direction, sql in (("up", m.up), ("down", m.down)):
            if sql is None:
                continue
            # the down runs on the schema the up left: translate it with a copy of that catalog
            cat = catalog if direction == "up" else copy.deepcopy(catalog)
            name = sql.path.name  # another tool's layout (prisma's migration.sql): sqlmig's
            if not name.endswith(f".{direction}.sql"):
                name = f"{m.label}.{direction}.sql"
            override = m.override(target, direction)
            if override is not None:
                out.append(OutFile(name, override.read_text(encoding="utf-8"), True))
                continue
            top = _header(sql.text, name, source, target, note=not same_lines)
            at = top.count("\n") + 1 if same_lines else None
            done = transpile_text(
                sql.text, target=target, source=source, path=str(sql.path), catalog=cat,
                at_line=at,
            )  # fmt: skip
            refusals += done.refusals
            notes += done.notes
            out.append(OutFile(name, top + done.text))
    return out, refusals, notes


def _check_dialects(target: str, source: str) -> None:
    if target not in TARGETS:
        raise UsageError(
            f"unknown target dialect {target!r}", hint="use --to sqlite|mysql|postgres"
        )
    if source not in SOURCES and source != target:
        raise UsageError(
            f"transpiling from {source} is not supported",
            hint="migrations must be written for PostgreSQL (--from postgres)",
        )


def override_names(refusals: Sequence[Refusal], target: str, most: int = 5) -> str:
    """The override file of each refused file, for its direction: a refusal in
    0003_x.down.sql is fixed by 0003_x.sqlite.down.sql, not by an .up.sql."""
    names: list[str] = []
    for r in refusals:
        stem, _, direction = Path(r.path).name.removesuffix(".sql").rpartition(".")
        name = f"{stem}.{target}.{direction}.sql" if direction in ("up", "down") else None
        if name and name not in names:
            names.append(name)
    shown = ", ".join(names[:most]) + (
        f" (and {len(names) - most} more)" if len(names) > most else ""
    )
    return shown or f"NNNN_name.{target}.up.sql or NNNN_name.{target}.down.sql"


def _header(text: str, name: str, source: str, target: str, *, note: bool = True) -> str:
    """The source's directives, kept, and a line saying where the file came from."""
    block = LEADING_COMMENTS.match(text).group(0)  # type: ignore[union-attr]
    kept = [line.strip() for line in block.splitlines() if DIRECTIVE.match(line.strip())]
    stem = name.removesuffix(".sql")
    text_note = (
        f"-- Transpiled by sqlmig from {name} ({source} -> {target}); edit that file, or "
        f"write {stem.rsplit('.', 1)[0]}.{target}.{stem.rsplit('.', 1)[1]}.sql to override it."
    )
    lines = [*kept, text_note] if note else kept
    return "".join(line + "\n" for line in lines)


def _read(folder: Path, cfg: object, source: str) -> list[Migration]:
    """The folder as `dir_format` (or detection) reads it: another tool's folder too."""
    from ..formats import discover as read_folder

    return read_folder(folder, getattr(cfg, "dir_format", None), dialect=source).migrations


def run(
    cfg: object, *, target: str, source: str | None, paths: Sequence[Path], out_dir: Path | None,
    check: bool = False, source_url: str | None = None, target_url: str | None = None,
) -> Result:  # fmt: skip
    """The CLI's call: transpile, then write the files (all of them, or none on a refusal)."""
    source = source or getattr(cfg, "source_dialect", None) or "postgres"
    folders = list(paths) or [cfg.dir]  # type: ignore[attr-defined]
    files = [m for folder in folders for m in _read(folder, cfg, source)]
    written, refusals, notes = transpile_set(files, target=target, source=source)
    if refusals:  # an error, on stderr: stdout stays for SQL (or the files' list)
        lines = [r.describe() for r in refusals]
        head = f"{len(refusals)} statement(s) cannot be transpiled faithfully to {target}:"
        hint = (
            f"rewrite them portably, or write a hand-written override beside the file: "
            f"{override_names(refusals, target)}; nothing was written"
        )
        raise SqlmigError("\n".join([head, *lines]), hint=hint)
    if check:
        from .check import check as run_check
        from .check import downs_checked

        url = source_url or getattr(cfg, "url", None)
        found = run_check(files, written, target=target, source_url=url, target_url=target_url)
        if found:
            head = (f"--check: {len(found)} difference(s) the type map does not explain, each "
                    "under the migration after which it first shows:")  # fmt: skip
            return Result("transpile", ok=False, entries=[{"difference": d} for d in found],
                          messages=[head, *(f"  {d}" for d in found)])  # fmt: skip
        downs = downs_checked(files)
        notes = [f"--check: {len(files)} migration(s) build the same schema on {target}, and "
                 f"{downs} down file(s) revert it alike (newest first)", *notes]  # fmt: skip
    if out_dir is None:
        text = [f"-- ==> {f.name}\n{f.text}" for f in written]
        return Result("transpile", messages=text + [f"-- note: {n}" for n in notes])
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in written:
        (out_dir / f.name).write_text(f.text, encoding="utf-8")
    entries = [{"file": f.name, "override": f.override} for f in written]
    summary = f"wrote {len(written)} file(s) for {target} to {out_dir}"
    return Result("transpile", entries=entries, messages=[summary, *(f"note: {n}" for n in notes)])

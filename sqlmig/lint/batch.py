"""Lint a list of files: in this process, or spread over worker processes when there are many.

Each file is linted with its pair (the up file of a down file) as context, so a batch keeps
pairs together; the findings are the same whichever way the files are split.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import SqlmigError
from ..files import FILENAME
from . import engine, groups, parse
from .context import FileContext
from .layout import Role
from .model import Finding, Rule

# Below this many files one process is faster: a worker costs a fork and a pickled result.
PARALLEL_MIN_FILES = 64
BATCHES_PER_WORKER = 4  # smaller batches even out files of different sizes

Job = tuple[list[Path], str, int, list[Rule], bool, Mapping[Path, Role]]


def lint_files(
    files: Sequence[Path],
    server: str,
    pg_version: int,
    rules: list[Rule],
    parse_all: bool,
    *,
    jobs: int | None = None,
    roles: Mapping[Path, Role] | None = None,
) -> dict[Path, list[Finding]]:
    """Every file's findings, in the order of `files`; `jobs` None: as many processes as
    usable CPUs when there are at least PARALLEL_MIN_FILES files and this process runs no
    other thread (the CLI), else one. `roles`: files of another tool's layout (layout.py)."""
    roles = roles or {}
    workers = _workers(len(files), jobs)
    if workers <= 1:
        return run_batch(list(files), server, pg_version, rules, parse_all, roles)
    batches = _batches(list(files), workers * BATCHES_PER_WORKER, roles)
    jobs_ = [(b, server, pg_version, rules, parse_all, roles) for b in batches]
    return _in_processes(jobs_, workers)


def _workers(count: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, min(jobs, count))
    if count < PARALLEL_MIN_FILES or sys.platform != "linux":  # fork: Linux only (see below)
        return 1
    if threading.active_count() > 1:  # a fork copies no other thread, but their held locks
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, count // (PARALLEL_MIN_FILES // 2)))


def _batches(
    files: list[Path], wanted: int, roles: Mapping[Path, Role] | None = None
) -> list[list[Path]]:
    """Contiguous batches of about len/wanted files; an up file and its down (and a popx
    version group) stay together."""
    size = max(1, -(-len(files) // wanted))
    roles = roles or {}
    out: list[list[Path]] = [[]]
    for index, path in enumerate(files):
        together = _same_migration(files[index - 1], path) or _same_group(
            roles.get(files[index - 1]), roles.get(path)
        )
        if len(out[-1]) >= size and not together:
            out.append([])
        out[-1].append(path)
    return out


def _same_migration(a: Path, b: Path) -> bool:
    ma, mb = FILENAME.match(a.name), FILENAME.match(b.name)
    return bool(ma and mb and a.parent == b.parent and ma["version"] == mb["version"])


def _same_group(a: Role | None, b: Role | None) -> bool:
    return bool(a and b and a.ups and a.ups == b.ups)


def _in_processes(jobs: list[Job], workers: int) -> dict[Path, list[Finding]]:
    """Fork workers: they inherit the imported parser and the loaded rules (no start-up cost,
    and the rules, which are functions, need not be pickled by reference)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    out: dict[Path, list[Finding]] = {}
    global _JOBS
    _JOBS = jobs
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        for result in pool.map(_run_job, range(len(jobs))):
            if isinstance(result, tuple):  # a SqlmigError in the worker, raised here
                kind, message, hint = result
                raise kind(message, hint=hint)
            out.update(result)
    except BaseException:  # an error or Ctrl-C: the batches not started are not waited for
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown()
    finally:
        _JOBS = []
    return out


_JOBS: list[Job] = []  # set before the fork; the workers read their job by index


def _run_job(index: int) -> dict[Path, list[Finding]] | tuple[type[SqlmigError], str, str | None]:
    try:
        with parse.armed():
            return run_batch(*_JOBS[index])
    except SqlmigError as exc:  # its hint would not survive pickling
        return type(exc), exc.message, exc.hint


def run_batch(
    files: list[Path],
    server: str,
    pg_version: int,
    rules: list[Rule],
    parse_all: bool,
    roles: Mapping[Path, Role] | None = None,
) -> dict[Path, list[Finding]]:
    """Lint files in order in this process; a pair's (a group's) context is kept only while
    needed."""
    roles = roles or {}
    loaded: dict[Path, FileContext] = {}
    wanted = set(files)
    group_of: tuple[tuple[Path, ...], groups.Group] | None = None

    def load(path: Path) -> FileContext:
        if path not in loaded:
            role = roles.get(path)
            loaded[path] = engine.load(path, server, pg_version, parse_all=parse_all, role=role)
        return loaded[path]

    out: dict[Path, list[Finding]] = {}
    for path in files:
        ctx = load(path)
        pair = load(ctx.pair_path) if ctx.pair_path else None
        role = roles.get(path)
        if role is not None and role.ups:
            if group_of is None or group_of[0] != role.ups:
                _forget(loaded, wanted, out)
                members = [load(p) for p in role.ups], [load(p) for p in role.downs]
                group_of = role.ups, groups.build(*members, ctx.dialect)
            ctx = groups.in_group(ctx, group_of[1])
        elif ctx.direction == "down" and pair is not None:
            ctx = engine.with_pair(ctx, pair)
        out[path] = engine.run(ctx, rules, pair)
        if role is not None and role.ups:
            continue  # the group's trees are kept until the next group starts
        if ctx.pair_path is None or ctx.pair_path in out or ctx.pair_path not in wanted:
            loaded.pop(path, None)  # keep a tree only while its pair still needs it
            loaded.pop(ctx.pair_path, None)  # type: ignore[arg-type]
    return out


def _forget(loaded: dict[Path, FileContext], wanted: set[Path], done: dict) -> None:
    """Free the trees of a finished group: files linted already, or loaded only as context."""
    for path in [p for p in loaded if p in done or p not in wanted]:
        del loaded[path]

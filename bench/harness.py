"""Run commands as fresh processes, interleaved (A B A B ...), and summarise their timings.

Every run's exit code is checked: a failed run raises RunFailed, it never becomes a timing.
Wall time is measured around `subprocess.run`; the child's CPU time (user + system) comes from
`getrusage(RUSAGE_CHILDREN)` deltas, which works because runs are strictly sequential.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Hook = Callable[[], None]


class RunFailed(RuntimeError):
    """A benchmarked command (or a setup command) exited non-zero."""


@dataclass(frozen=True)
class Command:
    """One column of a comparison: the argv to run, and hooks run outside the timing."""

    label: str
    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str] | None = None
    before: Hook | None = None  # e.g. drop and re-create the database
    after: Hook | None = None  # e.g. check that the run did its work


@dataclass
class Samples:
    """The timings of one command."""

    command: Command
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def min_ms(self) -> float:
        return min(self.wall_ms)

    @property
    def spread(self) -> float:
        """max / min of the wall times: 1.0 on a quiet machine, far above on a noisy one."""
        return max(self.wall_ms) / min(self.wall_ms)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(self.cpu_ms)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_checked(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run argv to completion; raise RunFailed with its output unless it exits 0."""
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RunFailed(
            f"exit {proc.returncode}: {' '.join(argv)}\n"
            f"--- stdout (tail)\n{proc.stdout[-2000:]}\n--- stderr (tail)\n{proc.stderr[-2000:]}"
        )
    return proc


def time_once(command: Command) -> tuple[float, float]:
    """Wall and child-CPU milliseconds of one run of `command` (hooks excluded)."""
    if command.before:
        command.before()
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    run_checked(command.argv, cwd=command.cwd, env=command.env)
    wall = (time.perf_counter() - t0) * 1000
    cpu = (_children_cpu_s() - cpu0) * 1000
    if command.after:
        command.after()
    return wall, cpu


def interleave(commands: Sequence[Command], runs: int, *, warmup: int = 1) -> list[Samples]:
    """`warmup` untimed rounds, then `runs` rounds of A B (C) A B (C) ..."""
    for _ in range(warmup):
        for command in commands:
            time_once(command)
    samples = [Samples(c) for c in commands]
    for i in range(runs):
        for s in samples:
            wall, cpu = time_once(s.command)
            s.wall_ms.append(wall)
            s.cpu_ms.append(cpu)
        _progress(i + 1, runs, samples)
    return samples


def _progress(done: int, runs: int, samples: Sequence[Samples]) -> None:
    times = "  ".join(f"{s.command.label}={s.wall_ms[-1]:.0f}ms" for s in samples)
    print(f"  round {done}/{runs}: {times}", file=sys.stderr, flush=True)

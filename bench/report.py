"""Print a comparison as a small table and write it to bench/results/<name>.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import Samples

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NOISY_SPREAD = 1.5  # a column whose slowest run is 1.5x its fastest: the machine was busy


@dataclass
class Outcome:
    """The result of one comparison: samples[0] is measured against samples[baseline]."""

    name: str
    description: str
    samples: list[Samples]
    baseline: int = 1
    target_ratio: float | None = None  # samples[0] median / baseline median must be <= this
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # checks that failed (not timings)
    extra: dict[str, Any] = field(default_factory=dict)

    def ratio(self, index: int = 0) -> float:
        return self.samples[index].median_ms / self.samples[self.baseline].median_ms

    def min_ratio(self, index: int = 0) -> float:
        return self.samples[index].min_ms / self.samples[self.baseline].min_ms

    @property
    def noisy(self) -> list[str]:
        return [s.command.label for s in self.samples if s.spread > NOISY_SPREAD]

    @property
    def target_met(self) -> bool | None:
        return None if self.target_ratio is None else self.ratio() <= self.target_ratio


def _row(cells: list[str], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
    return "  ".join([first, *rest])


def table_lines(outcome: Outcome) -> list[str]:
    """The figures as aligned text: one row per command."""
    base = outcome.samples[outcome.baseline].command.label
    header = ["command", "median ms", "min ms", "max/min", "client CPU ms", f"ratio vs {base}"]
    rows = [
        [
            s.command.label,
            f"{s.median_ms:.1f}",
            f"{s.min_ms:.1f}",
            f"{s.spread:.2f}",
            f"{s.median_cpu_ms:.1f}",
            f"{outcome.ratio(i):.3f}x",
        ]
        for i, s in enumerate(outcome.samples)
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [_row(header, widths), _row(["-" * w for w in widths], widths)] + [
        _row(r, widths) for r in rows
    ]


def verdict(outcome: Outcome) -> str | None:
    """One line: the target and whether it is met, or None when there is no target."""
    if outcome.target_ratio is None:
        return None
    state = "MET" if outcome.target_met else "MISSED"
    first = outcome.samples[0].command.label
    base = outcome.samples[outcome.baseline].command.label
    return (
        f"target: {first} <= {outcome.target_ratio:g}x {base} (ratio of medians): "
        f"{outcome.ratio():.3f}x -> {state} (ratio of mins: {outcome.min_ratio():.3f}x)"
    )


def noise_warning(outcome: Outcome) -> str | None:
    """A warning when the runs spread so widely that the medians may not mean much."""
    if not outcome.noisy:
        return None
    return (
        f"NOISY: max/min above {NOISY_SPREAD:g} for {', '.join(outcome.noisy)}; the machine was "
        "busy, so re-run on a quiet machine before trusting the ratio"
    )


def print_outcome(outcome: Outcome) -> None:
    runs = len(outcome.samples[0].wall_ms)
    print(f"\n== {outcome.name}: {outcome.description}")
    print(f"   {runs} timed runs per command, interleaved, after 1 untimed warm-up round")
    for line in table_lines(outcome):
        print("   " + line)
    for line in (verdict(outcome), noise_warning(outcome)):
        if line:
            print("   " + line)
    for note in outcome.notes:
        print("   " + note)
    for failure in outcome.failures:
        print("   FAIL: " + failure)


def _environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _samples_json(s: Samples) -> dict[str, Any]:
    return {
        "argv": list(s.command.argv),
        "median_ms": round(s.median_ms, 2),
        "min_ms": round(s.min_ms, 2),
        "max_over_min": round(s.spread, 3),
        "median_client_cpu_ms": round(s.median_cpu_ms, 2),
        "wall_ms": [round(x, 2) for x in s.wall_ms],
        "client_cpu_ms": [round(x, 2) for x in s.cpu_ms],
    }


def write_json(outcome: Outcome) -> Path:
    """bench/results/<name>.json with every run's figures, the ratios and the verdict."""
    doc = {
        "name": outcome.name,
        "description": outcome.description,
        "environment": _environment(),
        "baseline": outcome.samples[outcome.baseline].command.label,
        "commands": {s.command.label: _samples_json(s) for s in outcome.samples},
        "ratios_of_medians": {
            s.command.label: round(outcome.ratio(i), 4) for i, s in enumerate(outcome.samples)
        },
        "ratios_of_mins": {
            s.command.label: round(outcome.min_ratio(i), 4) for i, s in enumerate(outcome.samples)
        },
        "noisy": outcome.noisy,
        "target_ratio": outcome.target_ratio,
        "target_met": outcome.target_met,
        "notes": outcome.notes,
        "failures": outcome.failures,
        **outcome.extra,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{outcome.name}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return path

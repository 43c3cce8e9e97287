"""help-start: `sqlmig --help`, `sqlmig up --help` and `sqlmig --version` as fresh processes.

Compared with `python -c pass` run by the same interpreter. Target: each at most 100 ms
(median), and `--help` imports neither rich nor sqlglot. With `--before DIR` the same commands
also run with the code of another checkout (PYTHONPATH=DIR), interleaved with the others.
"""

from __future__ import annotations

import imports
from context import Context
from harness import Command, interleave
from report import Outcome

NAME = "help-start"
TARGET_MS = 100.0
COMMANDS = (("sqlmig --help", ["--help"]), ("sqlmig up --help", ["up", "--help"]))
COMMANDS += (("sqlmig --version", ["--version"]),)


def run(ctx: Context) -> Outcome:
    env = {**ctx.env, "COLUMNS": "80"}
    commands = [Command(label, [ctx.sqlmig, *a], ctx.workdir, env) for label, a in COMMANDS]
    if ctx.before:  # the same commands with the other checkout's code, interleaved: an A/B
        old = {**env, "PYTHONPATH": str(ctx.before.resolve())}
        commands += [Command(f"before: {c.label}", c.argv, ctx.workdir, old) for c in commands]
    commands.append(ctx.command("python -c pass", [ctx.python, "-c", "pass"]))
    samples = interleave(commands, ctx.runs)
    outcome = Outcome(
        NAME, "help and version as fresh processes", samples, baseline=len(samples) - 1
    )
    for s in samples[:-1]:
        if s.command.label.startswith("before:"):
            continue
        state = "MET" if s.median_ms <= TARGET_MS else "MISSED"
        verdict = f"{s.median_ms:.1f} ms -> {state}"
        outcome.notes.append(f"target: {s.command.label} <= {TARGET_MS:g} ms (median): {verdict}")
        if s.median_ms > TARGET_MS:
            outcome.failures.append(f"{s.command.label}: median {s.median_ms:.1f} ms > 100 ms")
    profile = imports.parse(
        ctx.setup_run([ctx.python, "-X", "importtime", "-m", "sqlmig", "--help"], env).stderr
    )
    outcome.notes.append(f"imports of `sqlmig --help`: {imports.total_us(profile) / 1000:.1f} ms")
    outcome.notes += ["  " + line for line in imports.lines(profile, 8)]
    for package in imports.forbidden(profile):
        outcome.failures.append(f"{package} is imported by `sqlmig --help`")
    return outcome

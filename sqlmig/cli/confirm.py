"""The question `down` asks before reverting several migrations: y/N on a terminal only."""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..urls import redact


def ask(labels: list[str], target: str) -> bool:
    """True when the user answers y or yes on the terminal. With no terminal to ask on (a pipe,
    CI, cron) nobody can answer: a usage error (exit 2) naming --yes, never a silent yes.
    stderr must be one too: a question written into a log file would wait unseen."""
    what = redact(f"{len(labels)} migration(s) of {target}, newest first:")
    names = "".join(f"\n  {label}" for label in labels)
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        where = "stdin" if not sys.stdin.isatty() else "stderr"
        raise UsageError(
            f"reverting {what}{names}\nneeds confirmation, and {where} is not a terminal to ask "
            "on: nothing was reverted",
            hint="pass --yes to revert without asking (scripts, CI); --dry-run shows the SQL first",
        )
    print(f"about to revert {what}{names}", file=sys.stderr)
    print("Their down SQL runs; what it drops is lost.", file=sys.stderr)
    print("Revert them? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM): the error goes on a line of its own
        print(file=sys.stderr)
        raise
    if not answer:  # end of input (Ctrl-D) is a no; end its line
        print(file=sys.stderr)
    return answer.strip().lower() in ("y", "yes")

"""What every comparison needs: the interpreter, the sqlmig console script, a clean environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import Command, Hook, run_checked

BENCH_DIR = Path(__file__).resolve().parent
# Variables that would change what sqlmig does behind the flags the benchmark passes, and
# PYTHONDONTWRITEBYTECODE: with it, every run compiles sqlmig's ~40 modules from source again
# (an editable install has no .pyc until the first import writes them), which users never pay.
SCRUBBED = ("DATABASE_URL", "PGOPTIONS", "PYTHONDONTWRITEBYTECODE")


@dataclass(frozen=True)
class Context:
    """Settings shared by the comparisons; `workdir` is a temp dir removed by the caller."""

    runs: int
    workdir: Path
    python: str
    sqlmig: str
    env: dict[str, str]
    diagnose: bool = False
    before: Path | None = None  # another checkout of sqlmig, for an A/B in the same run

    def sqlmig_up(self, url: str, folder: Path, *extra: str) -> list[str]:
        """The console script users run: `sqlmig --url URL --dir DIR up [extra]`."""
        return [self.sqlmig, "--url", url, "--dir", str(folder), "up", *extra]

    def command(
        self, label: str, argv: list[str], *, before: Hook | None = None, after: Hook | None = None
    ) -> Command:
        """A timed column, run from `workdir` with the clean environment."""
        return Command(label, argv, self.workdir, self.env, before, after)

    def setup_run(
        self, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run an untimed step from `workdir`: its completed process, or RunFailed."""
        return run_checked(argv, cwd=self.workdir, env=env or self.env)


def sqlmig_script() -> str:
    """The `sqlmig` console script installed beside this interpreter (what `make` installs)."""
    beside = Path(sys.executable).parent / "sqlmig"
    if beside.exists():
        return str(beside)
    found = shutil.which("sqlmig")
    if found is None:
        raise SystemExit("bench: no `sqlmig` console script; run `make` (pip install -e .) first")
    return found


def clean_env() -> dict[str, str]:
    """os.environ without SQLMIG_* settings and the SCRUBBED variables."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_") and k not in SCRUBBED
    }


def make_context(
    runs: int, workdir: Path, *, diagnose: bool, before: Path | None = None
) -> Context:
    return Context(
        runs=runs,
        workdir=workdir,
        python=sys.executable,
        sqlmig=sqlmig_script(),
        env=clean_env(),
        diagnose=diagnose,
        before=before,
    )

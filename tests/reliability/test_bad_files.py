"""Scenario 16: bad migration files are a clear error naming the file, exit 2, before connecting.

The URL points at a port where nothing listens: had sqlmig tried to connect first, it would exit
6 instead of 2. The 200 MB file is sparse (made in a blink, no disk used); sqlmig must refuse it
by its size, quickly and without reading it into memory: the child reports its own peak RSS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, write
from tests.integration.procs import clean_env
from tests.reliability.test_resources import without_dac

pytestmark = pytest.mark.timeout(60)
NOWHERE = "postgresql://postgres:Sentinel-pw@127.0.0.1:1/none"  # nothing listens on port 1
# The peak of this process's own memory: VmHWM of /proc/self/status. Not getrusage's ru_maxrss:
# on Linux, exec keeps the high-water mark of the image it replaced, so a process started by a big
# pytest process (a worker that has loaded Django, hypothesis...) reports that process's peak.
MEASURED = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    print("maxrss_kb", kb, file=sys.stderr)
atexit.register(_peak)
sys.argv = ["sqlmig", *sys.argv[1:]]
from sqlmig.cli import main
main()
"""


def _up(migrations: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", MEASURED, "--url", NOWHERE, "--dir",
         str(migrations), "up"],
        capture_output=True, text=True, env=clean_env(), cwd=ROOT, timeout=50,
    )  # fmt: skip


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _sparse(folder: Path) -> Path:
    path = folder / "0002_huge.up.sql"
    with open(path, "wb") as f:
        f.write(b"SELECT 1;\n")
        f.truncate(200 * 1024 * 1024)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "0002_dir.up.sql"
    path.mkdir()
    return path


def _unreadable(folder: Path) -> Path:
    path = folder / "0002_secret.up.sql"
    path.write_text("SELECT 1;\n")
    path.chmod(0)
    return path


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "latin-1": (_bytes("0002_latin.up.sql", "SELECT 'café';\n".encode("latin-1")), "UTF-8"),
    "utf-16": (_bytes("0002_wide.up.sql", "SELECT 1;\n".encode("utf-16")), "UTF-8"),
    "nul": (_bytes("0002_nul.up.sql", b"SELECT 1;\x00\n"), "NUL"),
    "invalid-utf-8": (_bytes("0002_bad.up.sql", b"SELECT '\xc3\x28';\n"), "UTF-8"),
    "bom-then-latin-1": (_bytes("0002_bom.up.sql", b"\xef\xbb\xbfSELECT '\xe9';\n"), "UTF-8"),
    "200-mb": (_sparse, "MB"),
    "directory": (_directory, "directory"),
    "unreadable": (_unreadable, "cannot read"),
    # other scripts' digits: int() reads these as 2, a user sees no version (issue 10, item 10)
    "arabic-indic-version": (_bytes("\u0660\u0660\u0660\u0662_b.up.sql", b"SELECT 1;\n"), "not a"),
    "fullwidth-version": (_bytes("\uff10\uff10\uff10\uff12_b.up.sql", b"SELECT 1;\n"), "not a"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_exit_2_before_connecting(migrations: Path, case: str) -> None:
    write(migrations, "0001_ok", "SELECT 1;\n")
    make, words = CASES[case]
    path = make(migrations)
    start = time.monotonic()
    done = _up(migrations, without_dac([]) if case == "unreadable" else None)
    took = time.monotonic() - start
    assert done.returncode == 2, done.stderr
    assert path.name in done.stderr and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Sentinel-pw" not in done.stderr + done.stdout
    rss_mb = int(done.stderr.split("maxrss_kb")[1].split()[0]) / 1024
    assert took < 10, f"{case}: took {took:.1f} s"
    assert rss_mb < 150, f"{case}: peak memory {rss_mb:.0f} MB"
    if case == "200-mb":
        print(f"200 MB file refused in {took:.2f} s, peak RSS {rss_mb:.0f} MB")
        assert os.stat(path).st_blocks * 512 < 1024 * 1024  # still sparse: never written out

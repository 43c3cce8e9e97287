"""docs/screens.py, which draws the README's pictures, still runs and draws what it should; the
README shows the committed pictures. (Times and dates differ on every run, so the SVGs are
checked for their content, not compared byte for byte.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "docs" / "screens.py"
NAMES = ("up", "status", "lint")


def svg_text(path: Path) -> str:
    """The text an SVG shows (rich writes each run of characters as a <text> element)."""
    runs = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text("utf-8"))
    return "".join(runs).replace("&#160;", " ").replace("&quot;", '"').replace("&#x27;", "'")


def test_the_script_draws_up_status_and_lint_from_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shots = {name: svg_text(tmp_path / f"screen-{name}.svg") for name in NAMES}
    assert "$ sqlmig up --steps 3" in shots["up"]
    assert "now at 0003_add_isbn_to_books" in shots["up"]
    assert "[0/3]" not in shots["up"], "the progress line was redrawn away, as on a terminal"
    status = shots["status"]
    assert "┃" in status and "applied at (UTC)" in status, "the terminal's table, not lines"
    # three pending rows, and the summary line under the table ("pending: 3")
    assert status.count("applied") >= 4 and status.count("pending") == 4
    assert "P101 index-without-concurrently" in shots["lint"]
    assert "2 error(s)" in shots["lint"]
    # colour, as on a terminal: the plain text, green applied and yellow pending states
    style = (tmp_path / "screen-status.svg").read_text("utf-8")
    assert len(set(re.findall(r"\{ fill: (#[0-9a-f]{6})", style))) >= 3, style[:2000]


def test_the_readme_shows_the_committed_pictures() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in NAMES:
        picture = ROOT / "docs" / f"screen-{name}.svg"
        assert picture.is_file() and picture.stat().st_size < 40_000, picture
        assert f"](docs/screen-{name}.svg)" in readme, f"README.md does not show {picture.name}"

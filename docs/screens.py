"""The README's pictures: `up`, `status` and `lint` run in a pseudo-terminal, saved as SVG.

    python docs/screens.py [OUT_DIR]        (or `make screens`; default: docs/)

Each command is the real CLI on a real SQLite file in a temporary project holding the example
migrations, run with its stdout and stderr on a terminal of 100 columns, so what is drawn is
what a user sees: the `status` table, `up`'s lines (its progress line redrawn away), the lint
report. rich turns the terminal's output into SVG. Times and dates differ on every run.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100
CLEARED = re.compile(r"^.*\r\x1b\[K")  # the progress line's "back to column 0, erase the line"

LINT_DEMO = """\
ALTER TABLE books ADD COLUMN price numeric(10, 2) NOT NULL DEFAULT 0;
CREATE INDEX books_title_idx ON books (title);
ALTER TABLE books ALTER COLUMN isbn SET NOT NULL;
"""
LINT_DEMO_DOWN = "DROP INDEX books_title_idx;\nALTER TABLE books DROP COLUMN price;\n"
LINT_FILE = "migrations/0006_add_price_to_books.up.sql"
SCREENS = [  # name, arguments, the exit code that shows it worked (lint: 1, it found errors)
    ("up", ["up", "--steps", "3"], 0),
    ("status", ["status"], 0),
    ("lint", ["lint", "--dialect", "postgres", LINT_FILE], 1),
]


def run_on_terminal(args: list[str], cwd: Path, expect: int = 0) -> str:
    """The bytes a terminal would receive from `sqlmig ARGS` (stdout and stderr interleaved)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, WIDTH, 0, 0))
    drop = ("DATABASE_URL", "NO_COLOR", "FORCE_COLOR", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQLMIG_") and k not in drop}
    env |= {"TERM": "xterm-256color", "COLUMNS": str(WIDTH), "PYTHONPATH": str(ROOT)}
    env |= {"LOGNAME": "dev", "USER": "dev"}  # `by` in status: not whoever made the pictures
    with subprocess.Popen(
        [sys.executable, "-m", "sqlmig", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    ) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child is gone and the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    if proc.returncode != expect:
        raise SystemExit(f"sqlmig {' '.join(args)} exited {proc.returncode}:\n{text}")
    return text


def screen(raw: str) -> str:
    """The lines left on the screen: a redrawn (cleared) line keeps only what came after it."""
    lines = raw.replace("\r\n", "\n").split("\n")
    return "\n".join(CLEARED.sub("", line) for line in lines).rstrip("\n")


def svg(command: list[str], shown: str, title: str) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
    console.print(Text("$ sqlmig " + " ".join(command), style="bold"))
    console.print(Text.from_ansi(shown))
    return console.export_svg(title=title)


def project(folder: Path) -> Path:
    """A project as `sqlmig init` leaves it, with the example migrations and one to lint."""
    shutil.copytree(ROOT / "migrations", folder / "migrations")
    (folder / "sqlmig.toml").write_text('url = "sqlite:///app.db"\n', "utf-8")
    (folder / LINT_FILE).write_text(LINT_DEMO, "utf-8")
    (folder / LINT_FILE.replace(".up.", ".down.")).write_text(LINT_DEMO_DOWN, "utf-8")
    return folder


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="sqlmig-screens-") as tmp:
        cwd = project(Path(tmp))
        for name, args, expect in SCREENS:
            shown = screen(run_on_terminal(args, cwd, expect))
            target = out / f"screen-{name}.svg"
            target.write_text(svg(args, shown, "sqlmig"), "utf-8")
            written.append(target)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

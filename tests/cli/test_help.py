"""`--help` of sqlmig and of every command works, shows an example, and the README covers them."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import Cli, describe, run_many
from tests.conftest import ROOT, sqlmig


def _commands() -> list[str]:
    """Every command of the typer app, sub-commands as `schema dump`: a new command is covered
    by these tests without being added to a list here."""
    import typer.main

    from sqlmig.cli import app

    def walk(group: object, prefix: str = "") -> list[str]:
        names = []
        for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                names += walk(command, f"{prefix}{name} ")
            else:
                names.append(prefix + name)
        return names

    return walk(typer.main.get_command(app))


COMMANDS = _commands()
CORE = ["init", "new", "up", "down", "redo", "status", "current", "history", "validate"]
CORE += ["repair", "baseline", "wait", "create", "lint", "verify", "diff", "transpile"]
CORE += ["schema dump"]
CORE += ["mark"]


def test_the_command_list_is_complete() -> None:
    assert sorted(CORE) == COMMANDS


def test_every_command_is_listed_and_has_help_with_an_example(tmp_path: Path) -> None:
    top = sqlmig("--help", cwd=tmp_path)
    assert top.returncode == 0, describe(top)
    assert "Example" in top.stdout
    for command in COMMANDS:
        top_level = command.split()[0]
        assert f" {top_level} " in top.stdout, f"{top_level} is not listed:\n{top.stdout}"

    # --help wins over everything else: no URL, no folder, no database needed
    nowhere = Cli("", tmp_path / "no-such-folder")
    calls = [(nowhere, (*command.split(), "--help")) for command in COMMANDS]
    calls += [(nowhere, (command, "-h")) for command in ("up", "status")]
    for (_cli, args), proc in zip(calls, run_many(calls), strict=True):
        assert proc.returncode == 0, describe(proc)
        assert f"sqlmig {' '.join(args[:-1])}" in proc.stdout, describe(proc)  # its own usage
        assert "Example" in proc.stdout, describe(proc)
        assert proc.stderr == "", describe(proc)
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_readme_documents_every_command() -> None:
    readme = ROOT / "README.md"
    assert readme.is_file(), f"{readme} is missing"
    text = readme.read_text("utf-8")
    missing = [c for c in COMMANDS if f"`{c}" not in text]
    assert not missing, f"README.md does not mention: {missing}"

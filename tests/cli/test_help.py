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
CORE += ["mark", "adopt"]
CORE += ["convert"]
CORE += ["squash", "check", "renumber"]
CORE += ["plan", "preflight"]


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


def _help_screens(tmp_path: Path, columns: str = "80") -> dict[str, str]:
    """`sqlmig --help` and every command's `--help`, at COLUMNS=80, by command ('' = the top)."""
    nowhere = Cli("", tmp_path / "no-such-folder", env={"COLUMNS": columns})
    names = ["", "schema", *COMMANDS]
    calls = [(nowhere, (*name.split(), "--help")) for name in names]
    screens = {}
    for name, proc in zip(names, run_many(calls), strict=True):
        assert proc.returncode == 0, describe(proc)
        screens[name] = proc.stdout
    return screens


def _records(screen: str) -> list[str]:
    """One option's (or command's) block: its term line and the lines that continue it."""
    records: list[str] = []
    for line in screen.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and records:
            records.append(line)
        elif line.startswith("   ") and records:
            records[-1] += "\n" + line
        else:
            records.append(line)
    return records


def test_help_fits_80_columns_with_whole_option_names_and_no_click_jargon(tmp_path: Path) -> None:
    import typer.main

    from sqlmig.cli import app

    group = typer.main.get_command(app)
    for name, screen in _help_screens(tmp_path).items():
        too_wide = [line for line in screen.splitlines() if len(line) > 80]
        assert not too_wide, f"sqlmig {name} --help:\n{screen}"
        for jargon in ("…", "<int", "<str>", "<float>", "<path>", "range>", "<=x", "[default"):
            assert jargon not in screen, f"{jargon!r} in sqlmig {name} --help:\n{screen}"
        assert "{" not in screen.splitlines()[0], screen  # typer's `{name}` in the usage line
        for record in _records(screen):
            assert record.count("Default:") <= 1, f"sqlmig {name} --help:\n{record}"
        command = group
        for word in name.split():
            command = command.commands[word]  # type: ignore[attr-defined]
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("-"):
                    words = screen.replace(",", " ").split()
                    assert opt in words, f"{opt} is cut in sqlmig {name} --help:\n{screen}"


def test_required_options_and_arguments_are_marked(tmp_path: Path) -> None:
    screens = _help_screens(tmp_path)
    assert "Usage: sqlmig new [OPTIONS] NAME\n" in screens["new"]
    assert "Usage: sqlmig lint [OPTIONS] [PATHS...]\n" in screens["lint"]
    to = next(r for r in _records(screens["transpile"]) if r.lstrip().startswith("--to "))
    assert to.rstrip().endswith("Required."), to


def test_every_command_help_shows_the_global_options(tmp_path: Path) -> None:
    for name, screen in _help_screens(tmp_path).items():
        if name == "":
            continue
        assert "Global options (before or after the command):" in screen, screen
        _, _, shared = screen.partition("Global options")
        for opt in ("--url", "--dir", "--table", "--config", "--json", "--quiet", "--log-format"):
            assert opt in shared, f"{opt} missing in sqlmig {name} --help:\n{screen}"
        assert "SQLMIG_URL_FILE" in shared, screen


def test_top_help_ends_with_the_exit_codes_of_the_readme(tmp_path: Path) -> None:
    from sqlmig.errors import EXIT_CODES

    top = sqlmig("--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert top.returncode == 0, describe(top)
    head, _, codes = top.stdout.partition("\nExit codes:\n")
    assert "Commands:" in head and codes, top.stdout
    assert [line.split()[0].rstrip(",") for line in codes.splitlines() if line[2:3] != " "] == [
        code.split(",")[0] for code, _ in EXIT_CODES
    ]
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Output and exit codes", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    documented = {row.split("|")[1].strip() for row in rows}
    assert documented == {code for code, _ in EXIT_CODES}


def test_version_answers_without_importing_typer() -> None:
    code = (
        "import sys; sys.argv = ['sqlmig', '--version']\n"
        "from sqlmig.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "print('typer' in sys.modules)\n"
    )
    import subprocess
    import sys

    from sqlmig import __version__

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.splitlines() == [f"sqlmig {__version__}", "False"], proc.stderr
    assert sqlmig("--version").stdout == f"sqlmig {__version__}\n"
    assert sqlmig("-q", "--version").stdout == f"sqlmig {__version__}\n"  # through typer: same

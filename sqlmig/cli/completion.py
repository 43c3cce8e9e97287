"""Shell completion: `--show-completion SHELL`, `--install-completion SHELL`, and the answers
to the shell's requests (typer's scripts and protocol, loaded only on these paths)."""

import subprocess
from collections.abc import Mapping

import typer

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
PROG = "sqlmig"
COMPLETE_VAR = "_SQLMIG_COMPLETE"  # set by the completion script when the shell asks


def _shell(value: str) -> str:
    if value not in SHELLS:
        raise typer.BadParameter(f"{value!r} is not a shell sqlmig completes: {', '.join(SHELLS)}")
    return value


def show(value: str | None) -> None:
    """Print the completion script for the shell `value` and exit."""
    if value is None:
        return
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=_shell(value)))
    raise typer.Exit()


def install(value: str | None) -> None:
    """Add the completion script to the shell's start-up files and exit."""
    if value is None:
        return
    from typer._completion_shared import install as install_script

    shell = _shell(value)
    try:
        shell, path = install_script(shell=shell, prog_name=PROG, complete_var=COMPLETE_VAR)
    except (OSError, subprocess.SubprocessError) as exc:  # no pwsh on PATH, a read-only home
        raise typer.BadParameter(
            f"cannot install completion for {shell}: {exc}; print the script with "
            f"`sqlmig --show-completion {shell}` and add it to your shell's start-up file"
        ) from None
    print(f"{shell} completion installed in {path}; it takes effect in a new shell")
    raise typer.Exit()


def prepare(environ: Mapping[str, str]) -> None:
    """When the shell asks for completions, load typer's answers for each shell."""
    if environ.get(COMPLETE_VAR):
        from typer.completion import completion_init

        completion_init()

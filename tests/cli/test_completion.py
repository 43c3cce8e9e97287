"""Shell completion: the scripts, their installation, and the answers to the shell's requests."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import describe
from tests.conftest import sqlmig


def test_show_completion_prints_the_script_for_the_given_shell(tmp_path: Path) -> None:
    bash = sqlmig("--show-completion", "bash", cwd=tmp_path)
    assert bash.returncode == 0, describe(bash)
    assert "complete -o default -F _sqlmig_completion sqlmig" in bash.stdout
    assert "_SQLMIG_COMPLETE=complete_bash" in bash.stdout
    zsh = sqlmig("--show-completion", "zsh", cwd=tmp_path)
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef sqlmig"), describe(zsh)
    fish = sqlmig("--show-completion=fish", cwd=tmp_path)
    assert fish.returncode == 0 and "complete --command sqlmig" in fish.stdout, describe(fish)

    unknown = sqlmig("--show-completion", "tcsh", cwd=tmp_path)
    assert unknown.returncode == 2 and "bash, zsh, fish" in unknown.stderr, describe(unknown)
    missing = sqlmig("--show-completion", cwd=tmp_path)
    assert missing.returncode == 2 and "requires an argument" in missing.stderr, describe(missing)
    assert list(tmp_path.iterdir()) == []


def test_the_shell_gets_commands_and_options_completed(tmp_path: Path) -> None:
    def complete(words: str, index: int) -> list[str]:
        env = {"_SQLMIG_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index)}
        proc = sqlmig(env=env, cwd=tmp_path)
        assert proc.returncode == 0, describe(proc)
        return proc.stdout.split()

    assert complete("sqlmig sta", 1) == ["status"]
    assert complete("sqlmig up --st", 2) == ["--steps", "--strict", "--statement-lock-timeout"]
    assert "--json" in complete("sqlmig --j", 1)
    assert list(tmp_path.iterdir()) == []  # asking touched no database and no folder


def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    proc = sqlmig("--install-completion", "bash", cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert proc.returncode == 0, describe(proc)
    script = tmp_path / ".bash_completions" / "sqlmig.sh"
    assert "_SQLMIG_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    assert "installed in" in proc.stdout


def test_install_completion_without_the_shell_is_a_clear_error(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path)}  # no powershell/pwsh to ask
    proc = sqlmig("--install-completion", "pwsh", cwd=tmp_path, env=env)
    assert proc.returncode == 2, describe(proc)
    assert "cannot install completion for pwsh" in proc.stderr, describe(proc)
    assert "--show-completion pwsh" in proc.stderr and "Traceback" not in proc.stderr

"""examples/: the compose file, the Kubernetes init container and the CI workflow say what they
should, and every sqlmig command and option they use exists (checked against `--help`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ROOT, sqlmig

EXAMPLES = ROOT / "examples"


def _argv_lists(text: str) -> list[list[str]]:
    """The `command: [...]` / `args: [...]` arrays of a compose or Kubernetes file."""
    return [json.loads(m) for m in re.findall(r"(?:command|args): (\[.*\])", text)]


def _options_exist(args: list[str], tmp_path: Path) -> None:
    command = args[0]
    help_text = sqlmig(command, "--help", cwd=tmp_path)
    assert help_text.returncode == 0, f"sqlmig {command}: {help_text.stderr}"
    top = sqlmig("--help", cwd=tmp_path).stdout
    for option in (a.split("=")[0] for a in args if a.startswith("--")):
        assert option in help_text.stdout + top, f"sqlmig {command} has no {option}"


def test_compose_app_waits_for_a_successful_migrate(tmp_path: Path) -> None:
    text = (EXAMPLES / "docker-compose.yml").read_text()
    assert "condition: service_completed_successfully" in text
    assert (EXAMPLES / text.split("build: ")[1].split()[0] / "Dockerfile").is_file()
    assert "../migrations:/migrations" in text and (ROOT / "migrations").is_dir()
    (up,) = [a for a in _argv_lists(text) if a[0] == "up"]
    assert "--wait" in up
    _options_exist(up, tmp_path)


def test_kubernetes_init_container(tmp_path: Path) -> None:
    text = (EXAMPLES / "kubernetes-init-container.yaml").read_text()
    assert "initContainers:" in text and "SQLMIG_URL_FILE" in text
    user = re.search(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.M)
    assert user and f"runAsUser: {user.group(1)}" in text, "the image's uid"
    (args,) = _argv_lists(text)
    _options_exist(args, tmp_path)


def test_ci_workflow_gates_on_lint_verify_and_status(tmp_path: Path) -> None:
    text = (EXAMPLES / "github-actions-ci.yml").read_text()
    runs = [
        line.split("run: sqlmig ", 1)[1].split("#")[0].split()
        for line in text.splitlines()
        if "- run: sqlmig " in line and not line.lstrip().startswith("#")
    ]
    assert [r[0] for r in runs] == ["lint", "wait", "verify", "up", "status"]
    assert runs[-1] == ["status", "--exit-code"]
    for args in runs:
        if args[0] in ("wait", "up", "status"):  # lint and verify are other issues' commands
            _options_exist(args, tmp_path)

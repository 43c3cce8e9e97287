"""The Dockerfile, without a container engine: build its virtual environment and run its entrypoint.

The build stage's COPY and RUN lines are read from the Dockerfile itself and replayed with the
image's paths (/src, /opt/sqlmig, /migrations) mapped into a temp dir; the final stage's ENV,
USER and ENTRYPOINT are applied the same way. Then `wait`, `up` and `status --exit-code` run
against PostgreSQL as an unprivileged user (nobody, when the tests run as root), as in the image.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, query, skip_or_fail

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    instructions: list[tuple[str, str]] = field(default_factory=list)


def _stages() -> list[Stage]:
    """FROM-separated stages of (INSTRUCTION, arguments), continuation lines joined."""
    text = DOCKERFILE.read_text("utf-8").replace("\\\n", " ")
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append(Stage())
        stages[-1].instructions.append((word.upper(), rest.strip()))
    return stages


def _env_of(args: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(args))


@dataclass(frozen=True)
class Image:
    root: Path  # stands for / of the image
    env: dict[str, str]
    entrypoint: list[str]
    user: list[str]  # the command prefix that drops to a non-root user, or []

    def path(self, image_path: str) -> str:
        return str(self.root) + image_path

    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        entry = shutil.which(self.entrypoint[0], path=self.env["PATH"])
        assert entry, f"{self.entrypoint[0]} is not on the image's PATH {self.env['PATH']}"
        return subprocess.run(
            [*self.user, entry, *self.entrypoint[1:], *args],
            env={**self.env, **env},
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
        )


def _python() -> str:
    """An interpreter an unprivileged user can run (the tests' own may live under /root)."""
    return (
        "/usr/bin/python3"
        if os.geteuid() == 0 and Path("/usr/bin/python3").exists()
        else sys.executable
    )


def _drop_privileges() -> list[str]:
    if os.geteuid() != 0:
        return []  # already not root
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        skip_or_fail("running as root without setpriv: cannot test as a non-root user")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def _build(root: Path, stage: Stage) -> None:
    """Replay the build stage's COPY and RUN lines with the image's paths under `root`."""
    for word, args in stage.instructions:
        if word == "COPY":
            *sources, dest = shlex.split(args)
            for source in sources:
                target = Path(root / dest.lstrip("/"))
                target = target / Path(source).name if dest.endswith("/") else target
                target.parent.mkdir(parents=True, exist_ok=True)
                copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
                copy(ROOT / source, target)
        elif word == "RUN":
            argv = [
                a.replace("/opt/", f"{root}/opt/").replace("/src", f"{root}/src")
                for a in shlex.split(args)
            ]
            argv = [_python() if a == "python" else a for a in argv]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, f"RUN {args}\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    build, final = _stages()
    root = Path(tempfile.mkdtemp(prefix="sqlmig-image-"))
    try:
        _build(root, build)
        env = {"HOME": "/nonexistent", "LANG": "C.UTF-8"}
        entrypoint: list[str] = []
        for word, args in final.instructions:
            if word == "ENV":
                for key, value in _env_of(args).items():
                    value = value.replace("$PATH", "/usr/bin:/bin")
                    env[key] = value.replace("/opt/", f"{root}/opt/").replace(
                        "/migrations", f"{root}/migrations"
                    )
            elif word == "ENTRYPOINT":
                entrypoint = json.loads(args)
        (root / "migrations").mkdir()
        for sql in sorted((ROOT / "migrations").glob("*.sql")):
            shutil.copy(sql, root / "migrations")
        for path in [root, *root.rglob("*")]:  # readable by all, as COPY leaves files in an image
            mode = path.stat().st_mode
            path.chmod(
                mode
                | stat.S_IRGRP
                | stat.S_IROTH
                | ((stat.S_IXGRP | stat.S_IXOTH) if mode & stat.S_IXUSR else 0)
            )
        yield Image(root, env, entrypoint, _drop_privileges())
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_dockerfile_is_what_the_issue_asks_for() -> None:
    build, final = _stages()
    base = final.instructions[0][1]
    assert base.startswith("python:") and base.endswith("-slim"), base
    final_words = dict(final.instructions)
    assert json.loads(final_words["ENTRYPOINT"]) == ["sqlmig"]
    assert _env_of(final_words["ENV"])["SQLMIG_DIR"] == "/migrations"
    assert final_words["USER"].split(":")[0] not in ("0", "root"), "runs as a non-root user"
    pip = [args for word, args in build.instructions if word == "RUN" and "pip install" in args]
    assert pip and "-e" not in shlex.split(pip[0]), "a regular (non-editable) install"
    ignore = (ROOT / ".dockerignore").read_text()
    assert "__pycache__" in ignore


def test_wait_up_status_as_in_the_image(image: Image, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    where = image.run("--version", env={})
    assert where.returncode == 0 and where.stdout.startswith("sqlmig "), where.stderr
    python = Path(image.path("/opt/sqlmig/bin/python"))
    located = subprocess.run(
        [python, "-c", "import sqlmig; print(sqlmig.__file__)"],
        capture_output=True,
        text=True,
        cwd=image.root,
        env=image.env,
    )
    assert located.stdout.startswith(image.path("/opt/sqlmig/lib/")), "installed, not editable"
    if image.user:
        who = subprocess.run([*image.user, "id", "-u"], capture_output=True, text=True)
        assert who.stdout.strip() != "0"

    wait = image.run("wait", "--timeout", "10", env=env)
    assert wait.returncode == 0, wait.stderr
    up = image.run("up", env={**env, "SQLMIG_LOG_FORMAT": "json"})
    assert up.returncode == 0, up.stderr
    applied = [json.loads(line) for line in up.stderr.splitlines()]
    files = sorted(p.name for p in (ROOT / "migrations").glob("*.up.sql"))
    assert sum(r["event"] == "migration_applied" for r in applied) == len(files)
    status = image.run("status", "--exit-code", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert len(query(pg_url, "SELECT version FROM sqlmig_history")) == len(files)
    again = image.run("up", env=env)
    assert again.returncode == 0 and again.stdout.startswith("nothing to apply"), again.stdout

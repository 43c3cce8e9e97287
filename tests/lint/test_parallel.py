"""Many files are linted by worker processes: the same findings, in the same order, as one
process; errors keep their message and hint; pairs stay together."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.errors import MigrationFileError
from sqlmig.lint import batch, lint_paths

from .helpers import write


def many(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(1, count + 1):
        write(
            folder,
            f"{i:04d}_m{i}.up.sql",
            f"CREATE TABLE t{i} (a int);\nCREATE INDEX x{i} ON o (a);\n",
        )
        if i % 3:  # a down that drops what its up made: clean only when linted with its up
            write(folder, f"{i:04d}_m{i}.down.sql", f"DROP TABLE t{i};\n")
    return folder


def test_workers_find_what_one_process_finds(tmp_path: Path) -> None:
    folder = many(tmp_path / "m", 90)
    assert batch._workers(len(list(folder.iterdir())), None) >= 1
    one = lint_paths([folder], jobs=1)
    two = lint_paths([folder], jobs=2)
    auto = lint_paths([folder])
    assert one.findings and two.findings == one.findings == auto.findings
    assert not any(f.code == "D201" for f in one.findings)  # every down saw its up


def test_batches_keep_an_up_and_its_down_together() -> None:
    files = [Path(f"m/{i:04d}_a.{d}.sql") for i in range(1, 11) for d in ("down", "up")]
    for wanted in (2, 3, 7, 40):
        batches = batch._batches(files, wanted)
        assert [p for b in batches for p in b] == files
        for b in batches:
            assert b[0].name.endswith(".down.sql") and b[-1].name.endswith(".up.sql")


def test_an_error_in_a_worker_keeps_its_message_and_hint(tmp_path: Path) -> None:
    folder = many(tmp_path / "m", 80)
    (folder / "0050_m50.up.sql").write_bytes(b"SELECT '\xff';\n")
    with pytest.raises(MigrationFileError) as caught:
        lint_paths([folder], jobs=2)
    assert "0050_m50.up.sql is not valid UTF-8" in caught.value.message
    assert caught.value.hint and "UTF-8" in caught.value.hint

"""A squash file in the folder: which duplicates discover accepts, and what each history runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.chain import resolve
from sqlmig.errors import MigrationFileError
from sqlmig.files import discover
from sqlmig.history import AppliedRow

SQUASH = "-- sqlmig:replaces 0001..0003\nCREATE TABLE a (id int);\n"


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    tmp_path.mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def row(version: int, name: str) -> AppliedRow:
    return AppliedRow(version, name, "", None, None, "applied", "", "", None, None, None)


def test_a_squash_may_share_only_its_last_version_and_only_once(tmp_path: Path) -> None:
    plain = {f"000{i}_m{i}.up.sql": "SELECT 1;\n" for i in (1, 2, 3, 4)}
    found = discover(folder(tmp_path / "ok", {**plain, "0003_squashed.up.sql": SQUASH}))
    assert [m.label for m in found] == ["0001_m1", "0002_m2", "0003_m3", "0003_squashed", "0004_m4"]
    assert found[3].replaces == (1, 3)

    bad = {"0003_m3.up.sql": "SELECT 1;\n", "0003_s.up.sql": SQUASH.replace("0003", "0002")}
    with pytest.raises(MigrationFileError, match=r"replaces 1\.\.2 but its version is 0003"):
        discover(folder(tmp_path / "range", bad))
    two = {**plain, "0003_s.up.sql": SQUASH, "0003_t.up.sql": SQUASH}
    with pytest.raises(MigrationFileError, match="duplicate version 3"):
        discover(folder(tmp_path / "two", two))
    with pytest.raises(MigrationFileError, match="malformed directive"):
        discover(folder(tmp_path / "typo", {"0003_s.up.sql": "-- sqlmig:replaces 3-1\n"}))


def test_each_history_runs_its_own_chain(tmp_path: Path) -> None:
    plain = {f"000{i}_m{i}.up.sql": "SELECT 1;\n" for i in (1, 2, 3, 4)}
    found = discover(folder(tmp_path, {**plain, "0003_squashed.up.sql": SQUASH}))

    def runs(rows: list[AppliedRow] | None) -> list[str]:
        return [m.label for m in resolve(found, rows).files]

    assert runs(None) == ["0003_squashed", "0004_m4"]
    assert runs([row(3, "squashed")]) == ["0003_squashed", "0004_m4"]
    assert runs([row(1, "m1")]) == ["0001_m1", "0002_m2", "0003_m3", "0004_m4"]
    old = resolve(found, [row(1, "m1")])
    assert [m.label for m in old.skipped] == ["0003_squashed"] and not old.covered

"""Work that grows with the file, not with its square (counted, not timed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.lint import lint_paths
from sqlmig.lint.rules import conventions

from .helpers import write


def test_foreign_keys_are_gathered_once_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every 32-bit primary key asked for the file's foreign keys, a scan of the whole file each
    # time: 400 such tables in one file (an old schema dump) took minutes
    sql = "".join(f"CREATE TABLE t{i} (id serial PRIMARY KEY, a int);\n" for i in range(60))
    path = write(tmp_path, "0001_schema.up.sql", sql)
    scans: list[object] = []
    real = conventions._scan_foreign_keys
    monkeypatch.setattr(conventions, "_scan_foreign_keys", lambda ctx: scans.append(1) or real(ctx))
    found = lint_paths([path], dialect="postgres", select=["prefer-bigint-identity"]).findings
    assert len(found) == 60 and len(scans) == 1

"""files.checksum: golden values (the algorithm must never change silently) and invariants.

The expected digests were computed once with hashlib outside sqlmig and are hard-coded here:
a history table written by one release must validate under every later release.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig.files import checksum, discover

BOM = b"\xef\xbb\xbf"
SELECT_1 = "sha256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (b"SELECT 1;\n", SELECT_1),
        (
            b"CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n",
            "sha256:ca2e30c7bf4ae893a75714da225cab24092983eef3fc4de5988d59bbf722acfb",
        ),
        (
            "SELECT 'héllo';\n".encode(),
            "sha256:810c989f2cb31ecb56a77a7769a2520ea4b0586b7a7d43c40b7cab25f599a28a",
        ),
        (b"SELECT 1;", "sha256:17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a"),
    ],
)
def test_golden_values(data: bytes, expected: str) -> None:
    assert checksum(data) == expected


@pytest.mark.parametrize("data", [b"", b"x", b"SELECT 1;\r\n", BOM + b"\r\n\r\n"])
def test_format_is_tagged_lowercase_hex(data: bytes) -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", checksum(data))


def test_bom_is_ignored() -> None:
    assert checksum(BOM + b"SELECT 1;\n") == SELECT_1


def test_crlf_is_ignored() -> None:
    assert checksum(b"SELECT 1;\r\n") == SELECT_1


def test_bom_and_crlf_together_are_ignored() -> None:
    assert checksum(BOM + b"SELECT\r\n1;\r\n") == checksum(b"SELECT\n1;\n")


def test_lone_cr_is_not_normalised() -> None:
    lone_cr = "sha256:de7f0e0c877d54772955e5b0dea83fdb86bd5d30df12d2f6b26630a5173cb241"
    assert checksum(b"SELECT 1;\r") == lone_cr
    assert lone_cr != SELECT_1


def test_only_a_leading_bom_is_stripped() -> None:
    assert checksum(b"SELECT 1;\n" + BOM) != checksum(b"SELECT 1;\n")
    assert checksum(BOM + BOM + b"SELECT 1;\n") != SELECT_1


@pytest.mark.parametrize(
    "changed",
    [
        b"SELECT 1; \n",  # trailing blank
        b"SELECT 1;\n\n",  # extra newline
        b"SELECT 1;",  # missing newline
        b"select 1;\n",  # case
        b"SELECT\t1;\n",  # tab for space
        b"SELECT 2;\n",
        b" SELECT 1;\n",
    ],
)
def test_any_other_byte_change_changes_the_checksum(changed: bytes) -> None:
    assert checksum(changed) != SELECT_1


def test_every_single_byte_flip_changes_the_checksum() -> None:
    data = b"CREATE TABLE t (id int);\n"
    seen = {checksum(data)}
    for i in range(len(data)):
        flipped = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        seen.add(checksum(flipped))
    assert len(seen) == len(data) + 1


def test_discovered_files_carry_the_checksum_of_their_bytes(tmp_path: Path) -> None:
    (tmp_path / "0001_lf.up.sql").write_bytes(b"SELECT 1;\n")
    (tmp_path / "0002_crlf.up.sql").write_bytes(BOM + b"SELECT 1;\r\n")
    (tmp_path / "0002_crlf.down.sql").write_bytes(b"SELECT 1;")
    first, second = discover(tmp_path)
    assert first.up.checksum == SELECT_1
    assert second.up.checksum == SELECT_1
    assert second.down is not None
    assert second.down.checksum == (
        "sha256:17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a"
    )

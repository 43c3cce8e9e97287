"""files.discover / read_sql_file / directives on real folders under tmp_path (no database)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from sqlmig import files
from sqlmig.errors import MigrationFileError
from sqlmig.files import NAMING_HINT, discover, read_sql_file


def put(folder: Path, name: str, data: bytes | str = "SELECT 1;\n") -> Path:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def file_error(folder: Path) -> MigrationFileError:
    with pytest.raises(MigrationFileError) as info:
        discover(folder)
    assert info.value.exit_code == 2
    return info.value


# --- names and order -------------------------------------------------------------------------


def test_versions_compare_as_integers(tmp_path: Path) -> None:
    for name in (
        "20261121093000_late.up.sql",
        "0010_ten.up.sql",
        "0002_two.up.sql",
        "1_one.up.sql",
        "0010_ten.down.sql",
    ):
        put(tmp_path, name)
    found = discover(tmp_path)
    assert [m.version for m in found] == [1, 2, 10, 20261121093000]
    assert [m.version_text for m in found] == ["1", "0002", "0010", "20261121093000"]
    assert [m.name for m in found] == ["one", "two", "ten", "late"]
    assert [m.label for m in found] == ["1_one", "0002_two", "0010_ten", "20261121093000_late"]
    assert found[2].up.path == tmp_path / "0010_ten.up.sql"
    assert found[2].down is not None
    assert found[2].down.path == tmp_path / "0010_ten.down.sql"
    assert [m.down is None for m in found] == [True, True, False, True]


def test_reads_text_and_defaults_to_transactional(tmp_path: Path) -> None:
    put(tmp_path, "0001_init.up.sql", "CREATE TABLE t (id int);\n")
    put(tmp_path, "0001_init.down.sql", "DROP TABLE t;\n")
    [m] = discover(tmp_path)
    assert m.up.text == "CREATE TABLE t (id int);\n"
    assert m.up.transactional is True
    assert m.down is not None
    assert m.down.text == "DROP TABLE t;\n"
    assert m.down.transactional is True


def test_slug_may_hold_digits_and_underscores(tmp_path: Path) -> None:
    put(tmp_path, "0001_add_users_v2.up.sql")
    [m] = discover(tmp_path)
    assert (m.version, m.name) == (1, "add_users_v2")


def test_empty_folder_has_no_migrations(tmp_path: Path) -> None:
    assert discover(tmp_path) == []


def test_non_sql_files_and_subfolders_are_ignored(tmp_path: Path) -> None:
    put(tmp_path, "README.md", "# notes; not SQL\n")
    put(tmp_path, "notes.txt", "x")
    put(tmp_path, ".gitkeep", "")
    put(tmp_path, "0001_a.up.sql.bak", "old")
    (tmp_path / "archive").mkdir()
    put(tmp_path, "0001_a.up.sql")
    assert [m.label for m in discover(tmp_path)] == ["0001_a"]


@pytest.mark.parametrize(
    "name",
    [
        "0001.up.sql",  # no slug
        "0001_.up.sql",  # empty slug
        "0001_a.UP.sql",  # uppercase direction
        "foo.sql",
        "v1_a.up.sql",  # version not digits
        "0001_a.sideways.sql",
        "0001 a.up.sql",
        "0001_a.up.down.sql",
    ],
)
def test_bad_sql_file_names_are_errors_naming_the_file(tmp_path: Path, name: str) -> None:
    put(tmp_path, "0001_good.up.sql")
    bad = put(tmp_path, name)
    error = file_error(tmp_path)
    assert error.message == f"{bad}: not a migration file name"
    assert error.hint == NAMING_HINT


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("0001_AddUsers.up.sql", "rename it 0001_addusers.up.sql"),  # uppercase slug
        ("0001_add-users.up.sql", "rename it 0001_add_users.up.sql"),  # hyphen
        ("0001_a.sql", "does not read that layout"),  # no direction: sqlx, knex
        ("1_x.sql", "does not read that layout"),
    ],
)
def test_names_close_to_sqlmig_or_another_tool_say_what_to_do(
    tmp_path: Path, name: str, hint: str
) -> None:
    put(tmp_path, "0001_good.up.sql")
    bad = put(tmp_path, name)
    error = file_error(tmp_path)
    assert error.message.startswith(f"{bad}: not a migration file name")
    assert hint in (error.hint or ""), error.hint


@pytest.mark.parametrize(
    "name",
    [
        "\u0661_b.up.sql",  # Arabic-Indic one: int() reads it as 1
        "\u0660\u0660\u0660\u0662_b.up.sql",  # Arabic-Indic 0002
        "\uff10\uff10\uff10\uff12_b.up.sql",  # fullwidth 0002
        "000\u0662_b.up.sql",  # ASCII digits, then an Arabic-Indic two
        "\u096a_b.up.sql",  # Devanagari four
        "\U0001d7d0_b.up.sql",  # mathematical bold two
        "\u0661_good.down.sql",  # a down file "for" 0001_good
        "\u0661_good.mysql.up.sql",  # an override "beside" 0001_good
    ],
)
def test_versions_are_ascii_digits_only(tmp_path: Path, name: str) -> None:
    """Other scripts' digits are digits to \\d and int(), not to a user comparing file names:
    a file that looks like no version at all must not run as version 1 or 2."""
    put(tmp_path, "0001_good.up.sql")
    bad = put(tmp_path, name)
    error = file_error(tmp_path)
    assert error.message == f"{bad}: not a migration file name"
    assert error.hint == NAMING_HINT


def test_uppercase_sql_extension_is_not_silently_skipped(tmp_path: Path) -> None:
    """`0002_b.up.SQL` is a *.sql file on case-insensitive file systems (macOS, Windows).

    Skipping it silently means a migration the user wrote never runs and nothing says why;
    the design asks for a clear error for any *.sql file that is not a migration.
    """
    put(tmp_path, "0001_a.up.sql")
    bad = put(tmp_path, "0002_b.up.SQL")
    error = file_error(tmp_path)
    assert error.message == f"{bad}: not a migration file name"


def test_duplicate_version_with_different_padding(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql")
    put(tmp_path, "1_b.up.sql")
    error = file_error(tmp_path)
    assert error.message == "duplicate version 1: 0001_a.up.sql and 1_b.up.sql"
    assert error.hint.startswith("give one of them the next free number")


def test_duplicate_version_with_same_padding(tmp_path: Path) -> None:
    put(tmp_path, "0003_a.up.sql")
    put(tmp_path, "0003_b.up.sql")
    assert file_error(tmp_path).message == "duplicate version 3: 0003_a.up.sql and 0003_b.up.sql"


def test_down_without_up(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql")
    down = put(tmp_path, "0002_b.down.sql")
    error = file_error(tmp_path)
    assert error.message == f"{down}: down file without its up file"
    assert error.hint == "add 0002_b.up.sql or remove this file"


@pytest.mark.parametrize("down_name", ["0001_other.down.sql", "1_a.down.sql"])
def test_down_must_match_its_up_name_exactly(tmp_path: Path, down_name: str) -> None:
    put(tmp_path, "0001_a.up.sql")
    down = put(tmp_path, down_name)
    assert file_error(tmp_path).message == f"{down}: down file without its up file"


def test_versions_of_38_digits_are_accepted(tmp_path: Path) -> None:
    put(tmp_path, f"{2**63 - 1}_max64.up.sql")
    put(tmp_path, f"{2**63}_over64.up.sql")
    put(tmp_path, "20260506000000000001_popx.up.sql")  # popx's 20 digits
    put(tmp_path, f"{'0' * 10}{10**38 - 1}_widest.up.sql")  # leading zeros do not count
    assert [m.version for m in discover(tmp_path)] == [
        2**63 - 1, 2**63, 20260506000000000001, 10**38 - 1
    ]  # fmt: skip


def test_version_of_39_digits_is_an_error(tmp_path: Path) -> None:
    path = put(tmp_path, f"{10**38}_big.up.sql")
    error = file_error(tmp_path)
    assert error.message == f"{path}: version {10**38} is too large"
    assert error.hint == "versions have at most 38 digits (leading zeros aside): renumber this file"


# --- contents ---------------------------------------------------------------------------------


def test_not_utf8_names_file_and_byte_offset(tmp_path: Path) -> None:
    path = put(tmp_path, "0001_a.up.sql", b"SELECT 1;\n-- caf\xe9\n")
    error = file_error(tmp_path)
    assert error.message == f"{path} is not valid UTF-8 (byte offset 16)"
    assert error.hint is not None
    assert "UTF-8" in error.hint


def test_not_utf8_offset_counts_the_bom(tmp_path: Path) -> None:
    path = put(tmp_path, "0001_a.up.sql", b"\xef\xbb\xbfSELECT '\xff';")
    assert file_error(tmp_path).message == f"{path} is not valid UTF-8 (byte offset 11)"


def test_not_utf8_in_down_file_names_the_down_file(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql")
    down = put(tmp_path, "0001_a.down.sql", "DROP TABLE é;".encode("latin-1"))
    assert file_error(tmp_path).message == f"{down} is not valid UTF-8 (byte offset 11)"


def test_utf16_file_is_rejected_at_its_first_byte(tmp_path: Path) -> None:
    path = put(tmp_path, "0001_a.up.sql", "SELECT 1;\n".encode("utf-16"))
    assert file_error(tmp_path).message == f"{path} is not valid UTF-8 (byte offset 0)"


def test_nul_byte_is_rejected(tmp_path: Path) -> None:
    path = put(tmp_path, "0001_a.up.sql", b"SELECT 1;\x00\n")
    error = file_error(tmp_path)
    assert error.message == f"{path} contains a NUL byte (byte offset 9)"


def test_directory_with_a_migration_name(tmp_path: Path) -> None:
    (tmp_path / "0001_x.up.sql").mkdir()
    error = file_error(tmp_path)
    assert error.message == f"{tmp_path / '0001_x.up.sql'} is a directory, not a migration file"


def test_directory_with_a_non_migration_sql_name(tmp_path: Path) -> None:
    (tmp_path / "x.up.sql").mkdir()
    assert file_error(tmp_path).message == f"{tmp_path / 'x.up.sql'}: not a migration file name"


def test_a_file_denied_to_us_points_at_permissions(tmp_path: Path) -> None:
    """chmod 000 does not stop root (the CI user), so the error the read raised is given here."""
    path = put(tmp_path, "0001_a.up.sql")
    denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    error = files._unreadable(path, denied)
    assert error.message == f"cannot read {path}: Permission denied"
    assert error.hint == "check the file's permissions"


def test_a_symlink_loop_is_named_as_one(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.up.sql"
    path.symlink_to(path.name)
    error = file_error(tmp_path)
    assert error.message == f"{path} is a symbolic link that leads back to itself (a loop)"
    assert "remove it" in (error.hint or "")


def test_a_dangling_symlink_names_its_target_not_permissions(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.up.sql"
    path.symlink_to(tmp_path / "gone" / "x.sql")
    error = file_error(tmp_path)
    assert (
        error.message == f"{path} is a symbolic link to {tmp_path}/gone/x.sql, which does not exist"
    )
    assert error.hint == "restore the file it points to, or remove the link"


def test_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nope"
    error = file_error(folder)
    assert error.message == f"migrations folder {folder} does not exist"
    assert error.hint is not None
    assert "sqlmig init" in error.hint


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    path = put(tmp_path, "migrations", "")
    assert file_error(path).message == f"migrations folder {path} does not exist"


def test_bom_is_stripped_and_crlf_normalised_in_text(tmp_path: Path) -> None:
    path = put(tmp_path, "0001_a.up.sql", b"\xef\xbb\xbfSELECT 1;\r\nSELECT 2;\r\n")
    assert read_sql_file(path).text == "SELECT 1;\nSELECT 2;\n"


# --- directives -------------------------------------------------------------------------------


def read(tmp_path: Path, text: str, name: str = "0001_a.up.sql") -> bool:
    return read_sql_file(put(tmp_path, name, text)).transactional


def test_no_transaction_directive_on_first_line(tmp_path: Path) -> None:
    assert (
        read(tmp_path, "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n") is False
    )


def test_directive_after_blank_lines_and_other_comments(tmp_path: Path) -> None:
    text = (
        "\n\n-- Build the index without locking writes.\n--\n"
        "   -- sqlmig:no-transaction\n\nCREATE INDEX CONCURRENTLY i ON t (x);\n"
    )
    assert read(tmp_path, text) is False


def test_directive_without_space_and_with_trailing_blanks(tmp_path: Path) -> None:
    assert read(tmp_path, "--sqlmig:no-transaction   \nSELECT 1;\n") is False


def test_directive_in_crlf_file_with_bom(tmp_path: Path) -> None:
    assert read(tmp_path, "\ufeff-- sqlmig:no-transaction\r\nSELECT 1;\r\n") is False


def test_no_transaction_after_the_first_statement_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="after the first statement"):
        read(tmp_path, "SELECT 1;\n-- sqlmig:no-transaction\nSELECT 2;\n")


def test_unknown_directive_after_the_first_statement_is_not_checked(tmp_path: Path) -> None:
    assert read(tmp_path, "SELECT 1;\n-- sqlmig:no-transactoin\n") is True


def test_lint_directives_are_known_and_keep_the_transaction(tmp_path: Path) -> None:
    text = "-- sqlmig:ignore L001\n-- sqlmig:review\n-- sqlmig:ignore-file\nSELECT 1;\n"
    assert read(tmp_path, text) is True


def test_unknown_directive_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.up.sql"
    with pytest.raises(MigrationFileError) as info:
        read(tmp_path, "-- header\n-- sqlmig:no-transactoin\nSELECT 1;\n")
    assert info.value.message == f"{path}: unknown directive '-- sqlmig:no-transactoin'"
    assert info.value.hint == (
        "known directives: ignore, ignore-file, no-foreign-key-check, no-transaction, "
        "phase, placeholders, replaces, review"
    )


def test_a_space_after_the_colon_is_accepted(tmp_path: Path) -> None:
    """The spelling the issue itself uses for review notes: `-- sqlmig: review`."""
    assert read(tmp_path, "-- sqlmig: no-transaction\nSELECT 1;\n") is False


@pytest.mark.parametrize("line", ["--sqlmig no-transaction", "-- sqlmig no-transaction"])
def test_malformed_directive_is_an_error_naming_the_file(tmp_path: Path, line: str) -> None:
    path = tmp_path / "0001_a.up.sql"
    with pytest.raises(MigrationFileError) as info:
        read(tmp_path, f"{line}\nSELECT 1;\n")
    assert info.value.message == f"{path}: malformed directive {line!r}"
    assert info.value.hint == "write it as: -- sqlmig:no-transaction"


def test_bad_directive_is_found_by_discover_before_anything_runs(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql")
    down = put(tmp_path, "0001_a.down.sql", "-- sqlmig:no-transactoin\nDROP TABLE t;\n")
    assert file_error(tmp_path).message == (f"{down}: unknown directive '-- sqlmig:no-transactoin'")


def test_directive_in_down_file_applies_to_the_down_file_only(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql", "CREATE INDEX i ON t (x);\n")
    put(tmp_path, "0001_a.down.sql", "-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY i;\n")
    [m] = discover(tmp_path)
    assert m.up.transactional is True
    assert m.down is not None
    assert m.down.transactional is False


def test_directive_in_up_file_applies_to_the_up_file_only(tmp_path: Path) -> None:
    put(tmp_path, "0001_a.up.sql", "-- sqlmig:no-transaction\nCREATE INDEX CONCURRENTLY i;\n")
    put(tmp_path, "0001_a.down.sql", "DROP INDEX i;\n")
    [m] = discover(tmp_path)
    assert m.up.transactional is False
    assert m.down is not None
    assert m.down.transactional is True


# --- per-dialect overrides (sqlmig transpile) --------------------------------------------------


def test_override_files_ride_on_their_migration(tmp_path: Path) -> None:
    put(tmp_path, "0001_init.up.sql")
    put(tmp_path, "0001_init.down.sql")
    sqlite_up = put(tmp_path, "0001_init.sqlite.up.sql", "CREATE TABLE t (id INTEGER);\n")
    mysql_down = put(tmp_path, "0001_init.mysql.down.sql")
    [m] = discover(tmp_path)  # not migrations of their own
    assert m.up.path.name == "0001_init.up.sql"
    assert m.override("sqlite", "up") == sqlite_up
    assert m.override("mysql", "down") == mysql_down
    assert m.override("sqlite", "down") is None
    assert m.override("postgres", "up") is None


def test_override_without_its_generic_file_is_an_error(tmp_path: Path) -> None:
    put(tmp_path, "0001_init.up.sql")
    put(tmp_path, "0002_more.sqlite.up.sql")
    assert "override without its generic file" in file_error(tmp_path).message


def test_an_unknown_dialect_is_still_a_bad_name(tmp_path: Path) -> None:
    put(tmp_path, "0001_init.up.sql")
    put(tmp_path, "0001_init.oracle.up.sql")
    assert "not a migration file name" in file_error(tmp_path).message


def test_a_no_transaction_directive_after_the_first_statement_is_refused(tmp_path: Path) -> None:
    """Issue 11 item 8: it used to be ignored silently, running the file in a transaction."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_ix.up.sql").write_text(
        "-- builds an index\nSET lock_timeout = '1s';\n-- sqlmig:no-transaction\n"
        "CREATE INDEX CONCURRENTLY i ON t (a);\n",
        "utf-8",
    )
    with pytest.raises(MigrationFileError, match=r"0001_ix.up.sql:3: .*after the first"):
        discover(folder)


def test_lint_directives_may_stand_anywhere(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_ix.up.sql").write_text(
        "CREATE TABLE t (a int);\n-- sqlmig:ignore P101\nCREATE INDEX i ON t (a);\n", "utf-8"
    )
    assert [m.version for m in discover(folder)] == [1]

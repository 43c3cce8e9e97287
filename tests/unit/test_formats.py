"""Each folder reader on its own (issue 13, item 1): names, sections, directives, versions and
order, detection, and the errors that name the file and the option to give. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig import plan
from sqlmig.errors import MigrationFileError, UsageError
from sqlmig.files import checksum
from sqlmig.formats import discover
from sqlmig.formats.detect import detect
from sqlmig.formats.flyway import parts, to_integer


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
    return folder


def _read(tmp_path: Path, fmt: str | None, files: dict[str, str], dialect: str = "postgres"):  # type: ignore[no-untyped-def]
    return discover(_folder(tmp_path, files), fmt, dialect=dialect)


def _error(tmp_path: Path, fmt: str | None, files: dict[str, str]) -> MigrationFileError:
    with pytest.raises(MigrationFileError) as caught:
        _read(tmp_path, fmt, files)
    return caught.value


# -- golang-migrate ---------------------------------------------------------------------------


def test_golang_migrate_titles_take_any_character(tmp_path: Path) -> None:
    found = _read(tmp_path, None, {"0002_1.7.0_schema.up.sql": "SELECT 1;\n",
                                   "0002_1.7.0_schema.down.sql": "SELECT 2;\n",
                                   "0010_x.up.sql": "SELECT 3;\n"})  # fmt: skip
    assert found.format == "golang-migrate" and found.detected
    assert [m.label for m in found.migrations] == ["0002_1.7.0_schema", "0010_x"]
    assert found.migrations[0].down is not None and found.migrations[1].down is None


def test_golang_migrate_down_without_up(tmp_path: Path) -> None:
    error = _error(tmp_path, "golang-migrate", {"0001_a.b.down.sql": "SELECT 1;\n"})
    assert "down file without its up file" in error.message


# -- dbmate -----------------------------------------------------------------------------------

DBMATE = (
    "-- a note\n-- migrate:up transaction:false\nCREATE TABLE t (id INT);\n\n"
    "-- migrate:down\nDROP TABLE t;\n"
)


def test_dbmate_sections_options_and_line_numbers(tmp_path: Path) -> None:
    (m,) = _read(tmp_path, "dbmate", {"20240101000000_init.sql": DBMATE}).migrations
    assert (m.version, m.name) == (20240101000000, "init")
    assert not m.up.transactional and m.down is not None and m.down.transactional
    assert m.up.body == "CREATE TABLE t (id INT);\n\n"
    assert m.up.text.splitlines()[2] == "CREATE TABLE t (id INT);"  # line 3, as in the file
    assert m.down.text.splitlines()[5] == "DROP TABLE t;"
    # the checksum is that of the sqlmig file convert writes: the directive, then the section
    assert m.up.checksum == checksum(b"-- sqlmig:no-transaction\nCREATE TABLE t (id INT);\n\n")
    assert m.down.checksum == checksum(b"DROP TABLE t;\n")


def test_no_down_section_reverts_nothing_and_unknown_option_refused(tmp_path: Path) -> None:
    # as dbmate and goose do: their down of such a file runs nothing, and succeeds
    (m,) = _read(tmp_path, "dbmate", {"1_a.sql": "-- migrate:up\nSELECT 1;\n"}).migrations
    assert m.down is not None and m.down.text == ""
    (m,) = _read(tmp_path, "goose", {"1_a.sql": "-- +goose Up\nSELECT 1;\n"}).migrations
    assert m.down is not None and m.down.text == ""
    error = _error(tmp_path, "dbmate", {"1_a.sql": "-- migrate:up transaction:maybe\nSELECT 1;\n"})
    assert "1_a.sql:1: unknown dbmate option 'transaction:maybe'" in error.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("SELECT 1;\n-- migrate:up\nSELECT 2;\n", "1_a.sql:1: SQL before the first"),
        ("SELECT 1;\n", "no -- migrate: up marker"),
        ("-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n", "1_a.sql:3: a second"),
    ],
)
def test_dbmate_bad_files_are_named(tmp_path: Path, text: str, words: str) -> None:
    assert words in _error(tmp_path, "dbmate", {"1_a.sql": text}).message


# -- goose ------------------------------------------------------------------------------------

GOOSE = """-- +goose NO TRANSACTION
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION f();
"""


def test_goose_annotations(tmp_path: Path) -> None:
    (m,) = _read(tmp_path, None, {"00001_f.sql": GOOSE}).migrations
    assert m.label == "00001_f" and not m.up.transactional and m.down and not m.down.transactional
    assert "-- +goose StatementBegin\nCREATE FUNCTION" in m.up.body
    assert m.down.body == "DROP FUNCTION f();\n"


def test_goose_envsub_and_go_files_are_refused(tmp_path: Path) -> None:
    text = "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${X}';\n"
    error = _error(tmp_path, "goose", {"00001_a.sql": text})
    assert "00001_a.sql:1: sqlmig does not support the goose annotation" in error.message
    error = _error(tmp_path, "goose", {"00002_b.go": "package m\n"})
    assert "00002_b.go: a goose migration written in Go" in error.message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE a (x int);\n-- +goose Down\n"
            "DROP TABLE a;\n",
            ":4: `-- +goose StatementBegin` of line 2 has no `-- +goose StatementEnd`",
        ),
        (
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE a (x int);\n",
            ":2: `-- +goose StatementBegin` has no `-- +goose StatementEnd`",
        ),
        (
            "-- +goose Down\nDROP TABLE a;\n-- +goose Up\nCREATE TABLE a (x int);\n",
            ":1: `-- +goose Down` comes before `-- +goose Up`",
        ),
        (
            "-- +goose Up\nCREATE TABLE a (x int);\n-- +goose StatementEnd\n",
            ":3: `-- +goose StatementEnd` without a `-- +goose StatementBegin`",
        ),
    ],
)
def test_goose_files_goose_refuses_are_refused(tmp_path: Path, text: str, said: str) -> None:
    """An unclosed block would otherwise run as several statements (goose runs it as one, or
    refuses the file): sqlmig refuses it as goose does, naming the line."""
    error = _error(tmp_path, "goose", {"00001_a.sql": text})
    assert f"00001_a.sql{said}" in error.message, error.message


# -- Flyway -----------------------------------------------------------------------------------


def test_a_flyway_migration_in_a_subfolder_is_refused_not_skipped(tmp_path: Path) -> None:
    """Flyway reads subfolders; sqlmig does not yet, so V2 there would be skipped silently."""
    files = {"V1__a.sql": "CREATE TABLE a (x int);\n", "sub/V2__b.sql": "CREATE TABLE b (x int);\n"}
    error = _error(tmp_path, "flyway", files)
    assert "sub/V2__b.sql: a Flyway migration in a subfolder of" in error.message
    assert "move them into" in (error.hint or "")


def test_flyway_orders_versions_as_flyway_does() -> None:
    texts = ["2", "1.10", "1.2", "1", "1_1", "1.1.1", "10", "1.9"]
    order = sorted(texts, key=parts)
    assert order == ["1", "1_1", "1.1.1", "1.2", "1.9", "1.10", "2", "10"]
    integers = [to_integer(t, Path("x")) for t in order]
    assert integers == sorted(integers) and len(set(integers)) == len(integers)
    assert to_integer("1.0", Path("x")) == to_integer("1", Path("x"))
    assert to_integer("20240101120000", Path("x")) == 20240101120000 * 10**18
    assert len(str(to_integer("9" * 20 + ".999999.999999.999999", Path("x")))) == 38


@pytest.mark.parametrize("version", ["1.2.3.4.5", "1.1234567", "1" * 21])
def test_flyway_versions_beyond_the_mapping_are_refused(version: str) -> None:
    with pytest.raises(MigrationFileError, match=f"Flyway version {version} does not fit"):
        to_integer(version, Path("x"))


def test_flyway_folder(tmp_path: Path) -> None:
    found = _read(tmp_path, None, {
        "V1__init.sql": "SELECT 1;\n", "V1_1__more.sql": "SELECT 2;\n",
        "U1_1__more.sql": "SELECT 3;\n",
        "V2__late.sql": "-- flyway:executeInTransaction=false\nSELECT 4;\n",
        "V3__conf.sql": "SELECT 5;\n", "V3__conf.sql.conf": "executeInTransaction=false\n",
    })  # fmt: skip
    assert found.format == "flyway"
    ms = found.migrations
    assert [m.label for m in ms] == ["1_init", "1.1_more", "2_late", "3_conf"]
    assert ms[1].down is not None and ms[1].down.body == "SELECT 3;\n" and ms[0].down is None
    assert [m.up.transactional for m in ms] == [True, True, False, False]
    # a history row whose file is gone (future, missing) is named with Flyway's version text
    known = {m.version: m for m in ms}
    assert plan.label_of(to_integer("3.0.2", Path("x")), "gone", known) == "3.0.2_gone"


@pytest.mark.parametrize(
    ("files", "words"),
    [
        (
            {"V1__a.sql": "", "V1.0__b.sql": ""},
            "duplicate Flyway version 1: V1.0__b.sql and V1__a.sql",
        ),
        ({"V1__a.sql": "", "U2__b.sql": ""}, "U2__b.sql: undo file without its versioned"),
        ({"V1__a.sql": "", "notes.sql": ""}, "notes.sql: not a Flyway file name"),
        # the suffix is the misfit, not the prefix (was: "('V' is not 'V')")
        ({"V1__a.sql": "", "V2__b.SQL": ""}, "V2__b.SQL: not a Flyway file name: it ends in"),
    ],
)
def test_flyway_bad_folders(tmp_path: Path, files: dict[str, str], words: str) -> None:
    assert words in _error(tmp_path, "flyway", files).message


@pytest.mark.parametrize(
    ("files", "words", "hint"),
    [
        (  # as in a real project: Flyway skipped the lowercase file, whose version is taken
            {"V1.0.0.3__a.sql": "", "v1.0.0.3__b.sql": ""},
            "v1.0.0.3__b.sql: Flyway never runs this file: its prefixes are case-sensitive ('v' "
            "is not 'V'), and it skips such a file without a word; its version 1.0.0.3 is also "
            "V1.0.0.3__a.sql's",
            "rename it with 'V' and a version of its own",
        ),
        ({"V1__a.sql": "", "v2__b.sql": ""}, "v2__b.sql: Flyway never runs", "rename it with 'V'"),
        ({"V1__a.sql": "", "r__views.sql": ""}, "r__views.sql: Flyway never runs", "'R'"),
    ],
)
def test_flyway_lowercase_prefixes_are_said_as_flyway_treats_them(
    tmp_path: Path, files: dict[str, str], words: str, hint: str
) -> None:
    error = _error(tmp_path, "flyway", files)
    assert words in error.message
    assert hint in (error.hint or "")
    assert "move it out of" in (error.hint or "")


def test_a_folder_not_detected_names_the_file_that_stopped_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"V1__a.sql": "", "V2__b.sql": "", "v2__c.sql": ""})
    assert detect(folder) is None
    with pytest.raises(MigrationFileError) as caught:
        discover(folder, None)
    assert "(here v2__c.sql is not one, so it was not)" in (caught.value.hint or "")


def test_a_flyway_version_too_large_for_the_history_shows_its_text(tmp_path: Path) -> None:
    from sqlmig import files

    folder = _folder(tmp_path, {"V10__a.sql": "SELECT 1;\n"})
    if files.MAX_VERSION >= 10**19:  # versions of up to 38 digits are stored
        assert [m.version for m in discover(folder, "flyway").migrations] == [10**19]
        return
    with pytest.raises(MigrationFileError) as caught:
        discover(folder, "flyway")
    assert "version 10 (the integer 10000000000000000000) is too large" in caught.value.message


# -- diesel, Prisma ---------------------------------------------------------------------------


def test_diesel_folders(tmp_path: Path) -> None:
    found = _read(tmp_path, None, {
        "00000000000000_diesel_initial_setup/up.sql": "SELECT 0;\n",
        "00000000000000_diesel_initial_setup/down.sql": "SELECT 0;\n",
        "2019-02-26-002946_create_user/up.sql": "SELECT 1;\n",
        "2019-02-26-002946_create_user/down.sql": "SELECT 2;\n",
        "2019-02-26-002946_create_user/metadata.toml": "run_in_transaction = false\n",
        "README.md": "x",
    })  # fmt: skip
    assert found.format == "diesel"
    first, user = found.migrations
    assert (first.version, user.version) == (0, 20190226002946)
    assert user.label == "2019-02-26-002946_create_user" and not user.up.transactional
    assert user.up.checksum == checksum(b"-- sqlmig:no-transaction\nSELECT 1;\n")


def test_prisma_folders_have_no_downs(tmp_path: Path) -> None:
    found = _read(tmp_path, None, {"20240101000000_init/migration.sql": "SELECT 1;\n",
                                   "migration_lock.toml": "x"})  # fmt: skip
    assert found.format == "prisma"
    assert [(m.label, m.down) for m in found.migrations] == [("20240101000000_init", None)]
    error = _error(tmp_path, "prisma", {"20240101000000_init/migration.sql": "", "x.sql": ""})
    assert "a .sql file beside Prisma's folders" in error.message


# -- popx -------------------------------------------------------------------------------------

POPX = {
    "20150100000001000000_networks.up.sql": "generic;\n",
    "20150100000001000000_networks.postgres.up.sql": "pg;\n",
    "20150100000001000000_networks.down.sql": "down;\n",
    "20150100000002000000_only_mysql.mysql.up.sql": "my;\n",
    "20150100000002000000_only_mysql.mysql.down.sql": "my down;\n",
    "20150100000003000000_idx.sqlite3.autocommit.up.sql": "idx;\n",
    "20150100000003000000_idx.sqlite3.down.sql": "drop idx;\n",
    # kratos' generic no-transaction files: `.autocommit.` is not a dialect
    "20150100000004000000_more.autocommit.up.sql": "more;\n",
    "20150100000004000000_more.autocommit.down.sql": "less;\n",
}


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("postgres", ["pg;\n", "more;\n"]),
        ("mysql", ["generic;\n", "my;\n", "more;\n"]),
        ("sqlite", ["generic;\n", "idx;\n", "more;\n"]),
    ],
)
def test_popx_chooses_each_databases_files(
    tmp_path: Path, dialect: str, expected: list[str]
) -> None:
    files = {k.replace("20150100000", "2015"): v for k, v in POPX.items()}  # fits 2^63
    found = _read(tmp_path, None, files, dialect=dialect)
    assert found.format == "popx"
    assert [m.up.body for m in found.migrations] == expected
    assert [m.up.transactional for m in found.migrations] == [
        True,
        *([dialect != "sqlite"] if len(expected) == 3 else []),
        False,
    ]


def test_popx_needs_a_dialect(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="which database's files to read is not known"):
        discover(_folder(tmp_path, {"1_a.sqlite3.up.sql": ""}), "popx")


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"0001_a.up.sql": "", "0001_a.down.sql": ""}, "sqlmig"),
        ({"0001_a.up.sql": "", "0001_a.postgres.up.sql": ""}, "sqlmig"),
        ({"0001_a.up.sql": "", "0002_b.c.up.sql": ""}, "golang-migrate"),
        ({"0001_a.up.sql": "", "0002_b.sqlite3.up.sql": ""}, "popx"),
        ({"1_a.sql": "-- migrate:up\n", "2_b.sql": "-- +goose Up\n"}, None),
        ({"V1__a.sql": "", "0001_a.up.sql": ""}, None),
        ({"1_a.sql": "-- migrate:up\n", "notes.sql": "SELECT 1;\n"}, None),
        ({"x/up.sql": "", "y/migration.sql": ""}, None),
        ({}, None),
    ],
)
def test_detection(tmp_path: Path, files: dict[str, str], expected: str | None) -> None:
    folder = _folder(tmp_path, files)
    assert detect(folder) == expected


def test_an_undetected_folder_names_the_option(tmp_path: Path) -> None:
    error = _error(tmp_path, None, {"1_a.sql": "-- migrate:up\n", "2_b.sql": "-- +goose Up\n"})
    assert "looks like a dbmate migration" in error.message
    assert "--dir-format dbmate" in (error.hint or "")


def test_the_wrong_format_given_names_the_one_the_folder_looks_like(tmp_path: Path) -> None:
    error = _error(tmp_path, "goose", {"1_a.sql": "-- migrate:up\nSELECT 1;\n"})
    assert "this folder looks like a dbmate folder: read it with --dir-format dbmate" in (
        error.hint or ""
    )


def test_sqlmig_given_reads_only_sqlmig(tmp_path: Path) -> None:
    error = _error(tmp_path, "sqlmig", {"1_a.sql": "-- migrate:up\nSELECT 1;\n"})
    assert "looks like a dbmate migration" in error.message

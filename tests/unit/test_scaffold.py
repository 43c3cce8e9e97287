"""scaffold: `init` (folder and config file) and `new` (the next numbered file pair)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from sqlmig import docs
from sqlmig.config import load
from sqlmig.errors import MigrationFileError, UsageError
from sqlmig.files import discover
from sqlmig.scaffold import CONFIG_TEMPLATE, NO_URL_YET, init, new, slugify

NOW = datetime(2026, 11, 21, 9, 30, 0, tzinfo=timezone.utc)


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("SELECT 1;\n", "utf-8")


def sql_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.sql"))


# --- slugify ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Add Users!", "add_users"),
        ("add_users", "add_users"),
        ("  create   orders table ", "create_orders_table"),
        ("v2-Index", "v2_index"),
        ("__x__", "x"),
        ("Crème brûlée", "creme_brulee"),
        ("ééé", "eee"),
        ("Straße Ørsted", "strasse_orsted"),
        ("add таблица", "add"),
        ("42", "42"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["!!!", "", "   ", "___", "таблица", "表"])
def test_slugify_refuses_names_without_letters_or_digits(name: str) -> None:
    with pytest.raises(UsageError) as info:
        slugify(name)
    assert info.value.message.startswith(f"cannot make a file name from {name!r}: ")
    assert "ASCII letters (a-z), digits and _" in info.value.message
    assert info.value.exit_code == 2


# --- new --------------------------------------------------------------------------------------


def test_first_migration_is_0001(tmp_path: Path) -> None:
    result = new(tmp_path, "Add Users!", timestamp=False)
    assert result.current == "0001_add_users"
    assert sql_names(tmp_path) == ["0001_add_users.down.sql", "0001_add_users.up.sql"]
    assert result.messages == [
        f"created {tmp_path / '0001_add_users.up.sql'}",
        f"created {tmp_path / '0001_add_users.down.sql'}",
    ]


def test_created_files_are_valid_and_transactional(tmp_path: Path) -> None:
    new(tmp_path, "init", timestamp=False)
    [m] = discover(tmp_path)
    assert m.label == "0001_init"
    assert m.up.transactional is True
    assert m.down is not None
    assert m.up.text == (
        "-- 0001_init: up\n"
        "-- Make `-- sqlmig:no-transaction` the first line to run this file outside a "
        "transaction.\n\n"
    )
    assert m.down.text == "-- 0001_init: down (undo everything the up file does)\n\n"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        (["0009_a.up.sql"], "0010_next"),
        (["0001_a.up.sql", "0002_b.up.sql"], "0003_next"),
        (["001_a.up.sql"], "002_next"),
        (["9_a.up.sql"], "10_next"),
        (["9999_a.up.sql"], "10000_next"),
        (["000041_a.up.sql"], "000042_next"),
        (["0002_a.up.sql", "0010_b.up.sql"], "0011_next"),
    ],
)
def test_next_number_keeps_the_padding(tmp_path: Path, existing: list[str], expected: str) -> None:
    touch(tmp_path, *existing)
    assert new(tmp_path, "next", timestamp=False).current == expected
    assert (tmp_path / f"{expected}.up.sql").is_file()
    assert (tmp_path / f"{expected}.down.sql").is_file()


def test_timestamp_version(tmp_path: Path) -> None:
    touch(tmp_path, "0001_a.up.sql")
    late = new(tmp_path, "late", timestamp=True, allow_mixed=True, now=NOW)
    assert late.current == "20261121093000_late"


def test_timestamp_version_never_goes_backwards(tmp_path: Path) -> None:
    touch(tmp_path, "20261121093000_a.up.sql")
    assert new(tmp_path, "b", timestamp=True, now=NOW).current == "20261121093001_b"


def test_numbered_after_timestamps_keeps_counting(tmp_path: Path) -> None:
    touch(tmp_path, "20261121093000_a.up.sql")
    assert new(tmp_path, "b", timestamp=False, allow_mixed=True).current == "20261121093001_b"


def test_new_refuses_a_broken_folder(tmp_path: Path) -> None:
    touch(tmp_path, "0001_a.up.sql", "0002_oops.sql")
    with pytest.raises(MigrationFileError):
        new(tmp_path, "next", timestamp=False)
    assert sql_names(tmp_path) == ["0001_a.up.sql", "0002_oops.sql"]


def test_new_refuses_a_bad_name_before_writing(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        new(tmp_path, "!!!", timestamp=False)
    assert sql_names(tmp_path) == []


@pytest.mark.parametrize("timestamp", [False, True])
def test_new_refuses_a_name_too_long_for_a_file(tmp_path: Path, timestamp: bool) -> None:
    """An internal error (OSError: File name too long) before; the longest name that fits works."""
    with pytest.raises(UsageError, match="longer than the 255 bytes"):
        new(tmp_path, "x" * 300, timestamp=timestamp)
    assert sql_names(tmp_path) == []
    version = 14 if timestamp else 4
    longest = "y" * (255 - version - len("_.down.sql"))
    new(tmp_path, longest, timestamp=timestamp)
    assert len(sql_names(tmp_path)) == 2


def test_new_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError):
        new(tmp_path / "missing", "x", timestamp=False)


# --- init -------------------------------------------------------------------------------------


def test_init_creates_folder_and_config(tmp_path: Path) -> None:
    folder, config = tmp_path / "db" / "migrations", tmp_path / "sqlmig.toml"
    result = init(folder, config)
    assert folder.is_dir()
    text = config.read_text("utf-8")
    assert text == CONFIG_TEMPLATE.format(
        dir=folder.as_posix(), configuration_url=docs.section_url("Configuration")
    )
    assert result.messages[:3] == [
        f"created {folder}/",
        f"created {config}",
        NO_URL_YET.format(config_file=config),
    ]
    assert result.messages[3].startswith("next: `sqlmig new NAME` writes a migration")


def test_init_says_where_the_url_comes_from_when_it_is_set(tmp_path: Path) -> None:
    config = tmp_path / "sqlmig.toml"
    result = init(tmp_path / "migrations", config, url_from="DATABASE_URL")
    assert result.messages[-2] == "the database URL comes from DATABASE_URL"
    assert load({}, environ={}, cwd=tmp_path).url is None  # still none in the file


def test_init_keeps_an_existing_config_and_folder(tmp_path: Path) -> None:
    folder, config = tmp_path / "migrations", tmp_path / "sqlmig.toml"
    folder.mkdir()
    touch(folder, "0001_a.up.sql")
    config.write_text('url = "postgresql://app@db/app"\n', "utf-8")
    result = init(folder, config)
    assert config.read_text("utf-8") == 'url = "postgresql://app@db/app"\n'
    assert sql_names(folder) == ["0001_a.up.sql"]
    assert result.messages[0] == f"kept the existing {config}"
    assert len(result.messages) == 2


def test_init_config_loads_back_to_the_same_folder(tmp_path: Path) -> None:
    folder, config = tmp_path / "migrations", tmp_path / "sqlmig.toml"
    init(folder, config)
    cfg = load({}, environ={}, cwd=tmp_path)
    assert cfg.config_file == config
    assert cfg.dir == folder
    assert cfg.url is None  # commented out: an unset DATABASE_URL is an error, not a new file
    assert (cfg.table, cfg.lock_timeout, cfg.allow_out_of_order) == ("sqlmig_history", 60.0, False)


def test_init_points_to_the_documentation_not_a_readme_file(tmp_path: Path) -> None:
    """A pip user has no README.md: the config file and the hint name the section and its URL."""
    folder, config = tmp_path / "migrations", tmp_path / "sqlmig.toml"
    result = init(folder, config)
    text = config.read_text("utf-8")
    url = "https://github.com/sqlmig/sqlmig#configuration"
    assert "README" not in text and "README" not in " ".join(result.messages)
    assert f"under 'Configuration' in the sqlmig documentation: {url}\n" in text
    assert f"see 'Configuration' in the sqlmig documentation: {url}" in result.messages[-1]


@pytest.mark.parametrize(
    ("existing", "timestamp", "says"),
    [
        ("0007_a.up.sql", True, "this folder numbers its migrations in sequence (newest: 0007_a)"),
        ("20261121093000_a.up.sql", False, "this folder versions its migrations by date"),
    ],
)
def test_new_refuses_to_mix_dates_and_numbers(
    tmp_path: Path, existing: str, timestamp: bool, says: str
) -> None:
    touch(tmp_path, existing)
    with pytest.raises(UsageError) as info:
        new(tmp_path, "next", timestamp=timestamp, now=NOW)
    assert info.value.message.startswith(says)
    assert info.value.exit_code == 2 and "--allow-mixed" in (info.value.hint or "")
    assert sql_names(tmp_path) == [existing]  # nothing written


def test_padded_numbers_are_not_dates(tmp_path: Path) -> None:
    touch(tmp_path, "000000000041_a.up.sql")
    assert new(tmp_path, "b", timestamp=False).current == "000000000042_b"


def test_new_warns_when_the_name_is_taken(tmp_path: Path) -> None:
    touch(tmp_path, "0001_add_users.up.sql", "0002_other.up.sql")
    said: list[str] = []
    result = new(tmp_path, "Add users", timestamp=False, notify=lambda e: said.append(e.message))
    assert result.current == "0003_add_users"  # still written: a warning, not an error
    assert said == [
        "warning: the name 'add_users' is already used by 0001_add_users; two migrations of one "
        "name are hard to tell apart in status and history (give this one a name of its own?)"
    ]
    quiet = new(tmp_path, "other", timestamp=False)  # no sink (--json, --quiet): in the result
    assert quiet.messages[-1].startswith("warning: the name 'other' is already used by 0002_other")

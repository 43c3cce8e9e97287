"""Lint reads a popx (ory) folder as `up` and `down` read it: the dialect's files, each down
paired by popx's reader, and a version group (one pop migration split one statement per file,
its downs numbered in the order `down` runs them) seen whole. Shapes from ory/kratos."""

from __future__ import annotations

from pathlib import Path

from sqlmig.lint import lint_paths
from tests.conftest import query, sqlmig
from tests.lint.helpers import write

GROUP = "20191100000001"


def _popx(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        write(folder, name, sql)
    return folder


def _identities(folder: Path, *, last_down: str = 'DROP TABLE "credentials";') -> Path:
    """kratos's first group: three ups; the downs, numbered in the order they run (newest
    version first), drop what the group made: down 1 runs before down 0."""
    return _popx(
        folder,
        {
            f"{GROUP}000000_identities.postgres.up.sql": (
                'CREATE TABLE "identities" (id int PRIMARY KEY);'
            ),
            f"{GROUP}000000_identities.postgres.down.sql": 'DROP TABLE "identities";',
            f"{GROUP}000001_identities.postgres.up.sql": (
                'CREATE UNIQUE INDEX "identities_idx" ON "identities" (id);'
            ),
            f"{GROUP}000001_identities.postgres.down.sql": last_down,
            f"{GROUP}000002_identities.postgres.up.sql": (
                'CREATE TABLE "credentials" (id int PRIMARY KEY,'
                " identity_id int REFERENCES identities (id));"
            ),
            f"{GROUP}000002_identities.postgres.down.sql": "",
            # other databases' files: not read for PostgreSQL (and `.sqlite3.`, which sqlmig's
            # own override names do not use, says the folder is popx's)
            f"{GROUP}000000_identities.mysql.up.sql": (
                "CREATE TABLE `identities` (id int) ENGINE=InnoDB;"
            ),
            f"{GROUP}000000_identities.mysql.down.sql": "DROP TABLE `identities`;",
            f"{GROUP}000000_identities.sqlite3.up.sql": 'CREATE TABLE "identities" (id int);',
            f"{GROUP}000000_identities.sqlite3.down.sql": 'DROP TABLE "identities";',
        },
    )


def _codes(folder: Path, dialect: str = "postgres", **options: object) -> list[tuple[str, str]]:
    report = lint_paths([folder], dialect=dialect, **options)  # type: ignore[arg-type]
    return [(Path(f.path).name, f.code) for f in report.findings]


def test_a_group_s_downs_are_judged_with_the_whole_group(tmp_path: Path) -> None:
    # sqlmig's old per-version view: down 1 drops "credentials", which up 1 (an index) did not
    # make (D201), and down 2 leaves the table up 2 made (F702)
    found = _codes(_identities(tmp_path / "m"), select=["D201", "F702", "F705", "F708"])
    assert found == []


def test_only_the_dialect_s_files_are_linted_and_named_as_popx_names_them(tmp_path: Path) -> None:
    report = lint_paths([_identities(tmp_path / "m")], dialect="postgres")
    assert report.files == 6  # the three PostgreSQL migrations, not the MySQL pair
    assert not [f for f in report.findings if ".mysql." in f.path or ".sqlite3." in f.path]
    assert not [f for f in report.findings if f.code in ("F704", "F705", "F706", "F708")]


def test_a_group_whose_downs_leave_a_table_is_still_reported(tmp_path: Path) -> None:
    folder = _identities(tmp_path / "m", last_down="")
    report = lint_paths([folder], dialect="postgres", select=["F702"])
    [finding] = report.findings
    assert Path(finding.path).name == f"{GROUP}000002_identities.postgres.down.sql"
    assert "creates table credentials" in finding.message
    assert f"no down file of its version group ({GROUP}000000-{GROUP}000002)" in finding.message


def test_a_down_dropping_what_no_up_of_its_group_made_is_still_reported(tmp_path: Path) -> None:
    folder = _identities(tmp_path / "m", last_down='DROP TABLE "credentials"; DROP TABLE "users";')
    found = _codes(folder, select=["D201"])
    assert found == [(f"{GROUP}000001_identities.postgres.down.sql", "D201")]


SQLITE_REBUILD = {  # kratos's SQLite rebuild of one table, one statement per file
    "20200607165100000000_settings.sqlite3.up.sql": (
        'CREATE TABLE "_flows_tmp" (id TEXT PRIMARY KEY, state TEXT);'
    ),
    "20200607165100000001_settings.sqlite3.up.sql": (
        'INSERT INTO "_flows_tmp" (id, state) SELECT id, state FROM "flows"{where};'
    ),
    "20200607165100000002_settings.sqlite3.up.sql": 'DROP TABLE "flows";',
    "20200607165100000003_settings.sqlite3.up.sql": 'ALTER TABLE "_flows_tmp" RENAME TO "flows";',
    # the downs: the same rebuild back, numbered in the order they run (3, 2, 1, 0)
    "20200607165100000003_settings.sqlite3.down.sql": (
        'CREATE TABLE "_flows_tmp" (id TEXT PRIMARY KEY);'
    ),
    "20200607165100000002_settings.sqlite3.down.sql": (
        'INSERT INTO "_flows_tmp" (id) SELECT id FROM "flows";'
    ),
    "20200607165100000001_settings.sqlite3.down.sql": 'DROP TABLE "flows";',
    "20200607165100000000_settings.sqlite3.down.sql": 'ALTER TABLE "_flows_tmp" RENAME TO "flows";',
}


def test_a_rebuild_split_over_a_group_s_files_loses_nothing(tmp_path: Path) -> None:
    files = {n: s.replace("{where}", "") for n, s in SQLITE_REBUILD.items()}
    folder = _popx(tmp_path / "m", files)
    assert _codes(folder, "sqlite", select=["D201", "D205", "F702"]) == []


def test_a_split_rebuild_that_copies_only_some_rows_is_still_reported(tmp_path: Path) -> None:
    files = {n: s.replace("{where}", " WHERE state = 'done'") for n, s in SQLITE_REBUILD.items()}
    report = lint_paths([_popx(tmp_path / "m", files)], dialect="sqlite", select=["D201"])
    [finding] = report.findings
    assert Path(finding.path).name == "20200607165100000002_settings.sqlite3.up.sql"
    assert "after copying its rows through WHERE" in finding.message


def test_a_rebuild_split_over_independent_migrations_is_still_reported(tmp_path: Path) -> None:
    # sqlmig's own layout: each file is a migration of its own, which may run at another time
    # than the copy (rows written in between are lost), so no group joins them
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_tmp.up.sql", "CREATE TABLE _flows_tmp (id TEXT PRIMARY KEY);")
    write(folder, "0002_copy.up.sql", "INSERT INTO _flows_tmp (id) SELECT id FROM flows;")
    write(folder, "0003_drop.up.sql", "DROP TABLE flows;")
    assert ("0003_drop.up.sql", "D201") in _codes(folder, "sqlite")


def test_a_retype_to_the_type_a_sibling_file_gave_rewrites_nothing(tmp_path: Path) -> None:
    folder = _popx(
        tmp_path / "m",
        {
            "20210410175418000000_network.postgres.up.sql": (
                'ALTER TABLE "flows" ADD COLUMN "nid" UUID;'
            ),
            "20210410175418000000_network.postgres.down.sql": (
                'ALTER TABLE "flows" DROP COLUMN "nid";'
            ),
            "20210410175418000001_network.postgres.up.sql": (
                'ALTER TABLE "flows" ALTER COLUMN "nid" TYPE UUID,'
                ' ALTER COLUMN "nid" DROP NOT NULL;'
            ),
            "20210410175418000001_network.postgres.down.sql": "",
            "20210410175418000002_network.postgres.up.sql": (
                'ALTER TABLE "flows" ALTER COLUMN "nid" TYPE text;'
            ),
            "20210410175418000002_network.postgres.down.sql": "",
        },
    )
    # only PostgreSQL files: sqlmig's own override names too, so the format is given
    found = _codes(folder, select=["P106"], dir_format="popx")
    assert found == [("20210410175418000002_network.postgres.up.sql", "P106")]


def test_a_retype_to_the_type_the_file_gave_rewrites_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(
        folder,
        "0001_nid.up.sql",
        "ALTER TABLE flows ADD COLUMN nid uuid;\nALTER TABLE flows ALTER COLUMN nid TYPE uuid;\n"
        "ALTER TABLE flows ALTER COLUMN id TYPE bigint;\n",
    )
    report = lint_paths([folder], select=["P106"])
    assert [(f.line, f.code) for f in report.findings] == [(3, "P106")]


def test_an_autocommit_file_runs_outside_a_transaction(tmp_path: Path) -> None:
    folder = _popx(
        tmp_path / "m",
        {
            "20241029153900000001_identities.autocommit.up.sql": (
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS identities_nid ON identities (nid);"
            ),
            "20241029153900000001_identities.autocommit.down.sql": (
                "DROP INDEX CONCURRENTLY IF EXISTS identities_nid;"
            ),
        },
    )
    assert _codes(folder, select=["P102"]) == []
    plain = tmp_path / "plain"
    plain.mkdir()
    write(plain, "0001_nid.up.sql", "CREATE INDEX CONCURRENTLY identities_nid ON identities (nid);")
    assert ("0001_nid.up.sql", "P102") in _codes(plain, select=["P102"])


def test_the_cache_knows_a_file_depends_on_its_group(tmp_path: Path) -> None:
    folder = _identities(tmp_path / "m", last_down="")
    cache = tmp_path / "cache"
    assert len(lint_paths([folder], select=["F702"], cache_dir=cache).findings) == 1
    write(folder, f"{GROUP}000001_identities.postgres.down.sql", 'DROP TABLE "credentials";')
    report = lint_paths([folder], select=["F702"], cache_dir=cache)
    assert report.findings == ()  # each file of the group is linted again
    again = lint_paths([folder], select=["F702"], cache_dir=cache)
    assert again.findings == () and again.cached == again.files == 6


def test_a_file_passed_alone_is_paired_as_in_its_folder(tmp_path: Path) -> None:
    folder = _identities(tmp_path / "m")
    down = folder / f"{GROUP}000001_identities.postgres.down.sql"
    assert _codes(down, select=["D201"]) == []


def test_down_runs_a_group_s_downs_newest_first_as_popx_does(tmp_path: Path, pg_url: str) -> None:
    """The pairing lint now follows is `down`'s: by version, as popx pairs them. Reverting the
    whole group undoes it (down 2, then down 1 drops credentials, then down 0 identities)."""
    folder = _identities(tmp_path / "m")
    for args in (["up"], ["down", "--all", "--yes"]):
        run = sqlmig("-u", pg_url, "-d", str(folder), *args)
        assert run.returncode == 0, run.stderr
    tables = query(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert sorted(t for (t,) in tables if not t.startswith("sqlmig_")) == []


def test_a_column_the_up_swaps_in_under_the_old_name_is_no_new_column(tmp_path: Path) -> None:
    """kratos 20230705000000000001 (SQLite): the up adds request_url_new, copies, drops
    request_url and renames request_url_new to it; the down swaps back."""
    folder = tmp_path / "m"
    folder.mkdir()
    swap = """
        ALTER TABLE flows ADD COLUMN url_new TEXT NOT NULL DEFAULT '';
        UPDATE flows SET url_new = url;
        ALTER TABLE flows DROP COLUMN url;
        ALTER TABLE flows RENAME COLUMN url_new TO url;
        """
    write(folder, "0001_url.up.sql", swap)
    write(folder, "0001_url.down.sql", swap)
    assert _codes(folder, "sqlite", select=["F702"]) == []


def test_a_column_added_then_renamed_to_a_new_name_must_still_be_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    write(
        folder,
        "0001_url.up.sql",
        "ALTER TABLE flows ADD COLUMN url_new TEXT;\n"
        "ALTER TABLE flows RENAME COLUMN url_new TO link;\n",
    )
    write(folder, "0001_url.down.sql", "SELECT 1;\n")
    report = lint_paths([folder], dialect="sqlite", select=["F702"])
    [finding] = report.findings
    assert "creates column flows.link" in finding.message
    write(folder, "0001_url.down.sql", "ALTER TABLE flows DROP COLUMN link;\n")
    assert lint_paths([folder], dialect="sqlite", select=["F702"]).findings == ()


def test_an_index_goes_with_the_columns_it_is_on(tmp_path: Path) -> None:
    """kratos 20210618103120 (MySQL): the group's first down drops the column, and with it the
    indexes later ups of the group made on it."""
    folder = _popx(
        tmp_path / "m",
        {
            "20210618103120000000_logout_token.mysql.up.sql": (
                "ALTER TABLE `sessions` ADD COLUMN `logout_token` VARCHAR(32);"
            ),
            "20210618103120000000_logout_token.mysql.down.sql": (
                "ALTER TABLE `sessions` DROP COLUMN `logout_token`;"
            ),
            "20210618103120000001_logout_token.mysql.up.sql": (
                "CREATE UNIQUE INDEX `sessions_logout_token_uq_idx` ON `sessions` (`logout_token`);"
            ),
            "20210618103120000001_logout_token.mysql.down.sql": "",
            "20210618103120000002_logout_token.mysql.up.sql": (
                "CREATE INDEX `sessions_token_both_idx` ON `sessions` (`logout_token`, `token`);"
            ),
            "20210618103120000002_logout_token.mysql.down.sql": "",
        },
    )
    found = lint_paths([folder], dialect="mysql", select=["F702"], dir_format="popx").findings
    # the index on a column that stays (token) is still there after the down
    assert [f.message.split(" creates ")[1] for f in found] == [
        "index sessions_token_both_idx, and no down file of its version group "
        "(20210618103120000000-20210618103120000002) drops it"
    ]


def _two_timestamps(folder: Path, second_name: str) -> Path:
    """kratos's add_verification_methods: one migration over consecutive timestamps of one
    name, its downs all in the first (popx runs the second's downs first)."""
    return _popx(
        folder,
        {
            "20200830130642000000_add_methods.sqlite3.up.sql": "CREATE TABLE flows (id TEXT);",
            "20200830130642000000_add_methods.sqlite3.down.sql": (
                "DROP TABLE flow_methods;\nDROP TABLE flows;"
            ),
            f"20200830130644000000_{second_name}.sqlite3.up.sql": (
                "CREATE TABLE flow_methods (id TEXT PRIMARY KEY);"
            ),
            f"20200830130644000000_{second_name}.sqlite3.down.sql": "",
        },
    )


def test_one_name_over_consecutive_timestamps_is_one_group(tmp_path: Path) -> None:
    folder = _two_timestamps(tmp_path / "m", "add_methods")
    assert _codes(folder, "sqlite", select=["D201", "F702"]) == []


def test_consecutive_migrations_of_other_names_are_not_one_group(tmp_path: Path) -> None:
    folder = _two_timestamps(tmp_path / "m", "other_change")
    found = _codes(folder, "sqlite", select=["D201", "F702"])
    assert sorted(code for _, code in found) == ["D201", "F702"]


def test_an_empty_file_of_a_group_is_pop_s_padding(tmp_path: Path) -> None:
    folder = _popx(
        tmp_path / "m",
        {
            "20200601101000000000_messages.sqlite3.up.sql": "ALTER TABLE flows ADD COLUMN m TEXT;",
            "20200601101000000000_messages.sqlite3.down.sql": "ALTER TABLE flows DROP COLUMN m;",
            "20200601101000000001_messages.sqlite3.up.sql": "",
            "20200601101000000001_messages.sqlite3.down.sql": "",
            # a group of one empty migration is still reported
            "20200602000000000000_forgotten.sqlite3.up.sql": "-- nothing yet\n",
            "20200602000000000000_forgotten.sqlite3.down.sql": "",
        },
    )
    assert _codes(folder, "sqlite", select=["F703"]) == [
        ("20200602000000000000_forgotten.sqlite3.up.sql", "F703")
    ]


def test_a_down_renames_back_a_column_whose_table_its_group_renamed(tmp_path: Path) -> None:
    """kratos 20200402142539 rename_profile_flows: the ups rename a column, then its table;
    the downs (newest first) rename the column back under the new name, then the table."""
    folder = _popx(
        tmp_path / "m",
        {
            "20200402142539000000_rename.sqlite3.up.sql": (
                'ALTER TABLE "methods" RENAME COLUMN "profile_id" TO "settings_id";'
            ),
            "20200402142539000000_rename.sqlite3.down.sql": (
                'ALTER TABLE "settings_methods" RENAME TO "methods";'
            ),
            "20200402142539000001_rename.sqlite3.up.sql": (
                'ALTER TABLE "methods" RENAME TO "settings_methods";'
            ),
            "20200402142539000001_rename.sqlite3.down.sql": (
                'ALTER TABLE "settings_methods" RENAME COLUMN "settings_id" TO "profile_id";'
            ),
        },
    )
    found = _codes(folder, "sqlite", select=["D205", "D206"])
    assert sorted(found) == [  # the ups' renames are still reported
        ("20200402142539000000_rename.sqlite3.up.sql", "D206"),
        ("20200402142539000001_rename.sqlite3.up.sql", "D205"),
    ]


def test_a_column_cut_back_to_a_narrower_type_keeps_its_values(tmp_path: Path) -> None:
    """kratos 20230705000000000001 (SQLite down): the values are copied, cut to the narrower
    type, before the old column is dropped; a copy through another function is not a swap."""
    folder = tmp_path / "m"
    folder.mkdir()
    swap = """
        ALTER TABLE flows ADD COLUMN url_new VARCHAR(1024) NOT NULL DEFAULT '';
        UPDATE flows SET url_new = {value};
        ALTER TABLE flows DROP COLUMN url;
        ALTER TABLE flows RENAME COLUMN url_new TO url;
        """
    write(folder, "0001_url.up.sql", swap.format(value="substr(url, 1, 1024)"))
    write(folder, "0002_url.up.sql", swap.format(value="CAST(url AS VARCHAR(1024))"))
    write(folder, "0003_url.up.sql", swap.format(value="lower(url)"))
    found = _codes(folder, "sqlite", select=["D202"])
    assert found == [("0003_url.up.sql", "D202")]


def test_up_lint_reads_a_popx_folder_s_files_for_the_database(tmp_path: Path, pg_url: str) -> None:
    """`up --lint` left out every `.postgres.` file of a popx folder (sqlmig's own override
    names look the same), so PostgreSQL's own files went unlinted and were applied."""
    folder = _popx(
        tmp_path / "m",
        {
            "20200101000000000000_users.postgres.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.postgres.down.sql": "DROP TABLE users;",
            "20200101000000000000_users.sqlite3.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.sqlite3.down.sql": "DROP TABLE users;",
            "20200102000000000000_drop.postgres.up.sql": "DROP TABLE users;",
            "20200102000000000000_drop.postgres.down.sql": "CREATE TABLE users (id int);",
            "20200102000000000000_drop.sqlite3.up.sql": "SELECT 1;",
            "20200102000000000000_drop.sqlite3.down.sql": "SELECT 1;",
        },
    )
    run = sqlmig("-u", pg_url, "-d", str(folder), "up", "--lint")
    assert run.returncode != 0
    assert "20200102000000000000_drop.postgres.up.sql" in run.stderr and "D201" in run.stderr
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'") == [(0,)]


def test_a_popx_up_without_a_down_is_reported(tmp_path: Path) -> None:
    folder = _popx(
        tmp_path / "m",
        {
            "20200101000000000000_users.postgres.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.sqlite3.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.sqlite3.down.sql": "DROP TABLE users;",
        },
    )
    report = lint_paths([folder], select=["F701"])
    [finding] = report.findings
    assert "no 20200101000000000000_users.postgres.down.sql" in finding.message


def test_mariadb_reads_a_popx_folder_s_mysql_files(tmp_path: Path) -> None:
    folder = _popx(
        tmp_path / "m",
        {
            "20200101000000000000_users.mysql.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.mysql.down.sql": "DROP TABLE users;",
            "20200101000000000000_users.sqlite3.up.sql": "CREATE TABLE users (id int);",
            "20200101000000000000_users.sqlite3.down.sql": "DROP TABLE users;",
        },
    )
    report = lint_paths([folder], dialect="mariadb")
    assert report.files == 2 and report.findings == ()


def test_a_stray_file_in_a_popx_folder_is_refused_as_up_refuses_it(tmp_path: Path) -> None:
    folder = _identities(tmp_path / "m")
    write(folder, "schema.sql", "SELECT 1;")
    run = sqlmig("lint", "--dir-format", "popx", str(folder))
    assert run.returncode == 2
    assert "schema.sql: not a popx file name" in run.stderr


def test_another_database_s_file_passed_alone_is_not_linted_in_this_dialect(
    tmp_path: Path,
) -> None:
    """`lint --changed` and pre-commit pass files one by one: a popx folder's MySQL file is not
    what `up` runs on PostgreSQL (linted as PostgreSQL it made false syntax errors)."""
    folder = _identities(tmp_path / "m")
    mysql = folder / f"{GROUP}000000_identities.mysql.up.sql"
    assert lint_paths([mysql], dialect="postgres").files == 0
    assert lint_paths([mysql], dialect="mysql").files == 1

"""Placeholders and deploy phases without a database: the scanner, values, secrets, phases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqlmig import config, phases, placeholders
from sqlmig.errors import MigrationFileError, UsageError
from sqlmig.files import Migration, read_sql_file
from sqlmig.history import AppliedRow
from sqlmig.placeholders import Vars

ON = "-- sqlmig:placeholders\n"


def filled(tmp_path: Path, text: str, v: Vars, *, masked: bool = False) -> str:
    path = tmp_path / "0001_a.up.sql"
    path.write_text(text)
    return placeholders.apply_one(read_sql_file(path), v, masked=masked).text


def test_values_go_in_as_text_and_the_checksum_is_the_file_as_written(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.up.sql"
    path.write_text(ON + "GRANT SELECT ON t TO ${role};\n")
    sql = read_sql_file(path)
    one = placeholders.apply_one(sql, Vars({"role": "app"}))
    two = placeholders.apply_one(sql, Vars({"role": "other"}))
    assert one.text == ON + "GRANT SELECT ON t TO app;\n"
    assert two.text.endswith("TO other;\n")
    assert one.checksum == two.checksum == sql.checksum
    assert one.vars_used == (("role", "app"),)
    assert placeholders.detail(one) == "placeholders: role=app"


def test_off_unless_the_file_or_the_config_says_so(tmp_path: Path) -> None:
    text = "SELECT '${x}';\n"
    assert filled(tmp_path, text, Vars({"x": "1"})) == text
    assert filled(tmp_path, text, Vars({"x": "1"}, everywhere=True)) == "SELECT '1';\n"


def test_dollar_dollar_brace_writes_a_literal_and_dollar_quotes_are_left_alone(
    tmp_path: Path,
) -> None:
    text = (
        ON + "CREATE FUNCTION f() RETURNS text AS $$ SELECT '${schema}' || '$${x}' $$ "
        "LANGUAGE sql;\nDO $body$ BEGIN PERFORM $1; END $body$;\n"
        # a dollar-quoted body that starts with { takes one more $ before it
        'SELECT $$${"a": 1}$$::json, $j$${}$j$;\n'
    )
    out = filled(tmp_path, text, Vars({"schema": "app"}))
    assert "$$ SELECT 'app' || '${x}' $$" in out
    assert "DO $body$ BEGIN PERFORM $1; END $body$;" in out
    assert 'SELECT $${"a": 1}$$::json, $j${}$j$;' in out


def test_an_unset_name_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        filled(
            tmp_path, ON + "SELECT 1;\n\nSELECT '${missing}', '${missing}', '${other}';\n", Vars()
        )
    path = tmp_path / "0001_a.up.sql"
    assert info.value.message.splitlines()[1:] == [
        f"{path}:4: placeholder ${{missing}}: it has no value",
        f"{path}:4: placeholder ${{other}}: it has no value",
    ]
    assert "--var NAME=VALUE" in (info.value.hint or "")


@pytest.mark.parametrize("bad", ["${}", "${a-b}", "${ a}", "${1x}", "${x"])
def test_a_malformed_placeholder_is_an_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(MigrationFileError, match=r"0001_a.up.sql:2: .* is not a placeholder"):
        filled(tmp_path, ON + f"SELECT '{bad}';\n", Vars({"x": "1", "a": "1"}))


def test_built_ins_come_from_the_url_and_the_file() -> None:
    cfg = config.Config(url="postgresql://app%40x@db:5432/shop", table="hist")
    v = placeholders.from_config(cfg)
    assert v.values["sqlmig.database"] == "shop"
    assert v.values["sqlmig.user"] == "app@x"
    assert v.values["sqlmig.table"] == "hist"
    lite = placeholders.from_config(config.Config(url="sqlite:///data/app.db"))
    assert lite.values["sqlmig.database"] == "app.db"
    assert lite.missing["sqlmig.user"] == "SQLite has no user"


def test_builtin_filename_and_a_missing_builtin(tmp_path: Path) -> None:
    v = placeholders.from_config(config.Config(url="sqlite:///x.db"))
    assert filled(tmp_path, ON + "-- ${sqlmig.filename}\n", v).endswith("-- 0001_a.up.sql\n")
    with pytest.raises(UsageError, match=r"\$\{sqlmig.user\}: SQLite has no user"):
        filled(tmp_path, ON + "SELECT '${sqlmig.user}';\n", v)
    with pytest.raises(UsageError, match="not a built-in one"):
        filled(tmp_path, ON + "SELECT '${sqlmig.nope}';\n", v)


def test_values_flags_over_environment_over_file(tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('[vars]\na = "file"\nb = "file"\nc = 3\nd = true\n')
    env = {"SQLMIG_VAR_b": "env", "SQLMIG_VAR_a": "env"}
    cfg = config.load({"vars": ["a=flag=x"]}, environ=env, cwd=tmp_path)
    assert dict(cfg.vars) == {"a": "flag=x", "b": "env", "c": "3", "d": "true"}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("vars = 3\n", "vars must be a table"),
        ('[vars]\n"a-b" = "x"\n', "is not a placeholder name"),
        ("[vars]\na = [1]\n", "must be a string, number or boolean"),
    ],
)
def test_bad_vars_in_the_file_are_usage_errors(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "sqlmig.toml").write_text(toml)
    with pytest.raises(UsageError, match=message):
        config.load({}, environ={}, cwd=tmp_path)


def test_a_var_flag_without_a_value_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no value"):
        config.load({"vars": ["a"]}, environ={}, cwd=tmp_path)


def test_secret_names_and_masking(tmp_path: Path) -> None:
    v = Vars(
        {"db_password": "hunter2!", "api_TOKEN": "t", "key": "k3y-value", "role": "app"},
        secret_names=frozenset({"key"}),
    )
    assert [n for n in v.values if v.is_secret(n)] == ["db_password", "api_TOKEN", "key"]
    text = "error: HUNTER2! and k3y-value near t, in Database t"
    assert v.mask(text) == "error: *** and *** near ***, in Database ***"
    out = filled(tmp_path, ON + "SELECT '${db_password}', '${role}';\n", v, masked=True)
    assert out.endswith("SELECT '***', 'app';\n")
    sql = placeholders.apply_one(read_sql_file(tmp_path / "0001_a.up.sql"), v)
    assert "hunter2!" in sql.text
    assert placeholders.detail(sql) == "placeholders: db_password=***, role=app"


def test_a_long_file_with_many_placeholders_is_filled_in_one_pass(tmp_path: Path) -> None:
    text = ON + "INSERT INTO t VALUES ('${v}');\n" * 200_000
    out = filled(tmp_path, text, Vars({"v": "x"}))
    assert out.count("('x')") == 200_000


# -- phases --------------------------------------------------------------------------------


def migration(tmp_path: Path, version: int, phase: str | None) -> Migration:
    from sqlmig.files import discover

    said = f"-- sqlmig:phase {phase}\n" if phase else ""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / f"{version:04d}_m.up.sql").write_text(said + "SELECT 1;\n")
    return next(m for m in discover(tmp_path) if m.version == version)


def test_phase_directive_spellings(tmp_path: Path) -> None:
    for i, (said, phase) in enumerate(
        [(None, "pre"), ("post", "post"), ("POST-DEPLOY", "post"), ("pre-deploy", "pre")], 1
    ):
        assert migration(tmp_path / str(i), i, said).up.phase == phase


def test_a_bad_phase_directive_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match=r"0001_m.up.sql: malformed directive"):
        migration(tmp_path, 1, "later")


def test_select_and_out_of_order(tmp_path: Path) -> None:
    files = [migration(tmp_path, v, p) for v, p in [(1, None), (2, "post"), (3, None), (4, "post")]]
    assert [m.version for m in phases.select(files, "pre")] == [1, 3]
    assert [m.version for m in phases.select(files[1::2], "post")] == [2, 4]
    with pytest.raises(UsageError, match=r"pre-deploy migration.*0003_m are pending"):
        phases.require_pre_first(files[1:], phases.select(files[1:], "post"), "post")
    phases.require_pre_first(files[1:], [files[1]], "post")  # --to 2: 0003 is above it
    row = AppliedRow(3, "m", "", None, None, "applied", "", "", 0, None, None)
    known = {m.version: m for m in files}
    assert phases.early([files[1]], [row], known) == []
    row4 = AppliedRow(4, "m", "", None, None, "applied", "", "", 0, None, None)
    assert phases.early([files[1]], [row, row4], known) == [files[1]]
    with pytest.raises(UsageError, match="unknown phase"):
        phases.parse("during")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-- sqlmig:phase pre\n-- sqlmig:phase post\nSELECT 1;\n", "both a pre and a post"),
        ("-- sqlmig:phase post\n-- sqlmig:phase soon\nSELECT 1;\n", "'-- sqlmig:phase soon'"),
        ("SELECT 1;\n-- sqlmig:phase post\nSELECT 2;\n", ":2: `-- sqlmig:phase` comes after"),
        ("SELECT 1;\n-- sqlmig:placeholders\n", ":2: `-- sqlmig:placeholders` comes after"),
    ],
)
def test_phase_and_placeholders_directives_that_would_be_ignored_or_disagree(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "0001_a.up.sql").write_text(text)
    with pytest.raises(MigrationFileError, match=re.escape(message)):
        read_sql_file(tmp_path / "0001_a.up.sql")


def test_values_the_database_cannot_take_are_refused_without_showing_them(tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('[vars]\nnote = "se\\u0000cret"\n')
    with pytest.raises(UsageError, match=r"\[vars\] note: the value holds a NUL") as info:
        config.load({}, environ={}, cwd=tmp_path)
    assert "cret" not in info.value.message
    undecodable = "\udcffse"  # how Python reads bytes of the environment that are not UTF-8
    (tmp_path / "none" / ".git").mkdir(parents=True)  # no config file found from here
    with pytest.raises(UsageError, match="SQLMIG_VAR_x: the value is not UTF-8") as info:
        config.load({}, environ={"SQLMIG_VAR_x": undecodable}, cwd=tmp_path / "none")
    with pytest.raises(UsageError, match="--var x: the value is not UTF-8"):
        config.load({"vars": [f"x={undecodable}"]}, environ={}, cwd=tmp_path / "none")


def test_each_line_of_a_secret_of_several_is_masked() -> None:
    key = "-----BEGIN KEY-----\nAbCdEf123\n-----END KEY-----\n"
    v = Vars({"deploy_key": key}, secret_names=frozenset({"deploy_key"}))
    assert v.mask("error near AbCdEf123 in line 2") == "error near *** in line 2"

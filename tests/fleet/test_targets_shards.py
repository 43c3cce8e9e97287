"""Fleet targets and shards without a database: parsing, templates, quoting, hashing."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sqlmig.errors import UsageError
from sqlmig.fleet import shard as sharding
from sqlmig.fleet.report import worst
from sqlmig.fleet.targets import (
    Source,
    Target,
    check,
    iterate,
    schema_target,
    with_password,
    with_search_path,
)


def targets_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.txt"
    path.write_text(text, "utf-8")
    return path


def test_urls_names_comments_and_a_template_line(tmp_path: Path) -> None:
    path = targets_file(
        tmp_path,
        "# the fleet\n\npostgresql://app@db1/app  # first\n"
        "template=postgresql://app@db2:5432/${tenant}\nacme\n  globex  \n",
    )
    got = list(iterate(Source(targets_file=path)))
    assert [t.key for t in got] == ["postgresql://app@db1/app", "acme", "globex"]
    assert got[1].url == "postgresql://app@db2:5432/acme"


@pytest.mark.parametrize(
    "name", ["a/b", "x@evil.example:1/db", "${y}", 'it\'s "q"', "a b", "?x=1#f"]
)
def test_a_hostile_name_stays_inside_the_database_name(tmp_path: Path, name: str) -> None:
    path = targets_file(tmp_path, name + "\n")
    (target,) = iterate(Source(targets_file=path, url_template="postgresql://app@db/${t}"))
    parts = urlsplit(target.url)
    assert (parts.hostname, parts.username, parts.query, parts.fragment) == ("db", "app", "", "")
    assert unquote(parts.path[1:]) == name
    assert target.key == name


def test_a_name_with_a_control_character_is_refused(tmp_path: Path) -> None:
    path = targets_file(tmp_path, "ok\nbad\x1bname\n")
    with pytest.raises(UsageError, match=r"targets.txt:2: .*control character"):
        check(Source(targets_file=path, url_template="sqlite:///${t}.db"))


def test_one_name_under_two_templates_is_not_called_the_same_target(tmp_path: Path) -> None:
    # two databases (db1/acme, db2/acme) share the name that is their row and shard identity
    text = "template=mysql://app:pw@db1/${t}\nacme\ntemplate=mysql://app@db2/${t}\nacme\n"
    path = targets_file(tmp_path, text.replace(":pw@", "@"))
    with pytest.raises(UsageError) as info:
        check(Source(targets_file=path, password="Sekr3t"))
    message = info.value.message
    assert message.startswith(f"{path}:4: the name 'acme' is listed twice (first at {path}:2)")
    assert "two templates: mysql://app:***@db2/acme and mysql://app:***@db1/acme" in message
    assert "Sekr3t" not in message
    assert "full URL" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("postgresql://app@db/app", "exactly one"),
        ("postgresql://app@db/${a}_${b}", "exactly one"),
        ("postgresql://app@db/$x${a}", "exactly one"),
        ("postgresql://app:Sekr3t@db/${a}", "holds a password"),
        ("oracle://db/${a}", "unsupported"),
    ],
)
def test_bad_templates_are_usage_errors(tmp_path: Path, template: str, error: str) -> None:
    path = targets_file(tmp_path, "acme\n")
    with pytest.raises(UsageError, match=error) as info:
        check(Source(targets_file=path, url_template=template))
    assert "Sekr3t" not in info.value.message


def test_a_name_without_a_template_names_its_line(tmp_path: Path) -> None:
    path = targets_file(tmp_path, "sqlite:///a.db\nacme\n")
    with pytest.raises(
        UsageError, match=r"targets.txt:2: 'acme' is not a URL, and no URL template"
    ):
        check(Source(targets_file=path))


def test_a_target_listed_twice_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = targets_file(tmp_path, "acme\nglobex\nacme\n")
    with pytest.raises(UsageError, match="'acme' is listed twice"):
        check(Source(targets_file=path, url_template="sqlite:///${t}.db"))


def test_not_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"acme\n\xff\xfe\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        check(Source(targets_file=path, url_template="sqlite:///${t}.db"))
    with pytest.raises(UsageError, match="cannot read the targets file"):
        check(Source(targets_file=tmp_path / "nope.txt"))


def test_the_password_goes_into_urls_that_name_a_user_and_no_password() -> None:
    assert with_password("postgresql://app@db/x", "p@ss w") == "postgresql://app:p%40ss%20w@db/x"
    assert with_password("postgresql://app:own@db/x", "other") == "postgresql://app:own@db/x"
    assert with_password("postgresql://db/x", "pw") == "postgresql://db/x"  # no user: libpq's
    assert with_password("sqlite:///a.db", "pw") == "sqlite:///a.db"
    assert Target("k", "mysql://root:pw@h/x").shown == "mysql://root:***@h/x"


def test_search_path_is_quoted_and_keeps_the_urls_own_options() -> None:
    url = with_search_path(
        "postgresql://app@db/x?options=-cwork_mem%3D8MB&sslmode=disable", 'a "b"'
    )
    query = dict(p.split("=", 1) for p in urlsplit(url).query.split("&"))
    assert unquote(query["options"]) == '-cwork_mem=8MB -csearch_path="a\\ ""b"""'
    assert query["sslmode"] == "disable"
    with pytest.raises(UsageError, match="PostgreSQL only"):
        with_search_path("sqlite:///a.db", "x")


def test_schema_names_with_dots_are_refused(tmp_path: Path) -> None:
    path = targets_file(tmp_path, "good\nbad.name\n")
    source = Source(schemas_file=path, base_url="postgresql://app@db/x")
    with pytest.raises(UsageError, match=r":2: schema name 'bad.name' holds a dot"):
        check(source)


def test_shard_specs() -> None:
    assert sharding.parse("2/4") == sharding.Shard(1, 4)
    for bad in ("0/4", "5/4", "x", "1/0", "-1/2"):
        with pytest.raises(UsageError, match="--shard"):
            sharding.parse(bad)
    env = {"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "3"}
    assert sharding.from_job(env) == sharding.Shard(0, 3)
    assert sharding.from_job({}) is None
    for bad_env in (
        {"JOB_COMPLETION_INDEX": "1"},
        {"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "3"},
    ):
        with pytest.raises(UsageError, match="JOB_COMPLETION"):
            sharding.from_job(bad_env)


def test_every_target_belongs_to_exactly_one_shard_and_few_move() -> None:
    keys = [f"tenant_{i}" for i in range(2000)]
    owners4 = {k: sharding.owner(k, 4) for k in keys}
    sizes = [list(owners4.values()).count(i) for i in range(4)]
    assert min(sizes) > 400, sizes  # spread evenly (500 each, give or take)
    owners5 = {k: sharding.owner(k, 5) for k in keys}
    moved = sum(owners4[k] != owners5[k] for k in keys)
    assert moved < 2000 * 0.3, moved  # ~1/5 move to the new shard, none between old ones
    assert all(owners5[k] == 4 for k in keys if owners4[k] != owners5[k])
    shards = [
        [
            t.key
            for t in sharding.select((Target(k, "sqlite:///x") for k in keys), sharding.Shard(i, 4))
        ]
        for i in range(4)
    ]
    assert sorted(k for keys_of in shards for k in keys_of) == sorted(keys)


def test_the_worst_exit_code() -> None:
    assert worst([]) == 0
    assert worst([0, 8, 0]) == 8
    assert worst([0, 6, 1]) == 1
    assert worst([1, 4, 6]) == 4
    assert worst([5, 2]) == 2
    assert worst([2, 130]) == 130
    assert worst([0, 99]) == 99  # unknown codes rank as a failure


def test_a_bom_and_crlf_line_ends_are_read_as_plain_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffacme\r\n# c\r\ncafé\r\n".encode())
    got = [t.url for t in iterate(Source(targets_file=path, url_template="sqlite:///${t}.db"))]
    assert got == ["sqlite:///acme.db", "sqlite:///caf%C3%A9.db"]


def test_a_connect_hint_names_the_targets_file_line_not_url_flags(tmp_path: Path) -> None:
    from sqlmig.fleet.report import Report
    from sqlmig.fleet.run import Finished

    path = targets_file(tmp_path, "template=mysql://app@db/${t}\nacme\nsqlite:///x.db\n")
    acme, lite = iterate(Source(targets_file=path, password="Sekr3t"))
    hint = (
        "check that the server is running and the URL is right (--url, SQLMIG_URL or DATABASE_URL)"
    )
    error = {"kind": "connect", "exit_code": 6, "message": "cannot connect", "hint": hint}
    output = json.dumps({"ok": False, "error": error}).encode()
    report = Report("up")
    first = report.finished(Finished(acme, 6, output, 0.1), None, 0).error or {}
    second = report.finished(Finished(lite, 6, output, 0.1), None, 1).error or {}
    assert first["hint"].endswith(f"({path}:2, with SQLMIG_TARGET_PASSWORD(_FILE) put in)")
    assert second["hint"].endswith(f"({path}:3)")


def test_a_next_step_a_fleet_does_not_run_says_how_to_run_it_on_that_target() -> None:
    from sqlmig.fleet.report import Report
    from sqlmig.fleet.run import Finished

    source = Source(base_url="postgresql://app@db/app", password="Sekr3t")
    tenant = schema_target("acme corp", source, "s.txt:1")
    hint = "undo what ran by hand and run `sqlmig repair`"
    error = {"kind": "failed_state", "exit_code": 5, "message": "partial", "hint": hint}
    output = json.dumps({"ok": False, "error": error}).encode()
    row = Report("up").finished(Finished(tenant, 5, output, 0.1), None, 0)
    got = (row.error or {})["hint"]
    assert got.startswith(hint + "; `repair` runs on one database at a time: `sqlmig --url '")
    assert "app:***@db/app?options=" in got
    assert got.endswith(
        "--table 'acme corp.sqlmig_history' repair ...` (with its password for ***)"
    )
    assert "Sekr3t" not in got


def test_a_template_with_a_password_parameter_is_refused_too(tmp_path: Path) -> None:
    path = targets_file(tmp_path, "template=postgresql://app@db/${t}?password=TopSecr3t\nacme\n")
    with pytest.raises(UsageError, match="the URL template holds a password") as info:
        check(Source(targets_file=path))
    assert "TopSecr3t" not in info.value.message
    # a URL line holding one keeps it: the fleet password is not added beside it
    assert with_password("postgresql://app@db/x?password=own", "fleet") == (
        "postgresql://app@db/x?password=own"
    )


def test_a_postgres_database_name_over_63_bytes_is_refused(tmp_path: Path) -> None:
    # the server would cut both to the same 63 bytes: one database, reported as two
    long = "x" * 70
    path = targets_file(tmp_path, f"{long}1\n{long}2\n")
    with pytest.raises(UsageError, match=f"{path}:1: the database name 'app_x+1' is 75 bytes"):
        check(Source(targets_file=path, url_template="postgresql://app@db/app_${t}"))
    check(Source(targets_file=path, url_template="sqlite:///app_${t}.db"))  # no such limit

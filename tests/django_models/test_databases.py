"""DATABASES['default'] -> sqlmig's URL (manage.py sqlmig) and a URL -> a DATABASES entry (the
scratch connection of --from-django): what each carries, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig.django.databases import entry_of, url_of
from sqlmig.errors import UsageError
from sqlmig.urls import parse_url, redact

PG = {"NAME": "shop", "USER": "app", "PASSWORD": "p@ss:w/rd?", "HOST": "db", "PORT": 5433}


def test_each_engine_gives_its_url_and_back() -> None:
    assert url_of("sqlite", {"NAME": Path("/srv/my db.sqlite3")}) == (
        "sqlite:////srv/my%20db.sqlite3"
    )
    assert parse_url(url_of("sqlite", {"NAME": "/srv/my db.sqlite3"})).sqlite_path == (
        "/srv/my db.sqlite3"
    )
    pg = url_of("postgresql", {**PG, "OPTIONS": {"sslmode": "require", "pool": True}})
    assert pg == "postgresql://app:p%40ss%3Aw%2Frd%3F@db:5433/shop?sslmode=require"
    assert redact(pg) == "postgresql://app:***@db:5433/shop?sslmode=require"
    assert entry_of(pg) == {**PG, "PORT": "5433", "OPTIONS": {"sslmode": "require"}}
    # libpq decodes %20, not + (it took "-c+search_path=app" for a parameter "+search_path")
    path = {"options": "-c search_path=app"}
    assert url_of("postgresql", {"NAME": "shop", "OPTIONS": path}).endswith(
        "/shop?options=-c%20search_path%3Dapp"
    )
    assert entry_of(url_of("postgresql", {"NAME": "shop", "OPTIONS": path}))["OPTIONS"] == path
    socket = url_of("postgresql", {"NAME": "shop", "HOST": "/var/run/postgresql"})
    assert socket == "postgresql:///shop?host=%2Fvar%2Frun%2Fpostgresql"
    assert entry_of(socket)["HOST"] == "/var/run/postgresql"
    my = url_of("mysql", {"NAME": "shop", "USER": "root", "OPTIONS": {"charset": "utf8mb4"}})
    assert my == "mysql://root@localhost/shop?charset=utf8mb4"
    assert entry_of(my)["OPTIONS"] == {"charset": "utf8mb4"}


@pytest.mark.parametrize(
    ("vendor", "entry", "said"),
    [
        ("sqlite", {"NAME": ":memory:"}, "NAME ':memory:' is not a SQLite file"),
        ("postgresql", {"NAME": ""}, "has no NAME (nor OPTIONS['service'])"),
        ("mysql", {"NAME": "x", "OPTIONS": {"read_default_file": "/etc/my.cnf"}},
         "connects through OPTIONS read_default_file"),
        ("mysql", {"NAME": "x", "HOST": "/run/mysqld/mysqld.sock"}, "the socket HOST"),
        ("oracle", {"NAME": "x"}, "runs on SQLite, PostgreSQL and MySQL/MariaDB"),
    ],
)  # fmt: skip
def test_what_a_url_cannot_say_is_refused(vendor: str, entry: dict, said: str) -> None:
    with pytest.raises(UsageError) as caught:
        url_of(vendor, entry)
    assert said in caught.value.message and "--url or SQLMIG_URL" in (caught.value.hint or "")


def test_a_url_without_host_part_gets_its_scratch_database(pg_url: str, tmp_path: Path) -> None:
    """A socket HOST or OPTIONS['service'] gives postgresql:///NAME?host=... (no host part):
    `diff` makes its scratch database beside it, keeping the empty authority and the query."""
    from urllib.parse import urlsplit

    from tests.conftest import sqlmig

    parts = urlsplit(pg_url)
    query = f"host={parts.hostname}&port={parts.port}&user={parts.username}"
    url = f"postgresql://{parts.path}?{query}"
    (tmp_path / "migrations").mkdir()
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n", "utf-8")
    proc = sqlmig("--url", url, "--dir", "migrations", "diff", "schema.sql", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wrote migrations/0001_schema_diff.up.sql" in proc.stdout, proc.stdout

"""Django's DATABASES entries and sqlmig's URLs, each way: pure functions, no Django import."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ..errors import UsageError
from ..urls import parse_url

# sqlmig's dialect -> Django's vendor, and the engine to use when DATABASES names none
VENDORS = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}
ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
}
# Django's own keys in a PostgreSQL OPTIONS; every other key is a libpq connection parameter
_PG_DJANGO_ONLY = {
    "isolation_level",
    "server_side_binding",
    "pool",
    "assume_role",
    "cursor_factory",
}
# MySQL OPTIONS that change only Django's session, not where it connects
_MYSQL_SESSION = {"isolation_level", "init_command", "sql_mode", "autocommit", "connect_timeout"}
_URL_HINT = "give sqlmig the URL itself: --url or SQLMIG_URL"


def dialect_of_vendor(vendor: str) -> str | None:
    """sqlmig's dialect for a Django vendor, or None for one sqlmig does not drive (oracle)."""
    return next((d for d, v in VENDORS.items() if v == vendor), None)


def url_of(vendor: str, entry: Mapping[str, Any]) -> str:
    """The sqlmig URL of a DATABASES entry; UsageError naming what cannot be carried."""
    options = dict(entry.get("OPTIONS") or {})
    if vendor == "sqlite":
        return _sqlite_url(entry, options)
    if vendor == "postgresql":
        return _pg_url(entry, options)
    if vendor == "mysql":
        return _mysql_url(entry, options)
    raise UsageError(
        f"DATABASES['default'] is {vendor}: sqlmig runs on SQLite, PostgreSQL and MySQL/MariaDB",
        hint=_URL_HINT,
    )


def _sqlite_url(entry: Mapping[str, Any], options: dict[str, Any]) -> str:
    name = str(entry.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or options.get("uri"):
        raise UsageError(
            f"DATABASES['default'] NAME {name!r} is not a SQLite file sqlmig can open",
            hint="set NAME to the database file's path, or " + _URL_HINT,
        )
    return "sqlite:///" + quote(str(Path(name)), safe="/")


def _netloc(entry: Mapping[str, Any], default_host: str) -> str:
    user = quote(str(entry.get("USER") or ""), safe="")
    password = str(entry.get("PASSWORD") or "")
    secret = f":{quote(password, safe='')}" if password else ""
    at = "@" if user or secret else ""
    host = str(entry.get("HOST") or default_host)
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    port = f":{entry['PORT']}" if entry.get("PORT") else ""
    return f"{user}{secret}{at}{host}{port}"


def _pg_url(entry: Mapping[str, Any], options: dict[str, Any]) -> str:
    query = {k: str(v) for k, v in options.items() if k not in _PG_DJANGO_ONLY}
    host = str(entry.get("HOST") or "")
    if host.startswith("/"):  # a socket folder: libpq takes it as host= in the query
        query["host"] = host
        entry = {**entry, "HOST": ""}
    name = str(entry.get("NAME") or "")
    if not name and "service" not in query:
        raise UsageError(
            "DATABASES['default'] has no NAME (nor OPTIONS['service'])",
            hint="set NAME to the database's name, or " + _URL_HINT,
        )
    tail = f"?{urlencode(query, quote_via=quote)}" if query else ""  # %20: libpq takes no +
    return f"postgresql://{_netloc(entry, '')}/{quote(name, safe='')}{tail}"


def _mysql_url(entry: Mapping[str, Any], options: dict[str, Any]) -> str:
    host = str(entry.get("HOST") or "")
    unknown = sorted(set(options) - _MYSQL_SESSION - {"charset"})
    if host.startswith("/") or unknown:
        what = f"OPTIONS {', '.join(unknown)}" if unknown else f"the socket HOST {host}"
        raise UsageError(
            f"DATABASES['default'] connects through {what}, which sqlmig's MySQL URL cannot say",
            hint=_URL_HINT + " (mysql://user:password@host:3306/dbname)",
        )
    query = {"charset": str(options["charset"])} if "charset" in options else {}
    tail = f"?{urlencode(query, quote_via=quote)}" if query else ""  # %20: libpq takes no +
    name = quote(str(entry.get("NAME") or ""), safe="")
    return f"mysql://{_netloc(entry, 'localhost')}/{name}{tail}"


def entry_of(url: str) -> dict[str, Any]:
    """The NAME, USER, PASSWORD, HOST, PORT and OPTIONS of a DATABASES entry for a sqlmig URL."""
    parsed = parse_url(url)
    if parsed.driver == "sqlite":
        return {"NAME": parsed.sqlite_path, "OPTIONS": {}}
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    entry = {
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": parsed.password or "",
        "HOST": parts.hostname or query.pop("host", ""),
        "PORT": str(parts.port or ""),
    }
    if parsed.driver == "postgres":
        return {**entry, "OPTIONS": query}  # libpq parameters (sslmode...)
    charset = {"charset": query["charset"]} if "charset" in query else {}
    return {**entry, "OPTIONS": charset}  # the rest of a MySQL URL is sqlmig's session settings

"""Fleet targets: read a targets file or a schema list, and turn each line into a Target.

A targets file holds one target a line: a database URL, or a name put into a URL template
(`--url-template 'postgresql://app@db/${tenant}'`, or a `template=URL` line that applies to the
lines after it). `#` starts a comment line, ` #` a trailing comment; blank lines are skipped.
Files are read twice: once to check every line before anything connects, once to stream the
targets, so that memory does not grow with the fleet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ..errors import UsageError
from ..urls import parse_url, redact

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEMPLATE_HINT = "e.g. --url-template 'postgresql://app@db:5432/${tenant}' (one ${...} placeholder)"
# what a tenant name may not hold: control characters (a line break would forge a log line)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PG_MAX_NAME = 63


@dataclass(frozen=True)
class Target:
    """One database (or one schema of one) of the fleet.

    key: its stable identity, for sharding and display: the name, the schema, or the URL
    without its password. url: the URL to connect with (it may hold a password: never print
    it, print `shown`). table: the history table, when the target has its own (a schema).
    """

    key: str
    url: str
    table: str | None = None
    where: str = field(default="", compare=False)  # "file:line", for messages
    added_password: bool = field(default=False, compare=False)  # SQLMIG_TARGET_PASSWORD's

    @property
    def origin(self) -> str:
        """Where its URL came from, for a hint: `file:line` (and the fleet password)."""
        extra = ", with SQLMIG_TARGET_PASSWORD(_FILE) put in" if self.added_password else ""
        return f"{self.where}{extra}"

    @property
    def shown(self) -> str:
        return redact(self.url, self.url)


@dataclass(frozen=True)
class Source:
    """Where the targets come from, as the user gave it."""

    targets_file: Path | None = None
    url_template: str | None = None
    schemas_file: Path | None = None
    schema_names: tuple[str, ...] | None = None  # from --schemas-query, read by the caller
    base_url: str | None = None  # --schemas: the database that holds them
    table: str = "sqlmig_history"
    password: str | None = None  # SQLMIG_TARGET_PASSWORD(_FILE): put into URLs that lack one


def check(source: Source) -> set[str]:
    """Read every target once, keeping only their keys: a bad line, or a target listed twice,
    is a usage error naming file:line before anything connects. Returns the drivers used."""
    seen: dict[str, str] = {}  # key -> where, and the URL's redacted form when it differs
    drivers: set[str] = set()
    for target in iterate(source):
        first = seen.get(target.key)
        if first is not None:
            raise _listed_twice(target, first)
        seen[target.key] = f"{target.where}\0{target.shown}"
        drivers.add(parse_url(target.url).driver)
    return drivers


def _listed_twice(target: Target, first: str) -> UsageError:
    """A name is a target's identity (its summary row, its shard): two lines giving the same
    name are refused, also when two templates make two databases of it."""
    where, shown = first.split("\0", 1)
    at = f"{target.where}: " if target.where else ""
    if shown == target.shown:
        return UsageError(
            f"{at}target {_quoted(target.key)} is listed twice (first at {where})",
            hint="list each database or schema once",
        )
    return UsageError(
        f"{at}the name {_quoted(target.key)} is listed twice (first at {where}), under two "
        f"templates: {target.shown} and {shown} would share one summary row and shard",
        hint="write one of them as a full URL, so that each target has its own name",
    )


def iterate(source: Source) -> Iterator[Target]:
    """The targets, one at a time, in the order the file lists them."""
    if source.targets_file is not None:
        yield from _from_targets_file(source)
    elif source.schemas_file is not None:
        for name, where in _lines(source.schemas_file):
            yield schema_target(name, source, where)
    elif source.schema_names is not None:
        for i, name in enumerate(source.schema_names, 1):
            yield schema_target(name, source, f"--schemas-query row {i}")


def _lines(path: Path) -> Iterator[tuple[str, str]]:
    """(text, "file:line") of every line that is not blank or a comment."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(
            f"cannot read the targets file {str(path)!r}: {exc.strerror}",
            hint="give the path of a file with one URL or name a line",
        ) from None
    with handle:
        try:
            for number, raw in enumerate(handle, 1):
                text = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
                if text and not text.startswith("#"):
                    yield text, f"{path}:{number}"
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"{path}: not UTF-8 text (byte offset {exc.start})",
                hint="save the targets file as UTF-8",
            ) from None


def _from_targets_file(source: Source) -> Iterator[Target]:
    assert source.targets_file is not None
    template = source.url_template
    if template is not None:
        check_template(template, "--url-template")
    for text, where in _lines(source.targets_file):
        if text.startswith("template="):
            template = text.removeprefix("template=").strip()
            check_template(template, where)
        elif "://" in text:
            yield url_target(text, source, where)
        elif template is None:
            raise UsageError(
                f"{where}: {_quoted(text)} is not a URL, and no URL template is set",
                hint=f"write a full URL, or set a template: {TEMPLATE_HINT}",
            )
        else:
            yield name_target(text, template, source, where)


def check_template(template: str, where: str) -> None:
    names = set(PLACEHOLDER.findall(template))
    if len(names) != 1 or "$" in PLACEHOLDER.sub("", template):
        raise UsageError(
            f"{where}: the URL template {redact(template)!r} needs exactly one ${{name}} "
            "placeholder (and no other $)",
            hint=TEMPLATE_HINT,
        )
    parse_url(PLACEHOLDER.sub("x", template))  # a bad scheme is named now, once
    if _has_password(PLACEHOLDER.sub("x", template)):
        raise UsageError(
            f"{where}: the URL template holds a password",
            hint="keep passwords out of templates and targets files: set "
            "SQLMIG_TARGET_PASSWORD_FILE (a file holding it), SQLMIG_TARGET_PASSWORD, or "
            "use PGPASSFILE / ~/.pgpass for PostgreSQL",
        )


def _check_pg_length(url: str, where: str) -> None:
    """PostgreSQL cuts a database name at 63 bytes when it connects: two tenants whose names
    differ only after that would be one database, each reported as its own."""
    if not url.lower().startswith(("postgresql:", "postgres:")):
        return
    database = unquote(urlsplit(url).path.lstrip("/"))
    if len(database.encode()) > PG_MAX_NAME:
        cut = database.encode()[:PG_MAX_NAME].decode(errors="ignore")
        raise UsageError(
            f"{where}: the database name {_quoted(database)} is {len(database.encode())} bytes; "
            f"PostgreSQL cuts names at {PG_MAX_NAME} bytes and would connect to {cut!r}",
            hint="use names that make database names of 63 bytes at most",
        )


def _has_password(url: str) -> bool:
    """A password in the user part (`app:pw@`) or as a `password=` parameter."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    return parts.password is not None or any(k.lower() == "password" for k, _v in query)


def name_target(name: str, template: str, source: Source, where: str) -> Target:
    """The name put into the template, percent-encoded: it cannot add a host, a user, a
    query or a second placeholder, whatever it holds (`a/b`, `x@evil`, `${y}`, quotes)."""
    _check_name(name, where)
    url = PLACEHOLDER.sub(lambda _m: quote(name, safe=""), template)
    _check_pg_length(url, where)
    full = with_password(url, source.password)
    return Target(key=name, url=full, where=where, added_password=full != url)


def url_target(text: str, source: Source, where: str) -> Target:
    try:
        parse_url(text)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc.message}", hint=exc.hint) from None
    _check_pg_length(text, where)
    full = with_password(text, source.password)
    return Target(key=redact(text, text), url=full, where=where, added_password=full != text)


def schema_target(name: str, source: Source, where: str) -> Target:
    """A PostgreSQL schema of `base_url`'s database: its own history table, `name.table`, and
    its own search_path, set when the connection starts (so RESET ALL between migrations
    keeps it), quoted as an identifier: any name PostgreSQL allows is safe."""
    _check_name(name, where)
    if "." in name or len(name.encode()) > PG_MAX_NAME:
        raise UsageError(
            f"{where}: schema name {_quoted(name)} holds a dot or is longer than 63 bytes",
            hint="sqlmig names its history table SCHEMA.TABLE: use a name without dots",
        )
    assert source.base_url is not None
    base = with_password(source.base_url, source.password)
    url = with_search_path(base, name)
    return Target(key=name, url=url, table=f"{name}.{source.table}", where=where)


def _check_name(name: str, where: str) -> None:
    if _CONTROL.search(name):
        raise UsageError(
            f"{where}: the name {_quoted(name)} holds a control character",
            hint="names are one a line, printable characters only",
        )


def _quoted(text: str) -> str:
    return repr(redact(text))


def with_search_path(url: str, schema: str) -> str:
    """`url` with `options=-c search_path="schema"` added (after the URL's own options)."""
    if not url.lower().startswith(("postgresql:", "postgres:")):
        raise UsageError(
            "--schemas works on PostgreSQL only (one database, a schema per tenant)",
            hint="for SQLite files or MySQL/MariaDB databases, list them with --targets",
        )
    ident = '"' + schema.replace('"', '""') + '"'
    # libpq splits `options` at white space; a backslash keeps a space or backslash literal
    option = "-csearch_path=" + re.sub(r"([\\ ])", r"\\\1", ident)
    base, _, fragment = url.partition("#")
    parts = urlsplit(base)
    query = parse_qsl(parts.query, keep_blank_values=True)
    own = [v for k, v in query if k == "options"]
    rest = [(k, v) for k, v in query if k != "options"]
    merged = " ".join([*own, option])
    new_query = urlencode([*rest, ("options", merged)], quote_via=quote)
    return parts._replace(query=new_query).geturl() + (f"#{fragment}" if fragment else "")


def with_password(url: str, password: str | None) -> str:
    """Put the fleet password into a server URL that names a user but no password."""
    if not password or url.lower().startswith("sqlite:"):
        return url
    parts = urlsplit(url)
    if parts.username is None or _has_password(url):
        return url
    user, _, host = parts.netloc.rpartition("@")
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return parts._replace(netloc=netloc).geturl()

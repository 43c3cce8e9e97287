"""Database URLs: parse them into a driver name and parts, and redact passwords before printing.

redact() is the one function that makes text fit to print: every output path goes through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from .errors import UsageError

SCHEMES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "sqlite": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
}

# A URL inside free text: a scheme, then everything up to white space or a quote.
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)
# password= (or sslpassword=) in a URL's query string or a libpq keyword string, whose value
# may be 'quoted, with \' inside'.
_PASSWORD_PARAM = re.compile(r"\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s'\"]+)", re.I)
_TYPO_PASSWORD = re.compile(r":([^:@/\s]+)@")
_URL_TOKEN = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed URL. `raw` keeps the secret; only `redacted` may be printed."""

    raw: str
    driver: str
    password: str | None

    @property
    def redacted(self) -> str:
        return redact(self.raw, self.raw)

    @property
    def sqlite_path(self) -> str:
        """The file path of a sqlite:/// URL (`:memory:` for an in-memory database)."""
        rest = self.raw.split(":", 1)[1]
        if not rest.startswith("//"):
            raise UsageError(f"bad SQLite URL {self.redacted!r}", hint=SQLITE_HINT)
        path = unquote(rest[2:].split("?", 1)[0])
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]  # sqlite:///rel.db -> rel.db
        elif path.startswith("//"):
            path = path[1:]  # sqlite:////abs/x.db -> /abs/x.db
        if not path:
            raise UsageError(f"SQLite URL {self.redacted!r} names no file", hint=SQLITE_HINT)
        return path


SQLITE_HINT = "use sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:///:memory:"


def parse_url(raw: str) -> DatabaseUrl:
    """Parse a database URL, or raise UsageError naming the supported forms."""
    head = raw.split(":", 1)[0].lower()
    scheme = head if ":" in raw and re.fullmatch(r"[a-z][a-z0-9+.-]*", head) else ""
    driver = SCHEMES.get(scheme.split("+", 1)[0])
    if driver is None:
        # never echo input that is not a URL: it may be a connection string holding a password
        shown = repr(scheme) if scheme else "(none: the value is not a URL)"
        raise UsageError(
            f"unsupported database URL scheme {shown}",
            hint="use postgresql://user:password@host:5432/dbname or sqlite:///path/to/file.db",
        )
    password = None
    if driver != "sqlite":
        if not raw[len(scheme) :].startswith("://"):
            raise UsageError(
                f"malformed database URL: expected {scheme}://user:password@host:5432/dbname",
                hint="check the URL's spelling (the value is not shown: it may hold a password)",
            )
        try:
            parts = urlsplit(raw)
            password = parts.password
            parts.port  # noqa: B018 - validates the port now, with a clear error
        except ValueError as exc:
            raise UsageError(
                f"malformed database URL {redact(raw)!r}: {_port_error(str(exc), raw)}",
                hint="percent-encode special characters in the user name and password",
            ) from None
    return DatabaseUrl(raw=raw, driver=driver, password=unquote(password) if password else None)


def _port_error(message: str, raw: str) -> str:
    """urllib's complaint, minus the bad "port" it quotes when that is a piece of the password
    ("user:Secret/pw@host" makes 'Secret' the port): anything quoted from the user:password
    part of the URL becomes ***."""
    head = raw.find("://") + 3
    userinfo = raw[head : raw.rfind("@")] if "@" in raw[head:] else ""
    return re.sub(
        r"'([^']*)'",
        lambda m: "'***'" if m.group(1) and m.group(1) in userinfo else m.group(0),
        redact(message, raw),
    )


def _password_span(url: str) -> tuple[int, int] | None:
    """Where the password sits in scheme://user:password@host..., even if it holds @ : / ?."""
    head = url.find("://")
    if head < 0:
        return None
    start = head + 3
    first_at = url.find("@", start)
    if first_at < 0:
        return None
    query = url.find("?", first_at)  # an @ in the query string (application_name=a@b) is not it
    at = url.rfind("@", start, query if query >= 0 else len(url))
    colon = url.find(":", start, at)
    return (colon + 1, at) if colon >= 0 else None


def redact(text: str, *urls: str | None, hint: bool = False) -> str:
    """`text` fit to print: the one function that every output of sqlmig goes through.

    Every password written in it - user:password@ in a URL, password= in a URL's query or in a
    libpq keyword string - becomes ***, and so does every spelling of every password of `urls`
    (the URLs in play), wherever it stands except inside a longer word, so that a short or
    common one ("p", "postgres") does not garble paths and the scheme of every message.
    hint=True keeps the example URLs of a hint as written, removing only the real passwords.
    """
    if not hint:  # both patterns need these words: a 25 MB script without them costs 50 ms, not 2 s
        if "://" in text:
            text = _redact_urls(text)
        # casefold, as re.I matches (the long s is an s)
        if "password" in text.casefold():
            text = _PASSWORD_PARAM.sub(lambda m: m.group(1) + "***", text)
    for url in urls:
        for secret in secrets_of(url) if url else ():
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return text


# The older name of redact(), still used by the drivers; the same function, not a second one.
scrub = redact


def _redact_urls(text: str) -> str:
    """A URL, or any text holding URLs, with the user:password@ passwords replaced by ***."""
    if _SCHEME.match(text) and len(_SCHEME.findall(text)) == 1 and "\n" not in text:
        return _redact_one(text)  # one URL, maybe with raw spaces in its password
    if "://" not in text:
        return text
    if len(text) < 10_000:
        return _URL_TOKEN.sub(lambda m: _redact_one(m.group(0)), text)
    # a long output (lint's findings): a URL never spans lines, so only lines with :// are
    # scanned (the regex tries every position of the text: 50 ms on 400 kB)
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "://" in line:
            lines[index] = _URL_TOKEN.sub(lambda m: _redact_one(m.group(0)), line)
    return "\n".join(lines)


def _redact_one(url: str) -> str:
    span = _password_span(url)
    if span:
        return url[: span[0]] + "***" + url[span[1] :]
    return url


def secrets_of(url: str) -> list[str]:
    """Every spelling of every password the value may hold: user:password@ in a URL (also in a
    mistyped one), ?password= in its query, password= in a libpq connection string.

    An unencoded @ in user:password@ makes pieces: libpq splits at the first @, not the last,
    and names the rest of the password as part of the host in its error ("Tail@host").
    """
    found = [url[a:b] for a, b in [_password_span(url) or (0, 0)] if b > a]
    found += found[0].split("@") if found else []
    found += [_unquoted(value) for _, value in _PASSWORD_PARAM.findall(url)]
    if "://" not in url:  # a typo such as postgres:user:pw@host: guard what sits before the @
        found += _TYPO_PASSWORD.findall(url)
    spellings: set[str] = set()
    for raw in found:
        plain = unquote(raw)
        spellings |= {raw, plain, quote(plain, safe=""), quote(plain)}
    return sorted((s for s in spellings if s), key=len, reverse=True)


def _unquoted(value: str) -> str:
    """A libpq keyword value without its quotes: 'it\\'s' -> it's."""
    if len(value) > 1 and value[0] == value[-1] == "'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def with_session(raw: str, settings: tuple[tuple[str, str], ...]) -> str:
    """A MySQL URL with the configured session variables added as `session.NAME=VALUE`, unless
    the URL sets that variable itself (the URL wins); other URLs unchanged."""
    from urllib.parse import parse_qsl, urlencode

    if not settings or not raw.lower().startswith(("mysql:", "mariadb:")):
        return raw
    own = {k.removeprefix("session.").lower() for k, _ in parse_qsl(urlsplit(raw).query)}
    extra = [(f"session.{k}", v) for k, v in settings if k.lower() not in own]
    if not extra:
        return raw
    base, _, fragment = raw.partition("#")
    joined = base + ("&" if urlsplit(base).query else "?") + urlencode(extra)
    return joined + (f"#{fragment}" if fragment else "")

"""What a PostgreSQL connection error means: a URL typo, an unencoded @, SSL, or the server."""

from __future__ import annotations

import re

# libpq's words for a parameter value it does not know (no sqlstate reaches the client)
_BAD_VALUE = (
    re.compile(r"invalid (?P<key>\w+) value: \"(?P<value>[^\"]*)\""),
    re.compile(r"bad value for (?P<key>\w+): '(?P<value>[^']*)'"),
    re.compile(
        r"invalid integer value \"(?P<value>[^\"]*)\" for connection option \"(?P<key>\w+)\""
    ),
)
_BAD_PARAM = re.compile(r'invalid (?:URI query|connection option) (?:parameter: )?"([^"]*)"')
_HOST_WITH_AT = re.compile(r"(?:resolve host|translate host name) \"?'?[^\"'\s]*@")
_NO_SSL = "server does not support SSL, but SSL was required"
CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": (
        "any", "read-write", "read-only", "primary", "standby", "prefer-standby",
    ),
    "load_balance_hosts": ("disable", "random"),
    "sslnegotiation": ("postgres", "direct"),
    "sslcertmode": ("disable", "allow", "require"),
}  # fmt: skip
ENCODE_HINT = (
    "percent-encode special characters (@ is %40, : is %3A, / is %2F) in the user name and password"
)


def bad_value(text: str) -> tuple[str, str] | None:
    """(message, hint) when libpq refused the value of a URL parameter (`?sslmode=requir`)."""
    found = next((m for m in (p.search(text) for p in _BAD_VALUE) if m), None)
    if found is None:
        return None
    key, value = found["key"], found["value"]
    choices = CHOICES.get(key)
    if choices is None:
        kind = (
            "a whole number"
            if "integer" in found.re.pattern or key.endswith(("timeout", "port"))
            else "a value libpq accepts"
        )
        return f"the URL's {key}={value!r} is not a valid value", f"{key} takes {kind}"
    return f"the URL's {key}={value!r} is not a valid value", _one_of(value, choices)


def bad_parameter(text: str) -> str:
    """The hint of a URL libpq could not read: an unknown `?name=` or an unencoded character."""
    found = _BAD_PARAM.search(text)
    if found is None:
        return ENCODE_HINT
    import difflib

    from psycopg import pq

    known = [o.keyword.decode() for o in pq.Conninfo.get_defaults()]
    close = difflib.get_close_matches(found.group(1).lower(), known, n=1)
    guess = f": did you mean `{close[0]}`?" if close else ""
    return f"{found.group(1)!r} is not a libpq connection parameter{guess} (see the libpq docs)"


def connect_hint(text: str) -> str | None:
    """A hint naming the cause, where the error text shows one; None: the generic hint."""
    if _HOST_WITH_AT.search(text):
        return (
            "the host name holds an @: the password has an unencoded @, so libpq took the rest "
            f"for the host; {ENCODE_HINT}"
        )
    if _NO_SSL in text:
        return (
            "the server does not offer SSL: use sslmode=prefer (or disable) in the URL, or turn "
            "on ssl in the server's postgresql.conf"
        )
    return None


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    import difflib  # only on an error: not on every connection

    close = difflib.get_close_matches(value.lower(), choices, n=1)
    guess = f"did you mean `{close[0]}`? " if close else ""
    return f"{guess}use one of: {', '.join(choices)}"

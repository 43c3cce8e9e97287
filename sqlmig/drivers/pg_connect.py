"""Connecting to PostgreSQL: sqlmig's connection parameters, keepalives, a redacted error."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ..errors import ConnectError, UsageError
from ..urls import DatabaseUrl, scrub
from .pg_hints import bad_parameter, bad_value, connect_hint

# libpq's words (no sqlstate reaches the client at connect) for a database that is not there
# (the server quotes the name but does not double a quote inside it: match to the last one)
MISSING_DATABASE = re.compile(r'FATAL:\s+database "(.*)" does not exist')
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def _connect(
    url: DatabaseUrl, role: str, *, connect_timeout: int = 10, dbname: str | None = None
) -> psycopg.Connection:
    """A connection to `url` (or to its server's database `dbname`) in sqlmig's session."""
    try:
        params = conninfo_to_dict(url.raw)
    except psycopg.Error as exc:  # nothing was contacted: a usage error, not exit 6
        raise UsageError(
            f"malformed PostgreSQL URL {url.redacted}: {scrub(str(exc).strip(), url.raw)}",
            hint=scrub(bad_parameter(str(exc)), url.raw),
        ) from None
    # UTF-8 whatever the server or the URL says (files are UTF-8; the server converts or names
    # the character it cannot store); no server-side prepared statements, which the reset
    # between migrations (DEALLOCATE ALL) would pull from under psycopg
    extra: dict[str, Any] = {
        "autocommit": True,
        "client_encoding": "UTF8",
        "prepare_threshold": None,
    }
    if dbname is not None:
        extra["dbname"] = dbname
    if "connect_timeout" not in params:
        extra["connect_timeout"] = connect_timeout
    if "application_name" not in params:
        extra["application_name"] = f"{role} {os.getpid()}@{socket.gethostname()}"[:63]
    # A peer that vanished without a FIN or RST (a black-holed network) is found in about a
    # minute instead of the kernel's default two hours; the URL's own settings win.
    extra.update(_keepalives(params))
    try:
        return psycopg.connect(url.raw, **extra)
    except psycopg.Error as exc:
        text = str(exc).strip()
        refused = bad_value(text)
        if refused is not None:  # nothing was contacted: a usage error, not exit 6
            message, hint = (scrub(part, url.raw) for part in refused)
            raise UsageError(f"{message} ({url.redacted})", hint=hint) from None
        missing = MISSING_DATABASE.search(text)
        hint = (
            f"the server is up, but has no database {missing.group(1)!r}: create it "
            "(`sqlmig create`, createdb, or CREATE DATABASE in psql), or fix the URL's "
            "database name"
            if missing
            else connect_hint(text)
            or "check that the server is running and the URL is right "
            "(--url, SQLMIG_URL or DATABASE_URL)"
        )
        raise ConnectError(
            f"cannot connect to {url.redacted}: {scrub(text, url.raw)}", hint=scrub(hint, url.raw)
        ) from None


def _keepalives(params: dict[str, Any]) -> dict[str, Any]:
    """KEEPALIVES where the URL does not set them, and a tcp_user_timeout to match.

    Keepalive probes only test a connection that has nothing unacknowledged: a query or COMMIT
    sent into a black hole is retransmitted instead, for ~15 minutes on Linux (tcp_retries2).
    TCP_USER_TIMEOUT (ms; ignored where the OS lacks it) ends both cases after the same silence
    the keepalives allow: idle + interval * count seconds.
    """
    extra = {k: v for k, v in KEEPALIVES.items() if k not in params}
    if "tcp_user_timeout" in params or str(params.get("keepalives", "1")).strip() == "0":
        return extra
    effective = {**KEEPALIVES, **params}
    try:
        seconds = int(effective["keepalives_idle"]) + int(effective["keepalives_interval"]) * int(
            effective["keepalives_count"]
        )
    except (TypeError, ValueError):  # libpq reports a malformed value itself
        return extra
    if seconds > 0:
        extra["tcp_user_timeout"] = seconds * 1000
    return extra

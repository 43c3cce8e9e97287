"""PostgreSQL errors as sqlmig's: a lost connection, a history error, a migration's failure
located in its file."""

from __future__ import annotations

import psycopg
from psycopg._encodings import pg2pyenc

from ..errors import ConnectError, HistoryError
from ..sqltext import statement_offset
from ..urls import scrub
from .base import ScriptError

# A lost connection (08xxx, 57P0x: the server shutting down or ending the session) ...
# ... and the server ending an idle session (57P05, 25P03): it closes the connection
CONNECTION_LOST = ("08000", "08003", "08006", "57P01", "57P02", "57P03", "57P05", "25P03")
ENCODING_ERRORS = ("22P05", "22021")


def _lost(exc: psycopg.Error) -> bool:
    return isinstance(exc, psycopg.OperationalError) and (
        exc.sqlstate is None or exc.sqlstate in CONNECTION_LOST
    )


def _wrap(exc: psycopg.Error, raw_url: str) -> ConnectError | HistoryError:
    message = scrub(str(exc).strip(), raw_url)
    if _lost(exc):
        return ConnectError(
            f"lost the connection to PostgreSQL: {message}",
            hint="check the server and the network; then run sqlmig status",
        )
    return HistoryError(f"PostgreSQL error: {message}", hint=exc.diag.message_hint)


def _unencodable(text: str, server_encoding: str) -> int | None:
    """The offset of the first character the server's encoding cannot hold, if any."""
    try:
        codec = pg2pyenc(server_encoding.encode())
    except (KeyError, psycopg.NotSupportedError):
        return None
    try:
        text.encode(codec)
    except UnicodeEncodeError as exc:
        return exc.start
    except LookupError:
        return None
    return None


def _script_error(
    exc: psycopg.Error,
    prefix_len: int,
    text: str = "",
    index: int = -1,
    server_encoding: str | None = None,
) -> ScriptError:
    diag = exc.diag
    position = diag.statement_position
    offset = int(position) - 1 - prefix_len if position else None
    if exc.sqlstate in ENCODING_ERRORS and server_encoding:
        bad = _unencodable(text, server_encoding)
        if bad is not None:
            return ScriptError(
                f"the character {text[bad]!r} cannot be stored in this database, whose "
                f"encoding is {server_encoding} ({diag.message_primary or exc})",
                offset=bad,
                sqlstate=exc.sqlstate,
            )
    if offset is None and index >= 0:  # a run-time error: the index-th statement failed
        offset = statement_offset(text, index)
    message = diag.message_primary or str(exc).strip()
    if diag.context and "PL/pgSQL" in diag.context:
        message += f" ({diag.context.strip()})"
    return ScriptError(
        message,
        offset=offset if offset is None or offset >= 0 else None,
        detail=diag.message_detail,
        hint=diag.message_hint,
        sqlstate=exc.sqlstate,
    )

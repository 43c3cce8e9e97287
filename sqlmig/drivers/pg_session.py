"""PostgreSQL: the SQL that keeps sqlmig's own writes apart from whatever a migration did.

Everything here is text sent in the same message as the statements it guards, so the guards
cost no round trip of their own. Names of functions and operators are schema-qualified or run
under `search_path = pg_catalog, pg_temp`: a migration may create look-alikes elsewhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# sqlstates of sqlmig's own guards (class SQ is not used by PostgreSQL)
TX_ENDED = "SQM01"  # the file's own COMMIT/ROLLBACK ended sqlmig's transaction
LOCK_LOST = "SQM02"  # the lock connection no longer holds the migration lock
WRITE_MISSED = "SQM03"  # a history write matched no row

# Session state a migration may leave behind, reset to what the connection started with.
# RESET ALL returns every setting to its connection-start value (startup parameters included);
# role and session authorization are not settings RESET ALL touches.
RESET_AUTH = ("SET SESSION AUTHORIZATION DEFAULT", "RESET ROLE", "RESET ALL")
RESET_OBJECTS = (
    "DISCARD TEMP",
    "DEALLOCATE ALL",
    "CLOSE ALL",
    "UNLISTEN *",
    "SELECT pg_catalog.pg_advisory_unlock_all()",
    "DISCARD SEQUENCES",
)
# Inside one of sqlmig's transactions, for its own statements only (reverted at its end).
LOCAL_AUTH = ("SET LOCAL SESSION AUTHORIZATION DEFAULT", "SET LOCAL ROLE NONE")
OWN_TX = "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE"


def own_settings(*, lock_timeout: str | None, server_version: int) -> dict[str, str]:
    """The session settings sqlmig itself runs with, set at connect and after every reset: the
    user's statement lock timeout, and no idle timeouts (sqlmig idles while it waits for the
    lock; idle_session_timeout exists from PostgreSQL 14 on)."""
    own = {"idle_in_transaction_session_timeout": "0"}
    if server_version >= 140000:
        own["idle_session_timeout"] = "0"
    if lock_timeout:
        own["lock_timeout"] = lock_timeout
    return own


@dataclass(frozen=True)
class LockProof:
    """Who holds the migration lock: the lock connection's pid and start, and the key."""

    pid: int
    started: str  # backend_start of the lock connection, as text
    key: int

    def condition(self) -> str:
        """True while that very session (not a later one with a reused pid) holds the lock."""
        return (
            "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a "
            "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            f"AND l.pid = {int(self.pid)} "
            f"AND a.backend_start = {literal(self.started)}::timestamptz "
            "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
            "WHERE datname = pg_catalog.current_database()) "
            f"AND ((l.classid::int8 << 32) | l.objid::int8) = {int(self.key)})"
        )


def literal(value: Any) -> str:
    """A SQL literal that means the same whatever standard_conforming_strings says."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "''")
    return f"E'{text}'"


def bind(sql: str, params: Sequence[Any]) -> str:
    """Fill %s placeholders with literals (history SQL only: it has no other % signs but %%)."""
    parts = sql.split("%s")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(params)} parameter(s) for {len(parts) - 1} placeholder(s)")
    out = [parts[0].replace("%%", "%")]
    for value, rest in zip(params, parts[1:], strict=True):
        out += [literal(value), rest.replace("%%", "%")]
    return "".join(out)


def apply(own: dict[str, str]) -> str:
    """sqlmig's own session settings, as one statement."""
    calls = [f"pg_catalog.set_config({literal(k)}, {literal(v)}, false)" for k, v in own.items()]
    return "SELECT " + ", ".join(calls)


def settings(*, own: dict[str, str] | None, durable: bool) -> str:
    """sqlmig's own session settings (after RESET ALL), and for its own statements a safe
    search_path and no statement timeout (local to the transaction)."""
    calls = [
        "pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)",
        "pg_catalog.set_config('statement_timeout', '0', true)",
    ]
    for name, value in (own or {}).items():
        calls.append(f"pg_catalog.set_config({literal(name)}, {literal(value)}, false)")
    if not durable:
        calls.append("pg_catalog.set_config('synchronous_commit', 'off', true)")
    return "SELECT " + ", ".join(calls)


def guarded(writes: Sequence[str], *, proof: LockProof | None, xid: int | None) -> str:
    """One DO block: stop unless the transaction is still sqlmig's (xid) and the lock is still
    held (proof); then run each history write and stop unless it changed exactly one row."""
    tag = "sqlmig_" + secrets.token_hex(6)
    body = ["DECLARE n int8; BEGIN"]
    if xid is not None:
        body.append(
            f"IF pg_catalog.txid_current() <> {int(xid)} THEN RAISE EXCEPTION USING "
            f"ERRCODE = '{TX_ENDED}', MESSAGE = 'sqlmig transaction ended'; END IF;"
        )
    if proof is not None:
        body.append(
            f"IF NOT {proof.condition()} THEN RAISE EXCEPTION USING ERRCODE = '{LOCK_LOST}', "
            "MESSAGE = 'sqlmig lost the migration lock'; END IF;"
        )
    for i, write in enumerate(writes):
        body.append(
            f"EXECUTE {literal(write)}; GET DIAGNOSTICS n = ROW_COUNT; IF n <> 1 THEN "
            f"RAISE EXCEPTION USING ERRCODE = '{WRITE_MISSED}', MESSAGE = "
            f"pg_catalog.format('history write %s changed %s rows', {i + 1}, n); END IF;"
        )
    body.append("END")
    return f"DO ${tag}$ {' '.join(body)} ${tag}$"


def message(*statements: str) -> str:
    return ";\n".join(statements)

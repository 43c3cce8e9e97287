"""PostgreSQL: the SQL that keeps sqlmig's own writes apart from whatever a migration did.

Everything here is text sent in the same message as the statements it guards, so the guards
cost no round trip of their own. Names of functions and operators are schema-qualified or run
under `search_path = pg_catalog, pg_temp`: a migration may create look-alikes elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# sqlstates of sqlmig's own guards (class SQ is not used by PostgreSQL)
# what a failed guard says (in the text of the error it raises)
TX_ENDED = "tx-ended"  # the file's own COMMIT/ROLLBACK ended sqlmig's transaction
LOCK_LOST = "lock-lost"  # the lock connection no longer holds the migration lock
WRITE_MISSED = "write-missed"  # a history write or check matched another number of rows than 1

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
        """True while that very session (not a later one with a reused pid) holds the lock.

        The backend's start comes from pg_stat_get_backend_start, not the pg_stat_activity
        view: the view's joins cost ~0.4 ms at every commit, the function ~0.07 ms."""
        return (
            "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' "
            f"AND l.granted AND l.objsubid = 1 AND l.pid = {int(self.pid)} "
            "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
            "WHERE datname = pg_catalog.current_database()) "
            f"AND ((l.classid::int8 << 32) | l.objid::int8) = {int(self.key)}) "
            "AND (SELECT pg_catalog.pg_stat_get_backend_start(b) "
            "FROM pg_catalog.pg_stat_get_backend_idset() b "
            f"WHERE pg_catalog.pg_stat_get_backend_pid(b) = {int(self.pid)}) "
            f"= {literal(self.started)}::timestamptz"
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
    """Plain SQL (no plpgsql block to compile at every commit): stop unless the transaction is
    still sqlmig's (xid) and the lock is still held (proof); then run each history write or
    check and stop unless it matched exactly one row. A failed guard raises an error whose
    text starts with "sqlmig:" (see guard_failure)."""
    out = []
    checks = []
    if xid is not None:
        checks.append((f"pg_catalog.txid_current() = {int(xid)}", TX_ENDED))
    if proof is not None:
        checks.append((proof.condition(), LOCK_LOST))
    if checks:
        cases = " ".join(f"WHEN NOT ({cond}) THEN {_fail(kind)}" for cond, kind in checks)
        out.append(f"SELECT CASE {cases} ELSE 0 END")
    for write in writes:
        rows = write if write.lstrip().upper().startswith("SELECT") else None
        source = f"({rows}) s" if rows else "w"
        head = "" if rows else f"WITH w AS ({write} RETURNING 1) "
        out.append(
            f"{head}SELECT CASE WHEN n = 1 THEN 0 ELSE {_fail(WRITE_MISSED, 'n')} END "
            f"FROM (SELECT pg_catalog.count(*) AS n FROM {source}) c"
        )
    return message(*out) if out else "SELECT 0"


def _fail(kind: str, detail: str = "pg_catalog.pg_backend_pid()") -> str:
    """An expression that raises an error naming `kind`, evaluated only where it is reached
    (it depends on a row or a stable function, so the planner cannot fold it beforehand)."""
    return f"('sqlmig:{kind} ' || {detail})::pg_catalog.int4"


def guard_failure(error_message: str) -> tuple[str, int | None] | None:
    """(kind, number) when a guard of guarded() failed, from the server's error message."""
    at = error_message.find("sqlmig:")
    if at < 0:
        return None
    words = error_message[at + len("sqlmig:") :].split()
    if len(words) < 2:
        return None
    number = words[1].strip('"')
    return words[0], int(number) if number.isdigit() else None


def message(*statements: str) -> str:
    return ";\n".join(statements)

"""The least a no-op `up` must do on PostgreSQL, as a plain psycopg 3 script (the baseline).

Usage: python bench/minimal_noop.py URL DIR

Connects (autocommit), takes the advisory lock
pg_try_advisory_lock(hashtextextended(current_database() || '/' || 'sqlmig_history', 0)) on a
second dedicated connection (sqlmig's own key also puts current_schema() before the table name:
the same cost), reads the history, sha256-checksums every up and down file and compares them
with it, unlocks and exits: 0 when everything is applied and unchanged, 1 otherwise. It imports
nothing but psycopg and the standard library.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import psycopg

TABLE = "sqlmig_history"
KEY = "SELECT hashtextextended(current_database() || '/' || %s, 0)"
HISTORY = (
    "SELECT version, name, checksum, down_sql, down_checksum, status, applied_at, applied_by, "
    "duration_ms, statements_done, error FROM sqlmig_history ORDER BY version"
)
NAME = re.compile(r"^(\d+)_([a-z0-9_]+)\.(up|down)\.sql$")


def checksums(folder: Path) -> dict[tuple[int, str], str]:
    """(version, "up"/"down") -> "sha256:<hex>" of every migration file in `folder`."""
    sums: dict[tuple[int, str], str] = {}
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            sums[(int(match[1]), match[3])] = "sha256:" + digest
    return sums


def all_applied(rows: list[tuple[object, ...]], sums: dict[tuple[int, str], str]) -> bool:
    """True when every file is recorded as applied with the same up and down checksums."""
    recorded = {int(str(r[0])): r for r in rows}
    for (version, direction), digest in sums.items():
        row = recorded.get(version)
        if row is None or row[5] != "applied":
            return False
        if row[2 if direction == "up" else 4] != digest:
            return False
    return True


def main(url: str, folder: Path) -> int:
    with (
        psycopg.connect(url, autocommit=True) as conn,
        psycopg.connect(url, autocommit=True) as lock,
    ):
        key = lock.execute(KEY, (TABLE,)).fetchone()[0]  # type: ignore[index]
        if not lock.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
            print("the migration lock is taken", file=sys.stderr)
            return 1
        rows = conn.execute(HISTORY).fetchall()
        ok = all_applied(rows, checksums(folder))
        lock.execute("SELECT pg_advisory_unlock(%s)", (key,))
    if not ok:
        print("pending or edited migrations", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))

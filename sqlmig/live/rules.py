"""What a statement does when it cannot be traced: PostgreSQL statements that run outside a
transaction, and MySQL/MariaDB's documented online-DDL algorithms. Marked `how="rules"`."""

from __future__ import annotations

import re

from .model import Touch

_NAME = r'((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)'
_CIC = re.compile(
    rf"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:{_NAME}\s+)?ON\s+(?:ONLY\s+)?{_NAME}",
    re.I | re.S,
)
_CONCURRENTLY = re.compile(
    r"^\s*(DROP\s+INDEX|REINDEX\s+\w+)\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?" + _NAME, re.I | re.S
)
_VACUUM = re.compile(r"^\s*VACUUM\b(.*)$", re.I | re.S)


TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE)\b", re.I
)
_DATA = re.compile(
    r"^\s*(?:(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)\s+(?:ONLY\s+)?|(COPY)\s+)" + _NAME,
    re.I,
)


def data_statement(text: str) -> list[Touch] | None:
    """INSERT, UPDATE, DELETE, MERGE, COPY: a row lock mode on their table, not run on the
    scratch database (its rows do not matter there); None for any other statement."""
    found = _DATA.match(text)
    if not found:
        return None
    note = (
        "changes rows: holds their row locks until the migration commits; its time grows "
        "with the rows it touches (not traced)"
    )
    return [Touch(_plain(found[3]), "RowExclusiveLock", how="rules", note=note)]


def _plain(name: str) -> str:
    """A name as written in SQL, as quote_ident writes it: lower case unless quoted."""
    parts = re.findall(r'"[^"]+"|[^.]+', name)
    return ".".join(p if p.startswith('"') else _ident(p.lower()) for p in parts)


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name + '"'


def outside_transaction(text: str) -> list[Touch] | None:
    """PostgreSQL statements that cannot run in a transaction block, described from the
    documentation; None for every other statement (it is traced)."""
    found = _CIC.match(text)
    if found:
        note = (
            "CONCURRENTLY: waits for every transaction that uses the table, scans it twice; "
            "reads and writes go on (from rules, not traced)"
        )
        return [
            Touch(
                _plain(found[2]),
                "ShareUpdateExclusiveLock",
                scan=True,
                builds_index=True,
                how="rules",
                note=note,
                waits_like="ShareLock",  # it waits out every transaction that writes the table
            )
        ]
    found = _CONCURRENTLY.match(text)
    if found:
        note = "CONCURRENTLY: reads and writes go on (from rules, not traced)"
        return [Touch(_plain(found[2]), "ShareUpdateExclusiveLock", how="rules", note=note)]
    found = _VACUUM.match(text)
    if found:
        full = re.search(r"\bFULL\b", found[1], re.I) is not None
        mode = "AccessExclusiveLock" if full else "ShareUpdateExclusiveLock"
        note = "VACUUM FULL rewrites the table" if full else "VACUUM: reads and writes go on"
        names = re.findall(
            _NAME, re.sub(r"\(.*?\)|\b(FULL|FREEZE|VERBOSE|ANALYZE)\b", "", found[1], flags=re.I)
        )
        return [
            Touch(
                _plain(n), mode, rewrite=full, scan=True, how="rules", note=note + " (from rules)"
            )
            for n in names
        ] or [Touch("*", mode, how="rules", note=note + ": every table")]
    if re.match(r"^\s*(CREATE|DROP|ALTER)\s+DATABASE\b|^\s*ALTER\s+SYSTEM\b", text, re.I):
        return [Touch("*", "-", how="rules", note="not a table's lock: runs outside a transaction")]
    return None


# -- MySQL / MariaDB: online DDL as the manuals document it --------------------------------------

INSTANT, INPLACE, REBUILD, COPY = "INSTANT", "INPLACE", "INPLACE (rebuilds the table)", "COPY"
# a MySQL name: `a``b` is the name a`b
_MY_PART = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_MY_NAME = rf"({_MY_PART}(?:\.{_MY_PART})?)"
_ALTER = re.compile(
    rf"^\s*ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+{_MY_NAME}\s*(.*)$",
    re.I | re.S,
)
_CREATE_INDEX = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+\S+\s+ON\s+" + _MY_NAME,
    re.I | re.S,
)
# (pattern on one ALTER action, algorithm, what concurrent DML may do meanwhile)
_MYSQL_ACTIONS = [
    (
        r"^ADD\s+(?:COLUMN\s+)?(?!INDEX|KEY|UNIQUE|PRIMARY|CONSTRAINT|FOREIGN|FULLTEXT|SPATIAL|CHECK)",
        INSTANT,
    ),
    (r"^DROP\s+(?:COLUMN\s+)?(?!INDEX|KEY|PRIMARY|FOREIGN|CONSTRAINT|CHECK)", INSTANT),
    (r"^RENAME\s+(COLUMN|INDEX|KEY)\b", INSTANT),
    (r"^ALTER\s+(?:COLUMN\s+)?\S+\s+(SET|DROP)\s+DEFAULT", INSTANT),
    (r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY", REBUILD),
    (r"^DROP\s+PRIMARY\s+KEY", COPY),
    (r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?(UNIQUE|INDEX|KEY)\b", INPLACE),
    (r"^ADD\s+(FULLTEXT|SPATIAL)\b", INPLACE),
    (r"^DROP\s+(INDEX|KEY)\b", INPLACE),
    (
        r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY",
        COPY,
    ),  # INPLACE only with foreign_key_checks=0
    (r"^DROP\s+(FOREIGN\s+KEY|CONSTRAINT|CHECK)\b", INSTANT),
    (r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?CHECK\b", COPY),
    (r"^(MODIFY|CHANGE)\b", COPY),  # a type change copies; see _modify for the in-place cases
    (r"^(ENGINE|FORCE|ROW_FORMAT)\b", REBUILD),
    (r"^RENAME\s+(TO|AS)\b", INSTANT),
]
_PARTITIONING = re.compile(
    r"^\s*(?:(?:ADD|DROP|REORGANIZE|COALESCE|TRUNCATE|EXCHANGE|REBUILD|OPTIMIZE|ANALYZE|CHECK|"
    r"REPAIR|DISCARD|IMPORT|CONVERT)\s+PARTITION\b|PARTITION\s+BY\b|REMOVE\s+PARTITIONING\b)",
    re.I,
)
_LOCK_OF = {
    INSTANT: "none",
    INPLACE: "none (brief metadata locks)",
    REBUILD: "none (brief metadata locks)",
    COPY: "SHARED: blocks writes",
}


def mysql(text: str) -> list[Touch]:
    found = _CREATE_INDEX.match(text)
    if found:
        return [_mysql_touch(_my_unquote(found[1]), INPLACE, text)]
    found = _ALTER.match(text)
    if not found:
        return []
    table = _my_unquote(found[1])
    if _PARTITIONING.search(found[2]):
        note = "partitioning: not in the online DDL rules here, so not known (from rules)"
        return [Touch(table, "ALGORITHM=?, LOCK=?", how="rules", note=note)]
    worst = INSTANT
    for action in _actions(found[2]):
        algo = next((a for p, a in _MYSQL_ACTIONS if re.match(p, action, re.I)), INPLACE)
        if [INSTANT, INPLACE, REBUILD, COPY].index(algo) > [INSTANT, INPLACE, REBUILD, COPY].index(
            worst
        ):
            worst = algo
    return [_mysql_touch(table, worst, text)]


def _my_unquote(name: str) -> str:
    parts = re.findall(_MY_PART, name)
    return ".".join(p[1:-1].replace("``", "`") if p.startswith("`") else p for p in parts)


def _mysql_touch(table: str, algo: str, text: str) -> Touch:
    given = re.search(r"\bALGORITHM\s*=?\s*(\w+)", text, re.I)
    lock = re.search(r"\bLOCK\s*=?\s*(\w+)", text, re.I)
    algo = {"INSTANT": INSTANT, "INPLACE": INPLACE, "COPY": COPY}.get(
        given[1].upper() if given else "", algo
    )
    mode = f"ALGORITHM={algo.split()[0]}, LOCK=" + (lock[1].upper() if lock else _LOCK_OF[algo])
    note = "from MySQL/MariaDB's online DDL rules, not traced"
    if given:
        note += (
            f"; the statement asks ALGORITHM={given[1].upper()}: the server refuses it if it cannot"
        )
    return Touch(
        table,
        mode,
        rewrite=algo in (REBUILD, COPY),
        scan=algo != INSTANT,
        builds_index=algo == INPLACE,
        how="rules",
        note=note,
    )


def _actions(body: str) -> list[str]:
    """The comma-separated actions of an ALTER TABLE, commas inside parentheses kept."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(body[start:i].strip())
            start = i + 1
    out.append(body[start:].strip())
    return [a for a in out if a and not re.match(r"^(ALGORITHM|LOCK)\b", a, re.I)]

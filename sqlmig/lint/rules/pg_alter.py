"""PostgreSQL forms squawk checks: partition detach, domain constraints, enum value order,
DROP NOT NULL, and the table rewrites of VACUUM FULL and CLUSTER."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, rule
from .common import actions, alter_table, at, table_of

PG = ("postgres",)
NO_TX = "-- sqlmig:no-transaction"


def _unquote(name: str) -> str:
    """A (dotted) name as written, without quotes, lower case unless it was quoted."""
    parts = [p[1:-1] if p.startswith('"') else p.lower() for p in name.split(".")]
    return ".".join(parts)


def detach(stmt: Stmt) -> tuple[str, str, str] | None:
    """(table, partition, "CONCURRENTLY" | "FINALIZE" | "") of ALTER TABLE ... DETACH PARTITION."""
    known = form(stmt.sql) if stmt.keyword == "ALTER TABLE" else None
    if not known or known[0] != "detach-partition":
        return None
    match = known[1]
    mode = (match["mode"] or "").upper()
    return _unquote(match["table"]), _unquote(match["partition"]), mode


@rule(
    "P111",
    "detach-partition-without-concurrently",
    "error",
    help=f"use ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), alone in a "
    f"file marked `{NO_TX}`",
    dialects=PG,
    on=("ALTER TABLE",),
)
def detach_partition_without_concurrently(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER TABLE ... DETACH PARTITION without CONCURRENTLY on a table that already exists.

    A plain detach takes an ACCESS EXCLUSIVE lock on the partitioned table: every read and
    write of it waits. CONCURRENTLY (PostgreSQL 14+) takes only SHARE UPDATE EXCLUSIVE, but
    cannot run in a transaction. Not reported for a table created in the same file.

    Bad:
        ALTER TABLE events DETACH PARTITION events_2019;
    Good:
        -- sqlmig:no-transaction
        ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;
    """
    found = detach(stmt)
    if found is None or found[2] or ctx.is_new_table(found[0]):
        return
    table, partition, _ = found
    older = (
        f" (PostgreSQL {ctx.pg_version} has no CONCURRENTLY form: it came in 14)"
        if ctx.pg_version < 14
        else ""
    )
    yield Hit(
        f"DETACH PARTITION {ctx.quoted(partition)} takes an ACCESS EXCLUSIVE lock on "
        f"partitioned table {ctx.quoted(table)}: its reads and writes wait until it is done{older}"
    )


@rule(
    "P113",
    "domain-constraint-without-not-valid",
    "error",
    help="add it NOT VALID, then ALTER DOMAIN ... VALIDATE CONSTRAINT in a later migration; or "
    "put the CHECK on the columns themselves (see constraint-without-not-valid)",
    dialects=PG,
    on=("ALTER DOMAIN",),
)
def domain_constraint_without_not_valid(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID on a domain that already exists.

    PostgreSQL checks every row of every table with a column of that domain, holding a SHARE
    lock on each (writes wait) for the whole scan. Not reported for a domain created in the
    same file (no existing column uses it).

    Bad:
        ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);
    Good:
        ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;
    """
    known = form(stmt.sql)
    if not known or known[0] != "alter-domain-add-constraint" or known[1]["not_valid"]:
        return
    domain = _unquote(known[1]["domain"])
    if ctx.created.has("domain", domain) or ctx.created.has("type", domain):
        return
    if _created_domain(ctx, domain):
        return
    named = known[1]["constraint"]
    what = f"CONSTRAINT {ctx.quoted(_unquote(named))}" if named else "a constraint"
    yield Hit(
        f"ALTER DOMAIN {ctx.quoted(domain)} ADD {what} checks every column of domain "
        f"{ctx.quoted(domain)} in every table, blocking writes to those tables while it scans"
    )


def _created_domain(ctx: FileContext, domain: str) -> bool:
    """Was the domain created earlier in this file (CREATE DOMAIN is not tracked as an object)?"""
    short = domain.split(".")[-1]
    for stmt in ctx.statements:
        if stmt.keyword == "CREATE DOMAIN":
            words = stmt.sql.split(None, 3)
            if len(words) >= 3 and _unquote(words[2]).split(".")[-1] == short:
                return True
    return False


@rule(
    "P114",
    "enum-value-without-position",
    "warning",
    help="say where it goes: ALTER TYPE ... ADD VALUE 'new' BEFORE 'existing' (or AFTER); if "
    "the order of the values means nothing, `-- sqlmig:ignore enum-value-without-position`",
    dialects=PG,
    on=("ALTER TYPE",),
    opt_in=True,  # most enums' order means nothing: on documenso it fired on all 35 values
)
def enum_value_without_position(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER TYPE ... ADD VALUE without BEFORE or AFTER: the new value sorts after every
    existing one, so `ORDER BY` and comparisons (`status < 'approved'`) put it last. Opt-in
    (`--select +enum-value-without-position`): most enums' order means nothing.

    Bad:
        ALTER TYPE order_status ADD VALUE 'pending_review';
    Good:
        ALTER TYPE order_status ADD VALUE 'pending_review' BEFORE 'approved';
    """
    known = form(stmt.sql)
    if not known or known[0] != "add-enum-value" or known[1]["position"]:
        return
    enum = _unquote(known[1]["type"])
    yield Hit(
        f"ALTER TYPE {ctx.quoted(enum)} ADD VALUE {known[1]['value']} puts it after every "
        f"existing value of enum {ctx.quoted(enum)}: ORDER BY and <, > comparisons on the "
        "type sort it last"
    )


@rule(
    "D209",
    "drop-not-null",
    "warning",
    help='keep the column NOT NULL (a marker value can stand for "none"), or first make '
    "every reader of the column accept NULL",
    dialects=PG,
    on=("ALTER TABLE",),
)
def drop_not_null(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER COLUMN ... DROP NOT NULL on a column this migration did not add: code that reads
    the column (application, triggers, functions) may not expect NULL there. Not reported in
    a down file, which restores the schema from before its up file, nor in a statement that
    also changes the column's type (an ORM restating the whole column, as fizz's change_column
    does, mostly on columns that were never NOT NULL; column-type-change reports it).

    Bad:
        ALTER TABLE books ALTER COLUMN title DROP NOT NULL;
    Good:
        ALTER TABLE books ADD COLUMN subtitle text;
    """
    if ctx.direction == "down" or alter_table(stmt) is None:
        return
    table = table_of(stmt.node)
    retyped = {
        a.name.lower()
        for a in actions(stmt)
        if isinstance(a, exp.AlterColumn) and a.args.get("dtype") is not None
    }
    for action in actions(stmt):
        if not (
            isinstance(action, exp.AlterColumn)
            and action.args.get("drop")
            and action.args.get("allow_null")
        ):
            continue
        column = f"{table}.{action.name.lower()}"
        if ctx.is_owned("column", column) or action.name.lower() in retyped:
            continue  # retyped: an ORM restating the column (fizz's change_column); P106 says it
        yield Hit(
            f"DROP NOT NULL on {ctx.shown(column)}: code that reads it may not expect NULL",
            at(stmt, action),
        )


_FULL_OFF = re.compile(r"\bFULL\s+(?:FALSE|OFF|0)\b", re.I)


def rewrites(stmt: Stmt) -> tuple[str, list[str]] | None:
    """("VACUUM FULL" | "CLUSTER", tables named; [] for all) of a statement that rewrites tables
    under an ACCESS EXCLUSIVE lock."""
    known = form(stmt.sql) if stmt.keyword.split(" ")[0] in ("VACUUM", "CLUSTER") else None
    if not known or known[0] not in ("vacuum", "cluster"):
        return None
    match = known[1]
    if known[0] == "cluster":
        return "CLUSTER", [_unquote(match["table"])] if match["table"] else []
    options = match["options"] or ""
    full = "FULL" in match["words"].upper().split() or (
        re.search(r"\bFULL\b", options, re.I) is not None and not _FULL_OFF.search(options)
    )
    if not full:
        return None
    tables = re.sub(r"\([^)]*\)", "", match["tables"] or "")
    return "VACUUM FULL", [_unquote(t.strip()) for t in tables.split(",") if t.strip()]


@rule(
    "P115",
    "vacuum-full-or-cluster",
    "error",
    help="rewrite the table online with pg_repack (or, on PostgreSQL 19+, REPACK (CONCURRENTLY)), "
    "outside the migrations; or run it at a quiet time with a lock_timeout",
    dialects=PG,
    on=("VACUUM", "CLUSTER"),
)
def vacuum_full_or_cluster(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """VACUUM FULL or CLUSTER on a table that already exists: PostgreSQL writes a new copy of
    the table and its indexes under an ACCESS EXCLUSIVE lock, so its reads and writes wait for
    the whole rewrite. Without a table name: every table (VACUUM FULL) or every table clustered
    before (CLUSTER).

    Bad:
        VACUUM FULL orders;
    Good:
        VACUUM (ANALYZE) orders;
    """
    found = rewrites(stmt)
    if found is None:
        return
    what, tables = found
    old = [t for t in tables if not ctx.is_new_table(t)]
    if tables and not old:
        return
    where = (
        ", ".join(f"table {ctx.quoted(t)}" for t in old)
        if old
        else ("every table in the database" if what == "VACUUM FULL" else "every clustered table")
    )
    yield Hit(
        f"{what} rewrites {where} under an ACCESS EXCLUSIVE lock: reads and writes wait "
        "until it is done"
    )

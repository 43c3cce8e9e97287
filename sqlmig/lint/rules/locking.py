"""PostgreSQL locking: indexes built or dropped without CONCURRENTLY, and lock_timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, Rule, rule
from .common import at, existing_table, name_of

PG = ("postgres",)
NO_TX = "-- sqlmig:no-transaction"


def _index(stmt: Stmt) -> tuple[str, Any] | None:
    """("create"|"drop", node) for CREATE INDEX / DROP INDEX."""

    node = stmt.node
    if isinstance(node, exp.Create) and str(node.args.get("kind")) == "INDEX":
        return "create", node
    if isinstance(node, exp.Drop) and str(node.args.get("kind")) == "INDEX":
        return "drop", node
    return None


def _index_table(stmt: Stmt, ctx: FileContext) -> str | None:
    """What a CREATE/DROP INDEX locks (`table "t"`) when not new in this file (None: harmless)."""
    what, node = _index(stmt) or ("", None)
    if what == "create":
        table = name_of(node.this.args.get("table"))
        return None if ctx.is_new_table(table) else f"table {ctx.quoted(table)}"
    if what == "drop":
        return _dropped_index_table([name_of(t) for t in node.args.get("tables") or []], ctx)
    return None


def _dropped_index_table(indexes: list[str], ctx: FileContext) -> str | None:
    """What a DROP INDEX locks: `table "t"`, or `the table of index "i"` when the files do not
    say which table it is on (None when every index is on a table new in this file)."""
    for index in indexes:
        table = ctx.created.index_on.get(index) or ctx.owned.index_on.get(index)
        if not (table and ctx.is_new_table(table)):
            if table:
                return f"table {ctx.quoted(table)}"
            return f"the table of index {ctx.quoted(index)}"
    return None


def _drop_index_form(stmt: Stmt) -> tuple[list[str], bool] | None:
    """(index names, concurrently) of a DROP INDEX that only the pattern could read."""
    known = form(stmt.sql) if isinstance(stmt.node, exp.Command) else None
    if not known or known[0] != "drop-index":
        return None
    names = [n.strip().strip('"').split(".")[-1].lower() for n in known[1]["names"].split(",")]
    return names, bool(known[1]["concurrently"])


@rule(
    "P101",
    "index-without-concurrently",
    "error",
    help=f"use CREATE/DROP INDEX CONCURRENTLY, alone in a file marked `{NO_TX}`",
    dialects=PG,
    on=("CREATE INDEX", "DROP INDEX"),
)
def index_without_concurrently(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """CREATE INDEX or DROP INDEX without CONCURRENTLY on a table that already exists.

    A plain CREATE INDEX blocks every write to the table until the index is built (minutes on a
    big table); DROP INDEX takes an ACCESS EXCLUSIVE lock. An index on a table created in the
    same file is fine.

    Bad:
        CREATE INDEX books_title_idx ON books (title);
    Good:
        -- sqlmig:no-transaction
        CREATE INDEX CONCURRENTLY IF NOT EXISTS books_title_idx ON books (title);
    """
    what, node = _index(stmt) or ("", None)
    dropped = _drop_index_form(stmt)
    if dropped and not dropped[1] and _dropped_index_table(dropped[0], ctx):
        table = _dropped_index_table(dropped[0], ctx)
        yield Hit(
            f"DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on {table} "
            "until it finishes"
        )
    if node is None or node.args.get("concurrently"):
        return
    table = _index_table(stmt, ctx)
    if table is not None:
        verb = "CREATE INDEX" if what == "create" else "DROP INDEX"
        lock = "blocks writes to" if what == "create" else "takes an ACCESS EXCLUSIVE lock on"
        yield Hit(
            f"{verb} without CONCURRENTLY {lock} {table} until it finishes",
            at(stmt, node.this if what == "create" else node),
        )


@rule(
    "P102",
    "concurrently-in-transaction",
    "error",
    help=f"put `{NO_TX}` in the file's first lines (and keep one such statement per file)",
    dialects=PG,
    on=("CREATE INDEX", "DROP INDEX", "REINDEX", "ALTER TYPE", "ALTER TABLE"),
)
def concurrently_in_transaction(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """CONCURRENTLY (or, before PostgreSQL 12, ALTER TYPE ... ADD VALUE) in a transactional file.

    PostgreSQL refuses to run these inside a transaction block, and sqlmig runs every file in a
    transaction unless it says otherwise.

    Bad:
        CREATE INDEX CONCURRENTLY books_title_idx ON books (title);
    Good:
        -- sqlmig:no-transaction
        CREATE INDEX CONCURRENTLY books_title_idx ON books (title);
    """
    if not ctx.transactional:
        return
    _, node = _index(stmt) or ("", None)
    known = form(stmt.sql) if stmt.node is not None and node is None else None
    dropped = _drop_index_form(stmt)
    if (node is not None and node.args.get("concurrently")) or (dropped and dropped[1]):
        yield Hit(f"{stmt.keyword} CONCURRENTLY cannot run inside a transaction block")
    elif known and known[0] == "reindex" and known[1]["concurrently"]:
        yield Hit("REINDEX CONCURRENTLY cannot run inside a transaction block")
    elif (
        known
        and known[0] == "detach-partition"
        and (known[1]["mode"] or "").upper() == ("CONCURRENTLY")
    ):
        yield Hit(
            "ALTER TABLE ... DETACH PARTITION CONCURRENTLY cannot run inside a transaction block"
        )
    elif known and known[0] == "add-enum-value" and ctx.pg_version < 12:
        yield Hit(
            f"ALTER TYPE ... ADD VALUE cannot run in a transaction on PostgreSQL {ctx.pg_version}"
        )


@rule(
    "P110",
    "reindex-without-concurrently",
    "error",
    help=f"use REINDEX ... CONCURRENTLY (PostgreSQL 12+), alone in a file marked `{NO_TX}`",
    dialects=PG,
    on=("REINDEX",),
)
def reindex_without_concurrently(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """REINDEX without CONCURRENTLY: it blocks writes to the table until every index is rebuilt,
    and REINDEX INDEX also blocks the reads that would use that index.

    Bad:
        REINDEX INDEX books_title_idx;
    Good:
        -- sqlmig:no-transaction
        REINDEX INDEX CONCURRENTLY books_title_idx;
    """
    known = form(stmt.sql)
    if ctx.pg_version >= 12 and known and known[0] == "reindex" and not known[1]["concurrently"]:
        what = known[1]["what"].upper()
        yield Hit(f"REINDEX {what} without CONCURRENTLY blocks writes until it finishes")


def locks_existing_table(stmt: Stmt, ctx: FileContext) -> bool:
    """Does the statement take a table lock that queues behind long transactions?"""

    node = stmt.node
    if existing_table(stmt, ctx) is not None:
        return True
    if _index(stmt) is not None:
        return not node.args.get("concurrently") and _index_table(stmt, ctx) is not None
    if isinstance(node, exp.Drop) and str(node.args.get("kind")) == "TABLE":
        return any(not ctx.is_new_table(name_of(t)) for t in node.args.get("tables") or [])
    if isinstance(node, exp.TruncateTable):
        return any(not ctx.is_new_table(name_of(t)) for t in node.expressions)
    known = form(stmt.sql) if isinstance(node, exp.Command) else None
    if known and known[0] == "detach-partition":
        return not ctx.is_new_table(known[1]["table"].strip('"').lower())
    return False


def sets_lock_timeout(stmt: Stmt, ctx: FileContext, setting: str = "lock_timeout") -> bool:
    """Does the statement set `setting` (lock_timeout) for what follows it in the file?"""
    if not isinstance(stmt.node, exp.Set):
        return False
    for item in stmt.node.expressions:
        target = item.this.this if isinstance(item.this, exp.EQ) else None
        local = str(item.args.get("kind") or "").upper() == "LOCAL"
        if target is not None and target.name.lower() == setting:
            if item.this.expression.name.strip().lower() in ("0", "default"):
                return False  # 0 turns the timeout off; DEFAULT is whatever the server has
            return ctx.transactional or not local  # SET LOCAL does nothing outside a transaction
    return False


@rule(
    "P109",
    "missing-lock-timeout",
    "warning",
    help="start the file with SET lock_timeout = '5s'; project-wide, set "
    'statement_lock_timeout = "5s" in sqlmig.toml (`up`, `down` and `redo` then set it for '
    'every file, and lint stops reporting this), or lint_ignore = ["missing-lock-timeout"]',
    dialects=PG,
    scope="file",
)
def missing_lock_timeout(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A locking statement on an existing table with no `SET lock_timeout` before it in the file.

    While it waits for its lock behind one long query, every other query on the table queues
    behind it: a short migration becomes an outage. Reported once per file, in down files too
    (`sqlmig down` takes the same locks); `statement_lock_timeout` in sqlmig.toml sets it for
    every file and silences the rule project-wide.

    Bad:
        ALTER TABLE books ADD COLUMN isbn text;
    Good:
        SET lock_timeout = '5s';
        ALTER TABLE books ADD COLUMN isbn text;
    """
    for stmt in ctx.statements:
        if sets_lock_timeout(stmt, ctx):
            return
        if locks_existing_table(stmt, ctx):
            when = " (a down file takes it when `sqlmig down` runs)" * (ctx.direction == "down")
            yield Hit(
                f"{stmt.keyword} takes a table lock{when}, and no lock_timeout is set before it",
                stmt.offset,
                stmt=stmt.index,
            )
            return


# Rules whose statements hold their lock while they scan or rewrite the table.
LONG_LOCK_RULES = ("P101", "P103", "P105", "P106", "P107", "P108", "P110", "P115")


def long_locks(ctx: FileContext) -> Iterator[Stmt]:
    """The statements, in file order, that a locking rule reports as scanning or rewriting a
    table under its lock and an ignore comment silences (the lock was reviewed and accepted).
    A DROP INDEX is quick once it has its lock."""
    from ..model import REGISTRY
    from ..suppress import covers, ignores

    comments = ignores(ctx)
    if not comments:
        return
    rules = [REGISTRY[code] for code in LONG_LOCK_RULES]
    per_file: dict[int, set[str]] | None = None  # statement -> file rules reporting it

    def silenced(index: int, rule_: Rule) -> bool:
        return any(covers(c, index, rule_.code, rule_.name) for c in comments)

    for stmt in ctx.statements:
        if stmt.keyword.startswith("DROP INDEX") or stmt.node is None:
            continue
        mine = [r for r in rules if r.applies(stmt.keyword)]
        if per_file is None and any(r.scope == "file" for r in mine):
            per_file = {}
            for r in (r for r in rules if r.scope == "file"):
                for hit in r.check(ctx, None):
                    if hit.stmt is not None:
                        per_file.setdefault(hit.stmt, set()).add(r.code)
        for r in mine:
            if r.scope == "file":
                hit = r.code in (per_file or {}).get(stmt.index, ())
            else:
                hit = any(True for _ in r.check(stmt, ctx))
            if hit and silenced(stmt.index, r):
                yield stmt
                break


@rule(
    "P112",
    "missing-statement-timeout",
    "warning",
    help="put SET statement_timeout = '5min' (as long as the statement may take) before it; if "
    "the role or connection already sets one (ALTER ROLE ... SET statement_timeout, PGOPTIONS), "
    'lint_ignore = ["missing-statement-timeout"] in sqlmig.toml',
    dialects=PG,
    scope="file",
)
def missing_statement_timeout(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """A statement that scans or rewrites an existing table under its lock, whose finding an
    ignore comment silences (the lock was accepted), with no `SET statement_timeout` before it.

    lock_timeout bounds the wait for the lock; once it has it, a scan or rewrite of a table
    bigger than expected holds the lock as long as it takes, and every query on the table
    waits. Where the locking finding stands, fixing it is the answer, so this rule stays quiet
    there. Reported once per file.

    Bad:
        SET lock_timeout = '5s';
        -- sqlmig:ignore column-type-change (books is small)
        ALTER TABLE books ALTER COLUMN isbn TYPE bigint;
    Good:
        SET lock_timeout = '5s';
        SET statement_timeout = '1min';
        -- sqlmig:ignore column-type-change (books is small)
        ALTER TABLE books ALTER COLUMN isbn TYPE bigint;
    """
    first = next(long_locks(ctx), None)
    if first is None:
        return
    for stmt in ctx.statements:
        if sets_lock_timeout(stmt, ctx, "statement_timeout"):
            return
        if stmt.index == first.index:
            first = stmt.keyword.split(" ")[0]
            verb = stmt.keyword if first in ("ALTER", "CREATE", "DROP") else first
            yield Hit(
                f"{verb} scans or rewrites a table under its lock (its finding is silenced), and "
                "no statement_timeout is set before it: nothing bounds how long the lock is held",
                stmt.offset,
                stmt=stmt.index,
            )
            return

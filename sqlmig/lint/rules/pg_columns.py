"""PostgreSQL locking: column changes that scan or rewrite a table under a lock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from ..context import FileContext, Stmt
from ..forms import form
from ..model import Hit, rule
from .common import actions, at, existing_table, table_of
from .locking import PG


def _note_not_null_checks(
    stmt: Stmt, checks: dict[str, tuple[str, str]], proven: set[tuple[str, str]]
) -> None:
    """Record CHECK (column IS NOT NULL) constraints added, and those VALIDATEd (proven)."""
    known = form(stmt.sql) if isinstance(stmt.node, exp.Command) else None
    if known and known[0] == "validate-constraint":
        name = known[1]["constraint"].strip('"').lower()
        proven |= {checks[name]} if name in checks else set()
    for action in actions(stmt):
        for item in action.expressions if isinstance(action, exp.AddConstraint) else []:
            column = _not_null_check(item)
            if column:
                checks[item.name.lower()] = (table_of(stmt.node), column)


def _not_null_check(constraint: Any) -> str | None:
    """The column of a CHECK (column IS NOT NULL) constraint, else None."""
    check = constraint.find(exp.CheckColumnConstraint)
    test = check.this if check is not None else None
    if isinstance(test, exp.Not):
        test = test.this if isinstance(test.this, exp.Is) else None
    elif not (isinstance(test, exp.Is) and test.args.get("negate")):
        test = None
    is_null_test = isinstance(test, exp.Is) and isinstance(test.expression, exp.Null)
    return test.this.name.lower() if is_null_test else None  # type: ignore[union-attr]


def _altered_columns(stmt: Stmt, ctx: FileContext) -> Iterator[tuple[str, Any]]:
    """(table, ALTER COLUMN action) on existing columns of existing tables."""

    table = existing_table(stmt, ctx)
    for action in actions(stmt) if table else []:
        if isinstance(action, exp.AlterColumn):
            yield table, action  # type: ignore[misc]


@rule(
    "P105",
    "set-not-null",
    "error",
    help="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT "
    "NULL (PostgreSQL 12+ skips the scan) and drop the CHECK",
    dialects=PG,
    scope="file",  # one pass: it remembers CHECK (col IS NOT NULL) constraints validated earlier
)
def set_not_null(ctx: FileContext, pair: FileContext | None) -> Iterator[Hit]:
    """ALTER COLUMN ... SET NOT NULL on an existing table scans it under an ACCESS EXCLUSIVE lock.

    Bad:
        ALTER TABLE books ALTER COLUMN title SET NOT NULL;
    Good:
        ALTER TABLE books ADD CONSTRAINT books_title_not_null CHECK (title IS NOT NULL) NOT VALID;
        -- next migration: VALIDATE CONSTRAINT, then SET NOT NULL and DROP CONSTRAINT
    """
    checks: dict[str, tuple[str, str]] = {}
    proven: set[tuple[str, str]] = set()
    for stmt in ctx.statements:
        if not stmt.keyword.startswith("ALTER TABLE"):
            continue
        for table, action in _altered_columns(stmt, ctx):
            if ctx.pg_version >= 12 and (table, action.name.lower()) in proven:
                continue  # PostgreSQL 12+ uses the validated CHECK instead of scanning
            if action.args.get("allow_null") is False and not action.args.get("drop"):
                yield _set_not_null_hit(stmt, ctx, table, action)
        _note_not_null_checks(stmt, checks, proven)


def _set_not_null_hit(stmt: Stmt, ctx: FileContext, table: str, action: Any) -> Hit:
    old = "on PostgreSQL < 12 there is no lock-free way: schedule it for a quiet moment"
    return Hit(
        f"SET NOT NULL on {ctx.shown(f'{table}.{action.name}')}"
        " scans every row while reads and writes are blocked",
        at(stmt, action),
        None if ctx.pg_version >= 12 else old,
        stmt=stmt.index,
    )


@rule(
    "P106",
    "column-type-change",
    "error",
    help="add a new column with the new type, backfill it in batches, switch the code, then "
    "drop the old column",
    dialects=PG,
    on=("ALTER TABLE",),
)
def column_type_change(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ALTER COLUMN ... TYPE on an existing table: usually a rewrite under an exclusive lock.

    (A few changes are free, e.g. varchar(n) to text or to a longer varchar.)

    Bad:
        ALTER TABLE books ALTER COLUMN pages TYPE bigint;
    Good:
        ALTER TABLE books ADD COLUMN pages_big bigint;
        -- backfill in batches, switch the code, then drop the old column
    """
    for table, action in _altered_columns(stmt, ctx):
        if action.args.get("dtype") is not None:
            new = action.args["dtype"].sql(dialect="postgres")
            if _declared(ctx, f"{table}.{action.name.lower()}") == new:
                continue  # the type it has already: nothing to rewrite
            yield Hit(
                f"changing the type of {ctx.shown(f'{table}.{action.name}')}"
                f" to {new} can rewrite the whole "
                "table while reads and writes are blocked",
                at(stmt, action),
            )


def _declared(ctx: FileContext, column: str) -> str | None:
    """The column's type as this file, or an earlier file of its popx version group, made it
    (None: made before, by files lint does not read with this one)."""
    known = ctx.created.types.get(column) or ctx.earlier.types.get(column)
    return known.sql(dialect="postgres") if known is not None else None


VOLATILE = {
    "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
    "clock_timestamp", "timeofday", "nextval", "txid_current", "uuidv4", "uuidv7",
}  # fmt: skip


def _default(coldef: Any) -> Any:

    for con in coldef.args.get("constraints") or []:
        if isinstance(con.args.get("kind"), exp.DefaultColumnConstraint):
            return con.args["kind"].this
    return None


def _volatile(expr: Any) -> str | None:

    for func in [expr, *expr.find_all(exp.Func)]:
        if isinstance(func, exp.Rand):
            return "random()"
        if isinstance(func, exp.Uuid):
            return "gen_random_uuid()"
        name = func.name.lower() if isinstance(func, exp.Anonymous) else ""
        if name in VOLATILE:
            return f"{name}()"
    return None


@rule(
    "P108",
    "volatile-default",
    "error",
    help="add the column without a default (or with a constant one), backfill it in batches, "
    "then SET DEFAULT",
    dialects=PG,
    on=("ALTER TABLE",),
)
def volatile_default(stmt: Stmt, ctx: FileContext) -> Iterator[Hit]:
    """ADD COLUMN with a volatile default, serial, identity or stored generated value: a rewrite.

    Since PostgreSQL 11 a constant default is free; a volatile one (random(), gen_random_uuid(),
    nextval() of a serial; and before 11, any default), an identity or a stored generated column
    is computed for every row while an ACCESS EXCLUSIVE lock is held.

    Bad:
        ALTER TABLE books ADD COLUMN token uuid DEFAULT gen_random_uuid();
    Good:
        ALTER TABLE books ADD COLUMN token uuid;
        ALTER TABLE books ALTER COLUMN token SET DEFAULT gen_random_uuid();
    """

    table = existing_table(stmt, ctx)
    for action in actions(stmt) if table else []:
        if not isinstance(action, exp.ColumnDef):
            continue
        default, kind = _default(action), action.args.get("kind")
        why = _volatile(default) if default is not None else None
        if kind is not None and kind.this.name in ("SERIAL", "BIGSERIAL", "SMALLSERIAL"):
            why = f"{kind.this.name.lower()} (nextval())"
        why = why or _computed(action)
        old_pg = ctx.pg_version < 11 and not isinstance(default, exp.Null)
        if why is None and default is not None and old_pg:
            why = f"any default on PostgreSQL {ctx.pg_version}"
        if why:
            yield Hit(
                f"column {ctx.shown(f'{table}.{action.name}')}"
                f" is added with a volatile default ({why}): "
                "the whole table is rewritten while reads and writes are blocked",
                at(stmt, action),
            )


def _computed(coldef: Any) -> str | None:
    """Identity and stored generated columns are computed for every row, like volatile defaults."""
    for con in coldef.args.get("constraints") or []:
        kind = con.args.get("kind")
        if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            return "an identity column"
        if isinstance(kind, exp.ComputedColumnConstraint):
            return "a stored generated column"
    return None

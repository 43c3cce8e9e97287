"""DROP CONSTRAINT ... CASCADE of a key that foreign keys reference.

PostgreSQL drops those foreign keys with the key; MySQL refuses to drop a key a foreign key
needs (errno 150) and SQLite keeps the foreign keys, which then match no key ("foreign key
mismatch"). Without the whole dependency picture the translation is refused, naming them,
rather than written to fail on the target (found on a real set: `ALTER TABLE flags DROP
CONSTRAINT flags_pkey CASCADE` before a wider primary key)."""

from __future__ import annotations

from sqlglot import exp

from .base import Refuse
from .catalog import Catalog
from .fkindex import _keys


def refuse_dependents(a: exp.Drop, table: str, catalog: Catalog) -> None:
    """For a DROP CONSTRAINT ... CASCADE action of ALTER TABLE `table`: nothing, when no foreign
    key these migrations made references the dropped key; else a refusal naming them."""
    if (a.kind or "").upper() != "CONSTRAINT" or not a.args.get("cascade"):
        return
    name = a.args["tables"][0].name
    src = catalog.sources.get(table)
    if src is None:
        raise Refuse(
            f"DROP CONSTRAINT {name} ... CASCADE: {table} was not created by these "
            "migrations, so which foreign keys PostgreSQL drops with it is unknown"
        )
    keys = dict(_keys(src))
    if name not in keys:
        return  # a foreign key or a check: no foreign key depends on it
    # PostgreSQL matches a foreign key to a key by its set of columns (any order); one with
    # no column list references the primary key, whatever its name
    cols = set(keys[name])
    pkey = _primary(src)
    found = []
    for other, node in sorted(catalog.sources.items()):
        for ref in node.find_all(exp.Reference):
            target = ref.find(exp.Table)
            if target is None or target.name != table:
                continue
            named = tuple(c.name for c in ref.this.expressions) if isinstance(
                ref.this, exp.Schema) else ()  # fmt: skip
            if set(named or pkey) == cols:
                found.append(_where(ref, other))
    if found:
        raise Refuse(
            f"DROP CONSTRAINT {name} ... CASCADE also drops the foreign key(s) "
            f"{', '.join(found)} that reference it in PostgreSQL; the target would "
            "keep them and fail: drop them first (DROP CONSTRAINT), then the key"
        )


def _primary(src: exp.Create) -> tuple[str, ...]:
    """The primary key's columns of a source CREATE TABLE (none: empty)."""
    for e in src.this.expressions:
        if isinstance(e, exp.ColumnDef) and any(
            isinstance(c.args.get("kind"), exp.PrimaryKeyColumnConstraint) for c in e.constraints
        ):
            return (e.name,)
        key = e.find(exp.PrimaryKey) if isinstance(e, exp.Constraint) else e
        if isinstance(key, exp.PrimaryKey):
            return tuple(c.name for c in key.expressions)
    return ()


def _where(ref: exp.Reference, table: str) -> str:
    """`table.column` of a column-level reference; `table (a, b)` of a table-level one."""
    owner = ref.parent
    while owner is not None and not isinstance(owner, (exp.ColumnDef, exp.ForeignKey)):
        owner = owner.parent
    if isinstance(owner, exp.ColumnDef):
        return f"{table}.{owner.name}"
    if isinstance(owner, exp.ForeignKey):
        return f"{table} ({', '.join(c.name for c in owner.expressions)})"
    return table

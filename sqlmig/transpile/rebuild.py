"""SQLite ALTER TABLE forms it lacks, as a table rebuild: create the new table, copy the rows,
drop the old one, rename, create its indexes again. Built from the source CREATE TABLE that the
catalog keeps in step with every ALTER, so the new table is exactly what PostgreSQL has."""

from __future__ import annotations

import copy
from collections.abc import Callable

from sqlglot import exp

from . import types
from .catalog import Catalog
from .core import Refuse, quote

T = exp.DataType.Type
INTS = [T.SMALLINT, T.INT, T.BIGINT]
PREFIX = "_sqlmig_new_"


def rename_in(node: exp.Expression, table: str, old: str, new: str) -> None:
    """Rename column `old` of `table` wherever a source node names it (not other tables' keys)."""
    for ident in list(node.find_all(exp.Identifier)):
        ref = ident.find_ancestor(exp.Reference)
        if ident.name != old or isinstance(ident.parent, (exp.Table, exp.Index, exp.Constraint)):
            continue
        if ref is not None and ref.find(exp.Table).name != table:
            continue
        ident.set("this", new)


def statements(
    table: str, mutate: Callable[[exp.Create], None], target: str, catalog: Catalog
) -> list[str]:
    """The rebuild, with the catalog moved on to the new definition."""
    from . import statements as stmts
    from . import tables

    src = catalog.sources.get(table)
    if src is None:
        raise Refuse(f"SQLite needs a rebuild of {table}, which these migrations did not create, "
                     "so its whole definition is unknown: write an override")  # fmt: skip
    _check_dependents(table, catalog)
    new_src = src.copy()
    mutate(new_src)
    old_cols = _columns(src)
    keep = [c.name for c in _defs(new_src) if c.name in old_cols and not _generated(c)]
    tmp = new_src.copy()
    tmp.this.set("this", exp.to_table(PREFIX + table))
    create = tables.create_table(tmp, target, copy.deepcopy(catalog)).sql[0]
    cols = ", ".join(quote(c, target) for c in keep)
    out = [
        create,
        f"INSERT INTO {quote(PREFIX + table, target)} ({cols}) SELECT {cols} "
        f"FROM {quote(table, target)}",
        *_keep_counter(table, new_src, target),
        f"DROP TABLE {quote(table, target)}",
        f"ALTER TABLE {quote(PREFIX + table, target)} RENAME TO {quote(table, target)}",
    ]
    for name, node in sorted(catalog.index_sources.items()):
        if catalog.indexes.get(name, ("",))[0] == table:
            out += stmts.dispatch(node.copy(), target, copy.deepcopy(catalog)).sql
    tables.create_table(new_src.copy(), target, catalog)  # the catalog follows the new table
    return out


def _keep_counter(table: str, new_src: exp.Create, target: str) -> list[str]:
    """The new table's AUTOINCREMENT counter takes the old one's (not max(id) of the rows, which
    is less once rows were deleted); the rename carries it over to the table's name."""
    from .columns import state

    if not any(state(c).auto for c in _defs(new_src)):
        return []
    seq = quote("sqlite_sequence", target)
    old, new = types.literal(table), types.literal(PREFIX + table)
    return [
        f"DELETE FROM {seq} WHERE name = {new}",
        f"INSERT INTO {seq} (name, seq) SELECT {new}, seq FROM {seq} WHERE name = {old}",
    ]


def _check_dependents(table: str, catalog: Catalog) -> None:
    readers = readers_of(table, catalog)
    if readers:
        raise Refuse(f"rebuilding {table} on SQLite would break view(s) {', '.join(readers)}: "
                     "drop and re-create them around this change")  # fmt: skip
    for other in referrers_of(table, catalog):
        raise Refuse(f"{other} has a foreign key to {table}: rebuilding {table} on SQLite is "
                     "not verified with such references yet: write an override")  # fmt: skip


def readers_of(name: str, catalog: Catalog) -> list[str]:
    """The views (these migrations created) that read table or view `name`."""
    return sorted(v for v, reads in catalog.views.items() if name in reads and v != name)


def referrers_of(table: str, catalog: Catalog) -> list[str]:
    """The other tables (these migrations created) with a foreign key to `table`."""
    return sorted(other for other, node in catalog.sources.items()
                  if other != table and any(r.find(exp.Table).name == table
                                            for r in node.find_all(exp.Reference)))  # fmt: skip


def _defs(node: exp.Create) -> list[exp.ColumnDef]:
    return [e for e in node.this.expressions if isinstance(e, exp.ColumnDef)]


def _columns(node: exp.Create) -> set[str]:
    return {c.name for c in _defs(node)}


def _generated(c: exp.ColumnDef) -> bool:
    return any(isinstance(k.args.get("kind"), exp.ComputedColumnConstraint) for k in c.constraints)


def column(node: exp.Create, name: str) -> exp.ColumnDef:
    found = next((c for c in _defs(node) if c.name == name), None)
    if found is None:
        raise Refuse(f"column {name} is not in the table these migrations created")
    return found


def without(c: exp.ColumnDef, kind: type) -> None:
    c.set("constraints", [k for k in c.constraints if not isinstance(k.args.get("kind"), kind)])


def widening(old: exp.DataType, new: exp.DataType) -> bool:
    """A type change every value survives unchanged (SQLite would not reject the others)."""
    old = types.base(old)
    o, n = [p.name for p in old.expressions], [p.name for p in new.expressions]
    if old.this == new.this and o == n:
        return True
    if old.this in INTS and new.this in INTS:
        return INTS.index(new.this) >= INTS.index(old.this)
    if old.this == T.VARCHAR and new.this == T.VARCHAR:
        return not n or (bool(o) and int(n[0]) >= int(o[0]))
    if old.this == T.VARCHAR and new.this == T.TEXT:
        return True
    if old.this == T.DECIMAL and new.this == T.DECIMAL and len(o) == len(n) == 2:
        return int(n[0]) >= int(o[0]) and n[1] == o[1]
    return False


def drop_constraint(node: exp.Create, table: str, name: str) -> None:
    """Remove a named constraint, or an unnamed one by the name PostgreSQL gave it."""
    schema = node.this
    for e in schema.expressions:
        if isinstance(e, exp.Constraint) and e.name == name:
            schema.set("expressions", [x for x in schema.expressions if x is not e])
            return
    for c in _defs(node):
        for suffix, kind in (("key", exp.UniqueColumnConstraint), ("fkey", exp.Reference),
                             ("check", exp.CheckColumnConstraint)):  # fmt: skip
            hits = [k for k in c.constraints if isinstance(k.args.get("kind"), kind)]
            if name == f"{table}_{c.name}_{suffix}" and len(hits) == 1:
                c.set("constraints", [k for k in c.constraints if k is not hits[0]])
                return
    raise Refuse(f"constraint {name} is not one these migrations created under that name")

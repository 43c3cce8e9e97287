"""SQLite ALTER TABLE forms it lacks, as a table rebuild: create the new table, copy the rows,
drop the old one, rename, create its indexes again. Built from the source CREATE TABLE that the
catalog keeps in step with every ALTER, so the new table is exactly what PostgreSQL has."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence

from sqlglot import exp

from . import types
from .base import Refuse, quote
from .catalog import Catalog

PREFIX = "_sqlmig_new_"


def statements(
    table: str, mutate: Callable[[exp.Create], None], target: str, catalog: Catalog, *,
    guards: Sequence[str] = (), copies: Mapping[str, str] | None = None,
) -> list[str]:  # fmt: skip
    """The rebuild, with the catalog moved on to the new definition. `guards` run first (they
    fail the file before anything changes); `copies` gives a column's copied value as an
    expression of the old row (a type change), else the value is copied as it is."""
    from . import indexes, tables

    src = catalog.sources.get(table)
    if src is None:
        raise Refuse(f"SQLite needs a rebuild of {table}, which these migrations did not create, "
                     "so its whole definition is unknown: write an override")  # fmt: skip
    _check_dependents(table, catalog)
    out = [*_referrers_guard(table, catalog, target), *guards]
    new_src = src.copy()
    mutate(new_src)
    old_cols = _columns(src)
    keep = [c.name for c in _defs(new_src) if c.name in old_cols and not _generated(c)]
    tmp = new_src.copy()
    tmp.this.set("this", exp.Table(this=exp.to_identifier(PREFIX + table)))  # any name
    create = tables.create_table(tmp, target, copy.deepcopy(catalog)).sql[0]
    cols = ", ".join(quote(c, target) for c in keep)
    values = ", ".join((copies or {}).get(c, quote(c, target)) for c in keep)
    out += [
        create,
        f"INSERT INTO {quote(PREFIX + table, target)} ({cols}) SELECT {values} "
        f"FROM {quote(table, target)}",
        *_keep_counter(table, new_src, target),
        f"DROP TABLE {quote(table, target)}",
        f"ALTER TABLE {quote(PREFIX + table, target)} RENAME TO {quote(table, target)}",
    ]
    for name, node in sorted(catalog.index_sources.items()):
        if catalog.indexes.get(name, ("",))[0] == table:
            out += indexes.create(node.copy(), target, copy.deepcopy(catalog)).sql
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


def _referrers_guard(table: str, catalog: Catalog, target: str) -> list[str]:
    """Other tables' foreign keys to a rebuilt table keep naming it and find the same rows in
    the new one, when `foreign_keys` is off, as sqlmig runs every SQLite file (and checks the
    keys after it). With it on, dropping the old table would delete its rows first (firing
    ON DELETE actions, or failing): the file then stops, by name, before anything changes."""
    others = referrers_of(table, catalog)
    if not others:
        return []
    name = quote(f"rebuilding {table} needs PRAGMA foreign_keys = OFF, as sqlmig runs "
                 f"migrations ({', '.join(others)} refer to it)", target)  # fmt: skip
    guard = quote("_sqlmig_foreign_keys_off", target)
    return [
        f"CREATE TEMPORARY TABLE {guard} (on_ INT CONSTRAINT {name} CHECK (on_ = 0))",
        f"INSERT INTO {guard} (on_) SELECT foreign_keys FROM pragma_foreign_keys",
        f"DROP TABLE {guard}",
    ]


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


def drop_constraint(node: exp.Create, table: str, name: str) -> None:
    """Remove a named constraint, or an unnamed one by the name PostgreSQL gave it."""
    schema = node.this
    for e in schema.expressions:
        if isinstance(e, exp.Constraint) and e.name == name:
            schema.set("expressions", [x for x in schema.expressions if x is not e])
            _keep_not_null(node, e)
            return
    hits = [hit for hit in _unnamed(node, table) if hit[0] == name]
    if len(hits) != 1 or len(name) > PG_NAME_MAX:  # PostgreSQL numbers or cuts such names
        raise Refuse(f"constraint {name} is not one these migrations created under that name")
    _name, owner, part = hits[0]
    if owner is None:
        schema.set("expressions", [x for x in schema.expressions if x is not part])
        _keep_not_null(node, part)
    else:
        owner.set("constraints", [k for k in owner.constraints if k is not part])
        if isinstance(part.args.get("kind"), exp.PrimaryKeyColumnConstraint):
            _not_null(owner)


def _keep_not_null(node: exp.Create, dropped: exp.Expression) -> None:
    """The columns of a dropped primary key stay NOT NULL in PostgreSQL."""
    pk = dropped if isinstance(dropped, exp.PrimaryKey) else dropped.find(exp.PrimaryKey)
    names = {c.name for c in pk.expressions} if pk is not None else set()
    for c in _defs(node):
        if c.name in names:
            _not_null(c)


def _not_null(c: exp.ColumnDef) -> None:
    kinds = [k.args.get("kind") for k in c.constraints]
    if not any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
               for k in kinds):  # fmt: skip
        c.set(
            "constraints",
            [*c.constraints, exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())],
        )


PG_NAME_MAX = 63
SUFFIXES = (
    (exp.UniqueColumnConstraint, "key"), (exp.Reference, "fkey"),
    (exp.CheckColumnConstraint, "check"), (exp.PrimaryKeyColumnConstraint, "pkey"),
)  # fmt: skip


def _unnamed(
    node: exp.Create, table: str
) -> list[tuple[str, exp.ColumnDef | None, exp.Expression]]:
    """(PostgreSQL's name, column or None, node) of each key, foreign key and column check not
    written as a table-level CONSTRAINT: its own name, or the one PostgreSQL makes up
    (`<table>_<columns>_key`, `_fkey`, `<table>_<column>_check`, `<table>_pkey`)."""
    out: list[tuple[str, exp.ColumnDef | None, exp.Expression]] = []
    for c in _defs(node):
        for k in c.constraints:
            suffix = next((s for kind, s in SUFFIXES if isinstance(k.args.get("kind"), kind)), "")
            if k.this is not None and suffix:  # `col int CONSTRAINT name UNIQUE`
                out.append((k.this.name, c, k))
            elif suffix:
                out.append((f"{table}_pkey" if suffix == "pkey" else f"{table}_{c.name}_{suffix}",
                            c, k))  # fmt: skip
    for e in node.this.expressions:
        if isinstance(e, exp.PrimaryKey):
            out.append((f"{table}_pkey", None, e))
        elif isinstance(e, exp.ForeignKey):
            out.append(("_".join((table, *(c.name for c in e.expressions), "fkey")), None, e))
        elif isinstance(e, exp.UniqueColumnConstraint) and isinstance(e.this, exp.Schema):
            cols = (c.name for c in e.this.expressions)
            out.append(("_".join((table, *cols, "key")), None, e))
    return out

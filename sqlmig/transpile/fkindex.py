"""The index a MySQL foreign key needs, kept when PostgreSQL drops the key or index under it.

InnoDB enforces a foreign key through an index whose leading columns are the key's columns, and
takes an existing one (a unique key, an index) rather than make its own. PostgreSQL needs none,
so dropping that unique key or index is fine there and fails on MariaDB ("needed in a foreign key
constraint"). Before such a drop, an index named after the foreign key is made, as InnoDB would
have made it: the schema snapshot counts it as the foreign key's own, as PostgreSQL has none.
"""

from __future__ import annotations

from sqlglot import exp

from .base import Refuse, quote
from .catalog import Catalog


def keep_for(table: str, dropped: str, catalog: Catalog) -> list[str]:
    """`ADD INDEX IF NOT EXISTS` (an ALTER TABLE action) for each foreign key of `table` that only
    the key or index `dropped` serves, to run before it is dropped; a refusal when that cannot
    be known."""
    src = catalog.sources.get(table)
    if src is None:
        raise Refuse(f"{table} was not created by these migrations: whether a MySQL foreign key "
                     f"needs the index of {dropped} is unknown")  # fmt: skip
    found = dict(_keys(src))
    found.update({n: c for n, (t, c) in catalog.indexes.items() if t == table})
    if dropped not in found:
        raise Refuse(f"the columns of {dropped} are unknown, so whether a MySQL foreign key of "
                     f"{table} needs its index is too")  # fmt: skip
    columns = tuple(found[dropped])
    out = []
    for name, cols in foreign_keys(table, src, catalog):
        if columns[: len(cols)] != cols or _served(cols, table, dropped, src, catalog):
            continue
        if name is None:
            raise Refuse(f"MySQL needs the index of {dropped} for a foreign key of {table} "
                         f"on ({', '.join(cols)}) whose name is unknown: name it")  # fmt: skip
        keys = ", ".join(quote(c, "mysql") for c in cols)
        out.append(f"ADD INDEX IF NOT EXISTS {quote(name, 'mysql')} ({keys})")
    return out


def foreign_keys(
    table: str, src: exp.Create, catalog: Catalog
) -> list[tuple[str | None, tuple[str, ...]]]:
    """(name on MySQL, columns) of each foreign key in a source CREATE TABLE."""
    out: list[tuple[str | None, tuple[str, ...]]] = []
    for e in src.this.expressions:
        if isinstance(e, exp.ColumnDef):
            for c in e.constraints:
                if isinstance(c.args.get("kind"), exp.Reference):
                    out.append((_pg_named(table, (e.name,), catalog), (e.name,)))
            continue
        named = isinstance(e, exp.Constraint) and len(e.expressions) == 1
        inner = e.expressions[0] if named else e
        if isinstance(inner, exp.ForeignKey):
            cols = tuple(c.name for c in inner.expressions)
            out.append((e.name if named else _pg_named(table, cols, catalog), cols))
    return out


def _pg_named(table: str, cols: tuple[str, ...], catalog: Catalog) -> str | None:
    """The name sqlmig gave an unnamed foreign key on MySQL (see columns.pg_name), if it did."""
    name = "_".join((table, *cols, "fkey"))
    return name if catalog.constraints.get(name) == (table, "ForeignKey") else None


def _served(
    cols: tuple[str, ...], table: str, dropped: str, src: exp.Create, catalog: Catalog
) -> bool:
    """Whether a key or index other than `dropped` starts with `cols`."""
    others = [c for n, c in _keys(src) if n != dropped]
    others += [c for n, (t, c) in catalog.indexes.items() if t == table and n != dropped]
    return any(tuple(o[: len(cols)]) == cols for o in others)


def _keys(src: exp.Create) -> list[tuple[str, tuple[str, ...]]]:
    """(name in PostgreSQL, columns) of the primary and unique keys of a source CREATE TABLE."""
    table = src.this.this.name
    out: list[tuple[str, tuple[str, ...]]] = []
    for e in src.this.expressions:
        if isinstance(e, exp.ColumnDef):
            for c in e.constraints:
                kind = c.args.get("kind")
                # `k int CONSTRAINT mypk PRIMARY KEY`: the key is named mypk
                if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                    out.append((c.name or f"{table}_pkey", (e.name,)))
                elif isinstance(kind, exp.UniqueColumnConstraint):
                    out.append((c.name or f"{table}_{e.name}_key", (e.name,)))
            continue
        named = isinstance(e, exp.Constraint) and len(e.expressions) == 1
        inner = e.expressions[0] if named else e
        if isinstance(inner, exp.PrimaryKey):
            cols = tuple(c.name for c in inner.expressions)
            out.append((e.name if named else f"{table}_pkey", cols))
        elif isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
            cols = tuple(c.name for c in inner.this.expressions)
            out.append((e.name if named else "_".join((table, *cols, "key")), cols))
    return out

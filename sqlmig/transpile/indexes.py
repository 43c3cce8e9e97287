"""CREATE INDEX and DROP INDEX: keys without NULL placement, MySQL's text prefixes and the
table it needs named, and the index a MySQL foreign key needs kept."""

from __future__ import annotations

from sqlglot import exp

from . import fkindex, safe, tables, types
from .base import Out, Refuse, generate, quote
from .catalog import Catalog


def create(node: exp.Create, target: str, catalog: Catalog) -> Out:
    """CREATE INDEX with keys written by sqlmig, recorded for later drops and rebuilds."""
    index = node.this
    params = index.args.get("params")
    table = tables.name_of(index.args["table"], target)
    # INCLUDE only lets PostgreSQL answer from the index alone: the keys, and so uniqueness and
    # every result, are the same without it
    if params is None or params.args.get("with_storage"):
        raise Refuse("index storage options (WITH) have no verified equivalent")
    using = params.args.get("using")
    if using is not None and using.name.lower() != "btree":
        raise Refuse(f"index method {using.name} has no {target} equivalent")
    keys, names = [], []
    for key in params.args.get("columns") or []:
        keys.append(_key(key, target, catalog, table, bool(node.args.get("unique"))))
        names.append(key.this.name if isinstance(key.this, exp.Column) else "")
    where = params.args.get("where")
    unique = bool(node.args.get("unique"))
    tail = ""
    if where is not None:
        if target == "mysql" and unique:
            raise Refuse(
                "MySQL has no partial unique index: it would reject rows PostgreSQL allows"
            )
        if target == "sqlite":
            pred = safe.checked(where.this, target, "the index predicate")
            tail = f" WHERE {generate(pred, target)}"
    catalog.indexes[index.name] = (table, tuple(names))
    catalog.index_sources[index.name] = node.copy()
    exists = "IF NOT EXISTS " if node.args.get("exists") else ""
    head = f"CREATE {'UNIQUE ' if unique else ''}INDEX {exists}"
    name = quote(index.name, target)
    sql = f"{head}{name} ON {quote(table, target)} ({', '.join(keys)}){tail}"
    # MySQL: a non-unique partial index becomes a full one; the same queries give the same rows
    return Out((sql,))


def _key(key: exp.Expression, target: str, catalog: Catalog, table: str, unique: bool) -> str:
    """An index key without NULLS FIRST/LAST: NULL placement in an index changes no result."""
    expr = key.this if isinstance(key, exp.Ordered) else key
    desc = " DESC" if isinstance(key, exp.Ordered) and key.args.get("desc") else ""
    if not isinstance(expr, exp.Column):
        if target == "mysql":
            raise Refuse("MariaDB has no expression indexes")
        safe.check(expr, target, "the index expression")
        return f"({generate(expr, target)}){desc}"
    col = catalog.column(table, expr.name)
    if target == "mysql" and col is not None and types.is_unbounded(col.dtype):
        if unique or col.dtype.this not in types.TEXTS:
            raise Refuse(f"{expr.name} is unbounded text, which MySQL cannot put in a unique "
                         "key: use varchar(n)")  # fmt: skip
        # a prefix finds the same rows: the index only narrows where to look
        return f"{quote(expr.name, target)}({MYSQL_TEXT_PREFIX}){desc}"
    if target == "mysql" and col is None:
        raise Refuse(f"column {table}.{expr.name} was not created by these migrations: "
                     "its type (and whether MySQL can index it) is unknown")  # fmt: skip
    return quote(expr.name, target) + desc


MYSQL_TEXT_PREFIX = 255  # characters; 1020 bytes of utf8mb4, under InnoDB's 3072 per key


def drop(name: str, exists: str, target: str, catalog: Catalog) -> list[str]:
    quoted = quote(name, target)
    catalog.index_sources.pop(name, None)
    if target == "sqlite":
        catalog.indexes.pop(name, None)
        return [f"DROP INDEX{exists} {quoted}"]
    if name not in catalog.indexes:
        raise Refuse(
            f"MySQL needs the table of index {name}, which these migrations did not create"
        )
    table = catalog.indexes[name][0]
    # InnoDB may be using the index for a foreign key: give that one its own first
    on = quote(table, target)
    keep = [f"ALTER TABLE {on} {action}" for action in fkindex.keep_for(table, name, catalog)]
    catalog.indexes.pop(name)
    return [*keep, f"DROP INDEX{exists} {quoted} ON {on}"]

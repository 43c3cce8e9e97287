"""CREATE TABLE: columns through the type map, table constraints kept or refused."""

from __future__ import annotations

from sqlglot import exp

from . import columns, derived, redundant, safe, types
from .base import Out, Refuse, generate, quote
from .catalog import Catalog


def name_of(table: exp.Expression, target: str) -> str:
    """A table name without the `public.` PostgreSQL puts in front; other schemas are refused."""
    if isinstance(table, exp.Schema):
        table = table.this
    if not isinstance(table, exp.Table):
        raise Refuse("expected a table name")
    if table.db and table.db != "public":
        raise Refuse(f"schema {table.db} has no {target} equivalent")
    return table.name


def create_table(node: exp.Create, target: str, catalog: Catalog) -> Out:
    schema = node.this
    if not isinstance(schema, exp.Schema) or node.expression is not None:
        raise Refuse("CREATE TABLE AS / LIKE has no verified translation")
    derived.expand_like(schema, catalog)
    redundant.drop_redundant_keys(schema)
    props = node.args.get("properties")
    # UNLOGGED only gives up crash safety in PostgreSQL: the target table is simply durable
    if props is not None and not all(
        isinstance(p, (exp.UnloggedProperty, exp.TemporaryProperty)) for p in props.expressions
    ):
        words = " ".join(
            type(p).__name__.removesuffix("Property").upper() for p in props.expressions
        )
        raise Refuse(f"table options ({words}) have no verified {target} equivalent")
    name = name_of(schema, target)
    cols = [e for e in schema.expressions if isinstance(e, exp.ColumnDef)]
    rest = [e for e in schema.expressions if not isinstance(e, exp.ColumnDef)]
    pk = _table_pk(rest)
    uniques = {tuple(u) for u in _table_uniques(rest)}
    catalog.tables[name] = {c.name: columns.state(c) for c in cols}
    catalog.sources[name] = node.copy()
    defs, extra = [], []
    for c in cols:
        key = columns.inline_key(c)
        key = columns.Key(
            key.primary or pk == [c.name],
            key.unique or (c.name,) in uniques,
            c.name in pk,
            pk[:1] == [c.name],
        )
        text, more = columns.translate(c, target, catalog, key, table=name)
        defs.append(text)
        extra += more
    moved = _moved_pk(cols, pk, target)
    for r in rest:
        inner = r.expressions[0] if isinstance(r, exp.Constraint) and r.expressions else r
        if moved and isinstance(inner, exp.PrimaryKey):  # named or not: the column carries it
            if isinstance(r, exp.Constraint):
                catalog.constraints[r.name] = (name, "PrimaryKey")
            continue
        defs.append(table_constraint(r, target, catalog, name))
    body = ",\n  ".join(defs + extra)
    exists = "IF NOT EXISTS " if node.args.get("exists") else ""
    temp = "TEMPORARY " if props is not None and props.find(exp.TemporaryProperty) else ""
    create = f"CREATE {temp}TABLE {exists}{quote(name, target)} (\n  {body}\n)"
    start = next((s for s in map(columns.start_of, cols) if s is not None), None)
    if start is None:
        return Out((create,))
    if target == "mysql":
        return Out((f"{create} AUTO_INCREMENT = {start}",))
    if exists or temp:  # a second sqlite_sequence row, or one in the wrong schema
        raise Refuse("identity START WITH on a TEMPORARY or IF NOT EXISTS table has no verified "
                     "SQLite equivalent")  # fmt: skip
    # SQLite's AUTOINCREMENT continues after the larger of this and the greatest id
    counter = f"INSERT INTO sqlite_sequence (name, seq) VALUES ({types.literal(name)}, {start - 1})"
    return Out((create, counter))


def _table_pk(rest: list[exp.Expression]) -> list[str]:
    for r in rest:
        inner = r.expressions[0] if isinstance(r, exp.Constraint) else r
        if isinstance(inner, exp.PrimaryKey):
            return [e.name for e in inner.expressions]
    return []


def _table_uniques(rest: list[exp.Expression]) -> list[list[str]]:
    out = []
    for r in rest:
        inner = r.expressions[0] if isinstance(r, exp.Constraint) else r
        if isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
            out.append([e.name for e in inner.this.expressions])
    return out


def _moved_pk(cols: list[exp.ColumnDef], pk: list[str], target: str) -> bool:
    """SQLite's auto-increment key is declared on the column: drop the table-level PRIMARY KEY."""
    if target != "sqlite" or len(pk) != 1:
        return False
    return any(c.name == pk[0] and columns.state(c).auto for c in cols)


def table_constraint(r: exp.Expression, target: str, catalog: Catalog, table: str) -> str:
    """A table-level constraint in the target dialect (named or not)."""
    prefix = ""
    inner = r
    if isinstance(r, exp.Constraint):
        if len(r.expressions) != 1:
            raise Refuse("a constraint with several clauses has no verified translation")
        prefix = f"CONSTRAINT {quote(r.name, target)} "
        inner = r.expressions[0]
        catalog.constraints[r.name] = (table, type(inner).__name__)
    elif isinstance(r, exp.PrimaryKey):
        columns.pg_name(catalog, table, (), "pkey", "PrimaryKey")
    elif target == "mysql" and isinstance(r, (exp.UniqueColumnConstraint, exp.ForeignKey)):
        keys = r.this.expressions if isinstance(r, exp.UniqueColumnConstraint) else r.expressions
        suffix = "key" if isinstance(r, exp.UniqueColumnConstraint) else "fkey"
        cols = tuple(k.name for k in keys)
        prefix = columns.pg_name(catalog, table, cols, suffix, type(r).__name__)
    return prefix + _clause(inner, target, catalog, table)


def _clause(inner: exp.Expression, target: str, catalog: Catalog, table: str) -> str:
    if isinstance(inner, exp.PrimaryKey):
        return f"PRIMARY KEY ({_keys(inner.expressions, target, catalog, table)})"
    if isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
        if inner.args.get("nulls"):
            raise Refuse(f"UNIQUE NULLS NOT DISTINCT has no {target} equivalent")
        return f"UNIQUE ({_keys(inner.this.expressions, target, catalog, table)})"
    if isinstance(inner, exp.CheckColumnConstraint):
        body = safe.checked(inner.this, target, "the check constraint")
        return f"CHECK ({generate(body, target)})"
    if isinstance(inner, exp.ForeignKey):
        cols = ", ".join(quote(e.name, target) for e in inner.expressions)
        ref = inner.args.get("reference")
        return f"FOREIGN KEY ({cols}) {columns.reference(ref, target, catalog)}"
    raise Refuse(f"constraint {inner.sql('postgres')[:40]} has no verified {target} equivalent")


def _keys(names: list[exp.Expression], target: str, catalog: Catalog, table: str) -> str:
    for n in names:
        col = catalog.column(table, n.name)
        if target == "mysql" and col is not None:
            columns._indexable(col.dtype, target, n.name)
    return ", ".join(quote(n.name, target) for n in names)

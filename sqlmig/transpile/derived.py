"""Tables made from another: CREATE TABLE (LIKE t) and CREATE TABLE AS SELECT, written out as
the plain columns PostgreSQL gives them, from what earlier migrations declared."""

from __future__ import annotations

from sqlglot import exp

from . import columns, types
from .base import Refuse
from .catalog import Catalog

# What LIKE copies without INCLUDING: names, types (collation included) and NOT NULL.
COPIED = (exp.CollateColumnConstraint,)


def expand_like(schema: exp.Schema, catalog: Catalog) -> None:
    """Replace each `LIKE t` in a column list with t's columns as PostgreSQL copies them."""
    out: list[exp.Expression] = []
    for e in schema.expressions:
        if not isinstance(e, exp.LikeProperty):
            out.append(e)
            continue
        if e.expressions:
            raise Refuse("LIKE ... INCLUDING/EXCLUDING has no verified translation")
        out += _copied_columns(e.this.name, catalog)
    schema.set("expressions", out)


def _copied_columns(table: str, catalog: Catalog) -> list[exp.ColumnDef]:
    src = catalog.sources.get(table)
    if src is None:
        raise Refuse(f"LIKE {table}: {table} was not created by these migrations, so its "
                     "columns are unknown")  # fmt: skip
    pk = _pk_columns(src)
    out = []
    for c in (e for e in src.this.expressions if isinstance(e, exp.ColumnDef)):
        st = columns.state(c)
        kept = [k.copy() for k in c.constraints if isinstance(k.args.get("kind"), COPIED)]
        if not st.nullable or st.auto or c.name in pk:
            kept.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        out.append(exp.ColumnDef(this=c.this.copy(), kind=types.base(c.args["kind"]).copy(),
                                 constraints=kept))  # fmt: skip
    return out


def _pk_columns(src: exp.Create) -> set[str]:
    for e in src.this.expressions:
        inner = e.expressions[0] if isinstance(e, exp.Constraint) and e.expressions else e
        if isinstance(inner, exp.PrimaryKey):
            return {c.name for c in inner.expressions}
    return set()


def as_select(node: exp.Create, catalog: Catalog) -> tuple[exp.Create, exp.Insert | None]:
    """CREATE TABLE t AS SELECT cols FROM one table: a CREATE TABLE with the selected columns'
    declared types (nullable, no defaults, as PostgreSQL makes them) and an INSERT ... SELECT."""
    query = node.expression
    props = node.args.get("properties")
    no_data = props is not None and any(
        isinstance(p, exp.WithDataProperty) and p.args.get("no") for p in props.expressions
    )
    if props is not None and not (no_data and len(props.expressions) == 1):
        raise Refuse("CREATE TABLE AS with options has no verified translation")
    if node.args.get("exists"):  # PostgreSQL adds no rows to a table that exists
        raise Refuse("CREATE TABLE IF NOT EXISTS ... AS has no verified translation")
    if not isinstance(query, exp.Select) or query.args.get("joins") or query.args.get("with"):
        raise Refuse("CREATE TABLE AS needs a SELECT of columns from one table to be translated")
    source = query.args["from_"].this if query.args.get("from_") else None
    if not isinstance(source, exp.Table):
        raise Refuse("CREATE TABLE AS needs a SELECT of columns from one table to be translated")
    defs = [_selected(s, source.name, catalog) for s in query.expressions]
    create = exp.Create(this=exp.Schema(this=node.this.copy(), expressions=defs), kind="TABLE")
    if no_data:
        return create, None
    names = [exp.to_identifier(d.name) for d in defs]
    insert = exp.Insert(this=exp.Schema(this=node.this.copy(), expressions=names),
                        expression=query.copy())  # fmt: skip
    return create, insert


def _selected(item: exp.Expression, table: str, catalog: Catalog) -> exp.ColumnDef:
    col = item.this if isinstance(item, exp.Alias) else item
    if not isinstance(col, exp.Column):
        raise Refuse("CREATE TABLE AS of an expression: its type is PostgreSQL's to infer")
    state = catalog.column(table, col.name)
    if state is None:
        raise Refuse(f"CREATE TABLE AS: {table}.{col.name} was not created by these migrations")
    name = item.alias_or_name
    return exp.ColumnDef(this=exp.to_identifier(name), kind=types.base(state.dtype).copy())

"""INSERT, UPDATE and DELETE: the forms whose effect on the rows is the same on the target."""

from __future__ import annotations

from sqlglot import exp

from . import safe, tables
from .base import Out, Refuse, generate, quote
from .catalog import Catalog

PARTS = ("this", "expression", "expressions", "where", "from_", "using")


def dml(node: exp.Expression, target: str, catalog: Catalog) -> Out:
    # a migration discards the rows RETURNING gives back: the change to the table is the same
    node.set("returning", None)
    if node.args.get("with"):
        raise Refuse("WITH queries in data changes have no verified translation")
    if isinstance(node, exp.Delete) and node.args.get("using"):
        _using_as_exists(node)
    conflict = node.args.get("conflict")
    safe.integer_division(node, target, catalog)
    for part in PARTS:
        values = node.args.get(part)
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, exp.Expression):
                safe.check(safe.rewrite_like(v, target), target, "the statement")
    if conflict is None:
        return Out((generate(node, target),))
    return Out((_upsert(node, conflict, target, catalog),))


def _using_as_exists(node: exp.Delete) -> None:
    """DELETE FROM t USING u WHERE p -> DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE p):
    both delete the rows of t for which some row of u makes p true."""
    target = node.this
    using = node.args["using"]
    if any(u.name == target.name or u.alias_or_name == target.alias_or_name for u in using):
        raise Refuse("DELETE ... USING the deleted table itself has no verified translation")
    if not all(isinstance(u, exp.Table) for u in using):
        raise Refuse("DELETE ... USING a subquery has no verified translation")
    where = node.args.get("where")
    sub = exp.select("1").from_(using[0].copy())
    for u in using[1:]:
        sub = sub.join(u.copy())
    if where is not None:
        sub = sub.where(where.this.copy())
    node.set("using", None)
    node.set("where", exp.Where(this=exp.Exists(this=sub)))


def _upsert(node: exp.Insert, conflict: exp.OnConflict, target: str, catalog: Catalog) -> str:
    if not isinstance(node.expression, exp.Values):
        raise Refuse("ON CONFLICT after INSERT ... SELECT has no verified translation")
    action = str(conflict.args.get("action") or "").upper()
    keys = [k.this if isinstance(k, exp.Ordered) else k for k in conflict.args.get("conflict_keys")
            or []]  # fmt: skip
    extra = {k for k, v in conflict.args.items() if v} - {"action", "conflict_keys", "expressions"}
    extra |= {k for k, v in node.args.items() if v} - {"this", "expression", "conflict"}
    if extra or not keys:  # ON CONSTRAINT, an index predicate, DO UPDATE ... WHERE...
        raise Refuse("ON CONFLICT needs a plain column list as its target and no WHERE to be "
                     "translated")  # fmt: skip
    if action not in ("DO NOTHING", "DO UPDATE"):
        raise Refuse(f"ON CONFLICT {action} has no verified translation")
    sets = conflict.expressions if action == "DO UPDATE" else []
    for s in sets:
        if not isinstance(s, exp.EQ) or not isinstance(s.this, exp.Column):
            raise Refuse("ON CONFLICT ... DO UPDATE SET must assign columns")
        safe.check(s.expression, target, "the ON CONFLICT update")
    head = generate(exp.Insert(this=node.this.copy(), expression=node.expression.copy()), target)
    if target == "sqlite":
        cols = ", ".join(quote(k.name, target) for k in keys)
        tail = "DO NOTHING" if not sets else "DO UPDATE SET " + _assign(sets, target, True)
        return f"{head} ON CONFLICT ({cols}) {tail}"
    _only_unique_key(tables.name_of(node.this, target), {k.name for k in keys}, catalog)
    if not sets:  # an assignment that changes nothing: the row is left as it was
        name = quote(keys[0].name, target)
        return f"{head} ON DUPLICATE KEY UPDATE {name} = {name}"
    return f"{head} ON DUPLICATE KEY UPDATE {_assign(sets, target, False)}"


def _assign(sets: list[exp.EQ], target: str, excluded: bool) -> str:
    """`col = expr` pairs reading the existing row (by its table's name) and `excluded`."""
    out = []
    table = sets[0].find_ancestor(exp.Insert).this.this.name
    for s in sets:
        value = exp.Paren(this=s.expression.copy())
        for col in list(value.find_all(exp.Column)):
            if col.table not in ("excluded", table):
                raise Refuse("ON CONFLICT ... DO UPDATE may only read the row and excluded")
            if col.table == table:
                col.replace(exp.column(col.name))
            elif not excluded:  # MariaDB: VALUES(col)
                col.replace(exp.Anonymous(this="VALUES", expressions=[exp.column(col.name)]))
        out.append(f"{quote(s.this.name, target)} = {generate(value.this, target)}")
    return ", ".join(out)


def _only_unique_key(table: str, keys: set[str], catalog: Catalog) -> None:
    """MySQL's ON DUPLICATE KEY fires on any unique key: the same only when there is one."""
    found = unique_keys(table, catalog)
    if found is None:
        raise Refuse(f"{table} was not created by these migrations: its unique keys, which "
                     "MySQL's ON DUPLICATE KEY all fire on, are unknown")  # fmt: skip
    if found != [keys]:
        raise Refuse("ON CONFLICT differs from MySQL's ON DUPLICATE KEY: the table has other "
                     "unique keys, which would fire too")  # fmt: skip


def unique_keys(table: str, catalog: Catalog) -> list[set[str]] | None:
    """The column sets of every primary key, unique constraint and unique index of a table."""
    src = catalog.sources.get(table)
    if src is None:
        return None
    out: list[set[str]] = []
    for e in src.this.expressions:
        inner = e.expressions[0] if isinstance(e, exp.Constraint) and e.expressions else e
        if isinstance(inner, exp.PrimaryKey):
            out.append({c.name for c in inner.expressions})
        elif isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
            out.append({c.name for c in inner.this.expressions})
        elif isinstance(e, exp.ColumnDef):
            kinds = [k.args.get("kind") for k in e.constraints]
            if any(isinstance(k, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint))
                   for k in kinds):  # fmt: skip
                out.append({e.name})
    for name, node in catalog.index_sources.items():
        if catalog.indexes.get(name, ("",))[0] == table and node.args.get("unique"):
            out.append({"?" + name})  # a unique index: another key, whatever its columns
    return out

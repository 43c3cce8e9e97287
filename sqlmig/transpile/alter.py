"""ALTER TABLE, one action per target statement: what SQLite and MySQL can do without a rebuild."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from . import columns, rebuild, tables, types
from .catalog import Catalog, ColumnState
from .core import Out, Refuse, quote

REBUILD = "SQLite cannot {what} in place"


def alter(node: exp.Alter, target: str, catalog: Catalog) -> Out:
    if (node.kind or "").upper() != "TABLE":
        raise Refuse(f"ALTER {node.kind} has no verified {target} translation")
    if node.args.get("cascade"):
        raise Refuse("ALTER ... CASCADE has no equivalent")
    table = tables.name_of(node.this, target)
    head = f"ALTER TABLE {quote(table, target)}"
    out: list[str] = []
    for action in node.args.get("actions") or []:
        if target == "sqlite" and _needs_rebuild(action):
            out += rebuild.statements(table, _mutation(action, table), target, catalog)
            continue
        out += [f"{head} {a}" for a in _action(action, table, target, catalog, node)]
    return Out(tuple(out))


def _needs_rebuild(a: exp.Expression) -> bool:
    if isinstance(a, (exp.AlterColumn, exp.AddConstraint)):
        return True
    if isinstance(a, exp.Drop) and (a.kind or "").upper() == "CONSTRAINT":
        return True
    if isinstance(a, exp.ColumnDef) and not columns.state(a).auto:
        try:
            _sqlite_add_ok(a, columns.state(a), columns.inline_key(a))
        except Refuse:
            return True
    return False


def _mutation(a: exp.Expression, table: str) -> Callable[[exp.Create], None]:
    """How the source CREATE TABLE changes: the rebuild creates what PostgreSQL now has."""

    def mutate(node: exp.Create) -> None:
        schema = node.this
        if isinstance(a, exp.ColumnDef):
            schema.set("expressions", [*schema.expressions, a.copy()])
        elif isinstance(a, exp.AddConstraint):
            schema.set("expressions", [*schema.expressions, *(e.copy() for e in a.expressions)])
        elif isinstance(a, exp.Drop):
            rebuild.drop_constraint(node, table, a.args["tables"][0].name)
        else:
            _change_column(rebuild.column(node, a.this.name), a)

    return mutate


def _change_column(col: exp.ColumnDef, a: exp.AlterColumn) -> None:
    if columns.state(col).auto:
        raise Refuse(f"{col.name} auto-increments: changing it has no verified translation")
    if a.args.get("dtype") is not None:
        _plain_using(a, col.name)
        if not rebuild.widening(col.args["kind"], a.args["dtype"]):
            raise Refuse(f"changing {col.name} to {a.args['dtype'].sql('postgres')} may convert "
                         "or keep values PostgreSQL rejects: write an override")  # fmt: skip
        col.set("kind", a.args["dtype"].copy())
    elif a.args.get("allow_null") is not None:
        rebuild.without(col, exp.NotNullColumnConstraint)
        if not a.args.get("allow_null"):
            _append(col, exp.NotNullColumnConstraint())
    elif a.args.get("default") is not None or a.args.get("drop"):
        rebuild.without(col, exp.DefaultColumnConstraint)
        if a.args.get("default") is not None:
            _append(col, exp.DefaultColumnConstraint(this=a.args["default"].copy()))
    else:
        raise Refuse(f"ALTER COLUMN {a.sql('postgres')[:40]} has no verified SQLite translation")


def _append(col: exp.ColumnDef, kind: exp.Expression) -> None:
    col.set("constraints", [*col.constraints, exp.ColumnConstraint(kind=kind)])


def _action(
    a: exp.Expression, table: str, target: str, catalog: Catalog, node: exp.Alter
) -> list[str]:
    if isinstance(a, exp.ColumnDef):
        return _add_column(a, table, target, catalog)
    if isinstance(a, exp.Drop) and (a.kind or "").upper() == "COLUMN":
        return _drop_column(a, table, target, catalog)
    if isinstance(a, exp.RenameColumn):
        old, new = a.this.name, a.args["to"].name
        catalog.rename_column(table, old, new)
        return [f"RENAME COLUMN {_q(old, target)} TO {_q(new, target)}"]
    if isinstance(a, exp.AlterRename):
        new = a.this.name
        catalog.rename_table(table, new)
        return [f"RENAME TO {_q(new, target)}"]
    if isinstance(a, exp.AlterColumn):
        return _alter_column(a, table, target, catalog)
    if isinstance(a, exp.AddConstraint):
        return _add_constraint(a, table, target, catalog)
    if isinstance(a, exp.Drop) and (a.kind or "").upper() == "CONSTRAINT":
        return _drop_constraint(a, table, target, catalog)
    raise Refuse(f"ALTER TABLE {a.sql('postgres')[:40]} has no verified {target} translation")


def _q(name: str, target: str) -> str:
    return quote(name, target)


def _add_column(a: exp.ColumnDef, table: str, target: str, catalog: Catalog) -> list[str]:
    st = columns.state(a)
    key = columns.inline_key(a)
    if st.auto:
        raise Refuse("adding an auto-increment column fills existing rows differently: "
                     "write an override")  # fmt: skip
    if target == "sqlite":
        _sqlite_add_ok(a, st, key)
    text, extra = columns.translate(a, target, catalog, key, table=table)
    catalog.tables.setdefault(table, {})[a.name] = st
    if table in catalog.sources:
        schema = catalog.sources[table].this
        schema.set("expressions", [*schema.expressions, a.copy()])
    return [f"ADD COLUMN {text}", *(f"ADD {e}" for e in extra)]


def _sqlite_add_ok(a: exp.ColumnDef, st: ColumnState, key: columns.Key) -> None:
    kinds = [c.args.get("kind") for c in a.constraints]
    if key.primary or key.unique:
        raise Refuse(REBUILD.format(what="add a PRIMARY KEY or UNIQUE column"))
    if any(isinstance(k, exp.ComputedColumnConstraint) for k in kinds):
        raise Refuse(REBUILD.format(what="add a STORED generated column"))
    if not st.nullable and st.default is None:
        raise Refuse("SQLite cannot add a NOT NULL column without a default (even to an empty "
                     "table): give it a default")  # fmt: skip
    if st.default is not None and not isinstance(st.default, (exp.Literal, exp.Boolean, exp.Null,
                                                              exp.Cast, exp.Neg)):  # fmt: skip
        raise Refuse("SQLite can only add a column whose default is a constant")
    if any(isinstance(k, exp.Reference) for k in kinds) and st.default is not None:
        raise Refuse("SQLite can only add a foreign key column whose default is NULL")


def _drop_column(a: exp.Drop, table: str, target: str, catalog: Catalog) -> list[str]:
    if a.args.get("cascade"):
        raise Refuse("DROP COLUMN ... CASCADE also drops dependent objects")
    name = a.args["tables"][0].name
    for index, (t, cols) in catalog.indexes.items():
        if t == table and name in cols and (len(cols) > 1 or target == "sqlite"):
            raise Refuse(f"PostgreSQL drops index {index} with column {name}; {target} would "
                         "keep it or fail: drop the index first")  # fmt: skip
    known = catalog.column(table, name) is not None
    if a.args.get("exists") and target == "sqlite" and not known:
        raise Refuse("SQLite has no DROP COLUMN IF EXISTS, and these migrations did not create "
                     f"{table}.{name}")  # fmt: skip
    catalog.tables.get(table, {}).pop(name, None)
    if table in catalog.sources:
        schema = catalog.sources[table].this
        kept = [
            e for e in schema.expressions if not (isinstance(e, exp.ColumnDef) and e.name == name)
        ]
        schema.set("expressions", kept)
    exists = "IF EXISTS " if a.args.get("exists") and target == "mysql" else ""
    return [f"DROP COLUMN {exists}{_q(name, target)}"]


def _alter_column(a: exp.AlterColumn, table: str, target: str, catalog: Catalog) -> list[str]:
    if target == "sqlite":
        raise Refuse(REBUILD.format(what="change a column's type, default or NULL-ness"))
    name = a.this.name
    col = catalog.column(table, name)
    if col is None:
        raise Refuse(f"column {table}.{name} was not created by these migrations: MySQL needs its "
                     "whole definition to change it")  # fmt: skip
    if a.args.get("dtype") is not None:
        _plain_using(a, name)
        new = col.but(dtype=a.args["dtype"])
    elif a.args.get("allow_null") is not None:
        new = col.but(nullable=bool(a.args.get("allow_null")))
    elif "default" in a.args and a.args.get("default") is not None:
        new = col.but(default=a.args["default"])
    elif a.args.get("drop"):
        new = col.but(default=None)
    else:
        raise Refuse(f"ALTER COLUMN {a.sql('postgres')[:40]} has no verified MySQL translation")
    catalog.tables[table][name] = new
    return [f"MODIFY COLUMN {definition(name, new, target, catalog)}"]


def _plain_using(a: exp.AlterColumn, name: str) -> None:
    using = a.args.get("using")
    if not using:
        return
    if not (isinstance(using, exp.Cast) and isinstance(using.this, exp.Column)
            and using.this.name == name):  # fmt: skip
        raise Refuse("ALTER COLUMN ... USING an expression has no verified translation")


def definition(name: str, col: ColumnState, target: str, catalog: Catalog) -> str:
    """A whole column definition rebuilt from the catalog: MODIFY keeps NULL-ness and default."""
    if col.auto or col.generated:
        raise Refuse(f"{name} is auto-increment or generated: changing it has no verified MySQL "
                     "translation")  # fmt: skip
    parts = [_q(name, target), types.target_type(col.dtype, target, catalog)]
    parts.append("NULL" if col.nullable else "NOT NULL")
    if col.default is not None:
        parts.append("DEFAULT " + types.default(col.default, col.dtype, target))
    return " ".join(parts)


def _add_constraint(a: exp.AddConstraint, table: str, target: str, catalog: Catalog) -> list[str]:
    if target == "sqlite":
        raise Refuse(REBUILD.format(what="add a constraint"))
    # NOT VALID is dropped: MySQL checks existing rows, so this fails loudly where PostgreSQL
    # would have deferred the check - never silently weaker.
    return [f"ADD {tables.table_constraint(e, target, catalog, table)}" for e in a.expressions]


def _drop_constraint(a: exp.Drop, table: str, target: str, catalog: Catalog) -> list[str]:
    if target == "sqlite":
        raise Refuse(REBUILD.format(what="drop a constraint"))
    name = a.args["tables"][0].name
    kind = catalog.constraints.get(name, (None, None))[1]
    verbs = {
        "ForeignKey": "DROP FOREIGN KEY",
        "UniqueColumnConstraint": "DROP INDEX",
        "CheckColumnConstraint": "DROP CONSTRAINT",
        "PrimaryKey": "DROP PRIMARY KEY",
    }
    if kind not in verbs:
        raise Refuse(f"constraint {name} was not created by these migrations with that name, so "
                     "its MySQL kind (key, foreign key, check) is unknown")  # fmt: skip
    catalog.constraints.pop(name)
    verb = verbs[kind]
    out = [verb if kind == "PrimaryKey" else f"{verb} {_q(name, target)}"]
    if kind == "ForeignKey" and name not in catalog.indexes:
        out.append(f"DROP INDEX IF EXISTS {_q(name, target)}")  # the index InnoDB made for it
    return out

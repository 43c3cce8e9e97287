"""ALTER TABLE, one action per target statement: what SQLite and MySQL can do without a rebuild."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from . import cascade, columns, fkindex, rebuild, retype, tables, types
from .base import Out, Refuse, quote
from .catalog import Catalog, ColumnState

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
        if isinstance(action, exp.Drop):
            cascade.refuse_dependents(action, table, catalog)
        if isinstance(action, exp.ColumnDef) and action.args.get("exists"):
            action = _if_not_exists(action, table, target, catalog)
            if action is None:
                continue
        if isinstance(action, exp.AlterColumn) and action.args.get("collate"):
            _byte_collation(action.args["collate"], target)
        if target == "sqlite" and _needs_rebuild(action):
            guards, copies = _retyped(action, table, catalog)
            out += rebuild.statements(table, _mutation(action, table), target, catalog,
                                      guards=guards, copies=copies)  # fmt: skip
            continue
        if isinstance(action, exp.Drop) and (action.kind or "").upper() == "COLUMN":
            out += _drop_indexes_of(table, action.args["tables"][0].name, target, catalog)
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            out += _mysql_retype(action, table, catalog)
        out += [f"{head} {a}" for a in _action(action, table, target, catalog, node)]
    return Out(tuple(out))


def _byte_collation(collate: exp.Expression, target: str) -> None:
    """`TYPE ... COLLATE "C"` keeps byte order, as every text column has on the targets."""
    if collate.name.lower() not in columns.BYTE_COLLATIONS:
        raise Refuse(f"collation {collate.name} has no verified {target} equivalent (only "
                     "\"C\": byte order)")  # fmt: skip


def _if_not_exists(
    a: exp.ColumnDef, table: str, target: str, catalog: Catalog
) -> exp.ColumnDef | None:
    """`ADD COLUMN IF NOT EXISTS`: nothing when these migrations made the column (PostgreSQL
    skips it), a plain ADD when they made the table without it; else MariaDB's own form."""
    if catalog.column(table, a.name) is not None:
        return None
    if table in catalog.tables or target == "mysql":
        return a.copy() if target == "mysql" and table not in catalog.tables else _plain(a)
    raise Refuse(f"SQLite has no ADD COLUMN IF NOT EXISTS, and these migrations did not create "
                 f"{table}, so whether it has {a.name} is unknown")  # fmt: skip


def _plain(a: exp.ColumnDef) -> exp.ColumnDef:
    out = a.copy()
    out.set("exists", False)
    return out


def _mysql_retype(a: exp.AlterColumn, table: str, catalog: Catalog) -> list[str]:
    """What MySQL runs before `MODIFY COLUMN` to keep PostgreSQL's values, or a refusal."""
    col = catalog.column(table, a.this.name)
    if col is None:  # refused by _alter_column, which needs the whole definition
        return []
    src = catalog.sources.get(table)
    fk = retype.foreign_key_of(table, a.this.name, src, catalog) if src is not None else None
    if fk is not None and types.base(col.dtype) != types.base(a.args["dtype"]):
        raise Refuse(f"{fk}: MySQL cannot change the type of a column in a foreign key (both "
                     "sides must keep one type): drop the key around the change")  # fmt: skip
    if src is not None and not retype.same_family(col.dtype, a.args["dtype"]):
        new = retype.kind(a.args["dtype"])
        own = rebuild.column(src, a.this.name).copy()  # its default as the catalog has it now
        rebuild.without(own, exp.DefaultColumnConstraint)
        retype.class_change_ok(table, own, new, src, catalog, col.default)
    return retype.mysql(table, a.this.name, col.dtype, a.args["dtype"], a.args.get("using"))


def _drop_indexes_of(table: str, column: str, target: str, catalog: Catalog) -> list[str]:
    """PostgreSQL drops every index that uses a dropped column; the targets would keep a
    narrower one (MySQL) or fail (SQLite): they are dropped first."""
    out = []
    for name, src in sorted(catalog.index_sources.items()):
        if catalog.indexes.get(name, ("",))[0] != table:
            continue
        if any(c.name == column for c in src.find_all(exp.Column)):
            catalog.indexes.pop(name)
            catalog.index_sources.pop(name)
            on = f" ON {quote(table, target)}" if target == "mysql" else ""
            out.append(f"DROP INDEX {quote(name, target)}{on}")
    return out


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


def _retyped(
    a: exp.Expression, table: str, catalog: Catalog
) -> tuple[tuple[str, ...], dict[str, str]]:
    """For a type change: the guard that fails on values PostgreSQL rejects, and the copy of
    the column converted as PostgreSQL converts it."""
    src = catalog.sources.get(table)
    if not isinstance(a, exp.AlterColumn) or a.args.get("dtype") is None or src is None:
        return (), {}
    col = rebuild.column(src, a.this.name)
    if columns.state(col).auto:
        raise Refuse(f"{col.name} auto-increments: changing it has no verified translation")
    done = retype.plan(table, col, a.args["dtype"], a.args.get("using"), src, catalog)
    return done.guards, {col.name: done.copy}


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
    if a.args.get("dtype") is not None:  # the values: see retype.plan
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
    if a.args.get("exists"):  # MariaDB's form, on a table these migrations did not create
        text = "IF NOT EXISTS " + text
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
    name = a.args["tables"][0].name
    if a.args.get("cascade"):
        _cascade_drops_nothing(table, catalog)
    for index, (t, cols) in catalog.indexes.items():
        if t == table and name in cols:  # one these migrations did not make as CREATE INDEX
            raise Refuse(f"PostgreSQL drops index {index} with column {name}; {target} would "
                         "keep it or fail: drop the index first")  # fmt: skip
    _not_in_table_constraint(table, name, catalog)
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


def _cascade_drops_nothing(table: str, catalog: Catalog) -> None:
    others = rebuild.readers_of(table, catalog) + rebuild.referrers_of(table, catalog)
    if table not in catalog.sources or others:
        raise Refuse("DROP COLUMN ... CASCADE also drops dependent objects (views, foreign keys "
                     f"{', '.join(others) or 'these migrations may not have created'}); the "
                     "target would not")  # fmt: skip


def _not_in_table_constraint(table: str, name: str, catalog: Catalog) -> None:
    """PostgreSQL drops a multi-column key or check with one of its columns; MySQL would keep it
    on the remaining columns (a different key) and SQLite would fail."""
    src = catalog.sources.get(table)
    for e in src.this.expressions if src is not None else []:
        if isinstance(e, exp.ColumnDef):  # another column's CHECK may read this one
            parts = [] if e.name == name else list(e.find_all(exp.CheckColumnConstraint))
        else:
            parts = [e]
        if any(c.name == name and c is not p.args.get("this") for p in parts
               for c in p.find_all(exp.Column, exp.Identifier)):  # fmt: skip
            raise Refuse(f"column {name} is part of a table constraint of {table}, which "
                         "PostgreSQL drops with it: drop the constraint first")  # fmt: skip


def _alter_column(a: exp.AlterColumn, table: str, target: str, catalog: Catalog) -> list[str]:
    if target == "sqlite":
        raise Refuse(REBUILD.format(what="change a column's type, default or NULL-ness"))
    name = a.this.name
    col = catalog.column(table, name)
    if col is None:
        raise Refuse(f"column {table}.{name} was not created by these migrations: MySQL needs its "
                     "whole definition to change it")  # fmt: skip
    if a.args.get("dtype") is not None:  # the values: see _mysql_retype
        new = col.but(dtype=a.args["dtype"])
    elif a.args.get("allow_null") is not None:
        new = col.but(nullable=bool(a.args.get("allow_null")))
    elif "default" in a.args and a.args.get("default") is not None:
        new = col.but(default=a.args["default"])
    elif a.args.get("drop"):
        new = col.but(default=None)
    else:
        raise Refuse(f"ALTER COLUMN {a.sql('postgres')[:40]} has no verified MySQL translation")
    modify = f"MODIFY COLUMN {definition(name, new, target, catalog)}"
    catalog.tables[table][name] = new
    return [modify]


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
    out = [f"ADD {tables.table_constraint(e, target, catalog, table)}" for e in a.expressions]
    if table in catalog.sources:  # the source follows, so later statements see the new keys
        _mutation(a, table)(catalog.sources[table])
    return out


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
    # InnoDB may be using the key's index for a foreign key: give that one its own first
    keys = ("UniqueColumnConstraint", "PrimaryKey")
    keep = fkindex.keep_for(table, name, catalog) if kind in keys else []
    catalog.constraints.pop(name)
    if table in catalog.sources:  # the source follows, so later statements see the keys left
        try:
            rebuild.drop_constraint(catalog.sources[table], table, name)
        except Refuse:
            catalog.sources.pop(table)  # unknown from here on: what needs it is refused
    verb = verbs[kind]
    out = [*keep, verb if kind == "PrimaryKey" else f"{verb} {_q(name, target)}"]
    if kind == "ForeignKey" and name not in catalog.indexes:
        out.append(f"DROP INDEX IF EXISTS {_q(name, target)}")  # the index InnoDB made for it
    return out

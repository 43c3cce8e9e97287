"""Column definitions: the deliberate type, auto-increment, defaults, checks and references."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from . import safe, types
from .base import Refuse, quote
from .catalog import Catalog, ColumnState

KEPT = (
    exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint,
    exp.CheckColumnConstraint, exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint,
    exp.ComputedColumnConstraint, exp.Reference, exp.CollateColumnConstraint,
)  # fmt: skip
# Byte (code point) order: what SQLite's default BINARY and the utf8mb4_bin every text column
# gets on MySQL already compare by.
BYTE_COLLATIONS = ("c", "posix")


@dataclass(frozen=True)
class Key:
    """Whether a column is, on its own, the table's primary key or a unique key."""

    primary: bool = False
    unique: bool = False
    in_pk: bool = False  # part of a (maybe multi-column) primary key
    leads_pk: bool = False  # the first column of a multi-column primary key


def state(col: exp.ColumnDef) -> ColumnState:
    """What the catalog remembers of a source column definition."""
    kinds = [c.args.get("kind") for c in col.constraints]
    nullable = not any(
        isinstance(k, (exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint))
        and not k.args.get("allow_null")
        for k in kinds
    )
    auto = col.args["kind"].this in types.AUTO or any(
        isinstance(k, exp.GeneratedAsIdentityColumnConstraint) for k in kinds
    )
    dflt = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    generated = any(isinstance(k, exp.ComputedColumnConstraint) for k in kinds)
    return ColumnState(col.args["kind"], nullable and not auto, dflt, auto, generated)


def inline_key(col: exp.ColumnDef) -> Key:
    kinds = [c.args.get("kind") for c in col.constraints]
    return Key(
        any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds),
        any(isinstance(k, exp.UniqueColumnConstraint) for k in kinds),
    )


def translate(
    col: exp.ColumnDef, target: str, catalog: Catalog, key: Key, *, table: str
) -> tuple[str, list[str]]:
    """The target definition of one column, and table-level clauses it needs (MySQL FKs)."""
    name = col.name
    dtype = col.args["kind"]
    if not isinstance(dtype, exp.DataType):
        raise Refuse(f"column {name} has no type")
    st = state(col)
    extra: list[str] = []
    parts = [types.target_type(dtype, target, catalog)]
    if st.auto:
        parts = _auto(col, dtype, target, key)
    for c in col.constraints:
        kind = c.args.get("kind")
        parts += _constraint(kind, col, dtype, target, catalog, extra, st.auto, table)
    if (
        target == "sqlite"
        and (key.in_pk or key.primary)
        and not st.auto
        and "NOT NULL" not in parts
    ):
        parts.append("NOT NULL")  # SQLite lets a primary key column hold NULL unless told
    labels = types.enum_labels(dtype, catalog)
    if labels is not None and target == "sqlite":
        q = quote(name, "sqlite")
        parts.append(f"CHECK ({q} IN ({', '.join(map(types.literal, labels))}))")
    return f"{quote(name, target)} " + " ".join(p for p in parts if p), extra


def _auto(col: exp.ColumnDef, dtype: exp.DataType, target: str, key: Key) -> list[str]:
    ident = next(
        (c.args["kind"] for c in col.constraints
         if isinstance(c.args.get("kind"), exp.GeneratedAsIdentityColumnConstraint)),
        None,
    )  # fmt: skip
    if ident is not None and any(ident.args.get(k) for k in ("increment", "minvalue",
                                                              "maxvalue", "cycle")):  # fmt: skip
        raise Refuse(f"identity options on {col.name} have no verified {target} equivalent")
    start_of(col)
    if target == "sqlite":
        if not key.primary:
            raise Refuse(
                f"{col.name} auto-increments but is not the table's single-column primary key: "
                "SQLite only auto-assigns an INTEGER PRIMARY KEY"
            )
        return ["INTEGER PRIMARY KEY AUTOINCREMENT"]
    # InnoDB needs the counter to lead some key; it counts for the whole table, as PostgreSQL
    if not (key.primary or key.unique or key.leads_pk):
        raise Refuse(f"{col.name} auto-increments without a key it leads: MySQL requires one")
    return [types.target_type(types.base(dtype), target, Catalog()), "NOT NULL AUTO_INCREMENT"]


def start_of(col: exp.ColumnDef) -> int | None:
    """An identity's START WITH (a first value of at least 1, which both targets can set)."""
    for c in col.constraints:
        kind = c.args.get("kind")
        if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get("start"):
            start = kind.args["start"]
            if not (isinstance(start, exp.Literal) and start.name.isdigit() and int(start.name)):
                raise Refuse(f"identity START WITH {start.sql('postgres')} on {col.name} has no "
                             "verified equivalent (a first value of at least 1 has)")  # fmt: skip
            return int(start.name)
    return None


def _constraint(
    kind: exp.Expression | None, col: exp.ColumnDef, dtype: exp.DataType, target: str,
    catalog: Catalog, extra: list[str], auto: bool, table: str,
) -> list[str]:  # fmt: skip
    if not isinstance(kind, KEPT):
        raise Refuse(f"column option {kind.sql('postgres') if kind else '?'} of {col.name} "
                     f"has no verified {target} equivalent")  # fmt: skip
    if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
        return []
    if isinstance(kind, exp.CollateColumnConstraint):
        return _collate(kind, col, dtype, target)
    if isinstance(kind, exp.PrimaryKeyColumnConstraint):
        pg_name(catalog, table, (), "pkey", "PrimaryKey")
        return [] if auto and target == "sqlite" else ["PRIMARY KEY"]
    if isinstance(kind, exp.NotNullColumnConstraint):
        if auto:
            return []
        return ["NULL"] if kind.args.get("allow_null") else ["NOT NULL"]
    if isinstance(kind, exp.UniqueColumnConstraint):
        if kind.args.get("nulls"):
            raise Refuse(f"UNIQUE NULLS NOT DISTINCT on {col.name} has no {target} equivalent")
        _indexable(dtype, target, col.name)
        if target == "mysql":  # named as PostgreSQL names it, so a later DROP CONSTRAINT works
            name = pg_name(catalog, table, (col.name,), "key", "UniqueColumnConstraint")
            extra.append(f"{name}UNIQUE ({quote(col.name, target)})")
            return []
        return ["UNIQUE"]
    if isinstance(kind, exp.DefaultColumnConstraint):
        return ["DEFAULT " + types.default(kind.this, dtype, target)]
    if isinstance(kind, exp.CheckColumnConstraint):
        body = safe.checked(kind.this, target, f"the check on {col.name}")
        if target == "mysql":  # MariaDB forgets a column's own CHECK on MODIFY COLUMN
            name = pg_name(catalog, table, (col.name,), "check", "CheckColumnConstraint")
            extra.append(f"{name}CHECK ({_gen(body, target)})")
            return []
        return [f"CHECK ({_gen(body, target)})"]
    if isinstance(kind, exp.ComputedColumnConstraint):
        safe.check(kind.this, target, f"generated column {col.name}")
        return [f"GENERATED ALWAYS AS ({_gen(kind.this, target)}) STORED"]
    return _reference(kind, col, target, extra, catalog, table)


def _collate(
    kind: exp.CollateColumnConstraint, col: exp.ColumnDef, dtype: exp.DataType, target: str
) -> list[str]:
    if kind.this.name.lower() not in BYTE_COLLATIONS or dtype.this not in types.TEXTS:
        raise Refuse(f"collation {kind.this.name} of {col.name} has no verified {target} "
                     "equivalent (only \"C\" on a text column: byte order)")  # fmt: skip
    return ["COLLATE BINARY"] if target == "sqlite" else []


def _reference(
    ref: exp.Reference, col: exp.ColumnDef, target: str, extra: list[str], catalog: Catalog,
    table: str,
) -> list[str]:  # fmt: skip
    clause = reference(ref, target, catalog)
    if target == "mysql":  # MySQL parses and silently ignores a column-level REFERENCES
        name = pg_name(catalog, table, (col.name,), "fkey", "ForeignKey")
        extra.append(f"{name}FOREIGN KEY ({quote(col.name, target)}) {clause}")
        return []
    return [clause]


PG_NAME_MAX = 63


def pg_name(catalog: Catalog, table: str, cols: tuple[str, ...], suffix: str, kind: str) -> str:
    """`CONSTRAINT "<table>_<cols>_<suffix>" ` as PostgreSQL names an unnamed constraint, recorded
    in the catalog; nothing (an unnamed constraint) when the name is taken or too long."""
    name = "_".join((table, *cols, suffix))
    if len(name) > PG_NAME_MAX or name in catalog.constraints:
        return ""
    catalog.constraints[name] = (table, kind)
    return f"CONSTRAINT {quote(name, 'mysql')} "


def reference(ref: exp.Reference, target: str, catalog: Catalog) -> str:
    """`REFERENCES t (c) ON DELETE ...`, refusing what the target cannot keep."""
    options = [str(o).upper() for o in ref.args.get("options") or []]
    if target == "mysql" and any("DEFERRABLE" in o and "NOT DEFERRABLE" not in o for o in options):
        raise Refuse("MySQL checks foreign keys immediately: DEFERRABLE has no equivalent")
    if any(o.startswith("MATCH") for o in options):
        raise Refuse("MATCH options of a foreign key have no verified equivalent")
    schema = ref.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    cols = [c.name for c in schema.expressions] if isinstance(schema, exp.Schema) else []
    if not cols:  # PostgreSQL references the primary key; MySQL needs its columns named
        cols = primary_key(catalog, table.name)
    names = ", ".join(quote(c, target) for c in cols)
    text = f"REFERENCES {_table(table, target)} ({names})"
    return " ".join([text, *options])


def primary_key(catalog: Catalog, table: str) -> list[str]:
    """The primary key columns of a table these migrations created, or a refusal."""
    src = catalog.sources.get(table)
    for e in src.this.expressions if src is not None else []:
        inner = e.expressions[0] if isinstance(e, exp.Constraint) and e.expressions else e
        if isinstance(inner, exp.PrimaryKey):
            return [c.name for c in inner.expressions]
        kinds = [k.args.get("kind") for k in getattr(e, "constraints", None) or []]
        if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
            return [e.name]
    raise Refuse(f"a foreign key to {table} without its referenced columns, and these migrations "
                 "did not create a primary key on it: name the columns")  # fmt: skip


def _table(table: exp.Expression, target: str) -> str:
    if isinstance(table, exp.Table) and table.db and table.db != "public":
        raise Refuse(f"schema {table.db} has no {target} equivalent")
    return quote(table.name, target)


def _indexable(dtype: exp.DataType, target: str, name: str) -> None:
    if target == "mysql" and types.is_unbounded(dtype):
        raise Refuse(
            f"{name} is unbounded text/json/bytes, which MySQL cannot put in a key: "
            "declare it varchar(n) in the source, or write a MySQL override"
        )


def _gen(node: exp.Expression, target: str) -> str:
    from .base import generate

    return generate(node, target)

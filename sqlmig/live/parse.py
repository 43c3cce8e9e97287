"""Read a pending statement with sqlglot: which tables it writes, and which of its actions can
fail on the data already there (the pre-checks)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import sqlglot
from sqlglot import exp

from .model import ANY, Check, Reading

DIALECTS = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back" notes are ours to say


# sqlglot reads `ADD CONSTRAINT name CHECK ...` but not the unnamed `ADD CHECK ...`
_UNNAMED = re.compile(r"\bADD\s+(CHECK|UNIQUE|FOREIGN\s+KEY)\b", re.I)
# an ALTER TABLE or CREATE UNIQUE INDEX that may fail on data, when sqlglot cannot read it
_MAY_FAIL = re.compile(
    r"^\s*(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+).*\b(NOT\s+NULL|UNIQUE|"
    r"PRIMARY|FOREIGN|CHECK|TYPE|MODIFY|CHANGE)\b|CREATE\s+UNIQUE\s+INDEX\b.*?\bON\s+(?:ONLY\s+)?(\S+))",
    re.I | re.S,
)


# Only these are parsed by sqlglot (a 50 MB dump of INSERTs must not be): what can fail on
# rows, and what may write anything; data statements name their table; the rest is harmless.
_PARSED = re.compile(r"^\s*(ALTER\s+TABLE|CREATE\s+UNIQUE|SELECT|WITH|VALUES|TABLE)\b", re.I)
_DATA = re.compile(
    r"^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|COPY|"
    r"TRUNCATE(?:\s+TABLE)?|LOAD\s+DATA\b.*?\bINTO\s+TABLE)\s+(?:ONLY\s+)?"
    r'((?:"[^"]+"|`[^`]+`|[\w$]+)(?:\.(?:"[^"]+"|`[^`]+`|[\w$]+))?)',
    re.I | re.S,
)
_QUIET = re.compile(
    r"^\s*(CREATE|DROP|ALTER|COMMENT|GRANT|REVOKE|SET|RESET|BEGIN|START|COMMIT|END|ROLLBACK|"
    r"SAVEPOINT|RELEASE|ANALYZE|VACUUM|REINDEX|CLUSTER|LOCK|USE|DELIMITER|PRAGMA|RENAME)\b",
    re.I,
)


def read(text: str, dialect: str) -> Reading:
    if not _PARSED.match(text):
        data = _DATA.match(text)
        if data:
            return Reading((), (split_name(data[1], dialect),))
        return Reading((), () if _QUIET.match(text) else (ANY,))
    named = _UNNAMED.sub(lambda m: f"ADD CONSTRAINT sqlmig_unnamed {m[1]}", text)
    try:
        tree = sqlglot.parse_one(named, read=DIALECTS[dialect])
    except sqlglot.errors.SqlglotError:
        tree = None
    if tree is None or isinstance(tree, exp.Command):
        unread = _MAY_FAIL.match(text)
        if unread:
            table = (unread[1] or unread[3]).strip('"`(')
            check = Check("unreadable", (None, table))
            return Reading((check,), _writes(tree, dialect) if tree is not None else (ANY,))
        if tree is None:
            return Reading((), (ANY,))
    return Reading(tuple(_checks(tree, dialect)), _writes(tree, dialect))


def split_name(text: str, dialect: str) -> tuple[str | None, str]:
    parts = re.findall(r'"[^"]+"|`[^`]+`|[^.]+', text)
    names = [
        p[1:-1] if p[0] in '"`' else (p.lower() if dialect == "postgres" else p) for p in parts
    ]
    return (names[0], names[1]) if len(names) > 1 else (None, names[0])


def name(table: exp.Table, dialect: str) -> tuple[str | None, str]:
    schema = table.args.get("db")
    return (_ident(schema, dialect) if schema else None, _ident(table.this, dialect))


def _ident(node: exp.Expression, dialect: str) -> str:
    text = node.name
    if dialect == "postgres" and not node.args.get("quoted"):
        return text.lower()  # PostgreSQL folds unquoted names
    return text


_DDL = (
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Comment,
    exp.Grant,
    exp.Set,
    exp.Command,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)
_HARMLESS_COMMANDS = {
    "COMMENT",
    "GRANT",
    "REVOKE",
    "SET",
    "RESET",
    "ANALYZE",
    "CLUSTER",
    "REINDEX",
    "VACUUM",
    "SECURITY",
    "ALTER",
    "CREATE",
    "DROP",
}


def _writes(tree: exp.Expression, dialect: str) -> tuple[tuple[str | None, str], ...]:
    if isinstance(tree, exp.Update | exp.Delete | exp.Insert | exp.Merge | exp.TruncateTable):
        return tuple(name(t, dialect) for t in tree.find_all(exp.Table))[:1] or (ANY,)
    if isinstance(tree, exp.Command):
        word = str(tree.this).upper()
        return () if word in _HARMLESS_COMMANDS else (ANY,)
    if isinstance(tree, (*_DDL, exp.Query)):
        return () if not _calls(tree) else (ANY,)
    return (ANY,)


def _calls(tree: exp.Expression) -> bool:
    """A SELECT that calls a function the server does not know to sqlglot may write anything."""
    return isinstance(tree, exp.Query) and any(True for _ in tree.find_all(exp.Anonymous))


def _checks(tree: exp.Expression, dialect: str) -> list[Check]:
    if isinstance(tree, exp.Create) and tree.args.get("unique"):
        return _unique_index(tree, dialect)
    if not isinstance(tree, exp.Alter) or not isinstance(tree.this, exp.Table):
        return []
    table = name(tree.this, dialect)
    not_valid = bool(tree.args.get("not_valid"))
    found: list[Check] = []
    for action in tree.args.get("actions") or []:
        found += _action(action, table, dialect, not_valid=not_valid)
    return found


def _unique_index(tree: exp.Create, dialect: str) -> list[Check]:
    index = tree.this
    table = index.args.get("table")
    params = index.args.get("params")
    if not isinstance(table, exp.Table) or params is None:
        return []
    cols = [c.this if isinstance(c, exp.Ordered) else c for c in params.args.get("columns") or []]
    if any(isinstance(c, exp.Anonymous) for c in cols) and dialect == "mysql":
        return [Check("unreadable", name(table, dialect))]  # a prefix index, a(10)
    where = params.args.get("where")
    return [
        Check(
            "unique",
            name(table, dialect),
            columns=tuple(_ident(c.this, dialect) for c in cols if _plain(c)),
            exprs=tuple(c.sql(dialect=DIALECTS[dialect]) for c in cols if not _plain(c)),
            where=where.this.sql(dialect=DIALECTS[dialect]) if where is not None else None,
        )
    ]


def _plain(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table


def _action(
    action: exp.Expression, table: tuple[str | None, str], dialect: str, *, not_valid: bool
) -> list[Check]:
    if isinstance(action, exp.AlterColumn):
        return _alter_column(action, table, dialect)
    if isinstance(action, exp.ColumnDef):
        return _add_column(action, table, dialect)
    if isinstance(action, exp.ModifyColumn):
        return _modify(action, table, dialect)
    if isinstance(action, exp.AddConstraint):
        found: list[Check] = []
        for c in action.expressions:
            inner = c.expressions if isinstance(c, exp.Constraint) else [c]
            for k in inner:
                found += _constraint(k, table, dialect, not_valid=not_valid)
        return found
    return []


def _alter_column(a: exp.AlterColumn, table: tuple[str | None, str], dialect: str) -> list[Check]:
    col = _ident(a.this, dialect)
    if a.args.get("allow_null") is False:
        return [Check("not_null", table, columns=(col,))]
    dtype = a.args.get("dtype")
    if isinstance(dtype, exp.DataType):
        using = a.args.get("using")
        check = _type_check(table, col, dtype, dialect)
        return [_with_using(check, using, dialect) if isinstance(using, exp.Expression) else check]
    return []


def _with_using(check: Check, using: exp.Expression, dialect: str) -> Check:
    sql = using.sql(dialect=DIALECTS[dialect])
    if not isinstance(using, exp.Cast) or not isinstance(using.args.get("to"), exp.DataType):
        return replace(check, using=sql)
    to = using.args["to"].sql(dialect=DIALECTS[dialect])
    return replace(check, using=sql, cast_of=using.this.sql(dialect=DIALECTS[dialect]), cast_sql=to)


def _type_check(
    table: tuple[str | None, str], col: str, dtype: exp.DataType, dialect: str
) -> Check:
    params = tuple(
        int(p.this.name)
        for p in dtype.expressions
        if isinstance(p, exp.DataTypeParam)
        and isinstance(p.this, exp.Literal)
        and p.this.name.isdigit()
    )
    return Check(
        "type",
        table,
        columns=(col,),
        type_sql=dtype.sql(dialect=DIALECTS[dialect]),
        type_name=dtype.this.name if hasattr(dtype.this, "name") else str(dtype.this),
        type_params=params,
    )


def _add_column(c: exp.ColumnDef, table: tuple[str | None, str], dialect: str) -> list[Check]:
    kinds = [k.kind for k in c.args.get("constraints") or [] if isinstance(k, exp.ColumnConstraint)]
    not_null = any(
        isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
    )
    default = any(
        isinstance(
            k,
            exp.DefaultColumnConstraint
            | exp.GeneratedAsIdentityColumnConstraint
            | exp.ComputedColumnConstraint,
        )
        for k in kinds
    )
    if dialect == "postgres" and not_null and not default:
        return [Check("new_not_null", table, columns=(_ident(c.this, dialect),))]
    return []  # MySQL fills the type's implicit default; SQLite refuses it on an empty table too


def _modify(m: exp.ModifyColumn, table: tuple[str | None, str], dialect: str) -> list[Check]:
    """MySQL's MODIFY/CHANGE: a new type, maybe NOT NULL, for an existing column."""
    cdef = m.this
    if not isinstance(cdef, exp.ColumnDef):
        return []
    old = m.args.get("rename_from") or cdef.this
    col = _ident(old, dialect)
    found: list[Check] = []
    kinds = [
        k.kind for k in cdef.args.get("constraints") or [] if isinstance(k, exp.ColumnConstraint)
    ]
    if any(
        isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
    ):
        found.append(Check("not_null", table, columns=(col,)))
    dtype = cdef.args.get("kind")
    if isinstance(dtype, exp.DataType):
        found.append(_type_check(table, col, dtype, dialect))
    return found


def _constraint(
    k: exp.Expression, table: tuple[str | None, str], dialect: str, *, not_valid: bool
) -> list[Check]:
    if isinstance(k, exp.PrimaryKey):
        cols = tuple(_ident(i, dialect) for i in k.expressions)
        return [Check("primary_key", table, columns=cols)]
    if isinstance(k, exp.UniqueColumnConstraint) and isinstance(k.this, exp.Schema):
        if k.args.get("nulls"):
            return []  # NULLS NOT DISTINCT: not checked
        keys = k.this.expressions
        if not all(isinstance(i, exp.Identifier | exp.Column) for i in keys):
            return [Check("unreadable", table)]  # a prefix (MySQL's `b(10)`) or an expression
        cols = tuple(_ident(i.this if isinstance(i, exp.Column) else i, dialect) for i in keys)
        return [Check("unique", table, columns=cols)]
    if isinstance(k, exp.ForeignKey) and not not_valid:
        return _foreign_key(k, table, dialect)
    if isinstance(k, exp.CheckColumnConstraint) and not not_valid:
        return [Check("check", table, exprs=(k.this.sql(dialect=DIALECTS[dialect]),))]
    return []


def _foreign_key(k: exp.ForeignKey, table: tuple[str | None, str], dialect: str) -> list[Check]:
    ref = k.args.get("reference")
    target = ref.this if isinstance(ref, exp.Reference) else None
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        ref_table = name(target.this, dialect)
        ref_cols = tuple(_ident(i, dialect) for i in target.expressions)
    elif isinstance(target, exp.Table):
        ref_table, ref_cols = name(target, dialect), ()
    else:
        return []
    cols = tuple(_ident(i, dialect) for i in k.expressions)
    return [Check("foreign_key", table, columns=cols, ref_table=ref_table, ref_columns=ref_cols)]

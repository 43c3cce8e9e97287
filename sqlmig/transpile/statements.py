"""Which statements translate, which are dropped as meaningless on the target, which are refused."""

from __future__ import annotations

from sqlglot import exp

from . import alter, derived, dml, indexes, rebuild, safe, sequences, tables
from .base import Out, Refuse, generate, quote
from .catalog import Catalog

REFUSED_KINDS = {
    "FUNCTION": "functions have procedural bodies with no faithful translation",
    "PROCEDURE": "procedures have procedural bodies with no faithful translation",
    "TRIGGER": "triggers call procedural functions with no faithful translation",
    "SCHEMA": "schemas have no faithful equivalent (SQLite has none; MySQL's are databases)",
    "EXTENSION": "extensions are PostgreSQL-only",
}
# Statements that change nothing a migration can observe on the target.
DROPPED = {
    exp.Comment: "comments are documentation; the target keeps none here",
    exp.Set: "session settings (timeouts, search_path) mean nothing on the target",
}


def dispatch(node: exp.Expression, target: str, catalog: Catalog) -> Out:
    if isinstance(node, exp.Command):
        return _command(node, target, catalog)
    for kind, note in DROPPED.items():
        if isinstance(node, kind):
            return Out(note=note)
    if isinstance(node, (exp.Grant, exp.Revoke)):
        if target == "sqlite":
            return Out(note="SQLite has no users or privileges")
        raise Refuse("PostgreSQL roles do not map onto MySQL accounts: grant on the target")
    if isinstance(node, exp.Create):
        return _create(node, target, catalog)
    if isinstance(node, exp.Drop):
        return _drop(node, target, catalog)
    if isinstance(node, exp.Alter):
        return alter.alter(node, target, catalog)
    if isinstance(node, (exp.Insert, exp.Update, exp.Delete)):
        return dml.dml(node, target, catalog)
    if isinstance(node, exp.TruncateTable):
        return _truncate(node, target)
    if isinstance(node, exp.Analyze):
        return Out(note=MAINTENANCE)
    raise Refuse(f"{type(node).__name__} statements have no verified {target} translation")


COMMANDS = {
    "DO": "DO blocks are procedural code with no faithful translation",
    "CREATE EXTENSION": "extensions are PostgreSQL-only",
    "ALTER TABLE": "sqlglot cannot parse this ALTER TABLE form, so its meaning cannot be checked",
    "CREATE FUNCTION": REFUSED_KINDS["FUNCTION"],
    "CREATE OR REPLACE FUNCTION": REFUSED_KINDS["FUNCTION"],
    "CREATE TRIGGER": REFUSED_KINDS["TRIGGER"],
}


MAINTENANCE = "maintenance (statistics, vacuum, reindex) changes no schema or data"
NO_USERS = "SQLite has no users, so no row security or policies"
NO_OWNERS = "SQLite has no users or owners"
# Raw commands that mean nothing on the target: (text prefix, contains, targets, note).
NO_OPS = (
    ("VACUUM", "", ("sqlite", "mysql"), MAINTENANCE),
    ("REINDEX", "", ("sqlite", "mysql"), MAINTENANCE),
    ("ALTER TABLE", " VALIDATE CONSTRAINT ", ("sqlite", "mysql"),
     "constraints are checked against existing rows when they are added on the target"),
    ("ALTER TABLE", " SET STATISTICS ", ("sqlite", "mysql"), MAINTENANCE),
    ("ALTER TABLE", " OWNER TO ", ("sqlite",), NO_OWNERS),
    ("ALTER TABLE", " ROW LEVEL SECURITY ", ("sqlite",), NO_USERS),
    ("CREATE POLICY", "", ("sqlite",), NO_USERS),
    ("ALTER POLICY", "", ("sqlite",), NO_USERS),
    ("DROP POLICY", "", ("sqlite",), NO_USERS),
)  # fmt: skip


def _command(node: exp.Command, target: str, catalog: Catalog) -> Out:
    text = " ".join((node.name + " " + str(node.expression or "")).upper().split()) + " "
    if text.startswith("ALTER TYPE "):
        return sequences.alter_type(str(node.expression), target, catalog)
    if text.startswith("ALTER SEQUENCE "):
        return sequences.alter_sequence(str(node.expression), target)
    for start, inside, targets, note in NO_OPS:
        if not (text.startswith(start) and inside in text):
            continue
        # one action only: `ALTER TABLE t OWNER TO x, ADD COLUMN ...` is not a no-op
        if target in targets and "," not in text:
            return Out(note=note)
        if note in (NO_USERS, NO_OWNERS) and target == "mysql":
            raise Refuse("PostgreSQL roles, owners and row security do not map onto MySQL "
                         "accounts: grant on the target")  # fmt: skip
    raise Refuse(_command_reason(node))


def _truncate(node: exp.TruncateTable, target: str) -> Out:
    """DELETE FROM: MySQL's TRUNCATE would also reset AUTO_INCREMENT, PostgreSQL's does not."""
    if node.args.get("identity") or node.args.get("option"):
        raise Refuse("TRUNCATE ... RESTART IDENTITY / CASCADE has no verified translation")
    names = [tables.name_of(t, target) for t in node.expressions]
    return Out(tuple(f"DELETE FROM {quote(n, target)}" for n in names))


def _command_reason(node: exp.Command) -> str:
    text = " ".join((node.name + " " + str(node.expression or "")).upper().split())
    for start, reason in COMMANDS.items():
        if text.startswith(start):
            return reason
    return (f"sqlglot does not understand this {node.name.upper()} statement (it parsed as a "
            "raw command), so its meaning cannot be checked")  # fmt: skip


def _create(node: exp.Create, target: str, catalog: Catalog) -> Out:
    kind = (node.kind or "").upper()
    if kind in REFUSED_KINDS:
        raise Refuse(REFUSED_KINDS[kind])
    if kind == "TABLE" and node.expression is not None:
        create, insert = derived.as_select(node, catalog)
        out = tables.create_table(create, target, catalog).sql
        return Out(out + (dml.dml(insert, target, catalog).sql if insert else ()))
    if kind == "TABLE":
        return tables.create_table(node, target, catalog)
    if kind == "INDEX":
        return indexes.create(node, target, catalog)
    if kind == "VIEW":
        return _view(node, target, catalog)
    if kind == "TYPE":
        return _enum(node, catalog)
    if kind == "SEQUENCE":
        return sequences.create(node, target)
    raise Refuse(f"CREATE {kind} has no verified {target} translation")


def _enum(node: exp.Create, catalog: Catalog) -> Out:
    enum = node.expression
    labels = [e for e in (enum.expressions if enum is not None else [])]
    if not isinstance(enum, exp.DataType) or not all(
        isinstance(e, exp.Literal) and e.is_string for e in labels
    ):
        raise Refuse("only CREATE TYPE ... AS ENUM is translated")
    catalog.enums[node.this.name] = tuple(e.name for e in labels)
    return Out(note="enum types become a CHECK (SQLite) or ENUM (MySQL) on each column")


def _view(node: exp.Create, target: str, catalog: Catalog) -> Out:
    if node.args.get("materialized") or node.args.get("properties"):
        raise Refuse("materialized views and view options have no equivalent")
    query = node.expression.copy()
    safe.integer_division(query, target, catalog)
    query = safe.checked(query, target, "the view")
    view = tables.name_of(node.this, target)
    catalog.views[view] = frozenset(t.name for t in query.find_all(exp.Table))
    name = quote(view, target)
    body = f"CREATE VIEW {name} AS {generate(query, target)}"
    if node.args.get("replace"):
        if target == "sqlite":
            return Out((f"DROP VIEW IF EXISTS {name}", body))
        body = body.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1)
    return Out((body,))


def _drop(node: exp.Drop, target: str, catalog: Catalog) -> Out:
    kind = (node.kind or "").upper()
    names = [t.name for t in node.args.get("tables") or []]
    if node.args.get("cascade"):
        _cascade_drops_nothing(kind, names, catalog)
    exists = " IF EXISTS" if node.args.get("exists") else ""
    if kind == "TYPE":
        for n in names:
            catalog.enums.pop(n, None)
        return Out(note="enum types exist only as column definitions on the target")
    if kind in ("TABLE", "VIEW"):
        for n in names:
            catalog.drop_table(n)
            if kind == "TABLE":
                _drop_dependents(n, catalog)
        return Out(tuple(f"DROP {kind}{exists} {quote(n, target)}" for n in names))
    if kind == "INDEX":
        return Out(tuple(s for n in names for s in indexes.drop(n, exists, target, catalog)))
    if kind == "SEQUENCE":
        return sequences.drop(node, target)
    raise Refuse(f"DROP {kind} has no verified {target} translation")


def _cascade_drops_nothing(kind: str, names: list[str], catalog: Catalog) -> None:
    """CASCADE is kept out of the target when these migrations made nothing it would drop."""
    for n in names:
        known = n in (catalog.sources if kind == "TABLE" else catalog.views)
        if kind not in ("TABLE", "VIEW") or not known:
            raise Refuse("DROP ... CASCADE also drops dependent objects, which these migrations "
                         f"may not have created: the target would not drop them ({n})")  # fmt: skip
        others = rebuild.readers_of(n, catalog) + rebuild.referrers_of(n, catalog)
        if others:
            raise Refuse(f"DROP ... CASCADE also drops {', '.join(others)} (or its foreign key); "
                         "the target would not: drop them first")  # fmt: skip


def _drop_dependents(table: str, catalog: Catalog) -> None:
    """PostgreSQL refuses to drop a table a view reads (without CASCADE): nothing to follow."""
    for name in [k for k, (t, _c) in catalog.indexes.items() if t == table]:
        catalog.indexes.pop(name, None)
        catalog.index_sources.pop(name, None)

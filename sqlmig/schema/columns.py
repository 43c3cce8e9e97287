"""ALTER TABLE statements for the columns of a table that changes in place."""

from __future__ import annotations

from . import ddl
from .model import Column, Snapshot, Table
from .stmt import Stmt


def alter(snap: Snapshot, a: Table, b: Table) -> list[Stmt]:
    dialect = ddl.of(snap)
    quote = dialect.quote
    table = ddl.qname(snap, b.schema, b.name)
    old, new = {c.name: c for c in a.columns}, {c.name: c for c in b.columns}
    added = [c for c in b.columns if c.name not in old]
    removed = [c for c in a.columns if c.name not in new]
    renames = _rename_notes(dialect, b.name, removed, added)
    out = _options(table, a, b) if dialect.mysql and a.options != b.options else []
    out += [
        Stmt(f"ALTER TABLE {table} ADD COLUMN {ddl.column(c, dialect)};", _add_note(b, c))
        for c in added
    ]
    for c in b.columns:
        if c.name in old and old[c.name] != c:
            out += _change(table, b.name, old[c.name], c, dialect)
    out += [
        Stmt(
            f"ALTER TABLE {table} DROP COLUMN {quote(c.name)};",
            renames.get(c.name, f"drops column {b.name}.{c.name} and its data"),
        )
        for c in removed
    ]
    return out


def _add_note(t: Table, c: Column) -> str | None:
    if not c.nullable and c.default is None and c.identity is None and c.generated is None:
        return f"{t.name}.{c.name} is NOT NULL without a default: this fails if the table has rows"
    return None


def _rename_notes(
    dialect: ddl.Dialect, table: str, removed: list[Column], added: list[Column]
) -> dict[str, str]:
    quote = dialect.quote
    out = {}
    for r in removed:
        for a in added:
            if a.type == r.type:
                out[r.name] = (
                    f"column {table}.{r.name} is dropped and {table}.{a.name} added with the "
                    f"same type: if this is a rename, write ALTER TABLE ... RENAME COLUMN "
                    f"{quote(r.name)} TO {quote(a.name)} instead (as written, its data is lost)"
                )
                break
    return out


def _change(table: str, name: str, x: Column, y: Column, dialect: ddl.Dialect) -> list[Stmt]:
    quote = dialect.quote
    col = f"ALTER TABLE {table} ALTER COLUMN {quote(y.name)}"
    if (x.generated, x.stored) != (y.generated, y.stored):
        note = None if x.generated else f"drops the data of {name}.{y.name}: it becomes generated"
        return [
            Stmt(f"ALTER TABLE {table} DROP COLUMN {quote(y.name)};", note),
            Stmt(f"ALTER TABLE {table} ADD COLUMN {ddl.column(y, dialect)};"),
        ]
    if dialect.mysql:
        return [_modify(table, name, x, y, dialect)]
    out = []
    if x.identity and x.identity != y.identity:
        out.append(Stmt(f"{col} DROP IDENTITY;"))
    if x.default is not None and x.default != y.default:
        out.append(Stmt(f"{col} DROP DEFAULT;"))
    if (x.type, x.collation) != (y.type, y.collation):
        collate = f" COLLATE {quote(y.collation)}" if y.collation else ""
        out.append(
            Stmt(
                f"{col} TYPE {y.type}{collate} USING {quote(y.name)}::{y.type};",
                f"{name}.{y.name} changes type from {x.type} to {y.type}: check that every "
                "value converts without loss",
            )
        )
    if y.default is not None and x.default != y.default:
        out.append(Stmt(f"{col} SET DEFAULT {y.default};"))
    if x.nullable != y.nullable:
        verb = "DROP NOT NULL" if y.nullable else "SET NOT NULL"
        note = None if y.nullable else f"fails if {name}.{y.name} holds NULLs: fill them first"
        out.append(Stmt(f"{col} {verb};", note))
    if y.identity and x.identity != y.identity:
        out.append(Stmt(f"{col} ADD GENERATED {y.identity.upper()} AS IDENTITY;"))
    return out


def _modify(table: str, name: str, x: Column, y: Column, dialect: ddl.Dialect) -> Stmt:
    """MySQL restates the whole column: type, NULL, default, collation, AUTO_INCREMENT at once."""
    notes = []
    if (x.type, x.collation) != (y.type, y.collation):
        notes.append(
            f"{name}.{y.name} changes type from {x.type} to {y.type}: check that every "
            "value converts without loss"
        )
    if x.nullable and not y.nullable:
        notes.append(f"fails if {name}.{y.name} holds NULLs: fill them first")
    sql = f"ALTER TABLE {table} MODIFY COLUMN {ddl.column(y, dialect)};"
    return Stmt(sql, "; ".join(notes) or None)


def _options(table: str, a: Table, b: Table) -> list[Stmt]:
    """MySQL table options: ENGINE and COLLATE as the new table states them; one it no longer
    states goes back to InnoDB or the database's character set."""
    new = {o.split("=", 1)[0]: o for o in b.options}
    parts = [new.get("ENGINE", "ENGINE=InnoDB")]
    if any(o.startswith("COLLATE=") for o in a.options + b.options):
        parts.append(new.get("COLLATE", "CHARACTER SET DEFAULT"))
    note = None
    if "COLLATE" in new or any(o.startswith("COLLATE=") for o in a.options):
        note = (
            f"changes the default collation of {b.name}: its existing columns keep theirs "
            "(CONVERT TO CHARACTER SET would change them too)"
        )
    return [Stmt(f"ALTER TABLE {table} {', '.join(parts)};", note)]

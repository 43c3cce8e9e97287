"""Keys PostgreSQL folds away in CREATE TABLE: `id int PRIMARY KEY UNIQUE` makes one index.

PostgreSQL keeps the primary key, then the first of several keys on the same columns (in the
order they are written); a later one's name goes to an unnamed first one. The targets would make
every key, so the redundant ones are removed from the source before it is translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp


@dataclass(eq=False)  # compared by identity: two UNIQUE (a) nodes are equal as trees
class _Key:
    columns: tuple[str, ...]
    primary: bool
    name: str | None
    node: exp.Expression  # the ColumnConstraint or the table element
    owner: exp.ColumnDef | None  # the column of a column-level key


def drop_redundant_keys(schema: exp.Schema) -> None:
    """Remove every key that repeats the columns of the primary key or of an earlier key."""
    keys = _keys(schema)
    kept = [k for k in keys if k.primary][:1]
    for key in keys:
        if key in kept:
            continue
        prior = next((k for k in kept if k.columns == key.columns), None)
        if prior is None:
            kept.append(key)
            continue
        _remove(schema, key)
        if prior.name is None and key.name is not None and not prior.primary:
            _rename(schema, prior, key.name)


def _keys(schema: exp.Schema) -> list[_Key]:
    out: list[_Key] = []
    for e in schema.expressions:
        if isinstance(e, exp.ColumnDef):
            for c in e.constraints:
                kind = c.args.get("kind")
                if isinstance(kind, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                    name = c.this.name if c.this is not None else None
                    primary = isinstance(kind, exp.PrimaryKeyColumnConstraint)
                    out.append(_Key((e.name,), primary, name, c, e))
            continue
        named = isinstance(e, exp.Constraint) and len(e.expressions) == 1
        inner = e.expressions[0] if named else e
        if isinstance(inner, exp.PrimaryKey):
            cols = tuple(c.name for c in inner.expressions)
            out.append(_Key(cols, True, e.name if named else None, e, None))
        elif isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
            cols = tuple(c.name for c in inner.this.expressions)
            out.append(_Key(cols, False, e.name if named else None, e, None))
    return out


def _remove(schema: exp.Schema, key: _Key) -> None:
    if key.owner is not None:
        key.owner.set("constraints", [c for c in key.owner.constraints if c is not key.node])
    else:
        schema.set("expressions", [e for e in schema.expressions if e is not key.node])


def _rename(schema: exp.Schema, key: _Key, name: str) -> None:
    """The kept unique key takes the name: as a table-level `CONSTRAINT name UNIQUE (cols)`."""
    _remove(schema, key)
    cols = [exp.to_identifier(c) for c in key.columns]
    unique = exp.UniqueColumnConstraint(this=exp.Schema(expressions=cols))
    named = exp.Constraint(this=exp.to_identifier(name), expressions=[unique])
    schema.set("expressions", [*schema.expressions, named])

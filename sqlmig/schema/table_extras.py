"""Statements for what hangs off tables and other objects: parents (INHERITS, PARTITION OF),
extended statistics, row security, policies and comments. Changed or gone ones are dropped
first (a policy can hold a column that is about to change), a parent is left once the indexes
are dropped (a partition would keep its part of one); new and changed ones are made last, once
their objects exist."""

from __future__ import annotations

from . import objects, pg_ddl
from .ddl import qname
from .model import Comment, RowSecurity, Snapshot, Table
from .stmt import Stmt

# Kinds of comment (the start of Comment.name), longest first
_KINDS = (
    "materialized view", "foreign table", "procedure", "function", "constraint", "sequence",
    "trigger", "column", "domain", "schema", "policy", "index", "table", "type", "view",
)  # fmt: skip


def _by(objs) -> dict:
    return {(o.schema, getattr(o, "table", ""), o.name): o for o in objs}


def _stays(snap: Snapshot, schema: str, table: str) -> bool:
    return snap.table(schema, table) is not None


def drop(old: Snapshot, new: Snapshot) -> list[Stmt]:
    stats, policies = _by(new.statistics), _by(new.policies)
    out = objects.release(old, new)
    out += [Stmt(pg_ddl.drop_statistic(old, s)) for k, s in sorted(_by(old.statistics).items())
           if stats.get(k) != s and _stays(new, s.schema, s.table)]  # fmt: skip
    return out + [Stmt(pg_ddl.drop_policy(old, p)) for k, p in sorted(_by(old.policies).items())
                  if policies.get(k) != p and _stays(new, p.schema, p.table)]  # fmt: skip


def create(old: Snapshot, new: Snapshot, *, remade: set[str]) -> list[Stmt]:
    """`remade`: display names of objects the generated SQL drops and creates again (their
    comments are gone with them)."""
    stats, policies = _by(old.statistics), _by(old.policies)
    out = _attach(old, new)
    out += [Stmt(pg_ddl.create_statistic(s)) for k, s in sorted(_by(new.statistics).items())
            if stats.get(k) != s]  # fmt: skip
    out += _row_security(old, new)
    out += [Stmt(pg_ddl.create_policy(new, p)) for k, p in sorted(_by(new.policies).items())
            if policies.get(k) != p]  # fmt: skip
    return out + _comments(old, new, remade)


def detach(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Parents a table leaves (before its columns change: an inherited one cannot be dropped)."""
    out = []
    for t, was in _kept_tables(old, new):
        name = qname(new, t.schema, t.name)
        out += [Stmt(f"ALTER TABLE {name} NO INHERIT {qname(new, *p)};")
                for p in was.inherits if p not in t.inherits]  # fmt: skip
        if was.partition_of and was.partition_of != t.partition_of:
            parent = qname(new, *was.partition_of[:2])
            out.append(Stmt(f"ALTER TABLE {parent} DETACH PARTITION {name};"))
    return out


def _attach(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Parents a table joins, once its columns are those of the parent."""
    out = []
    for t, was in _kept_tables(old, new):
        name = qname(new, t.schema, t.name)
        out += [Stmt(f"ALTER TABLE {name} INHERIT {qname(new, *p)};")
                for p in t.inherits if p not in was.inherits]  # fmt: skip
        if t.partition_of and was.partition_of != t.partition_of:
            parent = qname(new, *t.partition_of[:2])
            out.append(Stmt(f"ALTER TABLE {parent} ATTACH PARTITION {name} {t.partition_of[2]};"))
    return out


def _kept_tables(old: Snapshot, new: Snapshot) -> list[tuple[Table, Table]]:
    pairs = [(t, old.table(t.schema, t.name)) for t in new.tables]
    return [(t, was) for t, was in pairs if was is not None]


def _row_security(old: Snapshot, new: Snapshot) -> list[Stmt]:
    had, now = _by(old.row_security), _by(new.row_security)
    out = []
    for k in sorted(had.keys() | now.keys()):
        r = now.get(k) or RowSecurity(k[0], k[2], enabled=False, forced=False)
        if k in now or _stays(new, r.schema, r.name):
            out += [Stmt(sql) for sql in pg_ddl.row_security(new, r, had.get(k))]
    return out


def _comments(old: Snapshot, new: Snapshot, remade: set[str]) -> list[Stmt]:
    """Comments new or changed, or on an object made again; removed ones set to NULL."""
    items_old, items_new = old.items(), new.items()
    changed = {i.name for k, i in items_old.items() if items_new.get(k) != i} | remade
    exists = {i.name for i in items_new.values()}
    had, now = _by(old.comments), _by(new.comments)
    out = [Stmt(pg_ddl.comment(c)) for k, c in sorted(now.items())
           if had.get(k) != c or _touched(c, changed)]  # fmt: skip
    gone = [c for k, c in sorted(had.items()) if k not in now]
    return out + [Stmt(pg_ddl.comment(c, remove=True)) for c in gone
                  if object_of(c) in exists and not _touched(c, changed)]  # fmt: skip


def _touched(c: Comment, changed: set[str]) -> bool:
    """Whether the object of a comment (or the view or table of a column) is made again."""
    name = object_of(c)
    return name in changed or (c.name.startswith("column ") and name.rsplit(".", 1)[0] in changed)


def object_of(c: Comment) -> str:
    """The display name of the object a comment is on: "column t.a" -> "t.a"."""
    kind = next((k for k in _KINDS if c.name.startswith(k + " ")), "")
    return c.name[len(kind) + 1 :]

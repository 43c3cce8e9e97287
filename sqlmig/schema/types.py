"""Statements for PostgreSQL domains and composite types: created before the tables that use
them, changed in place where ALTER can, dropped after those tables."""

from __future__ import annotations

from . import pg_ddl
from .ddl import qname, quote
from .model import Composite, Domain, Snapshot
from .stmt import Stmt


def _by(objs) -> dict:
    return {(o.schema, o.name): o for o in objs}


def create(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """New and changed ones, each after the ones it uses."""
    out: list[Stmt] = []
    domains, composites = _by(old.domains), _by(old.composites)
    for t in pg_ddl.type_order([*new.domains, *new.composites]):
        if isinstance(t, Domain) and domains.get((t.schema, t.name)) != t:
            out += _domain(new, domains.get((t.schema, t.name)), t)
        elif isinstance(t, Composite) and composites.get((t.schema, t.name)) != t:
            out += _composite(new, composites.get((t.schema, t.name)), t)
    return out


def drop(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Domains and composite types that are gone, each before the ones it uses."""
    keep = _by(new.domains) | _by(new.composites)
    gone = [t for t in reversed(pg_ddl.type_order([*old.domains, *old.composites]))
            if (t.schema, t.name) not in keep]  # fmt: skip
    return [Stmt(f"DROP {'DOMAIN' if isinstance(t, Domain) else 'TYPE'} "
                 f"{qname(old, t.schema, t.name)};") for t in gone]  # fmt: skip


def _domain(snap: Snapshot, was: Domain | None, d: Domain) -> list[Stmt]:
    if was is None:
        return [Stmt(pg_ddl.create_domain(snap, d))]
    name = qname(snap, d.schema, d.name)
    if (was.type, was.collation) != (d.type, d.collation):
        why = (f"domain {d.name} changes its type: dropped and created again, which fails while "
               "a column uses it (change those columns first)")  # fmt: skip
        return [Stmt(f"DROP DOMAIN {name};", why), Stmt(pg_ddl.create_domain(snap, d))]
    alter = f"ALTER DOMAIN {name}"
    out = []
    if was.default != d.default:
        out.append(Stmt(f"{alter} SET DEFAULT {d.default};" if d.default is not None
                        else f"{alter} DROP DEFAULT;"))  # fmt: skip
    if was.nullable != d.nullable:
        out.append(
            Stmt(f"{alter} DROP NOT NULL;")
            if d.nullable
            else Stmt(f"{alter} SET NOT NULL;", f"fails if a column of domain {d.name} holds NULLs")
        )
    old_checks, new_checks = dict(was.checks), dict(d.checks)
    out += [Stmt(f"{alter} DROP CONSTRAINT {quote(snap, n)};")
            for n, c in was.checks if new_checks.get(n) != c]  # fmt: skip
    out += [Stmt(f"{alter} ADD {pg_ddl.domain_check(snap, n, c)};")
            for n, c in d.checks if old_checks.get(n) != c]  # fmt: skip
    return out


def _composite(snap: Snapshot, was: Composite | None, c: Composite) -> list[Stmt]:
    if was is None:
        return [Stmt(pg_ddl.create_composite(snap, c))]
    name = qname(snap, c.schema, c.name)
    old, new = dict(was.attributes), dict(c.attributes)
    kept = [(n, new[n]) for n, _t in was.attributes if n in new]
    if kept + [(n, t) for n, t in c.attributes if n not in old] != list(c.attributes):
        why = f"type {c.name} reorders its attributes: dropped and created again"
        return [Stmt(f"DROP TYPE {name};", why), Stmt(pg_ddl.create_composite(snap, c))]
    parts = [f"DROP ATTRIBUTE {quote(snap, n)}" for n in old if n not in new]
    parts += [f"ALTER ATTRIBUTE {quote(snap, n)} TYPE {t}" for n, t in c.attributes
              if n in old and old[n] != t]  # fmt: skip
    parts += [f"ADD ATTRIBUTE {quote(snap, n)} {t}" for n, t in c.attributes if n not in old]
    retyped = any(n in old and old[n] != t for n, t in c.attributes)
    why = f"an attribute of type {c.name} changes type: this fails while a column uses the type"
    return [Stmt(f"ALTER TYPE {name} {', '.join(parts)};", why if retyped else None)]

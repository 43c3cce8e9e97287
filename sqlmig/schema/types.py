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
    out: list[Stmt] = []
    domains = _by(old.domains)
    for k, d in sorted(_by(new.domains).items()):
        if domains.get(k) != d:
            out += _domain(new, domains.get(k), d)
    composites = _by(old.composites)
    for k, c in sorted(_by(new.composites).items()):
        if composites.get(k) != c:
            out += _composite(new, composites.get(k), c)
    return out


def drop(old: Snapshot, new: Snapshot) -> list[Stmt]:
    """Composite types and domains that are gone (composites first: they may use a domain)."""
    keep = _by(new.composites)
    out = [Stmt(f"DROP TYPE {qname(old, c.schema, c.name)};")
           for k, c in sorted(_by(old.composites).items()) if k not in keep]  # fmt: skip
    keep = _by(new.domains)
    return out + [Stmt(f"DROP DOMAIN {qname(old, d.schema, d.name)};")
                  for k, d in sorted(_by(old.domains).items()) if k not in keep]  # fmt: skip


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
    return [Stmt(f"ALTER TYPE {name} {', '.join(parts)};")]

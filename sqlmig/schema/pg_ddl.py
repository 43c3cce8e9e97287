"""PostgreSQL DDL for extensions, domains, composite types, statistics, row security, policies
and comments."""

from __future__ import annotations

import re

from .ddl import literal, qname, quote
from .model import Comment, Composite, Domain, Extension, Policy, RowSecurity, Snapshot, Statistic


def create_extension(snap: Snapshot, x: Extension) -> str:
    schema = quote(snap, x.schema)
    return f"CREATE EXTENSION IF NOT EXISTS {quote(snap, x.name)} WITH SCHEMA {schema};"


def drop_extension(snap: Snapshot, x: Extension) -> str:
    return f"DROP EXTENSION {quote(snap, x.name)};"


def domain_check(snap: Snapshot, name: str, check: str) -> str:
    return f"CONSTRAINT {quote(snap, name)} {check}"


def create_domain(snap: Snapshot, d: Domain) -> str:
    parts = [f"CREATE DOMAIN {qname(snap, d.schema, d.name)} AS {d.type}"]
    parts += [f"COLLATE {quote(snap, d.collation)}"] if d.collation else []
    parts += [f"DEFAULT {d.default}"] if d.default is not None else []
    parts += [] if d.nullable else ["NOT NULL"]
    parts += [domain_check(snap, n, c) for n, c in d.checks]
    return " ".join(parts) + ";"


def create_composite(snap: Snapshot, c: Composite) -> str:
    body = ", ".join(f"{quote(snap, n)} {t}" for n, t in c.attributes)
    return f"CREATE TYPE {qname(snap, c.schema, c.name)} AS ({body});"


def create_statistic(s: Statistic) -> str:
    return s.definition.rstrip(";") + ";"


def drop_statistic(snap: Snapshot, s: Statistic) -> str:
    return f"DROP STATISTICS {qname(snap, s.schema, s.name)};"


def create_policy(snap: Snapshot, p: Policy) -> str:
    kind = "PERMISSIVE" if p.permissive else "RESTRICTIVE"
    text = f"CREATE POLICY {quote(snap, p.name)} ON {qname(snap, p.schema, p.table)} AS {kind}"
    text += f" FOR {p.command} TO {', '.join(p.roles)}"
    text += f" USING ({p.using})" if p.using is not None else ""
    return text + (f" WITH CHECK ({p.check})" if p.check is not None else "") + ";"


def drop_policy(snap: Snapshot, p: Policy) -> str:
    return f"DROP POLICY {quote(snap, p.name)} ON {qname(snap, p.schema, p.table)};"


def row_security(snap: Snapshot, r: RowSecurity, was: RowSecurity | None = None) -> list[str]:
    """ALTER TABLE statements that turn `was` (None: off) into `r`."""
    table = f"ALTER TABLE {qname(snap, r.schema, r.name)}"
    out = []
    if r.enabled != (was.enabled if was else False):
        out.append(f"{table} {'ENABLE' if r.enabled else 'DISABLE'} ROW LEVEL SECURITY;")
    if r.forced != (was.forced if was else False):
        out.append(f"{table} {'FORCE' if r.forced else 'NO FORCE'} ROW LEVEL SECURITY;")
    return out


def comment(c: Comment, *, remove: bool = False) -> str:
    return f"COMMENT ON {c.target} IS {'NULL' if remove else literal(c.text)};"


def type_order(types: list[Domain | Composite]) -> list[Domain | Composite]:
    """Domains and composite types by name, each after the ones its definition names."""
    todo = sorted(types, key=lambda t: (t.schema, t.name))
    done: list[Domain | Composite] = []
    while todo:
        ready = [t for t in todo if not any(_uses(t, o) for o in todo if o is not t)]
        nxt = ready[0] if ready else todo[0]  # a cycle cannot be: fall back to name order
        done.append(nxt)
        todo.remove(nxt)
    return done


def _uses(t: Domain | Composite, other: Domain | Composite) -> bool:
    text = t.type if isinstance(t, Domain) else " ".join(a for _n, a in t.attributes)
    return re.search(rf"(?<![\w$]){re.escape(other.name)}(?![\w$])", text) is not None


def create_type(snap: Snapshot, t: Domain | Composite) -> str:
    return create_domain(snap, t) if isinstance(t, Domain) else create_composite(snap, t)

"""Generate the SQL that turns one snapshot into another, in an order where dependencies hold.

Up is generate(current, desired); down is generate(desired, current). What cannot be derived
safely (a drop that loses data, a drop + add that may be a rename) gets a review note.
"""

from __future__ import annotations

import re

from . import ddl, rebuild, table_extras
from .model import Constraint, Index, Snapshot, Table, View
from .stmt import Stmt


def generate(old: Snapshot, new: Snapshot) -> list[Stmt]:
    d = _Delta(old, new)
    if d.dialect.mysql:
        return _mysql(d)
    return [
        *table_extras.drop(old, new),
        *d.drop_triggers(), *d.drop_views(), *d.drop_constraints(foreign=True),
        *d.drop_indexes(), *d.drop_constraints(foreign=False), *d.drop_tables(),
        *table_extras.detach(old, new), *d.create_types(), *d.create_tables(), *d.alter_tables(),
        *d.add_constraints(foreign=False), *d.create_indexes(), *d.add_constraints(foreign=True),
        *d.create_views(), *d.create_triggers(), *table_extras.create(old, new, remade=d.remade()),
        *d.drop_types(),
    ]  # fmt: skip


def _mysql(d: _Delta) -> list[Stmt]:
    """Foreign keys dropped first and added last; in between, each table's changes at once."""
    from .mysql_alter import merge

    tables = merge([
        *d.drop_indexes(), *d.drop_constraints(foreign=False), *d.alter_tables(),
        *d.add_constraints(foreign=False), *d.create_indexes(),
    ])  # fmt: skip
    return [
        *d.drop_triggers(), *d.drop_views(), *d.drop_constraints(foreign=True), *d.drop_tables(),
        *d.create_types(), *d.create_tables(), *tables, *d.add_constraints(foreign=True),
        *d.create_views(), *d.create_triggers(), *d.drop_types(),
    ]  # fmt: skip


def _by(objs, key=lambda o: (o.schema, o.name)) -> dict:
    return {key(o): o for o in objs}


class _Delta:
    """What differs between two snapshots, and the statements for each step of the order."""

    def __init__(self, old: Snapshot, new: Snapshot) -> None:
        self.old, self.new = old, new
        self.dialect = ddl.DIALECTS[new.dialect]
        self.t_old, self.t_new = _by(old.tables), _by(new.tables)
        self.changed = {
            k for k in self.t_old.keys() & self.t_new.keys() if self.t_old[k] != self.t_new[k]
        }
        self.rebuilt = {k for k in self.changed if self._needs_rebuild(k)}
        self.views_out = self._views_to_drop()
        self.trig_old = _by(old.triggers, lambda t: (t.schema, t.table, t.name))
        self.trig_new = _by(new.triggers, lambda t: (t.schema, t.table, t.name))
        self.fk_redo = self._keys_on_retyped_columns() if self.dialect.mysql else []

    # -- what must go and come back -----------------------------------------------------------

    def remade(self) -> set[str]:
        """Display names of the views dropped and created again."""
        return {self.new.display(*k) for k in self.views_out}

    def _needs_rebuild(self, key: tuple[str, str]) -> bool:
        a, b = self.t_old[key], self.t_new[key]
        return rebuild.needed(self.dialect.alter, a, b)

    def _keys_on_retyped_columns(self) -> list[tuple[Table, Table, Constraint]]:
        """MySQL: a foreign key that stays but one of whose columns, or referenced columns,
        changes type cannot be kept across the change: it is dropped first, added again last."""
        retyped = set()
        for k in self.changed:
            old = {c.name: c for c in self.t_old[k].columns}
            retyped |= {
                (k, c.name) for c in self.t_new[k].columns
                if c.name in old and _shape(old[c.name]) != _shape(c)
            }  # fmt: skip
        out = []
        for k, b in sorted(self.t_new.items()):
            had = {c.name: c for c in self.t_old[k].constraints} if k in self.t_old else {}
            for c in b.constraints:
                ref = (c.ref_schema or b.schema, c.ref_table or "")
                touched = {(k, x) for x in c.columns} | {(ref, x) for x in c.ref_columns}
                if c.kind == "foreign key" and had.get(c.name) == c and touched & retyped:
                    out.append((self.t_old[k], b, c))
        return out

    def _views_to_drop(self) -> set[tuple[str, str]]:
        """Changed or removed views, views on changed tables, and the views built on those."""
        new = _by(self.new.views)
        out = {k for k, v in _by(self.old.views).items() if new.get(k) != v}
        names = {k[1] for k in self._reshaped() | (self.t_old.keys() - self.t_new.keys())}
        grew = True
        while grew:
            names |= {k[1] for k in out}
            more = {
                k for k, v in _by(self.old.views).items() if k not in out and _mentions(v, names)
            }
            out |= more
            grew = bool(more)
        return out

    def _reshaped(self) -> set[tuple[str, str]]:
        """Tables rebuilt, or with a column changed or dropped: views on them must be redone."""
        out = set(self.rebuilt)
        for k in self.changed:
            new = {c.name: c for c in self.t_new[k].columns}
            if any(new.get(c.name) != c for c in self.t_old[k].columns):
                out.add(k)
        return out

    # -- drops ------------------------------------------------------------------------------

    def drop_triggers(self) -> list[Stmt]:
        names = {k[1] for k in self.rebuilt}
        return [
            Stmt(ddl.drop_trigger(self.old, t))
            for k, t in self.trig_old.items()
            if (self.trig_new.get(k) != t or _mentions_text(t.definition, names))
            and (t.schema, t.table) in self.t_new
            and (t.schema, t.table) not in self.rebuilt
        ]

    def drop_views(self) -> list[Stmt]:
        views = [v for v in ddl.view_order(self.old.views) if (v.schema, v.name) in self.views_out]
        return [Stmt(ddl.drop_view(self.old, v)) for v in reversed(views)]

    def drop_constraints(self, *, foreign: bool) -> list[Stmt]:
        out = []
        for key in sorted(self.changed - self.rebuilt):
            a, b = self.t_old[key], self.t_new[key]
            keep = {c.name: c for c in b.constraints}
            out += [
                Stmt(ddl.drop_constraint(self.old, a, c))
                for c in a.constraints
                if (c.kind == "foreign key") == foreign and keep.get(c.name) != c
            ]
            if foreign and self.dialect.mysql:
                out += self._implicit_indexes(a, b)
        if foreign:  # FKs that point at a table about to be dropped or rebuilt elsewhere
            out += self._foreign_keys_to_dropped()
            out += [Stmt(ddl.drop_constraint(self.old, a, c)) for a, _b, c in self.fk_redo]
        return out

    def _implicit_indexes(self, a: Table, b: Table) -> list[Stmt]:
        """MySQL keeps the index it made for a foreign key after the key is dropped: drop it
        too, unless a key of the new table (kept, changed or new) can use it, or the new schema
        has an index of that name."""
        made = {(t, fk): i for t, fk, i in self.old.implicit}
        keep = {c.name: c for c in b.constraints}
        stays = [c for c in b.constraints if c.kind == "foreign key"]
        named = {i.name for i in self.new.indexes if i.table == b.name}
        out = []
        for c in a.constraints:
            index = made.get((a.name, c.name))
            if c.kind != "foreign key" or keep.get(c.name) == c or index is None:
                continue
            if index in named or any(c.columns[: len(s.columns)] == s.columns for s in stays):
                continue
            gone = Index(a.schema, index, a.name, ())
            out.append(Stmt(ddl.drop_index(self.old, gone)))
        return out

    def _foreign_keys_to_dropped(self) -> list[Stmt]:
        gone = self.t_old.keys() - self.t_new.keys()
        return [
            Stmt(ddl.drop_constraint(self.old, t, c))
            for k, t in sorted(self.t_old.items())
            if k in gone
            for c in t.constraints
            if c.kind == "foreign key" and (c.ref_schema, c.ref_table) in gone
            and not self.dialect.inline_foreign_keys
        ]  # fmt: skip

    def drop_indexes(self) -> list[Stmt]:
        new = _by(self.new.indexes)
        return [
            Stmt(ddl.drop_index(self.old, i))
            for k, i in sorted(_by(self.old.indexes).items())
            if new.get(k) != i and self._index_stays(i.schema, i.table)
        ]  # fmt: skip

    def _index_stays(self, schema: str, table: str) -> bool:
        """Whether what an index is on outlives the drops (else the index goes with it)."""
        key = (schema, table)
        if key in self.t_new:
            return key not in self.rebuilt
        return key in _by(self.new.views) and key not in self.views_out

    def drop_tables(self) -> list[Stmt]:
        gone = [self.t_old[k] for k in sorted(self.t_old.keys() - self.t_new.keys())]
        gone_keys = {(t.schema, t.name) for t in gone}  # a partition goes with its table
        hint = _table_renames(
            self.old, gone, [self.t_new[k] for k in self.t_new.keys() - self.t_old.keys()]
        )
        return [
            Stmt(
                f"DROP TABLE {ddl.qname(self.old, t.schema, t.name)};",
                hint.get(t.name, f"drops table {t.name} and all its rows"),
            )
            for t in _referencing_first(ddl.table_order(gone, children_first=True))
            if not (t.partition_of and (t.partition_of[0], t.partition_of[1]) in gone_keys)
        ]

    # -- types, sequences, functions ----------------------------------------------------------

    def create_types(self) -> list[Stmt]:
        from . import objects

        return objects.create(self.old, self.new)

    def drop_types(self) -> list[Stmt]:
        from . import objects

        return objects.drop(self.old, self.new)

    # -- tables ------------------------------------------------------------------------------

    def create_tables(self) -> list[Stmt]:
        out = []
        added = [self.t_new[k] for k in sorted(self.t_new.keys() - self.t_old.keys())]
        for t in ddl.table_order(_referenced_first(added)):
            out.append(Stmt(ddl.create_table(self.new, t)))
        for k in sorted(self.rebuilt):
            out += rebuild.statements(self.old, self.new, self.t_old[k], self.t_new[k])
        return out

    def alter_tables(self) -> list[Stmt]:
        out: list[Stmt] = []
        for k in sorted(self.changed - self.rebuilt):
            out += _alter_columns(self.new, self.t_old[k], self.t_new[k])
        return out

    def add_constraints(self, *, foreign: bool) -> list[Stmt]:
        if foreign and self.dialect.inline_foreign_keys:
            return []
        out = []
        for k, b in sorted(self.t_new.items()):
            if k in self.rebuilt or (k in self.t_old and k not in self.changed):
                continue
            had = {c.name: c for c in self.t_old[k].constraints} if k in self.t_old else None
            for c in b.constraints:
                if (c.kind == "foreign key") != foreign:
                    continue
                if had is None and not foreign:
                    continue  # inside the new table's CREATE TABLE
                if had is None or had.get(c.name) != c:
                    out.append(Stmt(ddl.add_constraint(self.new, b, c)))
        if foreign:
            out += [Stmt(ddl.add_constraint(self.new, b, c)) for _a, b, c in self.fk_redo]
        return out

    def create_indexes(self, *, on_views: bool = False) -> list[Stmt]:
        """New and changed indexes; those on (materialized) views come after the views."""
        old = _by(self.old.indexes)
        views = _by(self.new.views)
        return [
            Stmt(ddl.create_index(self.new, i))
            for k, i in sorted(_by(self.new.indexes).items())
            if (old.get(k) != i or (i.schema, i.table) in self.views_out)
            and (i.schema, i.table) not in self.rebuilt
            and ((i.schema, i.table) in views) == on_views
        ]

    def create_views(self) -> list[Stmt]:
        old = _by(self.old.views)
        return [
            Stmt(ddl.create_view(self.new, v))
            for v in ddl.view_order(self.new.views)
            if (v.schema, v.name) in self.views_out or (v.schema, v.name) not in old
        ] + self.create_indexes(on_views=True)

    def create_triggers(self) -> list[Stmt]:
        names = {k[1] for k in self.rebuilt}
        return [
            Stmt(ddl.create_trigger(t))
            for k, t in sorted(self.trig_new.items())
            if self.trig_old.get(k) != t
            or (t.schema, t.table) in self.rebuilt
            or _mentions_text(t.definition, names)
        ]


def _shape(c) -> tuple:
    return (c.type, c.collation)


def _mentions(v: View, names: set[str]) -> bool:
    return _mentions_text(v.definition, names)


def _mentions_text(text: str, names: set[str]) -> bool:
    return any(re.search(rf"(?<![\w$]){re.escape(n)}(?![\w$])", text) for n in names)


def _referencing_first(tables: list[Table]) -> list[Table]:
    """Tables ordered so that one is dropped before the tables its foreign keys point at."""
    todo, done = list(tables), []
    while todo:
        names = {t.name for t in todo}
        ready = [
            t for t in todo
            if not any(
                c.kind == "foreign key" and c.ref_table == t.name
                for o in todo if o is not t and o.name in names for c in o.constraints
            )
        ]  # fmt: skip
        nxt = ready[0] if ready else todo[0]
        done.append(nxt)
        todo.remove(nxt)
    return done


def _referenced_first(tables: list[Table]) -> list[Table]:
    """Tables in name order, except that a table comes after the tables its foreign keys point
    at (MySQL refuses a key to a table that does not exist yet; a cycle keeps name order)."""
    todo, done = list(tables), []
    while todo:
        names = {t.name for t in todo}
        ready = [
            t for t in todo
            if not any(c.kind == "foreign key" and c.ref_table in names - {t.name}
                       for c in t.constraints)
        ]  # fmt: skip
        nxt = ready[0] if ready else todo[0]
        done.append(nxt)
        todo.remove(nxt)
    return done


def _table_renames(snap: Snapshot, gone: list[Table], added: list[Table]) -> dict[str, str]:
    """Review notes for dropped tables that look like a new table under another name."""
    quote = ddl.of(snap).quote
    out = {}
    for g in gone:
        shape = [(c.name, c.type) for c in g.columns]
        for a in added:
            if [(c.name, c.type) for c in a.columns] == shape:
                out[g.name] = (
                    f"table {g.name} is dropped and {a.name} created with the same columns: if "
                    f"this is a rename, write ALTER TABLE {quote(g.name)} RENAME TO "
                    f"{quote(a.name)} instead (as written, the rows of {g.name} are lost)"
                )
    return out


def _alter_columns(snap: Snapshot, a: Table, b: Table) -> list[Stmt]:
    from .columns import alter

    return alter(snap, a, b)


def render(stmts: list[Stmt], *, title: str) -> str:
    """A migration file: a header, then each statement with its review note above it."""
    head = [f"-- {title}"]
    if any(s.review for s in stmts):
        head.append("-- sqlmig:review statements marked below need a person's review")
    body = [(f"-- sqlmig:review {s.review}\n" if s.review else "") + s.sql for s in stmts]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"

"""What earlier statements created: tables' columns, enum types, indexes and named constraints."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlglot import exp


@dataclass(frozen=True)
class ColumnState:
    """A column as the source declared it (source-dialect AST nodes), to rebuild its definition."""

    dtype: Any  # exp.DataType
    nullable: bool = True
    default: Any = None  # exp.Expression | None
    auto: bool = False  # serial or identity
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED

    def but(self, **changes: Any) -> ColumnState:
        return replace(self, **changes)


@dataclass
class Catalog:
    """Mutable state threaded through a migration set: later statements depend on earlier ones."""

    tables: dict[str, dict[str, ColumnState]] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=dict
    )  # name: table, cols
    constraints: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (table, kind)
    # For SQLite table rebuilds: each table's source CREATE TABLE, kept in step with every ALTER,
    # its indexes' source CREATE INDEX, and the tables each view reads.
    sources: dict[str, Any] = field(default_factory=dict)
    index_sources: dict[str, Any] = field(default_factory=dict)
    views: dict[str, frozenset[str]] = field(default_factory=dict)

    def column(self, table: str, name: str) -> ColumnState | None:
        return self.tables.get(table, {}).get(name)

    def rename_table(self, old: str, new: str) -> None:
        from sqlglot import exp

        if old in self.tables:
            self.tables[new] = self.tables.pop(old)
        if old in self.sources:
            self.sources[new] = self.sources.pop(old)
        for node in [*self.sources.values(), *self.index_sources.values()]:
            for t in node.find_all(exp.Table):
                if t.name == old:
                    t.set("this", exp.to_identifier(new))
        self.indexes = {k: (new if t == old else t, c) for k, (t, c) in self.indexes.items()}
        self.constraints = {
            k: (new if t == old else t, c) for k, (t, c) in self.constraints.items()
        }

    def rename_column(self, table: str, old: str, new: str) -> None:
        for node in [self.sources.get(table), *self.index_sources.values()]:
            if node is not None:
                rename_in(node, table, old, new)
        cols = self.tables.get(table)
        if cols is not None and old in cols:
            self.tables[table] = {(new if k == old else k): v for k, v in cols.items()}
        self.indexes = {
            k: (t, tuple(new if t == table and c == old else c for c in cs))
            for k, (t, cs) in self.indexes.items()
        }

    def drop_table(self, name: str) -> None:
        self.tables.pop(name, None)
        self.sources.pop(name, None)
        self.views.pop(name, None)
        self.index_sources = {
            k: v for k, v in self.index_sources.items() if self.indexes.get(k, ("",))[0] != name
        }
        self.indexes = {k: v for k, v in self.indexes.items() if v[0] != name}
        self.constraints = {k: v for k, v in self.constraints.items() if v[0] != name}


def rename_in(node: exp.Expression, table: str, old: str, new: str) -> None:
    """Rename column `old` of `table` wherever a source node names it (not other tables' keys)."""
    from sqlglot import exp

    for ident in list(node.find_all(exp.Identifier)):
        ref = ident.find_ancestor(exp.Reference)
        if ident.name != old or isinstance(ident.parent, (exp.Table, exp.Index, exp.Constraint)):
            continue
        if ref is not None and ref.find(exp.Table).name != table:
            continue
        ident.set("this", new)

"""The normalised schema model: frozen values read from catalogs, compared item by item."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

from .flatten import Item, flatten


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: str | None = None  # "always" | "by default" | "autoincrement"
    generated: str | None = None  # the expression of a generated column
    stored: bool = True  # a generated column is stored (else virtual)
    collation: str | None = None
    on_update: str | None = None  # MySQL: ON UPDATE CURRENT_TIMESTAMP


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # "primary key" | "unique" | "check" | "foreign key" | "exclude"
    columns: tuple[str, ...] = ()
    expression: str | None = None  # check expression, or the definition of an exclusion
    ref_schema: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    deferrable: str | None = None  # None | "DEFERRABLE" | "DEFERRABLE INITIALLY DEFERRED"


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    constraints: tuple[Constraint, ...] = ()
    options: tuple[str, ...] = ()  # SQLite: "WITHOUT ROWID", "STRICT"
    partition_by: str | None = None  # PostgreSQL: "RANGE (at)" of a partitioned table
    partition_of: tuple[str, str, str] | None = None  # (schema, table, bound) of a partition
    inherits: tuple[tuple[str, str], ...] = ()  # PostgreSQL: (schema, table) of INHERITS


@dataclass(frozen=True)
class Index:
    schema: str
    name: str
    table: str
    columns: tuple[str, ...]  # SQL of each key (a name or an expression, maybe DESC)
    unique: bool = False
    where: str | None = None
    method: str = "btree"
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class View:
    schema: str
    name: str
    definition: str  # the query, as the database normalises it
    materialized: bool = False
    columns: tuple[str, ...] = ()  # SQLite: the column list written after the view's name


@dataclass(frozen=True)
class Sequence:
    schema: str
    name: str
    type: str = "bigint"
    start: int = 1
    increment: int = 1
    minvalue: int | None = None
    maxvalue: int | None = None
    cycle: bool = False
    owned_by: tuple[str, str] | None = None  # (table, column) of a serial column


@dataclass(frozen=True)
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Routine:
    """A function or procedure: compared by its definition, which is not interpreted."""

    schema: str
    name: str
    signature: str  # identity arguments, e.g. "integer, text"
    definition: str


@dataclass(frozen=True)
class Trigger:
    """Compared by its definition, which is not interpreted."""

    schema: str
    name: str
    table: str
    definition: str


@dataclass(frozen=True)
class Extension:
    """PostgreSQL: an installed extension; its own objects are left out of the snapshot."""

    schema: str  # where its objects live
    name: str


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    collation: str | None = None
    checks: tuple[tuple[str, str], ...] = ()  # (name, "CHECK (...)"), by name


@dataclass(frozen=True)
class Composite:
    """A composite type: (name, type with its collation) of each attribute, in order."""

    schema: str
    name: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Statistic:
    """Extended statistics (CREATE STATISTICS), compared by their definition."""

    schema: str
    name: str
    table: str
    definition: str


@dataclass(frozen=True)
class Policy:
    """A row-level security policy on a table."""

    schema: str
    name: str
    table: str
    command: str = "ALL"  # ALL | SELECT | INSERT | UPDATE | DELETE
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    check: str | None = None


@dataclass(frozen=True)
class RowSecurity:
    """Row-level security of table `name`, when turned on (forced: for its owner too)."""

    schema: str
    name: str
    enabled: bool = True
    forced: bool = False


@dataclass(frozen=True)
class Comment:
    """COMMENT ON `target` (SQL naming the object); `name` says which, e.g. "column t.a"."""

    schema: str
    name: str
    target: str
    text: str
    table: str = ""  # the table the object belongs to, if any


@dataclass(frozen=True)
class Other:
    """An object of a kind sqlmig does not model (a range type, a rule...): compared by its
    presence only, and left out of a dump (with a note)."""

    schema: str
    name: str  # as displayed: qualified unless in the default schema
    kind: str


@dataclass(frozen=True)
class Snapshot:
    """A whole schema. Every sequence is sorted, so equal schemas are equal values."""

    dialect: str
    default_schema: str
    schemas: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    indexes: tuple[Index, ...] = ()
    views: tuple[View, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    enums: tuple[Enum, ...] = ()
    routines: tuple[Routine, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    extensions: tuple[Extension, ...] = ()
    domains: tuple[Domain, ...] = ()
    composites: tuple[Composite, ...] = ()
    statistics: tuple[Statistic, ...] = ()
    policies: tuple[Policy, ...] = ()
    row_security: tuple[RowSecurity, ...] = ()
    comments: tuple[Comment, ...] = ()
    others: tuple[Other, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # what could not be read
    # MySQL: (table, foreign key, index) for the index InnoDB made for a foreign key; left out
    # of the comparison (the server names it) but needed to drop it along with the key
    implicit: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

    def display(self, schema: str, name: str) -> str:
        return name if schema == self.default_schema else f"{schema}.{name}"

    def table(self, schema: str, name: str) -> Table | None:
        return next((t for t in self.tables if (t.schema, t.name) == (schema, name)), None)

    @cached_property
    def _items(self) -> dict[tuple[str, str], Item]:
        return {(i.kind, i.name): i for i in flatten(self)}

    def items(self) -> dict[tuple[str, str], Item]:
        """Every object as a flat, comparable item keyed by (kind, display name)."""
        return self._items

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("notes")
        data.pop("implicit")
        return data


def order_key(o: Any) -> tuple:
    """Where an object goes in its collection's canonical order."""
    return (o.schema, getattr(o, "table", ""), o.name, getattr(o, "signature", ""))


def sort_snapshot(snap: Snapshot) -> Snapshot:
    """The same snapshot with every collection in a canonical order."""
    key = order_key
    tables = tuple(
        replace(t, constraints=tuple(sorted(t.constraints, key=_ckey)))
        for t in sorted(snap.tables, key=key)
    )
    return Snapshot(
        snap.dialect,
        snap.default_schema,
        tuple(sorted(snap.schemas)),
        tables,
        *(tuple(sorted(getattr(snap, f), key=key)) for f in COLLECTIONS[1:]),
        notes=snap.notes,
        implicit=tuple(sorted(snap.implicit)),
    )


COLLECTIONS = (
    "tables", "indexes", "views", "sequences", "enums", "routines", "triggers", "extensions",
    "domains", "composites", "statistics", "policies", "row_security", "comments", "others",
)  # fmt: skip
KIND_ORDER = {"primary key": 0, "unique": 1, "check": 2, "exclude": 3, "foreign key": 4}


def _ckey(c: Constraint) -> tuple:
    return (KIND_ORDER.get(c.kind, 9), c.name)

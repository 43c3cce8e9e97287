"""What rules know about a file: its statements, direction, transaction, and what it creates."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import DEFAULT_PG_VERSION as DEFAULT_PG_VERSION  # re-exported
from .parse import Problem


@dataclass(frozen=True)
class Stmt:
    """One statement: its text without leading comments, where it starts, and its tree."""

    index: int
    sql: str
    offset: int  # file offset of sql[0]
    lead: str  # the comments before it: `-- sqlmig:ignore` lives here
    lead_offset: int
    keyword: str  # "CREATE INDEX", "ALTER TABLE", "INSERT INTO", ...
    node: Any = None  # sqlglot tree; None when not parsed, unparsable (`problem`) or not kept
    problem: Problem | None = None
    note: str | None = None  # why an unparsed statement is not checked (PostgreSQL's verdict)


@dataclass(frozen=True)
class Objects:
    """Named objects a file creates or drops: (kind, name) -> line. Names are lower case."""

    items: Mapping[tuple[str, str], int] = field(default_factory=dict)
    index_on: Mapping[str, str] = field(default_factory=dict)  # index -> table
    renamed: Mapping[str, str] = field(default_factory=dict)  # table -> its name before the file
    types: Mapping[str, Any] = field(default_factory=dict)  # "table.column" -> its type (a tree)
    columns_renamed: Mapping[str, str] = field(default_factory=dict)  # "t.old" -> "t.new"
    index_columns: Mapping[str, frozenset[str]] = field(default_factory=dict)  # index -> columns

    def has(self, kind: str, name: str) -> bool:
        return (kind, name) in self.items

    def has_table(self, name: str) -> bool:
        return ("table", name) in self.items


@dataclass(frozen=True)
class Rebuilds:
    """Table rebuilds in a file: the rows of the old table were copied into the one that ends
    up with its name, so dropping (or renaming away) the old one loses nothing."""

    statements: frozenset[tuple[int, str]] = frozenset()  # (statement index, table) dropped/renamed
    replacements: frozenset[str] = frozenset()  # tables created to take an existing one's place
    # (statement, table, clause): a rebuild whose copy may leave rows out (WHERE, a JOIN, ...)
    partial: frozenset[tuple[int, str, str]] = frozenset()
    columns: frozenset[tuple[int, str, str]] = frozenset()  # (statement, table, column) swapped

    def keeps(self, index: int, table: str) -> bool:
        return (index, table) in self.statements

    def filtered_by(self, index: int, table: str) -> str | None:
        """The clause through which a rebuild copied this table's rows, if only some were."""
        return next((c for i, t, c in self.partial if (i, t) == (index, table)), None)


@dataclass(frozen=True)
class GroupView:
    """popx: the migration a version group was split from (one statement per file), seen
    whole, so a down file is judged against the group's ups rather than its own one."""

    made: Objects  # what the group's ups create; indices into `origin`
    gone: Objects  # what the group's downs drop
    replacements: frozenset[str]  # tables the group's ups created to replace an existing one
    undone: Objects  # what the group's ups drop themselves
    origin: tuple[tuple[Path, int], ...]  # up statement index in the group -> (file, index)
    hidden: bool  # some statement of the group escaped the parser
    files: tuple[Path, ...] = ()  # the group's up files, oldest first


@dataclass(frozen=True)
class FileContext:
    """A file as the rules see it."""

    path: Path
    text: str
    dialect: str
    pg_version: int
    direction: str | None  # "up", "down", or None for a file outside the naming scheme
    transactional: bool
    statements: tuple[Stmt, ...]
    created: Objects  # what this file creates
    dropped: Objects  # what this file drops
    owned: Objects  # created, and for a down file also what its up file created
    pair_path: Path | None = None  # the down file of an up (or up of a down), if it exists
    mariadb: bool = False  # MySQL files run by MariaDB (--dialect mariadb, a mariadb:// URL)
    line_starts: tuple[int, ...] = (0,)
    rebuilds: Rebuilds = field(default_factory=Rebuilds)
    spellings: Mapping[str, str] = field(default_factory=dict)  # lower-case name -> as written
    layout: str = "sqlmig"  # the folder's format as the migrator reads it ("popx")
    group: GroupView | None = None  # popx: the version group the file belongs to
    earlier: Objects = field(default_factory=Objects)  # made by its group's files run before it

    def shown(self, name: str) -> str:
        """A lower-case (dotted) name as the file spells it: "userprofile.profileurl" ->
        "UserProfile.profileURL", so messages name the real objects."""
        return ".".join(self.spellings.get(part, part) for part in name.split("."))

    def quoted(self, name: str) -> str:
        return f'"{self.shown(name)}"'

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a file offset."""
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def is_new_table(self, name: str) -> bool:
        """Made by this file (or by the files of its popx version group run before it, one
        migration split into files): it holds no rows yet, so no lock can hurt anyone."""
        return self.created.has_table(name) or self.earlier.has_table(name)

    def is_owned(self, kind: str, name: str) -> bool:
        """Made by this file (or, in a down file, by its up file): dropping it loses nothing."""
        if kind == "column":
            table, _, column = name.partition(".")
            if self.owned.has_table(table) or self.earlier.has_table(table):
                return True
            before = self.owned.renamed.get(table)  # added, then the table renamed
            if before is not None and self.owned.has("column", f"{before}.{column}"):
                return True
        return self.owned.has(kind, name) or self.earlier.has(kind, name)

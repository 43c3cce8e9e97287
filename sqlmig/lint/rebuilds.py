"""Find table rebuilds in a file: a table's rows copied into another, which then takes its name.

The pattern SQLite needs for changes ALTER TABLE cannot make (and `sqlmig diff` writes), and that
users write on every database:

    CREATE TABLE new (...);  INSERT INTO new SELECT ... FROM old;  DROP TABLE old;
    ALTER TABLE new RENAME TO old;

or with the old table renamed away first (`ALTER TABLE old RENAME TO old_tmp; CREATE TABLE old
...; INSERT INTO old SELECT ... FROM old_tmp; DROP TABLE old_tmp`), or MySQL's `RENAME TABLE`.
Tables are followed through renames by identity, so only a copy of every row (a plain
`SELECT ... FROM old`: no WHERE, join, grouping, DISTINCT or LIMIT) into the table that ends the
file under the old name counts; a copy from another table, or a filtered one, does not.

Column swaps are the same idea for one column: `UPDATE t SET b = a` (every row) before
`DROP COLUMN a` keeps a's values, as long as the file does not drop b afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import sqlglot
from sqlglot import exp

from .context import Rebuilds, Stmt
from .objects import dropped_columns, name_of, table_of
from .parse import GLOT_DIALECT, PARSE_SECONDS, deadline

_N = r'(?:`[^`]+`|"[^"]+"|[\w$]+)'
_NAME = rf"(?:{_N}\s*\.\s*)?({_N})"
RENAME_TABLE = re.compile(r"\s*RENAME\s+TABLES?\s+(.*?)\s*;?\s*", re.I | re.S)
RENAME_PAIR = re.compile(rf"\s*{_NAME}\s+TO\s+{_NAME}\s*", re.I | re.S)
RENAME_TYPE = re.compile(rf"\s*ALTER\s+TYPE\s+{_NAME}\s+RENAME\s+TO\s+{_NAME}\s*;?\s*", re.I)
# clauses after which a SELECT no longer copies every row of its table exactly once
FILTERS = ("where", "joins", "group", "having", "distinct", "limit", "offset", "qualify")
CLAUSES = {"joins": "a JOIN", "group": "GROUP BY"}


class _Tables:
    """Names to table identities: a number per physical table, followed through renames."""

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.origin: list[str | None] = []  # the name an identity had before the file ran
        self.seen: set[str] = set()  # names whose pre-existing table has an identity already
        self.held: dict[int, set[str]] = {}  # identity -> names renames gave it

    def get(self, name: str) -> int:
        if name not in self.by_name:
            self.by_name[name] = self._new(None if name in self.seen else name)
            self.seen.add(name)
        return self.by_name[name]

    def create(self, name: str) -> int:
        self.seen.add(name)  # a later reference to the name is to this table
        self.by_name[name] = self._new(None)
        return self.by_name[name]

    def names(self, ident: int) -> set[str]:
        """Every name the table had: before the file, and those renames gave it."""
        origin = self.origin[ident]
        return ({origin} if origin is not None else set()) | self.held.get(ident, set())

    def _new(self, origin: str | None) -> int:
        self.origin.append(origin)
        return len(self.origin) - 1


def find(statements: Iterable[Stmt], dialect: str) -> Rebuilds:
    """The DROP TABLE and RENAME statements of rebuilds, the tables created to replace, and the
    DROP COLUMNs of column swaps."""
    stmts = list(statements)
    swaps = frozenset(_column_swaps(stmts, dialect))
    if not any(s.keyword in ("DROP TABLE", "DROP TYPE") for s in stmts):
        return Rebuilds(columns=swaps)
    tables = _Tables()
    copies: dict[int, set[int]] = {}  # identity -> identities its rows were copied into
    some: dict[int, set[int]] = {}  # the same, for copies of only some rows (a filter, a join)
    clause: dict[int, str] = {}  # identity -> the clause that made its copy partial
    events: list[tuple[int, str, int]] = []  # (statement, name, identity) dropped or renamed
    created: dict[int, str] = {}  # identity -> the name it was created with
    for stmt in stmts:
        for kind, a, b in _events(stmt, dialect):
            if kind == "create":
                created[tables.create(a)] = a
            elif kind == "copy":
                copies.setdefault(tables.get(b), set()).add(tables.get(a))
            elif kind.startswith("some:"):
                some.setdefault(tables.get(b), set()).add(tables.get(a))
                clause.setdefault(tables.get(b), kind.split(":", 1)[1])
            elif kind == "rename":
                ident = tables.get(a)
                events.append((stmt.index, a, ident))
                tables.by_name.pop(a, None)
                tables.by_name[b] = ident
                tables.held.setdefault(ident, set()).add(b)
            else:  # drop
                events.append((stmt.index, a, tables.get(a)))
                tables.by_name.pop(a, None)
    kept = {(i, name) for i, name, ident in events if _survives(ident, tables, copies)}
    both = {k: copies.get(k, set()) | some.get(k, set()) for k in {*copies, *some}}
    partial = {
        (i, name, clause.get(ident, "a filter"))
        for i, name, ident in events
        if (i, name) not in kept and _survives(ident, tables, both)
    }
    existed = {o for o in tables.origin if o is not None}
    replacing = {created[i] for n, i in tables.by_name.items() if i in created and n in existed}
    return Rebuilds(
        frozenset(kept | set(_type_rebuilds(stmts))),
        frozenset(replacing),
        frozenset(partial),
        swaps,
    )


def _column_swaps(stmts: list[Stmt], dialect: str) -> Iterator[tuple[int, str, str]]:
    """(statement, table, column) of a DROP COLUMN whose values an UPDATE without WHERE copied
    earlier in the file into another column of the table that the file does not drop after:
    how a column's type is changed where ALTER COLUMN cannot (SQLite), or a column swapped."""
    if not any(s.keyword == "ALTER TABLE" and "drop" in s.sql.lower() for s in stmts):
        return
    copied: dict[tuple[str, str], str] = {}  # (table, column) -> the column it was copied into
    drops: list[tuple[int, str, str, str | None]] = []  # (statement, table, column, copy)
    for stmt in stmts:
        if stmt.keyword.startswith("UPDATE"):
            for table, into, source in _column_copies(stmt.sql, dialect):
                copied[(table, source)] = into
        elif isinstance(stmt.node, exp.Alter):
            table = table_of(stmt.node)
            for action in stmt.node.args.get("actions") or []:
                for column, _ in dropped_columns(action):
                    drops.append((stmt.index, table, column, copied.get((table, column))))
    for index, table, column, into in drops:
        later = any(i > index and (t, c) == (table, into) for i, t, c, _ in drops)
        if into is not None and not later:
            yield index, table, column


def _kept_value(value: Any) -> Any:
    """The column a value is, also through a cast or a cut to a length (`substr(a, 1, 1024)`,
    how a down narrows a column back): what it copies is the column's, in the new type."""
    while isinstance(value, (exp.Cast, exp.Substring, exp.Left)):
        value = value.this
    return value


def _every_row(update: Any) -> bool:
    """No WHERE, or `WHERE true` (which some generators write)."""
    where = update.args.get("where")
    return where is None or (isinstance(where.this, exp.Boolean) and where.this.this is True)


def _column_copies(sql: str, dialect: str) -> Iterator[tuple[str, str, str]]:
    """(table, into, from) of `UPDATE t SET a = b, ...` on every row (no WHERE, no FROM)."""
    try:
        with deadline(PARSE_SECONDS):
            node: Any = sqlglot.parse_one(sql, read=GLOT_DIALECT[dialect])
    except Exception:  # unreadable or too slow: the syntax rules report what is wrong
        return
    if not isinstance(node, exp.Update) or node.args.get("from_") or not _every_row(node):
        return
    for item in node.expressions:
        into, source = item.this, _kept_value(item.expression)
        columns = isinstance(into, exp.Column) and isinstance(source, exp.Column)
        if columns and name_of(into) != name_of(source):
            yield name_of(node.this), name_of(into), name_of(source)


def _type_rebuilds(stmts: list[Stmt]) -> Iterator[tuple[int, str]]:
    """DROP TYPE (without CASCADE) of a type renamed away from a name the file then creates
    again: PostgreSQL's way to remove enum labels, which `sqlmig diff` writes. The drop fails
    while a column still uses the old type, so it loses nothing."""
    renamed: dict[str, str] = {}  # new name -> the name it had
    created: set[str] = set()
    for stmt in stmts:
        node = stmt.node
        rename = RENAME_TYPE.fullmatch(stmt.sql) if stmt.keyword == "ALTER TYPE" else None
        if rename:
            renamed[_bare(rename[2])] = _bare(rename[1])
        elif isinstance(node, exp.Create) and str(node.args.get("kind")) == "TYPE":
            created.add(name_of(node.this))
        elif isinstance(node, exp.Drop) and str(node.args.get("kind")) == "TYPE":
            cascade = node.args.get("cascade")
            for target in node.args.get("tables") or []:
                if not cascade and renamed.get(name_of(target)) in created:
                    yield stmt.index, name_of(target)


def _survives(ident: int, tables: _Tables, copies: dict[int, set[int]]) -> bool:
    """Did the rows of this table end the file in another table under one of its names (the
    one it had before the file, or one a rename gave it: a table rebuilt twice)?"""
    holders = {tables.by_name.get(n) for n in tables.names(ident)} - {None, ident}
    if not holders:
        return False
    reached, todo = {ident}, [ident]
    while todo:  # copied into a table that was copied on into the holder counts too
        for nxt in copies.get(todo.pop(), ()):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    return bool(holders & reached)


def _events(stmt: Stmt, dialect: str) -> Iterator[tuple[str, str, str]]:
    """("create", t, ""), ("copy", into, from), ("rename", a, b), ("drop", t, "") of a statement."""
    node, word = stmt.node, stmt.keyword
    if isinstance(node, exp.Create) and str(node.args.get("kind")) == "TABLE":
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        yield "create", name_of(target), ""
    elif isinstance(node, exp.Drop) and str(node.args.get("kind")) == "TABLE":
        for target in node.args.get("tables") or node.expressions:
            yield "drop", name_of(target), ""
    elif isinstance(node, exp.Alter):
        for action in node.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                yield "rename", table_of(node), name_of(action.this)
    elif word.startswith("RENAME TABLE"):
        yield from _rename_table(stmt.sql)
    elif word.startswith(("INSERT", "REPLACE")) and "select" in stmt.sql.lower():
        copy = _copy(stmt.sql, dialect)
        if copy is not None:
            into, source, partial = copy
            yield f"some:{partial}" if partial else "copy", into, source


def _rename_table(sql: str) -> Iterator[tuple[str, str, str]]:
    """MySQL's `RENAME TABLE a TO b, c TO d` (sqlglot reads it as an opaque command)."""
    whole = RENAME_TABLE.fullmatch(sql)
    for pair in whole[1].split(",") if whole else []:
        names = RENAME_PAIR.fullmatch(pair)
        if names:
            yield "rename", _bare(names[1]), _bare(names[2])


def _bare(name: str) -> str:
    return name.strip('`"').lower()


def _copy(sql: str, dialect: str) -> tuple[str, str, str] | None:
    """(into, from, partial) of `INSERT INTO t [(cols)] SELECT ... FROM s`: partial names the
    clause that may leave rows of s out (WHERE, JOIN, ...), "" when every row is copied."""
    try:
        with deadline(PARSE_SECONDS):
            node: Any = sqlglot.parse_one(sql, read=GLOT_DIALECT[dialect])
    except Exception:  # unreadable or too slow: the syntax rules report what is wrong
        return None
    query = node.args.get("expression") if isinstance(node, exp.Insert) else None
    if not isinstance(query, exp.Select):
        return None
    partial = next((k for k in FILTERS if query.args.get(k)), "")
    source = query.args.get("from_") or query.args.get("from")
    target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    if source is None or not isinstance(source.this, exp.Table):
        return None
    return name_of(target), name_of(source.this), CLAUSES.get(partial, partial.upper())

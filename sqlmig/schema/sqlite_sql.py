"""The parts of SQLite's stored CREATE statements that no pragma reports: checks, generated
columns, collations, AUTOINCREMENT, table options, index expressions and view queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import normalise
from .model import Constraint

_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/"""
    r"""|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|<=|>=|<>|!=|==|\|\||<<|>>"""
    r"""|\s+|.""",
    re.S,
)
TABLE_CONSTRAINTS = {"constraint", "check", "primary", "unique", "foreign"}


@dataclass(frozen=True)
class ParsedTable:
    check_list: tuple[tuple[str | None, str | None, str], ...] = ()  # (name, column, expression)
    generated: dict[str, str] = field(default_factory=dict)
    collations: dict[str, str] = field(default_factory=dict)
    autoincrement: str | None = None
    options: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # what pragma_index_list / pragma_foreign_key_list do not say, by lower-cased columns:
    # the names of `CONSTRAINT name UNIQUE (...)`, and DEFERRABLE of foreign keys
    unique_names: dict[tuple[str, ...], str] = field(default_factory=dict)
    deferrable: dict[tuple[str, ...], str] = field(default_factory=dict)

    def checks(self, table: str) -> list[Constraint]:
        """Check constraints, named as PostgreSQL would name unnamed ones."""
        return [
            Constraint(name or f"{table}_{column + '_' if column else ''}check", "check", (), expr)
            for name, column, expr in sorted(self.check_list, key=lambda c: (c[1] or "", c[2]))
        ]


@dataclass(frozen=True)
class ParsedIndex:
    expressions: tuple[str, ...]
    where: str | None


class Tok(str):
    """A token that remembers where it is in its statement, so expressions keep their text."""

    source: str
    start: int
    end: int


def tokens(sql: str) -> list[Tok]:
    """SQL tokens without white space and comments."""
    out = []
    for m in _TOKEN.finditer(sql):
        text = m.group(0)
        if not text.isspace() and not text.startswith(("--", "/*")):
            tok = Tok(text)
            tok.source, tok.start, tok.end = sql, m.start(), m.end()
            out.append(tok)
    return out


def text_of(toks: list[Tok]) -> str:
    """The original text that a run of tokens spans."""
    return toks[0].source[toks[0].start : toks[-1].end] if toks else ""


def unquote(token: str) -> str:
    if token[:1] in '"`' and len(token) > 1:
        return token[1:-1].replace(token[0] * 2, token[0])
    return token[1:-1] if token.startswith("[") else token


def _split_top(toks: list[Tok]) -> tuple[list[list[Tok]], list[Tok]]:
    """The comma-separated parts inside the first (...) and the tokens after it."""
    start = toks.index("(")
    depth, parts, current = 0, [], []
    for i in range(start, len(toks)):
        tok = toks[i]
        depth += {"(": 1, ")": -1}.get(tok, 0)
        if depth == 0:
            parts.append(current)
            return parts, toks[i + 1 :]
        if depth == 1 and tok in (",", "("):
            if tok == ",":
                parts.append(current)
                current = []
            continue
        current.append(tok)
    return parts, []


def _group(toks: list[Tok], i: int) -> tuple[str, int]:
    """The text of the parenthesised group starting at toks[i], and the index after it."""
    depth, j = 0, i
    while j < len(toks):
        depth += {"(": 1, ")": -1}.get(toks[j], 0)
        if depth == 0:
            return expression(text_of(toks[i + 1 : j])), j + 1
        j += 1
    return expression(text_of(toks[i + 1 :])), j


@lru_cache(maxsize=4096)
def expression(text: str) -> str:
    """An SQL expression in one canonical spelling (sqlglot's), else with squeezed spaces."""
    try:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(text, read="sqlite")
        while isinstance(tree, exp.Paren):
            tree = tree.this
        return tree.sql("sqlite")
    except Exception:  # sqlglot cannot read every SQLite expression: compare the text then
        return normalise.squeeze(text)


@lru_cache(maxsize=4096)  # the same statements are read at every snapshot
def parse_table(sql: str) -> ParsedTable:
    try:
        parts, tail = _split_top(tokens(sql))
    except ValueError:
        return ParsedTable(notes=("cannot read its CREATE TABLE statement",))
    checks: list[tuple[str | None, str | None, str]] = []
    generated: dict[str, str] = {}
    collations: dict[str, str] = {}
    auto = None
    names: dict[tuple[str, ...], str] = {}
    deferrable: dict[tuple[str, ...], str] = {}
    for part in parts:
        if part and part[0].lower() in TABLE_CONSTRAINTS:
            checks += _table_checks(part)
            _table_keys(part, names, deferrable)
            continue
        if not part:
            continue
        name = unquote(part[0])
        refs = [i for i, t in enumerate(part) if t.lower() == "references"]
        deferral = _deferral(part[refs[0] :]) if refs else None
        if deferral:
            deferrable[(name.lower(),)] = deferral
        found = _column_clauses(part)
        checks += [(n, name, e) for n, e in found["checks"]]
        if found["generated"]:
            generated[name] = found["generated"]
        if found["collate"]:
            collations[name] = found["collate"]
        if found["autoincrement"]:
            auto = name
    options = tuple(" ".join(w.upper() for w in o.split()) for o in _options(tail))
    return ParsedTable(tuple(checks), generated, collations, auto, options, (), names, deferrable)


def _table_keys(part: list[Tok], names: dict, deferrable: dict) -> None:
    """A named table UNIQUE constraint's name, a table FOREIGN KEY's DEFERRABLE."""
    name = unquote(part[1]) if part[0].lower() == "constraint" and len(part) > 1 else None
    rest = part[2:] if name else part
    words = [t.lower() for t in rest]
    if words[:1] == ["unique"] and rest[1:2] == ["("] and name:
        names[_columns(rest[1:])] = name
    elif words[:2] == ["foreign", "key"] and rest[2:3] == ["("]:
        deferral = _deferral(rest)
        if deferral:
            deferrable[_columns(rest[2:])] = deferral


def _columns(toks: list[Tok]) -> tuple[str, ...]:
    """The lower-cased names of the column list `( a, b )` that toks start with."""
    end = toks.index(")") if ")" in toks else len(toks)
    return tuple(unquote(t).lower() for t in toks[1:end] if t != ",")


def _deferral(toks: list[Tok]) -> str | None:
    """DEFERRABLE [INITIALLY DEFERRED] as PostgreSQL's reader spells it; None for NOT
    DEFERRABLE, INITIALLY IMMEDIATE's default, or none."""
    words = [t.lower() for t in toks]
    if "deferrable" not in words:
        return None
    at = words.index("deferrable")
    if at and words[at - 1] == "not":
        return None
    deferred = words[at + 1 : at + 3] == ["initially", "deferred"]
    return "DEFERRABLE INITIALLY DEFERRED" if deferred else "DEFERRABLE"


def _options(tail: list[Tok]) -> list[str]:
    words = [t for t in tail if t != ";"]
    return [o.strip() for o in " ".join(words).split(",") if o.strip()]


def _table_checks(part: list[Tok]) -> list[tuple[str | None, str | None, str]]:
    name = unquote(part[1]) if part[0].lower() == "constraint" and len(part) > 1 else None
    rest = part[2:] if name else part
    if rest and rest[0].lower() == "check" and len(rest) > 1:
        return [(name, None, _group(rest, 1)[0])]
    return []


def _column_clauses(part: list[Tok]) -> dict:
    found: dict = {"checks": [], "generated": None, "collate": None, "autoincrement": False}
    i, name = 1, None
    while i < len(part):
        word = part[i].lower()
        if word == "constraint" and i + 1 < len(part):
            name, i = unquote(part[i + 1]), i + 2
            continue
        if word == "check" and i + 1 < len(part) and part[i + 1] == "(":
            expr, i = _group(part, i + 1)
            found["checks"].append((name, expr))
        elif word == "as" and i + 1 < len(part) and part[i + 1] == "(":
            found["generated"], i = _group(part, i + 1)
        elif word == "collate" and i + 1 < len(part):
            found["collate"], i = unquote(part[i + 1]), i + 2
        elif word == "autoincrement":
            found["autoincrement"], i = True, i + 1
        elif part[i] == "(":
            i = _group(part, i)[1]
        else:
            i += 1
        name = None if word != "constraint" else name
    return found


@lru_cache(maxsize=4096)
def parse_index(sql: str) -> ParsedIndex:
    """Key expressions and WHERE predicate of a CREATE INDEX statement."""
    toks = tokens(sql)
    parts, tail = _split_top(toks[toks.index("(") :]) if "(" in toks else ([], [])
    exprs = [expression(text_of(_no_order(p))) for p in parts]
    where = None
    if tail and tail[0].lower() == "where":
        where = expression(text_of([t for t in tail[1:] if t != ";"]))
    return ParsedIndex(tuple(exprs), where)


def _no_order(part: list[Tok]) -> list[Tok]:
    while part and part[-1].lower() in ("asc", "desc"):
        part = part[:-1]
    return part


@lru_cache(maxsize=4096)
def view_query(sql: str) -> tuple[str, tuple[str, ...]]:
    """The SELECT of a CREATE VIEW statement, canonically spelled, and its column list."""
    toks = tokens(sql)
    lowered = [t.lower() for t in toks]
    at = lowered.index("as") if "as" in lowered else len(toks)
    head = toks[:at]
    listed = head[head.index("(") :] if "(" in head else []
    columns = tuple(unquote(t) for t in listed if t not in "(),")
    return expression(text_of([t for t in toks[at + 1 :] if t != ";"])), columns


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

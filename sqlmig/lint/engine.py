"""Run the selected rules over files: parse, build each file's context, apply ignore comments."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from sqlglot import exp

from ..errors import UsageError
from ..files import FILENAME, read_sql_file
from ..sqltext import SplitError, blank_psql_no_ops
from . import objects, parse, pgparser, rebuilds
from .context import FileContext, Objects, Stmt
from .forms import form
from .model import REGISTRY, Finding, Hit, Rule
from .suppress import covers, ignores

# Statements no rule looks inside: parsed only for the syntax rules.
DATA_WORDS = {"INSERT", "UPDATE", "DELETE", "SELECT", "WITH", "COPY", "VALUES", "MERGE", "CALL"}
SYNTAX_RULES = {"S001", "S002"}
# MySQL stored programs: sqlglot reads neither their parameter modes (IN/OUT/INOUT) nor their
# compound bodies, so a parse failure there says nothing about the SQL; they stay unchecked.
MYSQL_PROGRAMS = {"CREATE PROCEDURE", "CREATE FUNCTION", "CREATE TRIGGER", "CREATE EVENT"}
NEWLINE = re.compile("\n")


def select_rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """The rules named by --select (default: all) minus --ignore: codes, names or code prefixes."""
    chosen = _match(select) if select else set(REGISTRY)
    return [REGISTRY[c] for c in sorted(chosen - _match(ignore))]


def _match(tokens: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for token in (t.strip() for t in tokens if t.strip()):
        hits = {c for c, r in REGISTRY.items() if token.upper() in (c, r.name.upper())}
        hits = hits or {c for c in REGISTRY if c.startswith(token.upper())}
        if not hits:
            raise UsageError(
                f"unknown lint rule {token!r}",
                hint="see `sqlmig lint --explain all` for every code and name",
            )
        out |= hits
    return out


def direction(path: Path) -> str | None:
    match = FILENAME.match(path.name)
    return match["direction"] if match else None


def pair_of(path: Path) -> Path | None:
    """The down file of an up file, or the up file of a down file, if it exists on disk."""
    match = FILENAME.match(path.name)
    if match is None:
        return None
    other = "down" if match["direction"] == "up" else "up"
    candidate = path.with_name(f"{match['version']}_{match['slug']}.{other}.sql")
    return candidate if candidate.is_file() else None


def load(path: Path, server: str, pg_version: int, *, parse_all: bool) -> FileContext:
    """Read, split and parse one file (SqlmigError for unreadable files); `server` is the
    dialect, or "mariadb" for MySQL files run by MariaDB."""
    dialect = "mysql" if server == "mariadb" else server
    sql_file = read_sql_file(path)
    text = blank_psql_no_ops(sql_file.text) if dialect == "postgres" else sql_file.text
    spelled: dict[str, str] = {}
    try:
        tokens = parse.tokenize(text, dialect)
        spelled = parse.spellings(tokens)
        stmts = tuple(_statements(text, tokens, dialect, parse_all, pg_version))
    except SplitError as exc:
        stmts = (Stmt(0, text, 0, "", 0, "", problem=parse.Problem(f"cannot split: {exc}", 0)),)
    made, gone = objects.created(stmts), objects.dropped(stmts)
    return FileContext(
        path=path,
        text=text,
        dialect=dialect,
        mariadb=server == "mariadb",
        pg_version=pg_version,
        direction=direction(path),
        transactional=sql_file.transactional,
        statements=stmts,
        created=made,
        dropped=gone,
        owned=made,
        pair_path=pair_of(path),
        line_starts=line_starts(text),
        rebuilds=rebuilds.find(stmts, dialect),
        spellings=spelled,
    )


def _statements(
    text: str, tokens: list, dialect: str, parse_all: bool, pg_version: int
) -> Iterator[Stmt]:
    glot = parse.parser(dialect)
    previous_end = 0
    for index, chunk in enumerate(parse.chunks(tokens, dialect)):
        word = parse.keyword(tokens, chunk)
        lead = text[previous_end : chunk.start]
        previous_end = chunk.end
        stmt = Stmt(
            index, text[chunk.start : chunk.end], chunk.start, lead, chunk.start - len(lead), word
        )
        if _wants_tree(word, parse_all):
            node, problem = parse.parse(glot, tokens, chunk, text)
            if problem is not None and _known(stmt, dialect):  # valid, or not for sqlglot to say
                node, problem = exp.Command(this=word.split(" ")[0], expression=stmt.sql), None
            if word.split(" ")[0] in DATA_WORDS and not _kept(node):
                node = None  # parsed for the syntax check only: free the tree now
            stmt = replace(stmt, node=node, problem=problem)
            if problem is not None and dialect == "postgres":
                stmt = _ask_postgres(stmt, pg_version)
        yield stmt


def _kept(node: object) -> bool:
    """The trees of data statements that rules read: an INSERT ... SELECT (M503; small, unlike
    the rows of an INSERT ... VALUES), and statements sqlglot does not parse."""
    if isinstance(node, (exp.Command, exp.Block)):
        return True
    return isinstance(node, exp.Insert) and isinstance(
        node.expression, (exp.Select, exp.SetOperation)
    )


def _ask_postgres(stmt: Stmt, pg_version: int) -> Stmt:
    """sqlglot could not parse it: PostgreSQL's own parser says whether it is invalid."""
    verdict = pgparser.check(stmt.sql)
    if verdict is None:
        return replace(stmt, problem=replace(stmt.problem, help=pgparser.MISSING_HELP))
    said = pgparser.verdict_text(verdict, pg_version)
    if verdict.valid:
        why = stmt.problem.message
        note = f"{said}, but sqlglot cannot read it ({why}), so no rule checked it"
        command = exp.Command(this=stmt.keyword.split(" ")[0], expression=stmt.sql)
        return replace(stmt, node=command, problem=None, note=note)
    at = len(stmt.sql) if verdict.position is None else verdict.position
    problem = parse.Problem(said, stmt.offset + at)
    return replace(stmt, problem=problem)


def _known(stmt: Stmt, dialect: str) -> bool:
    program = dialect == "mysql" and stmt.keyword in MYSQL_PROGRAMS
    # sqlglot reads neither `IS NULL` nor comments ON CONSTRAINT/TRIGGER ... ON t: no rule looks
    # inside a comment, so it stays unchecked rather than a false syntax error
    comment = dialect == "postgres" and stmt.keyword == "COMMENT ON"
    return program or comment or form(stmt.sql) is not None


def _wants_tree(word: str, parse_all: bool) -> bool:
    first = word.split(" ")[0]
    if first in parse.TRANSACTION_WORDS:
        return False  # the keyword says it all (and sqlglot misreads some of them)
    return parse_all or first not in DATA_WORDS


def line_starts(text: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in NEWLINE.finditer(text)))


def with_pair(ctx: FileContext, up: FileContext | None) -> FileContext:
    """A down file also owns what its up file created (dropping that is the down's job)."""
    if up is None:
        return ctx
    items = {**up.created.items, **ctx.created.items}
    index_on = {**up.created.index_on, **ctx.created.index_on}
    owned = Objects(items, index_on, {**up.created.renamed, **ctx.created.renamed})
    return replace(ctx, owned=owned)


def run(ctx: FileContext, rules: Iterable[Rule], pair: FileContext | None) -> list[Finding]:
    """Every finding of `rules` in one file, ignore comments applied (and unused ones reported)."""
    mine = [r for r in rules if ctx.dialect in r.dialects]
    per_statement = [r for r in mine if r.scope == "statement"]
    by_keyword: dict[str, list[Rule]] = {}
    raw: list[tuple[Rule, int | None, Hit]] = []
    for stmt in ctx.statements:
        if stmt.keyword not in by_keyword:
            by_keyword[stmt.keyword] = [r for r in per_statement if r.applies(stmt.keyword)]
        for rule in by_keyword[stmt.keyword]:
            raw += [(rule, stmt.index, hit) for hit in _guarded(rule, stmt, ctx)]
    for rule in (r for r in mine if r.scope == "file"):
        raw += [(rule, hit.stmt, hit) for hit in rule.check(ctx, pair)]
    return _suppress(ctx, raw, {r.code for r in rules})


def _guarded(rule: Rule, stmt: Stmt, ctx: FileContext) -> list[Hit]:
    """The rule's hits; a bug in a rule becomes a finding on the statement, never a crash."""
    try:
        return list(rule.check(stmt, ctx))
    except Exception as exc:
        message = f"rule {rule.name} failed on this statement ({type(exc).__name__}: {exc})"
        return [Hit(message, help="please report this as a sqlmig bug, with the statement")]


def _suppress(
    ctx: FileContext, raw: list[tuple[Rule, int | None, Hit]], enabled: set[str]
) -> list[Finding]:
    comments = ignores(ctx)
    used: set[int] = set()
    out: list[Finding] = []
    for rule, index, hit in raw:
        silencing = [i for i, c in enumerate(comments) if covers(c, index, rule.code, rule.name)]
        used.update(silencing)
        if not silencing:
            out.append(finding(ctx, rule, hit, index))
    if "S003" in enabled:
        out += _unused(ctx, [c for i, c in enumerate(comments) if i not in used], enabled)
    return sorted(out, key=lambda f: (f.line, f.col, f.code))


def _unused(ctx: FileContext, comments: list, enabled: set[str]) -> list[Finding]:
    out: list[Finding] = []
    for comment in comments:
        for name in comment.names:
            rule = next((r for r in REGISTRY.values() if name in (r.code.lower(), r.name)), None)
            if rule is not None and rule.code not in enabled:
                continue  # the rule is off, so whether it would match is unknown
            what = f"unknown rule {name!r}" if rule is None and name != "all" else name
            scope = "this file" if comment.stmt is None else "the next statement"
            message = f"ignore comment for {what} matches nothing in {scope}"
            out.append(finding(ctx, REGISTRY["S003"], Hit(message, comment.offset), None))
    return out


def finding(ctx: FileContext, rule: Rule, hit: Hit, index: int | None) -> Finding:
    offset = hit.offset
    if offset is None:
        offset = ctx.statements[index].offset if index is not None else 0
    line, col = ctx.position(offset)
    return Finding(
        path=display(ctx.path),
        line=line,
        col=col,
        code=rule.code,
        rule=rule.name,
        severity=rule.severity,
        message=hit.message,
        help=hit.help or rule.help,
    )


def display(path: Path) -> str:
    """The path relative to the working directory when it is inside it (as users typed it)."""
    try:
        return _display(path, os.getcwd())
    except OSError:  # the working directory was removed
        return str(path)


@functools.lru_cache(maxsize=256)
def _display(path: Path, cwd: str) -> str:
    # once per file, not per finding: resolve() is a system call per path component
    try:
        return str(path.resolve().relative_to(Path(cwd).resolve()))
    except (ValueError, OSError):
        return str(path)

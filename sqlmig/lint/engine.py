"""Run the selected rules over files: parse, build each file's context, apply ignore comments."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from sqlglot import exp

from .. import placeholders
from ..errors import UsageError
from ..sqltext import SplitError, blank_psql_no_ops
from . import directives, objects, packed, parse, pgparser, rebuilds, segments
from .context import FileContext, Objects, Stmt
from .forms import form
from .layout import Role
from .model import REGISTRY, Finding, Hit, Rule
from .paths import direction, display, pair_of
from .suppress import covers, ignores

# Statements no rule looks inside: parsed only for the syntax rules.
DATA_WORDS = {"INSERT", "UPDATE", "DELETE", "SELECT", "WITH", "COPY", "VALUES", "MERGE", "CALL"}
SYNTAX_RULES = {"S001", "S002"}
PACK_SLICED = True  # a file tokenized in slices keeps its trees packed (packed.py)
# MySQL stored programs: sqlglot reads neither their parameter modes (IN/OUT/INOUT) nor their
# compound bodies, so a parse failure there says nothing about the SQL; they stay unchecked.
MYSQL_PROGRAMS = {"CREATE PROCEDURE", "CREATE FUNCTION", "CREATE TRIGGER", "CREATE EVENT"}
NEWLINE = re.compile("\n")


def select_rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """The rules named by --select (default: all but the opt-in ones) minus --ignore: codes,
    names or code prefixes. `+RULE` tokens add to the default set instead of replacing it; an
    opt-in rule is chosen only by its own code or name."""
    extra = [t.strip()[1:] for t in select if t.strip().startswith("+")]
    plain = [t for t in select if t.strip() and not t.strip().startswith("+")]
    chosen = _match(plain) if plain else {c for c, r in REGISTRY.items() if not r.opt_in}
    return [REGISTRY[c] for c in sorted((chosen | _match(extra)) - _match(ignore))]


def _match(tokens: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for token in (t.strip() for t in tokens if t.strip()):
        hits = {c for c, r in REGISTRY.items() if token.upper() in (c, r.name.upper())}
        hits = hits or {
            c for c, r in REGISTRY.items() if c.startswith(token.upper()) and not r.opt_in
        }
        if not hits and any(c.startswith(token.upper()) for c in REGISTRY):
            continue  # a prefix of opt-in rules only: nothing chosen
        if not hits:
            raise UsageError(
                f"unknown lint rule {token!r}",
                hint="see `sqlmig lint --explain all` for every code and name",
            )
        out |= hits
    return out


def load(
    path: Path, server: str, pg_version: int, *, parse_all: bool, role: Role | None = None
) -> FileContext:
    """Read, split and parse one file (SqlmigError for unreadable files); `server` is the
    dialect, or "mariadb" for MySQL files run by MariaDB; `role`: how the migrator runs a file
    of another tool's layout (its direction, pair and transaction), None for sqlmig's."""
    server = directives.override_dialect(path, server)
    dialect = "mysql" if server == "mariadb" else server
    sql_file = directives.read_leniently(path)
    text = placeholders.stand_ins(sql_file)  # ${name} as a word of its length
    text = blank_psql_no_ops(text) if dialect == "postgres" else text
    quoted: dict[str, str] = {}
    plain: dict[str, str] = {}
    try:
        slices = segments.bounds(text, dialect)
        batches = _spelled(segments.tokens(text, dialect, slices), quoted, plain)
        packs = PACK_SLICED and len(slices) > 1
        stmts = tuple(_statements(text, batches, dialect, parse_all, pg_version, packs))
    except SplitError as exc:
        stmts = (Stmt(0, text, 0, "", 0, "", problem=parse.Problem(f"cannot split: {exc}", 0)),)
    spelled = {**plain, **quoted}  # a quoted name is the name
    made, gone = objects.created(stmts), objects.dropped(stmts)
    return FileContext(
        path=path,
        text=text,
        dialect=dialect,
        mariadb=server == "mariadb",
        pg_version=pg_version,
        direction=role.direction if role else direction(path),
        transactional=sql_file.transactional and (role is None or role.transactional),
        statements=stmts,
        created=made,
        dropped=gone,
        owned=made,
        pair_path=role.pair if role else pair_of(path),
        line_starts=line_starts(text),
        rebuilds=rebuilds.find(stmts, dialect),
        spellings=spelled,
        layout=role.format if role else "sqlmig",
    )


def _spelled(
    batches: Iterator[list], quoted: dict[str, str], plain: dict[str, str]
) -> Iterator[list]:
    for tokens in batches:
        parse.collect_spellings(tokens, quoted, plain)
        yield tokens


def _statements(
    text: str,
    batches: Iterator[list],
    dialect: str,
    parse_all: bool,
    pg_version: int,
    packs: bool = False,
) -> Iterator[Stmt]:
    """The statements of a file from its tokens (in one batch, or a slice at a time)."""
    glot = parse.parser(dialect)
    packer = packed.Packer() if packs else None
    index, previous_end = 0, 0
    for tokens in batches:
        for chunk in parse.chunks(tokens, dialect):
            word = parse.keyword(tokens, chunk)
            lead = text[previous_end : chunk.start]
            previous_end = chunk.end
            sql = text[chunk.start : chunk.end]
            stmt = Stmt(index, sql, chunk.start, lead, chunk.start - len(lead), word)
            index += 1
            if _wants_tree(word, parse_all):
                stmt = _parsed(stmt, glot, tokens, chunk, text, dialect, pg_version)
            if packer is not None and stmt.node is not None:
                stmt = packer.stmt(stmt)
            yield stmt


def _parsed(
    stmt: Stmt,
    glot: object,
    tokens: list,
    chunk: parse.Chunk,
    text: str,
    dialect: str,
    pg_version: int,
) -> Stmt:
    word = stmt.keyword
    node, problem = parse.parse(glot, tokens, chunk, text)
    if problem is not None and _known(stmt, dialect):  # valid, or not for sqlglot to say
        node, problem = exp.Command(this=word.split(" ")[0], expression=stmt.sql), None
    if word.split(" ")[0] in DATA_WORDS and not _kept(node):
        node = None  # parsed for the syntax check only: free the tree now
    stmt = replace(stmt, node=node, problem=problem)
    if problem is not None and dialect == "postgres":
        stmt = _ask_postgres(stmt, pg_version)
    return stmt


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
    rules = tuple(rules)
    plan = _plan(rules, ctx.dialect)
    raw: list[tuple[Rule, int | None, Hit]] = []
    for stmt in ctx.statements:
        for rule in plan.for_keyword(stmt.keyword):
            raw += [(rule, stmt.index, hit) for hit in _guarded(rule, stmt, ctx)]
    for rule in plan.per_file:
        raw += [(rule, hit.stmt, hit) for hit in rule.check(ctx, pair)]
    return _suppress(ctx, raw, plan.codes)


class _Plan:
    """Which of the selected rules run on a statement of each keyword, worked out once per
    run and dialect rather than once per file (150 `applies` calls a file)."""

    def __init__(self, rules: tuple[Rule, ...], dialect: str) -> None:
        mine = [r for r in rules if dialect in r.dialects]
        self.per_statement = [r for r in mine if r.scope == "statement"]
        self.per_file = [r for r in mine if r.scope == "file"]
        self.codes = {r.code for r in rules}
        self.by_keyword: dict[str, list[Rule]] = {}

    def for_keyword(self, keyword: str) -> list[Rule]:
        found = self.by_keyword.get(keyword)
        if found is None:
            found = self.by_keyword[keyword] = [r for r in self.per_statement if r.applies(keyword)]
        return found


_PLANS: dict[tuple[str, tuple[str, ...]], tuple[tuple[Rule, ...], _Plan]] = {}


def _plan(rules: tuple[Rule, ...], dialect: str) -> _Plan:
    key = (dialect, tuple(r.code for r in rules))
    cached = _PLANS.get(key)
    if cached is None or cached[0] != rules:  # the same codes, other rules: a test's registry
        cached = _PLANS[key] = (rules, _Plan(rules, dialect))
    return cached[1]


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

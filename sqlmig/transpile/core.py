"""The per-file loop: split with the source's splitter, translate each statement or refuse it."""

from __future__ import annotations

from ..sqltext import SPLITTERS, SplitError
from .base import SOURCES, TARGETS, Out, Refusal, Refuse, Translated, head, parse
from .catalog import Catalog

__all__ = ["SOURCES", "TARGETS", "Refusal", "Translated", "transpile_text"]


def transpile_text(
    text: str, *, target: str, source: str = "postgres", path: str = "<text>",
    catalog: Catalog | None = None, at_line: int | None = None,
) -> Translated:  # fmt: skip
    """Translate a whole file; refusals are collected, never raised. With `at_line` (the line
    the text will start at), each statement's translation starts at the source statement's line
    where the translation before it is no longer, so an error's line is the source's."""
    if source == target:
        return Translated(text)
    if source not in SOURCES:
        return Translated("", (Refusal(path, 1, "", f"only {', '.join(SOURCES)} is read"),))
    catalog = catalog if catalog is not None else Catalog()
    try:
        statements = SPLITTERS[source](text)
    except SplitError as exc:
        return Translated("", (Refusal(path, 1, "", f"cannot split the file: {exc}"),))
    parts, refusals, notes = [], [], []
    for stmt in statements:
        own = stmt.text[stmt.offset - stmt.start :].strip()  # without the comments before it
        try:
            out = translate(stmt.text, target, catalog)
        except Refuse as exc:
            refusals.append(Refusal(path, stmt.line, own, exc.reason))
            continue
        except Exception as exc:
            reason = f"sqlmig could not translate it ({type(exc).__name__}: {exc})"
            refusals.append(Refusal(path, stmt.line, own, reason))
            continue
        sql = [s.rstrip().rstrip(";") + ";" for s in out.sql]
        if at_line is not None:
            parts = [_placed("".join(parts), " ".join(sql), stmt.line, at_line)] if sql else parts
        else:
            parts += sql
        if out.note:
            notes.append(f"{path}:{stmt.line}: {out.note}")
            if at_line is None:  # a line comment would hide what follows it on its line
                parts.append(f"-- dropped ({out.note}): {head(own)}")
    if at_line is not None:
        body = "".join(parts) + "\n" if parts else ""
    else:
        body = "\n".join(parts) + "\n" if parts else ""
    return Translated(body, tuple(refusals), tuple(notes))


def _placed(body: str, sql: str, line: int, at_line: int) -> str:
    """`sql` after `body`, starting at `line` if the body ends above it, else on the same line."""
    now = at_line + body.count("\n")
    if now < line:
        return body + "\n" * (line - now) + sql
    return body + (" " if body else "") + sql


def translate(text: str, target: str, catalog: Catalog) -> Out:
    """One statement: parse (errors and warnings refused), rewrite, generate with RAISE."""
    from .statements import dispatch

    node = parse(text)
    return dispatch(node, target, catalog)

"""How lint reads a file's `-- sqlmig:` directives and its dialect: a bad directive is a finding
(bad-directive), not the end of the run, and a dialect's override file is read in its dialect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import MigrationFileError
from ..files import (
    DIRECTIVE,
    LEADING_COMMENTS,
    OVERRIDE,
    SqlFile,
    checksum,
    directives,
    read_text,
    replaced_range,
    sql_file,
)

# Directives `up` reads only from the leading comments: anywhere else they are ignored (or,
# for no-transaction, refused). `ignore` and `ignore-file` are lint's and may sit anywhere.
RUN_DIRECTIVES = (
    "no-transaction", "no-foreign-key-check", "replaces", "phase", "placeholders"
)  # fmt: skip
# late, these make `up` refuse the file; the others it ignores
REFUSED_LATE = ("no-transaction", "phase", "placeholders")
ANY_DIRECTIVE = re.compile(r"^[ \t]*--[ \t]*sqlmig:[ \t]*(?P<name>[a-z-]+)", re.I | re.M)
NO_TX = re.compile(r"^\s*--\s*sqlmig:\s*no-transaction\s*$", re.I | re.M)


@dataclass(frozen=True)
class DirectiveProblem:
    offset: int  # file offset of the directive's line
    message: str
    hint: str


def override_dialect(path: Path, server: str) -> str:
    """The dialect a file is linted in: its own for `NNNN_slug.<dialect>.up.sql`, else the
    run's (MariaDB's behaviour is kept for a MySQL override when the run is MariaDB's)."""
    match = OVERRIDE.match(path.name)
    if match is None:
        return server
    own = match["dialect"]
    return "mariadb" if own == "mysql" and server == "mariadb" else own


def read_leniently(path: Path) -> SqlFile:
    """The file as `up` would read it; with a bad directive (which bad-directive reports), as
    near to that as can be: no-transaction if its leading comments say so. An unreadable file
    still raises MigrationFileError."""
    text = read_text(path)
    try:
        return sql_file(path, text, first_line=1)
    except MigrationFileError:
        block = LEADING_COMMENTS.match(text).group(0)  # type: ignore[union-attr]
        said = NO_TX.search(block) is not None
        return SqlFile(path, text, checksum(text.encode()), transactional=not said)


def problem(
    text: str, path: Path, direction: str | None, comments: list[tuple[int, int]] | None = None
) -> DirectiveProblem | None:
    """The first directive `up` would refuse or silently ignore, else None. `comments`: the
    (start, end) of the comments between statements; a late directive elsewhere (in a string)
    is no directive, except no-transaction, which `up` refuses wherever a line starts with it."""
    block_end = LEADING_COMMENTS.match(text).end()  # type: ignore[union-attr]
    for line in _lines(text, 0, block_end):
        offset, body = line
        try:
            directives(body + "\n", path)
            if DIRECTIVE.match(body.strip()) and "replaces" in body.lower():
                replaced_range(body, path)
        except MigrationFileError as exc:
            return DirectiveProblem(offset, _without_path(str(exc), path), exc.hint or "")
        if direction == "down" and re.match(r"\s*--\s*sqlmig:\s*replaces\b", body, re.I):
            return DirectiveProblem(
                offset,
                "`-- sqlmig:replaces` belongs in the up file of a squash, not its down file: "
                "`up` refuses the folder",
                "remove the line from the down file",
            )
    try:  # what only the whole block shows (a pre and a post phase)
        sql_file(path, text[:block_end], first_line=1)
    except MigrationFileError as exc:
        return DirectiveProblem(0, _without_path(str(exc), path), exc.hint or "")
    for match in ANY_DIRECTIVE.finditer(text, block_end):
        name = match["name"].lower()
        inside = comments is None or any(a <= match.start() < b for a, b in comments)
        if name in RUN_DIRECTIVES and (inside or name == "no-transaction"):
            effect = "`up` refuses the file" if name in REFUSED_LATE else "`up` ignores it"
            return DirectiveProblem(
                match.start(),
                f"`-- sqlmig:{name}` comes after the first statement, where {effect} "
                "(directives are read only from the file's leading comments)",
                "move it to the top of the file, before any SQL",
            )
    return None


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out, offset = [], start
    for line in text[start:end].split("\n"):
        if line.strip().startswith("--"):
            out.append((offset, line))
        offset += len(line) + 1
    return out


def _without_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message

"""goose: one file per migration, `{version}_{name}.sql`, with `-- +goose Up` and
`-- +goose Down` sections; `-- +goose NO TRANSACTION` runs the file without a transaction.
`StatementBegin`/`StatementEnd` blocks stay in the text (comments): sqlmig's splitter keeps
a function body or a trigger whole as goose does. Go migrations are refused by name."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MigrationFileError
from ..files import Migration, SqlFile, read_text, sql_file
from .base import refuse_duplicates, sql_files, version_of
from .sections import Section, cut

NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.+)\.sql$")
GO_FILE = re.compile(r"^[0-9]+_.+\.go$")
MARKER = re.compile(
    r"^--[ \t]*\+goose[ \t]+(?P<direction>up|down)\b(?P<options>[^\n]*)$", re.M | re.I
)
ANNOTATION = re.compile(r"^--[ \t]*\+goose[ \t]+(?P<what>[^\n]*?)[ \t]*$", re.M)
KNOWN = {"up", "down", "statementbegin", "statementend", "no transaction", "envsub off"}
HINT = "goose names its SQL files {version}_{name}.sql, each with a `-- +goose Up` section"


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    code = sorted(p.name for p in folder.iterdir() if GO_FILE.match(p.name))
    if code:
        raise MigrationFileError(
            f"{folder / code[0]}: a goose migration written in Go, which sqlmig cannot run",
            hint="write it as a .sql migration, or keep running this folder with goose",
        )
    return refuse_duplicates(_migration(path) for path in sql_files(folder))


def _migration(path: Path) -> Migration:
    match = NAME.match(path.name)
    if match is None:
        raise MigrationFileError(f"{path}: not a goose file name", hint=HINT)
    text = read_text(path)
    transactional = _annotations(text, path)
    sections = cut(text, path, MARKER, "-- +goose")
    if "up" not in sections:
        raise MigrationFileError(f"{path}: no `-- +goose Up` section", hint=HINT)
    down = sections.get("down")
    return Migration(
        version=version_of(match["version"], path),
        version_text=match["version"],
        name=match["name"],
        up=_file(path, sections["up"], transactional),
        down=_file(path, down, transactional) if down else _no_down(path),
    )


def _annotations(text: str, path: Path) -> bool:
    """Whether the file runs in a transaction; an annotation sqlmig does not honour is an
    error (ENVSUB ON would change the SQL goose runs)."""
    transactional = True
    opened: int | None = None  # the line of an open StatementBegin
    seen_up = False
    for m in ANNOTATION.finditer(text):
        what = " ".join(m["what"].split()).lower()
        if what.split(" ")[0] in ("up", "down"):
            what = what.split(" ")[0]
        line = text.count("\n", 0, m.start()) + 1
        _check_order(what, line, path, opened, seen_up)
        seen_up = seen_up or what == "up"
        opened = line if what == "statementbegin" else None if what == "statementend" else opened
        if what not in KNOWN:
            raise MigrationFileError(
                f"{path}:{line}: sqlmig does not support the goose annotation "
                f"{m.group(0).strip()!r}",
                hint="sqlmig reads -- +goose Up, Down, StatementBegin, StatementEnd and "
                "NO TRANSACTION",
            )
        transactional = transactional and what != "no transaction"
    if opened is not None:
        raise MigrationFileError(
            f"{path}:{opened}: `-- +goose StatementBegin` has no `-- +goose StatementEnd`",
            hint="end the block with `-- +goose StatementEnd` (goose refuses this file too)",
        )
    return transactional


def _check_order(what: str, line: int, path: Path, opened: int | None, seen_up: bool) -> None:
    """goose's own rules: Up first, blocks closed before the next section, no stray End."""
    problem = None
    if what == "down" and not seen_up:
        problem = "`-- +goose Down` comes before `-- +goose Up`"
    elif what in ("up", "down", "statementbegin") and opened is not None:
        problem = f"`-- +goose StatementBegin` of line {opened} has no `-- +goose StatementEnd`"
    elif what == "statementend" and opened is None:
        problem = "`-- +goose StatementEnd` without a `-- +goose StatementBegin`"
    if problem:
        raise MigrationFileError(
            f"{path}:{line}: {problem}", hint="goose refuses this file too; fix its annotations"
        )


def _file(path: Path, s: Section, transactional: bool) -> SqlFile:
    return sql_file(path, s.text, first_line=s.first_line, transactional=transactional)


def _no_down(path: Path) -> SqlFile:
    """No down section: the tool's down runs nothing and records the revert; so does sqlmig's."""
    return sql_file(path, "", first_line=1)

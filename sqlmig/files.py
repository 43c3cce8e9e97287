"""Discover and read migration files: names, versions, directives and checksums. No database."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import MigrationFileError
from .phases import PRE, phase_of

# [0-9], not \d: \d and int() take any script's digits (Arabic-Indic, fullwidth) as a version.
FILENAME = re.compile(r"^(?P<version>[0-9]+)_(?P<slug>[a-z0-9_]+)\.(?P<direction>up|down)\.sql$")
# A hand-written file for one dialect, used by `transpile` instead of translating the generic one.
OVERRIDE = re.compile(
    r"^(?P<version>[0-9]+)_(?P<slug>[a-z0-9_]+)\.(?P<dialect>sqlite|mysql|postgres)"
    r"\.(?P<direction>up|down)\.sql$"
)
# A repeatable migration, Flyway's name (repeatables.py reads them and checks the slug).
REPEATABLE = re.compile(r"^R__.+\.sql$")
# The history stores versions as NUMERIC(38,0) / DECIMAL(38,0) (history.py): 38 digits.
MAX_VERSION = 10**38 - 1
NO_TRANSACTION_LINE = "-- sqlmig:no-transaction\n"
BOM = b"\xef\xbb\xbf"
# A file is read whole and sent as one query: a bigger one is a data dump, refused before it is
# read (a 200 MB file took 430 MB of memory just to be found bad).
MAX_FILE_BYTES = 100 * 1024 * 1024
DIRECTIVE = re.compile(r"^--\s*sqlmig:\s*(?P<name>[a-z-]+)(?P<args>[^\n]*)$", re.I)
# The leading comment block: white space, -- lines and /* */ blocks before the first statement.
LEADING_COMMENTS = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
# directives that, ignored after the first statement, would change what runs: refused there
LATE_NO_TRANSACTION = re.compile(
    r"^[ \t]*--[ \t]*sqlmig:[ \t]*(no-transaction|phase|placeholders)\b", re.I | re.M
)
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
IN_BLOCK_COMMENT = re.compile(r"sqlmig:[ \t]*(no-transaction|phase|placeholders)\b([^\n*]*)", re.I)
# Directives read by `up`/`down`; the lint ones are parsed by lint, but known here so a typo fails.
KNOWN_DIRECTIVES = {
    *("no-transaction", "no-foreign-key-check", "ignore", "ignore-file", "review", "replaces"),
    *("placeholders", "phase"),  # placeholders.py, phases.py
}
# `-- sqlmig:replaces 0001..0050`: a squash file (`sqlmig squash`) standing in for that range.
REPLACES = re.compile(r"^--\s*sqlmig:\s*replaces\b(?P<args>[^\n]*)$", re.I | re.M)
RANGE = re.compile(r"^\s*(?P<first>[0-9]+)\s*\.\.\s*(?P<last>[0-9]+)\s*$")
NAMING_HINT = (
    "name migration files NNNN_slug.up.sql and NNNN_slug.down.sql "
    "(digits, an underscore, lowercase letters, digits and underscores)"
)


@dataclass(frozen=True)
class SqlFile:
    """One up or down file as sqlmig runs it."""

    path: Path
    text: str
    checksum: str
    transactional: bool
    first_line: int = 1  # a section of a file (dbmate, goose): the file's line it starts on
    replaces: tuple[int, int] | None = None  # `-- sqlmig:replaces A..B`: a squash file
    phase: str = PRE  # `-- sqlmig:phase post`: a post-deploy migration (phases.py)
    # the ${name} placeholders put in `text` and their values as shown (secrets as ***);
    # empty when nothing was put in (placeholders.py)
    vars_used: tuple[tuple[str, str], ...] = ()

    @property
    def body(self) -> str:
        """The text without the empty lines that put a section at its line of the file."""
        return self.text[self.first_line - 1 :]


@dataclass(frozen=True)
class Migration:
    """A numbered migration: its up file and, if it is reversible, its down file."""

    version: int
    version_text: str
    name: str
    up: SqlFile
    down: SqlFile | None
    overrides: tuple[tuple[str, str, Path], ...] = ()  # (dialect, direction, path), not read

    @property
    def label(self) -> str:
        return f"{self.version_text}_{self.name}"

    @property
    def replaces(self) -> tuple[int, int] | None:
        """The versions a squash file stands in for (`-- sqlmig:replaces A..B`), else None."""
        return self.up.replaces

    def override(self, dialect: str, direction: str) -> Path | None:
        """The hand-written `NNNN_slug.<dialect>.<direction>.sql` beside this migration, if any."""
        return next((p for d, w, p in self.overrides if (d, w) == (dialect, direction)), None)


def checksum(data: bytes) -> str:
    """sha256 over the bytes with a UTF-8 BOM stripped and CRLF turned into LF."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return "sha256:" + hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def directives(text: str, path: Path) -> set[str]:
    """The `-- sqlmig:NAME` directives in the file's leading comment block."""
    found: set[str] = set()
    block = LEADING_COMMENTS.match(text).group(0)  # type: ignore[union-attr]
    _refuse_block_comment_directive(block, path)
    for line in block.splitlines():
        line = line.strip()
        if not line.startswith("--"):
            continue
        match = DIRECTIVE.match(line)
        if match is None:
            if line.replace(" ", "").startswith("--sqlmig"):
                raise MigrationFileError(
                    f"{path}: malformed directive {line!r}",
                    hint="write it as: -- sqlmig:no-transaction",
                )
            continue
        if match.group("name").lower() not in KNOWN_DIRECTIVES:
            raise MigrationFileError(
                f"{path}: unknown directive {line!r}",
                hint="known directives: " + ", ".join(sorted(KNOWN_DIRECTIVES)),
            )
        found.add(match.group("name").lower())
    return found


def _refuse_block_comment_directive(block: str, path: Path) -> None:
    """`/* sqlmig:phase post */` is not read (directives are `--` lines): ignored, a contract
    migration would run before the deploy, or a CONCURRENTLY one in a transaction."""
    for comment in BLOCK_COMMENT.finditer(block):
        said = IN_BLOCK_COMMENT.search(comment[0])
        if said is not None:
            line = block.count("\n", 0, comment.start() + said.start()) + 1
            raise MigrationFileError(
                f"{path}:{line}: `sqlmig:{said[1].lower()}` in a /* */ comment is not read as "
                "a directive",
                hint=f"write it as a line of its own at the top of the file: "
                f"-- sqlmig:{said[1].lower()}{said[2].rstrip()}",
            )


def read_sql_file(path: Path) -> SqlFile:
    """Read, validate and checksum one file; any problem names the file (and byte offset)."""
    text = read_text(path)
    return sql_file(path, text, first_line=1)


def sql_file(path: Path, text: str, *, first_line: int, transactional: bool = True) -> SqlFile:
    """`text` (a file, or the section of one that starts at `first_line`) as sqlmig runs it.

    The checksum is that of the sqlmig file holding `text`: for a whole file, its bytes with a
    BOM stripped and CRLF turned into LF. Another format's "no transaction" (transactional
    False) counts as the `-- sqlmig:no-transaction` line `convert` writes above the text, so a
    converted file keeps the checksum. A section runs after one empty line per line above it,
    so that an error's line number is the file's."""
    padded = "\n" * (first_line - 1) + text
    _refuse_late_no_transaction(padded, path)
    found = directives(padded, path)
    said = "no-transaction" in found
    as_file = text if transactional or said else NO_TRANSACTION_LINE + text
    return SqlFile(
        path=path,
        text=padded,
        checksum=checksum(as_file.encode()),
        transactional=transactional and not said,
        first_line=first_line,
        replaces=replaced_range(padded, path) if "replaces" in found else None,
        phase=phase_of(_leading(padded), path) if "phase" in found else PRE,
    )


def _leading(text: str) -> str:
    return LEADING_COMMENTS.match(text).group(0)  # type: ignore[union-attr]


def replaced_range(text: str, path: Path) -> tuple[int, int]:
    """The range of `-- sqlmig:replaces A..B` in the leading comments, refused unless A <= B."""
    block = LEADING_COMMENTS.match(text).group(0)  # type: ignore[union-attr]
    found = REPLACES.search(block)
    match = RANGE.match(found["args"]) if found else None
    if match is None or int(match["first"]) > int(match["last"]):
        raise MigrationFileError(
            f"{path}: malformed directive {found[0] if found else 'replaces'!r}",
            hint="write it as: -- sqlmig:replaces 0001..0050 (the first and the last version "
            "the squash file stands in for)",
        )
    return int(match["first"]), int(match["last"])


def read_text(path: Path) -> str:
    """A file's text, validated (size, UTF-8, no NUL) with CRLF turned into LF."""
    try:
        _check_size(path)
        data = path.read_bytes()
    except IsADirectoryError:
        raise MigrationFileError(
            f"{path} is a directory, not a migration file",
            hint="rename or move it out of the migrations folder",
        ) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    body = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        raise MigrationFileError(
            f"{path} is not valid UTF-8 (byte offset {offset})",
            hint="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise MigrationFileError(
            f"{path} contains a NUL byte (byte offset {nul})",
            hint="migration files must be plain UTF-8 text",
        )
    return text.replace("\r\n", "\n")


def _unreadable(path: Path, exc: OSError) -> MigrationFileError:
    """Why a file cannot be read, with the step that fits the cause (not always permissions)."""
    if exc.errno == errno.ELOOP:
        return MigrationFileError(
            f"{path} is a symbolic link that leads back to itself (a loop)",
            hint="point the link at the migration file, or remove it",
        )
    if path.is_symlink() and not path.exists():
        return MigrationFileError(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist",
            hint="restore the file it points to, or remove the link",
        )
    if exc.errno == errno.ENOENT:
        return MigrationFileError(
            f"cannot read {path}: it was removed while sqlmig was reading the folder",
            hint="run the command again once the folder is settled",
        )
    hints = {
        errno.EACCES: "check the file's permissions",
        errno.EPERM: "check the file's permissions",
    }
    return MigrationFileError(
        f"cannot read {path}: {exc.strerror}",
        hint=hints.get(exc.errno or 0, "check the file and the disk it is on"),
    )


def _refuse_late_no_transaction(text: str, path: Path) -> None:
    """`-- sqlmig:no-transaction` after the first statement would be ignored: the file would
    run in a transaction its author asked not to have (CREATE INDEX CONCURRENTLY then fails)."""
    start = LEADING_COMMENTS.match(text).end()  # type: ignore[union-attr]
    late = LATE_NO_TRANSACTION.search(text, start)
    if late is None:
        return
    line = text.count("\n", 0, late.start()) + 1
    raise MigrationFileError(
        f"{path}:{line}: `-- sqlmig:{late[1].lower()}` comes after the first statement, where "
        "it would be ignored",
        hint="move it to the top of the file, before any SQL (directives are read only from "
        "the file's leading comments)",
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES and path.is_file():
        raise MigrationFileError(
            f"{path} is {size / 2**20:.0f} MB; migration files are read whole and sent as one "
            f"query, so sqlmig refuses files over {MAX_FILE_BYTES // 2**20} MB",
            hint="load bulk data with COPY from a separate file, or split the migration",
        )


def _classify(folder: Path) -> dict[tuple[str, str, str], Path]:
    """Map (version text, slug, direction) to path; reject any *.sql that is not a migration."""
    found: dict[tuple[str, str, str], Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".sql"):  # x.SQL is checked, not skipped
            continue  # README.md and friends live here too
        match = FILENAME.match(path.name)
        if match is None and OVERRIDE.match(path.name):
            continue  # a per-dialect override: read by _overrides, not a migration of its own
        if match is None and REPEATABLE.match(path.name):
            continue  # a repeatable migration (R__name.sql): read by repeatables.py
        if match is None:
            raise _not_a_migration(path)
        found[(match["version"], match["slug"], match["direction"])] = path
    return found


def _not_a_migration(path: Path) -> MigrationFileError:
    from .callback_names import is_callback
    from .layouts import describe_file, rename  # only on this error path

    if is_callback(path.name):
        return MigrationFileError(
            f"{path}: a callback beside the migrations; sqlmig reads callbacks from the "
            f"callbacks/ subfolder",
            hint=f"move it to {path.parent / 'callbacks' / path.name}",
        )

    better = rename(path)
    if better is not None:
        return MigrationFileError(
            f"{path}: not a migration file name: after the version, sqlmig's names take only "
            "lowercase letters, digits and underscores",
            hint=f"rename it {better} (and its pair the same way)",
        )
    looks = describe_file(path)
    if looks is None:
        return MigrationFileError(f"{path}: not a migration file name", hint=NAMING_HINT)
    error = MigrationFileError(
        f"{path}: not a migration file name; it looks like {looks}", hint=_read_hint(looks)
    )
    error.read_as = _format_of(looks)  # type: ignore[attr-defined]  # formats names the misfit
    return error


def _format_of(looks: str) -> str | None:
    from .layouts import read_as

    return read_as(looks)


def _read_hint(looks: str) -> str:
    """Read the folder as the format it looks like, or rename the files into sqlmig's."""
    fmt = _format_of(looks)
    if fmt is None:
        return "sqlmig does not read that layout: " + NAMING_HINT
    return (
        f"read the folder as one with --dir-format {fmt} (or SQLMIG_DIR_FORMAT, dir_format in "
        f"sqlmig.toml): it is detected when every migration in it is a {fmt} one; or " + NAMING_HINT
    )


def _refuse_other_layout(folder: Path) -> None:
    """A folder with no sqlmig migration but another tool's subfolders is not an empty one."""
    from .layouts import describe_code, describe_folders

    inner = _migrations_below(folder)
    if inner is not None:
        raise MigrationFileError(
            f"migrations folder {folder} has no migration, but its subfolder {inner} has",
            hint=f"point --dir (or SQLMIG_DIR, dir in sqlmig.toml) at {inner}",
        )
    looks = describe_folders(folder) or describe_code(folder)
    if looks is not None:
        raise MigrationFileError(
            f"migrations folder {folder} has no sqlmig migration; it looks like {looks}",
            hint=_read_hint(looks),
        )


def _migrations_below(folder: Path) -> Path | None:
    """A subfolder holding sqlmig migrations: --dir named the folder above them."""
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if any(FILENAME.match(p.name) for p in sub.iterdir()):
            return sub
    return None


def discover(folder: Path) -> list[Migration]:
    """All migrations in `folder`, sorted by version, or MigrationFileError naming the file."""
    if not folder.is_dir():
        raise MigrationFileError(
            f"migrations folder {folder} does not exist",
            hint="run `sqlmig init`, or point --dir / SQLMIG_DIR at your migrations",
        )
    files = _classify(folder)
    if not files:
        _refuse_other_layout(folder)
    overrides = _overrides(folder, files)
    by_version: dict[int, Migration] = {}
    squashes: dict[int, Migration] = {}  # a squash file beside the last file it replaces
    for (vtext, slug, direction), path in files.items():
        if direction == "down":
            if (vtext, slug, "up") not in files:
                raise MigrationFileError(
                    f"{path}: down file without its up file",
                    hint=f"add {vtext}_{slug}.up.sql or remove this file",
                )
            continue
        version = int(vtext)
        if version > MAX_VERSION:
            raise MigrationFileError(
                f"{path}: version {vtext} is too large",
                hint="versions have at most 38 digits (leading zeros aside): renumber this file",
            )
        down = files.get((vtext, slug, "down"))
        m = Migration(
            version=version,
            version_text=vtext,
            name=slug,
            up=read_sql_file(path),
            down=_down_of(down),
            overrides=tuple(overrides.get((vtext, slug), ())),
        )
        _check_squash(m)
        if version in by_version:
            other = by_version[version]
            _allow_beside(other, m, taken=version in squashes)
            squashes[version], m = (other, m) if other.replaces else (m, other)
        by_version[version] = m
    found = [*by_version.values(), *squashes.values()]
    return sorted(found, key=lambda m: (m.version, m.replaces is not None))


def _down_of(path: Path | None) -> SqlFile | None:
    if path is None:
        return None
    down = read_sql_file(path)
    if down.replaces is not None:
        raise MigrationFileError(
            f"{path}: `-- sqlmig:replaces` belongs in the up file of a squash, not its down file",
            hint="remove the line from the down file",
        )
    return down


def _check_squash(m: Migration) -> None:
    """A squash file ends its range at its own version: it sorts where the last one it
    replaces does, so later migrations run after it."""
    if m.replaces is not None and m.replaces[1] != m.version:
        first, last = m.replaces
        raise MigrationFileError(
            f"{m.up.path}: it replaces {first}..{last} but its version is {m.version_text}",
            hint=f"a squash file takes the version of the last migration it replaces: rename "
            f"it {str(last).zfill(len(m.version_text))}_{m.name}.up.sql, or fix the range",
        )


def _allow_beside(one: Migration, two: Migration, *, taken: bool) -> None:
    """Two files with one version: allowed only for a squash file beside the last migration
    it replaces (with another name); else the duplicate is an error naming both."""
    if not taken and bool(one.replaces) != bool(two.replaces) and one.name != two.name:
        return
    raise MigrationFileError(
        f"duplicate version {one.version}: {one.up.path.name} and {two.up.path.name}",
        hint="give one of them the next free number (`sqlmig renumber` renumbers a branch's "
        "new files after the base's newest)",
    )


def _overrides(
    folder: Path, files: dict[tuple[str, str, str], Path]
) -> dict[tuple[str, str], list[tuple[str, str, Path]]]:
    """Per-dialect override files by (version text, slug); each must sit beside its generic file."""
    out: dict[tuple[str, str], list[tuple[str, str, Path]]] = {}
    for path in sorted(folder.iterdir()):
        match = OVERRIDE.match(path.name)
        if match is None:
            continue
        vtext, slug, direction = match["version"], match["slug"], match["direction"]
        if (vtext, slug, direction) not in files:
            raise MigrationFileError(
                f"{path}: override without its generic file",
                hint=f"add {vtext}_{slug}.{direction}.sql (the file it overrides) or remove it",
            )
        out.setdefault((vtext, slug), []).append((match["dialect"], direction, path))
    return out

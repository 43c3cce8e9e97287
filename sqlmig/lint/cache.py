"""The lint cache: a file's findings, reused while nothing they depend on has changed.

A file's entry is keyed by a hash of everything its findings can depend on: its name and bytes,
its pair's (a down file is linted with its up file), the bytes of the other up files of its
version and the names of every file in its folder (duplicate versions), and the run's
settings: sqlmig's version and its lint code, the installed parsers, the dialect, the
PostgreSQL version and the rule selection. A rule that reads anything else must run outside
the cache (after it), never inside `engine.run`.

The cache is one JSON file per run settings in the cache folder (`.sqlmig_cache/` beside
sqlmig.toml by default), written to a temporary file and renamed, so concurrent runs never
leave a half-written file (the last writer wins; the loser's new entries are only lost, not
wrong). A file that cannot be read, parsed or trusted is ignored and replaced. Importing this
module does not import the parser: a run where every file is cached stays light.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import FILENAME, MAX_FILE_BYTES
from .model import Finding

FORMAT = 1
FOLDER_NAME = ".sqlmig_cache"
KEEP_UNUSED = 20_000  # entries of files not linted this run that a rewrite still keeps
KEEP_FILES = 8  # cache files (one per set of settings) kept in the folder
TEMP_SECONDS = 3600  # a temporary file this old belongs to no running lint
LINT_CODE = Path(__file__).resolve().parent
PARSERS = ("sqlglot", "sqlglotrs", "pglast")  # sqlglotc: compiled modules inside sqlglot/
Row = list[Any]  # [line, col, code, rule, severity, message, help]


def settings_key(server: str, pg_version: int, select: Sequence[str], ignore: Sequence[str]) -> str:
    """A hash of what the findings of every file depend on besides the files themselves."""
    parts = [
        f"format {FORMAT}",
        f"sqlmig {__version__}",
        _code_stamp(),
        *(_package_stamp(name) for name in PARSERS),
        f"dialect {server}",
        f"pg {pg_version}",
        "select " + ",".join(sorted(t.strip().upper() for t in select if t.strip())),
        "ignore " + ",".join(sorted(t.strip().upper() for t in ignore if t.strip())),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def _code_stamp() -> str:
    """sqlmig's own lint code (size and time of each module): an edited rule is a new
    version even where the version number stays (an editable install, a patched copy)."""
    stamps = []
    for folder, subfolders, names in os.walk(LINT_CODE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            stat = os.stat(os.path.join(folder, name))
            stamps.append(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(stamps)


def _package_stamp(name: str) -> str:
    """Where an installed package lives and when it was installed, without importing it."""
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return f"{name} absent"
    try:
        stat = os.stat(spec.origin)
        # the folder too: sqlglotc adds its compiled modules into sqlglot's folder
        folder = os.stat(os.path.dirname(spec.origin)).st_mtime_ns
    except OSError:
        return f"{name} {spec.origin}"
    return f"{name} {spec.origin}:{stat.st_size}:{stat.st_mtime_ns}:{folder}"


class LintCache:
    """Entries for one settings key, read from and written to `folder`."""

    def __init__(self, folder: Path, settings: str) -> None:
        self.folder = folder
        self.path = folder / f"lint-{settings}.json"
        self.entries: dict[str, list[Row]] = self._read()
        self.used: set[str] = set()
        self.added: dict[str, list[Row]] = {}
        self._digests: dict[Path, bytes | None] = {}
        self._folder_digests: dict[Path, bytes] = {}
        self._listings: dict[Path, tuple[str, ...]] = {}
        self._versions: dict[Path, dict[int, list[str]]] = {}
        self._sets: dict[Path, frozenset[str]] = {}

    def _read(self) -> dict[str, list[Row]]:
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):  # absent, unreadable, truncated, not JSON
            return {}
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return {}
        entries = doc.get("entries")
        return entries if isinstance(entries, dict) else {}

    def key(self, path: Path, context: Sequence[Path] | None = None) -> str | None:
        """The entry key of one file; None when it cannot be read or is too big to be linted
        (linting it says why). `context`: a file of another layout (popx) is linted with
        these files (its pair, its version group) instead of sqlmig's pair."""
        if self._digest(path) is None:
            return None
        digest = hashlib.blake2b(digest_size=20)
        if context is not None:
            digest.update(b"layout\0")
        parts = self._depends_on(path) if context is None else [path, *context]
        for part in parts:
            found = self._digest(part)
            digest.update(os.fsencode(part.name) + b"\0" + (found or b"-") + b"\0")  # any name
        digest.update(self._names_digest(path.parent))
        return digest.hexdigest()

    def _names_digest(self, folder: Path) -> bytes:
        """A hash of the names in a folder, once per folder (not once per file in it)."""
        if folder not in self._folder_digests:
            names = b"\0".join(map(os.fsencode, self._listing(folder)))
            self._folder_digests[folder] = hashlib.blake2b(names, digest_size=20).digest()
        return self._folder_digests[folder]

    def _depends_on(self, path: Path) -> list[Path]:
        parts = [path]
        match = FILENAME.match(path.name)
        if match is not None:
            other = "down" if match["direction"] == "up" else "up"
            pair = f"{match['version']}_{match['slug']}.{other}.sql"  # as paths.pair_of()
            if pair in self._names(path.parent):
                parts.append(path.parent / pair)
            ups = self._ups(path.parent).get(int(match["version"]), ())
            parts += [path.parent / name for name in ups]
        return parts

    def _names(self, folder: Path) -> frozenset[str]:
        if folder not in self._sets:
            self._sets[folder] = frozenset(self._listing(folder))
        return self._sets[folder]

    def _ups(self, folder: Path) -> dict[int, list[str]]:
        """The up files of a folder by version (a rule reports duplicate versions)."""
        if folder not in self._versions:
            ups: dict[int, list[str]] = {}
            for name in self._listing(folder):
                match = FILENAME.match(name)
                if match and match["direction"] == "up":
                    ups.setdefault(int(match["version"]), []).append(name)
            self._versions[folder] = ups
        return self._versions[folder]

    def _digest(self, path: Path) -> bytes | None:
        """A hash of the file's bytes (read once per run; the bytes are not kept)."""
        if path not in self._digests:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise OSError("refused by read_text")
                data = path.read_bytes()
            except OSError:
                self._digests[path] = None
            else:
                self._digests[path] = hashlib.blake2b(data, digest_size=20).digest()
        return self._digests[path]

    def _listing(self, folder: Path) -> tuple[str, ...]:
        if folder not in self._listings:
            try:
                names = (n for n in os.listdir(folder) if not n.startswith("."))
                self._listings[folder] = tuple(sorted(names))  # not the cache's own folder
            except OSError:
                self._listings[folder] = ()
        return self._listings[folder]

    def get(self, key: str, shown_path: str) -> list[Finding] | None:
        """The cached findings of a file (None: not cached, or an entry that is not sound)."""
        rows = self.entries.get(key)
        if not isinstance(rows, list):
            return None
        try:
            found = [Finding(shown_path, *_checked(row)) for row in rows]
        except (TypeError, ValueError):
            return None
        self.used.add(key)
        return found

    def put(self, key: str, findings: Iterable[Finding]) -> None:
        rows = [[f.line, f.col, f.code, f.rule, f.severity, f.message, f.help] for f in findings]
        self.added[key] = rows
        self.used.add(key)

    def save(self) -> None:
        """Write the entries of this run (and recent others) if any is new; a folder that
        cannot be written only means no cache."""
        if not self.added:
            return
        entries = {**self.entries, **self.added}
        if len(entries) > len(self.used) + KEEP_UNUSED:
            entries = {k: v for k, v in entries.items() if k in self.used}
        doc = {"format": FORMAT, "sqlmig": __version__, "entries": entries}
        try:
            _prepare(self.folder)
            fd, temp = tempfile.mkstemp(prefix=".lint-", suffix=".tmp", dir=self.folder)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(doc, out, separators=(",", ":"))
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        _tidy(self.folder)


def _tidy(folder: Path) -> None:
    """Keep the newest KEEP_FILES cache files (each sqlmig upgrade or new rule selection starts
    another) and drop temporary files a killed run left behind."""
    now = time.time()
    try:
        found = [(e.stat().st_mtime, e.path, e.name) for e in os.scandir(folder)]
    except OSError:
        return
    caches = sorted((m, p) for m, p, n in found if n.startswith("lint-") and n.endswith(".json"))
    stale = [p for _, p in caches[:-KEEP_FILES]]
    stale += [p for m, p, n in found if n.startswith(".lint-") and now - m > TEMP_SECONDS]
    for path in stale:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _checked(row: Any) -> tuple[int, int, str, str, str, str, str]:
    """A cached row as Finding's fields after the path, or ValueError if it is not one."""
    if not isinstance(row, list) or len(row) != 7:
        raise ValueError("not a finding")
    line, col, *texts = row
    if type(line) is not int or type(col) is not int or not all(type(t) is str for t in texts):
        raise ValueError("not a finding")
    return (line, col, *texts)  # type: ignore[return-value]


def _prepare(folder: Path) -> None:
    """The cache folder, with a .gitignore that ignores all of it (as ruff's does)."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# made by sqlmig lint; safe to delete\n*\n", encoding="utf-8")

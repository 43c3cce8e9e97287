"""Placeholders: `${name}` in a migration file, replaced by its value as text before it runs.

Off unless a file says `-- sqlmig:placeholders` (or sqlmig.toml says `placeholders = true`).
Values come from --var NAME=VALUE, SQLMIG_VAR_NAME and [vars] in sqlmig.toml (config.py reads
them); `${sqlmig.database}`, `${sqlmig.user}`, `${sqlmig.table}` and `${sqlmig.filename}` are
built in. `$${` writes a literal `${`. Checksums stay those of the files as written. Values of
secret names (secret_vars, or a name holding PASSWORD, SECRET or TOKEN) are never printed nor
stored: masking them is this module's job too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from .errors import MigrationFileError, SqlmigError, UsageError
from .files import directives

if TYPE_CHECKING:
    from .events import Event
    from .files import Migration, SqlFile

MASK = "***"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
USED_NAME = re.compile(r"(?:sqlmig\.)?[A-Za-z_][A-Za-z0-9_]*")
# `$${` (a literal `${`), `${name}`, or a `${` that starts no placeholder (an error)
TOKEN = re.compile(r"\$\$\{|\$\{(?P<name>[^{}\s]{0,200})\}|\$\{")
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN")
PREFIX = 8  # masked on its own: the first characters of a longer secret value
CUT_OFF = frozenset(".'\"` \t\n")  # what follows a value a database error cut short
SHOWN_PROBLEMS = 10
SOURCES_HINT = (
    "give each a value with --var NAME=VALUE, the environment variable SQLMIG_VAR_NAME, or "
    'NAME = "VALUE" under [vars] in sqlmig.toml; write $${ for a literal ${'
)


@dataclass(frozen=True)
class Vars:
    """The values placeholders take in one run, and which of them are secret."""

    values: Mapping[str, str] = field(default_factory=dict)
    secret_names: frozenset[str] = frozenset()
    everywhere: bool = False  # placeholders = true: every file, not only those that say so
    missing: Mapping[str, str] = field(default_factory=dict)  # built-in -> why it has no value

    def is_secret(self, name: str) -> bool:
        upper = name.upper()
        return name in self.secret_names or any(word in upper for word in SECRET_WORDS)

    @functools.cached_property
    def secrets(self) -> tuple[str, ...]:
        """The values to mask, longest first (so a value holding another is masked whole), and
        each line of a value of several (a PEM key: an error may quote one line)."""
        found = {v for k, v in self.values.items() if v and self.is_secret(k)}
        found |= {line.strip() for v in found for line in v.splitlines() if len(line.strip()) > 3}
        return tuple(sorted(found, key=len, reverse=True))

    def mask(self, text: str) -> str:
        """`text` with every secret value replaced by ***, wherever it stands except inside a
        longer word (as urls.redact does), so that a short one ("t") does not garble text.
        A long value's first PREFIX or more characters are masked too: databases cut what they
        quote (MariaDB's `near '...'` at 80 characters, PostgreSQL's names at 63 bytes)."""
        for value in self.secrets:
            text = _mask_prefixes(text, value) if len(value) > PREFIX else _mask_word(text, value)
        return text

    def shown(self, name: str, value: str) -> str:
        return MASK if self.is_secret(name) else value


def _mask_word(text: str, value: str) -> str:
    # any case: PostgreSQL folds an unquoted name to lower case in its errors
    pattern = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
    return re.sub(pattern, MASK, text, flags=re.I)


def _mask_prefixes(text: str, value: str) -> str:
    """Each run of text that starts a word and matches `value` (any case) for PREFIX or more
    characters, as ***: the whole value, or the part of it a database error quoted (cut off:
    at the end of the text, or before a quote, `...` or a space)."""
    want = value.lower()
    out, last = [], 0
    start = re.compile(rf"(?<![A-Za-z0-9]){re.escape(value[:PREFIX])}", re.I)
    for m in start.finditer(text):
        if m.start() < last:
            continue
        end, k = m.end(), PREFIX
        while end < len(text) and k < len(want) and text[end].lower() == want[k]:
            end, k = end + 1, k + 1
        if k < len(want) and end < len(text) and text[end] not in CUT_OFF:
            continue  # another word sharing its start (`postgres@host` of a secret URL)
        out += [text[last : m.start()], MASK]
        last = end
    return "".join(out) + text[last:] if out else text


# -- the values, as config.py reads them -----------------------------------------------------


def flag(item: str) -> tuple[str, str]:
    """`--var NAME=VALUE` as (name, value)."""
    name, sep, value = item.partition("=")
    if not sep:
        raise UsageError(f"--var {item!r}: no value", hint="write it as --var NAME=VALUE")
    source = f"--var {item.split('=', 1)[0]}"
    return checked_name(name.strip(), source), checked_value(value, source)


def checked_name(name: str, source: str) -> str:
    if not NAME.fullmatch(name):
        raise UsageError(
            f"{source}: {name!r} is not a placeholder name",
            hint="names are letters, digits and _, not starting with a digit (names beginning "
            "sqlmig. are the built-in ones)",
        )
    return name


def checked_value(value: str, source: str) -> str:
    """A value the database can take as text: UTF-8 (the environment may hold other bytes),
    no NUL. The error never shows the value: it may be a secret."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{source}: the value is not UTF-8 text",
            hint="set it as UTF-8 (the environment and the command line may hold other bytes)",
        ) from None
    if "\x00" in value:
        raise UsageError(f"{source}: the value holds a NUL character", hint="remove it")
    return value


def table(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    """The [vars] table of sqlmig.toml: names to strings, numbers or booleans."""
    if not isinstance(value, dict):
        raise UsageError(
            f"{source}: vars must be a table", hint='write [vars] then app_role = "app"'
        )
    out = []
    for name, item in value.items():
        checked_name(str(name), f"{source}: [vars]")
        if isinstance(item, bool):
            item = "true" if item else "false"
        if not isinstance(item, str | int | float):
            raise UsageError(
                f"{source}: [vars] {name} must be a string, number or boolean",
                hint='write it as text: app_role = "app"',
            )
        out.append((str(name), checked_value(str(item), f"{source}: [vars] {name}")))
    return tuple(out)


def environ(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """SQLMIG_VAR_NAME=VALUE: the name as written after the prefix (names are case-sensitive)."""
    prefix = "SQLMIG_VAR_"
    return tuple(
        (checked_name(k[len(prefix) :], k), checked_value(v, k))
        for k, v in env.items()
        if k.startswith(prefix)
    )


def from_config(cfg: Any) -> Vars:
    """The Vars of a Config: its values (flags > environment > file) and the built-ins."""
    values = dict(getattr(cfg, "vars", ()))
    missing: dict[str, str] = {}
    values["sqlmig.table"] = cfg.table
    for name, value in _from_url(cfg.url).items():
        if value:
            values[name] = value
        else:
            missing[name] = _why_missing(name, cfg.url)
    return Vars(
        values=values,
        secret_names=frozenset(getattr(cfg, "secret_vars", ())),
        everywhere=bool(getattr(cfg, "placeholders", False)),
        missing=missing,
    )


def _from_url(url: str | None) -> dict[str, str]:
    """sqlmig.database and sqlmig.user as the URL names them (before connecting)."""
    if not url:
        return {"sqlmig.database": "", "sqlmig.user": ""}
    if url.lower().startswith("sqlite:"):
        path = unquote(url.split(":", 1)[1].lstrip("/").split("?", 1)[0])
        return {"sqlmig.database": Path(path).name if path else "", "sqlmig.user": ""}
    try:
        parts = urlsplit(url)
    except ValueError:
        return {"sqlmig.database": "", "sqlmig.user": ""}
    return {
        "sqlmig.database": unquote(parts.path.lstrip("/")),
        "sqlmig.user": unquote(parts.username or ""),
    }


def _why_missing(name: str, url: str | None) -> str:
    if not url:
        return "no database URL is configured"
    if url.lower().startswith("sqlite:") and name == "sqlmig.user":
        return "SQLite has no user"
    return f"the URL names no {name.split('.', 1)[1]}"


# -- putting values in -----------------------------------------------------------------------


def enabled(sql: SqlFile, v: Vars) -> bool:
    return v.everywhere or "placeholders" in directives(sql.text, sql.path)


def substitute(sql: SqlFile, v: Vars, *, masked: bool = False) -> tuple[SqlFile, list[str]]:
    """The file with its placeholders replaced (masked: secrets as ***, for a dry run), and
    the problems found (file:line each); unchanged where placeholders are off."""
    if "${" not in sql.text or not enabled(sql, v):
        return sql, []
    values = {**v.values, "sqlmig.filename": sql.path.name}
    text = sql.text
    put: dict[str | None, str] = {}  # what each name becomes: decided once per name
    used: dict[str, str] = {}
    problems: dict[str, str] = {}  # one line per name (its first use) or bad spelling

    def at(m: re.Match[str]) -> str:  # only for a problem: counting lines costs a pass
        return f"{sql.path}:{text.count(chr(10), 0, m.start()) + 1}"

    def fill(m: re.Match[str]) -> str:
        if m[0] == "$${":
            return "${"
        name = m["name"]
        if name in put:
            return put[name]
        if name is None or not USED_NAME.fullmatch(name):
            key = f"{m.start()}"  # each bad spelling where it stands
            problems[key] = (
                f"{at(m)}: {m[0][:40]!r} is not a placeholder (write $${{ for a literal ${{)"
            )
            return m[0]
        if name not in values:
            why = v.missing.get(name) or (
                "not a built-in one" if name.startswith("sqlmig.") else "it has no value"
            )
            problems[name] = f"{at(m)}: placeholder ${{{name}}}: {why}"
            put[name] = m[0]
            return m[0]
        put[name] = MASK if masked and v.is_secret(name) else values[name]
        used[name] = v.shown(name, values[name])
        return put[name]

    filled = TOKEN.sub(fill, text)
    return replace(sql, text=filled, vars_used=tuple(used.items())), list(problems.values())


def stand_ins(sql: SqlFile) -> str:
    """For lint: a file with placeholders on, each `${name}` as a word of the same length
    (`_name__`), so that it parses and positions stay; `$${` as the `${` it runs as."""
    if "${" not in sql.text:
        return sql.text
    try:
        said = directives(sql.text, sql.path)
    except MigrationFileError:  # a bad directive: lint reports it (bad-directive)
        return sql.text
    if "placeholders" not in said:
        return sql.text

    def word(m: re.Match[str]) -> str:
        if m[0] == "$${":
            return "${"
        name = m["name"]
        return m[0] if name is None else "_" + name.replace(".", "_") + "__"

    return TOKEN.sub(word, sql.text)


def check(problems: list[str]) -> None:
    """One error listing the problems of every file, before anything connects."""
    if not problems:
        return
    shown = problems[:SHOWN_PROBLEMS]
    more = len(problems) - len(shown)
    text = "\n".join(shown) + (f"\n... and {more} more" if more else "")
    malformed = all("is not a placeholder" in p for p in shown)  # the file; else the values
    cls = MigrationFileError if malformed else UsageError
    raise cls(f"placeholders without a value or malformed:\n{text}", hint=SOURCES_HINT)


def apply_up(files: list[Migration], v: Vars, *, masked: bool = False) -> list[Migration]:
    """Every up file with its placeholders replaced; down files stay as written (the history
    stores them so, and they are filled in when they run)."""
    out, problems = [], []
    for m in files:
        up, found = substitute(m.up, v, masked=masked)
        problems += found
        out.append(m if up is m.up else replace(m, up=up))
    check(problems)
    return out


def apply_all(files: list[Migration], v: Vars) -> list[Migration]:
    """Up and down files filled in: for the scratch databases of verify, diff and
    status --schema, which run both."""
    out, problems = [], []
    for m in apply_up(files, v):
        down, found = substitute(m.down, v) if m.down is not None else (None, [])
        problems += found
        out.append(m if down is m.down else replace(m, down=down))
    check(problems)
    return out


def check_downs(files: Iterable[Migration], v: Vars) -> None:
    """Refuse, before connecting, down files whose placeholders have no value."""
    problems: list[str] = []
    for m in files:
        if m.down is not None:
            problems += substitute(m.down, v)[1]
    check(problems)


def apply_one(sql: SqlFile, v: Vars, *, masked: bool = False) -> SqlFile:
    filled, problems = substitute(sql, v, masked=masked)
    check(problems)
    return filled


def refuse_secrets(files: Iterable[SqlFile], v: Vars) -> None:
    """An offline script holds the values it was given: refuse to write a secret one in it."""
    secret = sorted({f"{s.path.name} (${{{n}}})" for s in files for n, _ in s.vars_used
                     if v.is_secret(n)})  # fmt: skip
    if secret:
        raise UsageError(
            f"the script would hold the value of secret placeholder(s): {', '.join(secret)}",
            hint="run those migrations with sqlmig itself (`sqlmig up`, `sqlmig down`: it never "
            "prints nor stores the value), or pass --reveal-secrets to write the value into the "
            "script (and keep that file secret)",
        )


def detail(sql: SqlFile) -> str | None:
    """What the audit log records of the values used: `placeholders: role=app, api_token=***`."""
    if not sql.vars_used:
        return None
    shown = ", ".join(f"{k}={_short(value)}" for k, value in sql.vars_used)
    return f"placeholders: {shown}"


def _short(value: str) -> str:
    return value if len(value) <= 200 else value[:200] + "..."


def filled_in(sql: SqlFile) -> str:
    """What an error about a file's text adds when placeholders changed that text: a value
    holding a quote (`it's`) can end a string the file as written keeps open."""
    if not sql.vars_used:
        return ""
    names = ", ".join(f"${{{name}}}" for name, _ in sql.vars_used)
    return (
        f" (in the file with its placeholders filled in: {names}; a value holding a quote, "
        "`--` or `$` may end or open a string: quote values as README's Placeholders section "
        "shows)"
    )


# -- keeping secrets out of every output ----------------------------------------------------


def masked_notify(notify: Callable[..., None], v: Vars) -> Callable[..., None]:
    """A notify that masks secret values in every event's message and text fields."""
    if not v.secrets:
        return notify

    def clean(item: Event | str) -> None:
        if isinstance(item, str):
            notify(v.mask(item))
            return
        fields = {k: v.mask(x) if isinstance(x, str) else x for k, x in item.fields.items()}
        notify(replace(item, message=v.mask(item.message), fields=fields))

    return clean


@contextmanager
def masking(v: Vars) -> Iterator[None]:
    """Errors raised inside come out with secret values masked."""
    try:
        yield
    except SqlmigError as exc:
        if v.secrets:
            exc.message = v.mask(exc.message)
            exc.hint = v.mask(exc.hint) if exc.hint else exc.hint
        raise
    except Exception as exc:  # a bug's message (printed as an internal error) too
        if v.secrets:
            exc.args = tuple(v.mask(a) if isinstance(a, str) else a for a in exc.args)
        raise


T = TypeVar("T")


def masks_errors(method: Callable[..., T]) -> Callable[..., T]:
    """A Migrator method whose errors hold no secret value (self.vars says which)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with masking(self.vars):
            return method(self, *args, **kwargs)

    return wrapper

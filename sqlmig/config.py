"""Configuration: the only module that reads the environment and config files.

Precedence: command-line flags > environment (SQLMIG_*, then DATABASE_URL for the URL) >
sqlmig.toml or [tool.sqlmig] in pyproject.toml > defaults. The URL, in order: --url, SQLMIG_URL,
the file named by SQLMIG_URL_FILE (a Docker/Kubernetes secret), DATABASE_URL, the config file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import docs
from .errors import UsageError

DEFAULT_TABLE = "sqlmig_history"
DEFAULT_DIR = "migrations"
DEFAULT_LOCK_TIMEOUT = 60.0
DEFAULT_SCRATCH_PREFIX = "sqlmig_scratch_"
# a name every server keeps as given, and that MySQL's LIKE in a GRANT can match
SCRATCH_PREFIX = re.compile(r"[a-z_][a-z0-9_]*")
SCRATCH_PREFIX_MAX = 40  # + 12 hex digits: within PostgreSQL's 63 bytes and MySQL's 64
# key in sqlmig.toml -> (environment variable, parser)
KEYS: dict[str, tuple[str, Any]] = {
    "url": ("SQLMIG_URL", str),
    "dir": ("SQLMIG_DIR", str),
    # the folder's layout: sqlmig, golang-migrate, dbmate, goose, flyway, ...; default: detected
    "dir_format": ("SQLMIG_DIR_FORMAT", str),
    "table": ("SQLMIG_TABLE", str),
    "lock_timeout": ("SQLMIG_LOCK_TIMEOUT", "seconds"),
    "allow_out_of_order": ("SQLMIG_ALLOW_OUT_OF_ORDER", "bool"),
    "allow_non_empty": ("SQLMIG_ALLOW_NON_EMPTY", "bool"),
    # up and validate: applied versions newer than every file (future) are drift, exit 4
    "strict": ("SQLMIG_STRICT", "bool"),
    # `sqlmig lint`: the SQL dialect (default: from the URL) and which rules run
    "dialect": ("SQLMIG_DIALECT", str),
    "lint_select": ("SQLMIG_LINT_SELECT", "names"),
    "lint_ignore": ("SQLMIG_LINT_IGNORE", "names"),
    "pg_version": ("SQLMIG_PG_VERSION", int),
    # where `sqlmig lint` keeps its cache (default: .sqlmig_cache beside sqlmig.toml)
    "lint_cache_dir": ("SQLMIG_LINT_CACHE_DIR", str),
    # PostgreSQL lock_timeout for the migrations' own statements ("2s", "500ms"); off by default
    "statement_lock_timeout": ("SQLMIG_STATEMENT_LOCK_TIMEOUT", "duration"),
    "retries": ("SQLMIG_RETRIES", int),
    # up/down/redo: cancel a statement that keeps other sessions waiting longer ("1s"); off
    "max_blocking": ("SQLMIG_MAX_BLOCKING", "duration"),
    # the dialect migration files are written in; `up` on another dialect runs them transpiled
    "source_dialect": ("SQLMIG_SOURCE_DIALECT", str),
    # [mysql] session = { sql_mode = "..." }: session variables for MySQL/MariaDB URLs; in the
    # environment as in a URL's query: "sql_mode=...&innodb_lock_wait_timeout=5"
    "mysql": ("SQLMIG_MYSQL_SESSION", "mysql"),
    # the name of the scratch databases verify/diff/status --schema make: <prefix><12 hex>
    "scratch_prefix": ("SQLMIG_SCRATCH_PREFIX", str),
    # ${name} placeholders (placeholders.py): in every file, not only those that say so
    "placeholders": ("SQLMIG_PLACEHOLDERS", "bool"),
    "secret_vars": ("SQLMIG_SECRET_VARS", "names"),  # never printed nor stored
    # [vars] NAME = "VALUE"; in the environment SQLMIG_VAR_NAME, on the command line --var
    "vars": ("SQLMIG_VAR_", "vars"),
    # `up` runs the pre-checks first (as `up --preflight`); each under preflight_timeout
    "preflight": ("SQLMIG_PREFLIGHT", "bool"),
    "preflight_timeout": ("SQLMIG_PREFLIGHT_TIMEOUT", "seconds"),
}
LOG_FORMATS = ("text", "json")
NO_URL_HINT = (
    "set one with --url, the SQLMIG_URL or DATABASE_URL environment variable (or SQLMIG_URL_FILE "
    'naming a file that holds it), or url = "..." in sqlmig.toml; '
    "e.g. postgresql://user:password@localhost:5432/app or sqlite:///app.db"
)


@dataclass(frozen=True)
class Config:
    """Everything a command needs to know, resolved once."""

    url: str | None = None
    dir: Path = Path("migrations")
    dir_format: str | None = None  # formats.FORMATS; None = detected from the folder
    table: str = DEFAULT_TABLE
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    allow_out_of_order: bool = False
    allow_non_empty: bool = False  # `up` on tables with no sqlmig history (else exit 7)
    strict: bool = False  # up/validate refuse future migrations (exit 4) instead of warning
    dialect: str | None = None  # lint: postgres | sqlite | mysql; None = from the URL
    lint_select: tuple[str, ...] = ()
    lint_ignore: tuple[str, ...] = ()
    pg_version: int | None = None
    lint_cache_dir: Path | None = None  # None: .sqlmig_cache beside the config file (lint)
    log_format: str = "text"
    statement_lock_timeout: float | None = None  # seconds; None = the server's setting
    retries: int = 0  # extra attempts of a migration that failed on statement_lock_timeout
    max_blocking: float | None = None  # seconds; None = no watchdog (watchdog/)
    faults: str | None = None  # SQLMIG_TEST_FAULT, for the reliability tests only (faults.py)
    source_dialect: str | None = None  # postgres: files are transpiled for another URL's dialect
    mysql_session: tuple[tuple[str, str], ...] = ()  # session variables; the URL's own win
    scratch_prefix: str = DEFAULT_SCRATCH_PREFIX
    placeholders: bool = False  # ${name} in every file (else in files that say so)
    secret_vars: tuple[str, ...] = ()
    vars: tuple[tuple[str, str], ...] = ()  # (name, value): file < environment < --var
    preflight: bool = False  # `up` runs the pre-checks (live/preflight.py) before the lock
    preflight_timeout: float = 5.0  # seconds per pre-check
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def require_url(self) -> str:
        if not self.url:
            raise UsageError("no database URL is configured", hint=NO_URL_HINT)
        return self.url


def load(
    flags: Mapping[str, Any], *, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Config:
    """Resolve flags (None = not given), environment and config file into a Config."""
    env = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    config_path = _config_path(flags.get("config") or env.get("SQLMIG_CONFIG"), cwd)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if config_path is not None:
        for key, value in _read_file(config_path).items():
            values[key], sources[key] = value, str(config_path)
        # a relative dir in a config file is relative to that file, and so is the default one:
        # from a subfolder, the migrations are those beside the file found upward
        values["dir"] = str(config_path.parent / values.get("dir", DEFAULT_DIR))
        if "lint_cache_dir" in values:
            values["lint_cache_dir"] = str(config_path.parent / values["lint_cache_dir"])
        if "url" in values:  # and so is a relative SQLite file
            values["url"] = _sqlite_beside(values["url"], config_path.parent)
    if env.get("DATABASE_URL"):
        values["url"], sources["url"] = env["DATABASE_URL"], "DATABASE_URL"
    if env.get("SQLMIG_URL_FILE") and not (flags.get("url") or env.get("SQLMIG_URL")):
        values["url"] = _read_url_file(env["SQLMIG_URL_FILE"], cwd)
        sources["url"] = "SQLMIG_URL_FILE"
    for key, (var, kind) in KEYS.items():
        if kind != "vars" and env.get(var):
            values[key], sources[key] = _parse(key, env[var], kind, var), var
    for key in KEYS:
        if flags.get(key) is not None and key != "vars":
            values[key], sources[key] = flags[key], f"--{key.replace('_', '-')}"
    values["vars"] = _vars(values.get("vars", ()), env, flags.get("vars"))
    values["log_format"] = log_format(flags, environ=env)
    values["faults"] = env.get("SQLMIG_TEST_FAULT") or None  # tests only: see faults.py
    return _build(values, config_path, sources)


def log_format(flags: Mapping[str, Any], *, environ: Mapping[str, str] | None = None) -> str:
    """`text` or `json`, from --log-format or SQLMIG_LOG_FORMAT (where logs go is not a project
    setting, so it is not read from sqlmig.toml)."""
    env = os.environ if environ is None else environ
    given, source = flags.get("log_format"), "--log-format"
    if not given:
        given, source = env.get("SQLMIG_LOG_FORMAT") or "text", "SQLMIG_LOG_FORMAT"
    if given.strip().lower() not in LOG_FORMATS:
        raise UsageError(
            f"{source}: unknown log format {given!r}", hint="use one of: " + ", ".join(LOG_FORMATS)
        )
    return given.strip().lower()


def colour(stream: Any, *, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to `stream`: a terminal, NO_COLOR unset or empty
    (https://no-color.org), TERM not `dumb`."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def testing_server_url(*, environ: Mapping[str, str] | None = None) -> str | None:
    """SQLMIG_TEST_URL: the PostgreSQL server of the pytest plugin (never SQLMIG_URL, which may
    be a production database)."""
    env = os.environ if environ is None else environ
    return env.get("SQLMIG_TEST_URL") or None


def _read_url_file(name: str, cwd: Path) -> str:
    """The URL in a secret file; errors name the variable and the file, never the content."""
    path = Path(name) if Path(name).is_absolute() else cwd / name
    hint = "SQLMIG_URL_FILE must name a readable file holding one database URL"
    try:
        text = path.read_bytes().decode("utf-8").strip()
    except OSError as exc:
        raise UsageError(
            f"SQLMIG_URL_FILE={name}: cannot read the file: {exc.strerror}", hint=hint
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"SQLMIG_URL_FILE={name}: the file is not UTF-8 text", hint=hint) from None
    if not text:
        raise UsageError(f"SQLMIG_URL_FILE={name}: the file is empty", hint=hint)
    return text


def _sqlite_beside(url: Any, folder: Path) -> Any:
    """sqlite:///app.db in a config file names app.db beside that file, wherever sqlmig runs."""
    if not isinstance(url, str) or not url.lower().startswith("sqlite:///"):
        return url
    rest = url[len("sqlite:///") :]
    if not rest or rest.startswith(("/", ":memory:", "?")):  # absolute, in memory, or no file
        return url
    return "sqlite:///" + (folder / rest).as_posix()


def _build(values: dict[str, Any], config_path: Path | None, sources: dict[str, str]) -> Config:
    lock_timeout = parse_seconds(
        values.get("lock_timeout", DEFAULT_LOCK_TIMEOUT),
        sources.get("lock_timeout", "lock_timeout"),
    )
    return Config(
        url=values.get("url") or None,
        dir=Path(values.get("dir", "migrations")),
        dir_format=_dir_format(values.get("dir_format"), sources.get("dir_format", "dir_format")),
        table=values.get("table", DEFAULT_TABLE),
        lock_timeout=lock_timeout,
        allow_out_of_order=bool(values.get("allow_out_of_order", False)),
        allow_non_empty=bool(values.get("allow_non_empty", False)),
        strict=bool(values.get("strict", False)),
        dialect=values.get("dialect") or None,
        lint_select=tuple(values.get("lint_select", ())),
        lint_ignore=tuple(values.get("lint_ignore", ())),
        pg_version=values.get("pg_version"),
        lint_cache_dir=Path(values["lint_cache_dir"]) if values.get("lint_cache_dir") else None,
        log_format=values["log_format"],
        statement_lock_timeout=_positive(values, "statement_lock_timeout", sources),
        retries=_retries(values, sources),
        max_blocking=_positive(values, "max_blocking", sources),
        faults=values.get("faults"),
        source_dialect=_source_dialect(values.get("source_dialect")),
        mysql_session=tuple(values.get("mysql", ())),
        scratch_prefix=_scratch_prefix(values, sources),
        placeholders=bool(values.get("placeholders", False)),
        secret_vars=tuple(values.get("secret_vars", ())),
        vars=values["vars"],
        preflight=bool(values.get("preflight", False)),
        preflight_timeout=_preflight_timeout(values, sources),
        config_file=config_path,
        sources=sources,
    )


def _vars(
    from_file: tuple[tuple[str, str], ...], env: Mapping[str, str], flags: Any
) -> tuple[tuple[str, str], ...]:
    """Placeholder values by name: --var over SQLMIG_VAR_NAME over [vars] in the file."""
    from . import placeholders

    merged = dict(from_file)
    merged.update(placeholders.environ(env))
    merged.update(placeholders.flag(item) for item in flags or ())
    return tuple(merged.items())


def _dir_format(value: Any, source: str) -> str | None:
    from .formats import FORMATS

    if value in (None, ""):
        return None
    if str(value).lower() not in FORMATS:
        raise UsageError(
            f"{source}: unknown folder format {value!r}", hint="use one of: " + ", ".join(FORMATS)
        )
    return str(value).lower()


def _scratch_prefix(values: dict[str, Any], sources: dict[str, str]) -> str:
    value = values.get("scratch_prefix", DEFAULT_SCRATCH_PREFIX)
    where = sources.get("scratch_prefix", "")
    where = where if where.startswith(("-", "SQLMIG_")) else f"{where}: scratch_prefix".lstrip(": ")
    hint = (
        f"use 1 to {SCRATCH_PREFIX_MAX} lower-case letters, digits and _, not starting with a "
        f"digit, e.g. {DEFAULT_SCRATCH_PREFIX!r} (the default)"
    )
    if not isinstance(value, str) or not SCRATCH_PREFIX.fullmatch(value):
        raise UsageError(f"{where} {value!r} is not a usable database name prefix", hint=hint)
    if len(value) > SCRATCH_PREFIX_MAX:
        raise UsageError(
            f"{where} is {len(value)} characters long: with the 12 hex digits after it the "
            "name would be cut by the server (PostgreSQL keeps 63 bytes, MySQL 64 characters)",
            hint=hint,
        )
    return value


def _source_dialect(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in ("postgres", "sqlite", "mysql"):
        raise UsageError(
            f"source_dialect has a bad value {value!r}", hint='write source_dialect = "postgres"'
        )
    return str(value)


# longest first: "ms" before "s", "min" before "m"
DURATION_UNITS = (("ms", 0.001), ("min", 60.0), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
DURATION_HINT = 'a number of seconds or a duration such as "60s", "500ms", "2min" or "1h"'


def parse_seconds(value: Any, what: str) -> float:
    """Seconds from 2, 2.5, "2", "2s", "500ms", "2min"/"2m" or "1h": the one parser of every
    duration (config file, environment, flags); 0 is 0."""
    text = str(value).strip().lower()
    if isinstance(value, bool) or not text:
        raise UsageError(f"{what} has a bad value {value!r}", hint=DURATION_HINT)
    unit = next(((u, f) for u, f in DURATION_UNITS if text.endswith(u)), ("", 1.0))
    try:
        seconds = float(text[: len(text) - len(unit[0])].strip()) * unit[1]
    except ValueError:
        raise UsageError(f"{what} has a bad value {value!r}", hint=DURATION_HINT) from None
    if not 0 <= seconds < 1e7:  # also refuses nan and inf
        raise UsageError(
            f"{what} must be between 0 and 1e7 seconds, got {value!r}", hint=DURATION_HINT
        )
    return seconds


def parse_duration(value: Any, what: str) -> float | None:
    """parse_seconds for a setting that can be off: 0, "off" or "none" = None (not set)."""
    if str(value).strip().lower() in ("off", "none"):
        return None
    return parse_seconds(value, what) or None


def _positive(values: dict[str, Any], key: str, sources: dict[str, str]) -> float | None:
    value = values.get(key)
    return None if value is None else parse_duration(value, sources.get(key, key))


def _preflight_timeout(values: dict[str, Any], sources: dict[str, str]) -> float:
    """Each pre-check's time limit (live/preflight.py): more than 0; 5 s when not set."""
    value = values.get("preflight_timeout")
    where = sources.get("preflight_timeout", "preflight_timeout")
    seconds = 5.0 if value is None else parse_seconds(value, where)
    if seconds <= 0:
        raise UsageError(
            f"{where}: the pre-check time limit must be more than 0, got {value!r}",
            hint="give a duration such as 5s or 500ms",
        )
    return seconds


def _retries(values: dict[str, Any], sources: dict[str, str]) -> int:
    retries = int(values.get("retries", 0))
    if not 0 <= retries <= 100:
        where = f"{sources['retries']}: " if "retries" in sources else ""
        raise UsageError(f"{where}retries must be 0 to 100, got {retries}")
    return retries


def _config_path(given: str | None, cwd: Path) -> Path | None:
    if given:
        path = Path(given) if Path(given).is_absolute() else cwd / given
        if not path.is_file():
            raise UsageError(
                f"config file {given} does not exist", hint="check --config / SQLMIG_CONFIG"
            )
        return path
    return find_config(cwd)


def find_config(cwd: Path) -> Path | None:
    """The nearest sqlmig.toml, or pyproject.toml with [tool.sqlmig], in `cwd` or a folder above
    it, as git finds .git; the search stops at the root of a git work tree (a folder holding
    .git) or of the file system, so a stray file above a project is never picked up."""
    for folder in (cwd, *cwd.parents):
        for name in ("sqlmig.toml", "pyproject.toml"):
            path = folder / name
            if path.is_file() and (name == "sqlmig.toml" or _has_tool_table(path)):
                return path
        if (folder / ".git").exists():
            return None
    return None


# [tool.sqlmig], [ tool . "sqlmig" ], tool.sqlmig.url = ..., or sqlmig = {...} under [tool]
TOOL_TABLE = re.compile(
    r'^\s*(\[\s*tool\s*\.\s*"?sqlmig"?\s*\]|tool\s*\.\s*"?sqlmig"?\s*[.=])', re.M
)


def _has_tool_table(pyproject: Path) -> bool:
    """A pyproject.toml that configures sqlmig, however TOML spells its table; an unreadable
    one does not (nor stops the search: `_read_file` reports a config file it cannot read, this
    only looks). Invalid TOML that names the table is sqlmig's, so that its error is shown."""
    try:
        text = pyproject.read_text("utf-8", "replace")
    except OSError:
        return False
    if "sqlmig" not in text:
        return False
    try:
        tool = _toml().loads(text).get("tool", {})
    except ValueError:  # TOMLDecodeError
        return TOOL_TABLE.search(text) is not None
    return isinstance(tool, dict) and "sqlmig" in tool


def _toml() -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def _read_file(path: Path) -> dict[str, Any]:
    tomllib = _toml()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"{path}: invalid TOML: {exc}", hint=f"fix the file; {docs.see('Configuration')}"
        ) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("sqlmig", {})
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise UsageError(
            f"{path}: unknown setting(s) {', '.join(unknown)}", hint=_unknown_hint(unknown)
        )
    return {key: _parse(key, value, KEYS[key][1], str(path)) for key, value in data.items()}


def _unknown_hint(unknown: list[str]) -> str:
    """`did you mean `dir`?` for each near miss, then the known settings."""
    import difflib

    guesses = []
    for key in unknown:
        close = difflib.get_close_matches(key.lower(), KEYS, n=1, cutoff=0.6)
        if close:
            guesses.append(f"{key}: did you mean `{close[0]}`?")
    return "; ".join([*guesses, "known settings: " + ", ".join(KEYS)])


def _mysql_session(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    """[mysql] session = { NAME = VALUE, ... } (TOML), or NAME=VALUE&... (the environment)."""
    from urllib.parse import parse_qsl

    hint = 'write [mysql] session = { sql_mode = "NO_ENGINE_SUBSTITUTION" }'
    if isinstance(value, str):
        return tuple(parse_qsl(value, keep_blank_values=True))
    if not isinstance(value, dict) or set(value) - {"session"}:
        raise UsageError(f"{source}: [mysql] takes one setting, session", hint=hint)
    session = value.get("session", {})
    ok = isinstance(session, dict) and all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in session.values()
    )
    if not ok:
        raise UsageError(f"{source}: [mysql] session must map names to values", hint=hint)
    return tuple((str(k), str(v)) for k, v in session.items())


def _parse(key: str, value: Any, kind: Any, source: str) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise UsageError(f"{source}: {key} must be true or false, got {value!r}")
    if kind == "duration":
        return parse_duration(value, f"{source}: {key}")
    if kind == "seconds":
        return parse_seconds(value, f"{source}: {key}")
    if kind == "mysql":
        return _mysql_session(value, source)
    if kind == "vars":
        from . import placeholders

        return placeholders.table(value, source)
    if kind == "names":  # a TOML list of strings, or "a,b" in the environment
        items = value if isinstance(value, list) else str(value).split(",")
        if not all(isinstance(item, str) for item in items):
            raise UsageError(f"{source}: {key} must be a list of rule codes or names")
        return tuple(item.strip() for item in items if item.strip())
    if isinstance(value, bool):  # TOML true is not a number of seconds
        raise UsageError(f"{source}: {key} has a bad value {value!r}")
    if kind is int and not (isinstance(value, int) or str(value).strip().lstrip("-").isdigit()):
        raise UsageError(f"{source}: {key} must be a whole number, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"{source}: {key} has a bad value {value!r}") from None


def fleet_environment(*, environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """What a fleet run (`--targets`, `--schemas`) reads from the environment: the targets'
    password (SQLMIG_TARGET_PASSWORD_FILE, a secret file, else SQLMIG_TARGET_PASSWORD) and a
    Kubernetes Indexed Job's JOB_COMPLETION_INDEX and JOB_COMPLETIONS."""
    env = os.environ if environ is None else environ
    password = env.get("SQLMIG_TARGET_PASSWORD") or None
    name = env.get("SQLMIG_TARGET_PASSWORD_FILE")
    if name:
        hint = "SQLMIG_TARGET_PASSWORD_FILE must name a readable file holding the password"
        try:
            password = Path(name).read_bytes().decode("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise UsageError(
                f"SQLMIG_TARGET_PASSWORD_FILE={name}: cannot read the file: {exc.strerror}",
                hint=hint,
            ) from None
        except UnicodeDecodeError:
            raise UsageError(
                f"SQLMIG_TARGET_PASSWORD_FILE={name}: the file is not UTF-8 text", hint=hint
            ) from None
    return {
        "password": password,
        "JOB_COMPLETION_INDEX": env.get("JOB_COMPLETION_INDEX"),
        "JOB_COMPLETIONS": env.get("JOB_COMPLETIONS"),
    }

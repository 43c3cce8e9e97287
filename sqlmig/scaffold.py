"""`init` and `new`: create the migrations folder, a config file and numbered file pairs."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from . import docs
from .errors import UsageError
from .events import Event, Notify
from .files import Migration
from .formats import SQLMIG_LAYOUT, discover, format_of
from .results import Result

CONFIG_TEMPLATE = """\
# sqlmig configuration. Command-line flags beat environment variables (SQLMIG_URL,
# DATABASE_URL, SQLMIG_DIR, ...), which beat this file. Every setting is explained
# under 'Configuration' in the sqlmig documentation: {configuration_url}

# The database: none is set here, so that a mistyped or unset DATABASE_URL stops sqlmig with an
# error instead of migrating a new local file. Set DATABASE_URL or SQLMIG_URL (keep passwords
# out of this file), pass --url, or uncomment one of these (a relative SQLite file, like dir
# below, is relative to this file):
# url = "postgresql://app@localhost:5432/app"
# url = "sqlite:///app.db"

# Where the NNNN_name.up.sql / NNNN_name.down.sql files live (relative to this file).
dir = "{dir}"

# The history table; may be schema-qualified ("ops.sqlmig_history").
# table = "sqlmig_history"

# How long to wait for another runner's migration lock before giving up (exit 3):
# seconds, or a duration such as "60s", "500ms", "2min".
# lock_timeout = "60s"

# Apply pending files numbered below the newest applied one (merged branches).
# allow_out_of_order = false

# Applied versions newer than every file here (an older build, after an app rollback) are
# `future`: a warning, exit 0. strict = true makes them drift: up and validate exit 4.
# strict = false
"""
NO_URL_YET = (
    "{config_file} names no database yet: set DATABASE_URL or SQLMIG_URL, pass --url, or "
    "uncomment a url in it"
)
UP_TEMPLATE = (
    "-- {label}: up\n"
    "-- Make `-- sqlmig:no-transaction` the first line to run this file outside a transaction.\n\n"
)
DOWN_TEMPLATE = "-- {label}: down (undo everything the up file does)\n\n"
REPEATABLE_TEMPLATE = (
    "-- {name}: repeatable migration, applied again by `sqlmig up` whenever this file changes\n"
    "-- It must run on a database that has it already: CREATE OR REPLACE VIEW / FUNCTION, or\n"
    "-- DROP ... IF EXISTS first. `down` never runs it.\n\n"
)


def init(directory: Path, config_file: Path, *, url_from: str | None = None) -> Result:
    """The folder and a config file naming no database; `url_from`: where the URL comes from
    now (DATABASE_URL, ...), if anywhere."""
    created: list[str] = []
    if not directory.exists():
        directory.mkdir(parents=True)
        created.append(f"created {directory}/")
    if config_file.exists():
        created.append(f"kept the existing {config_file}")
    else:
        text = CONFIG_TEMPLATE.format(
            dir=directory.as_posix(), configuration_url=docs.section_url("Configuration")
        )
        config_file.write_text(text, "utf-8")
        created.append(f"created {config_file}")
        created.append(
            f"the database URL comes from {url_from}"
            if url_from
            else NO_URL_YET.format(config_file=config_file)
        )
    created.append(
        f"next: `sqlmig new NAME` writes a migration; settings: {docs.see('Configuration')}"
    )
    return Result("init", messages=created)


MAX_FILE_NAME_BYTES = 255  # ext4, XFS, APFS, NTFS (in characters there): one name's limit


# Latin letters that Unicode does not decompose into a base letter and an accent
LATIN_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"}
)


def slugify(name: str) -> str:
    """The file-name part of `name`: ASCII a-z, digits and _; accents dropped (é -> e)."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(LATIN_EXTRA))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    if not slug:
        raise UsageError(
            f"cannot make a file name from {name!r}: migration file names hold only ASCII "
            "letters (a-z), digits and _",
            hint="give the name in those, e.g. sqlmig new add_users",
        )
    return slug


def is_timestamp(version_text: str) -> bool:
    """A date version (`--timestamp` writes YYYYMMDDHHMMSS), not a padded sequence number."""
    return len(version_text) >= 12 and not version_text.startswith("0")


def new(
    directory: Path,
    name: str,
    *,
    timestamp: bool,
    allow_mixed: bool = False,
    now: datetime | None = None,
    notify: Notify | None = None,
    dir_format: str | None = None,
    repeatable: bool = False,
) -> Result:
    fmt = format_of(directory, dir_format)
    if repeatable:
        if timestamp or allow_mixed:
            raise UsageError(
                "--repeatable takes no version: --timestamp and --allow-mixed do not apply",
                hint="leave them out; a repeatable migration runs after the versioned ones",
            )
        return _new_repeatable(directory, name, fmt)
    if fmt not in SQLMIG_LAYOUT:
        raise UsageError(
            f"{directory} is read as a {fmt} folder; `sqlmig new` writes only sqlmig's "
            "NNNN_name.up.sql / .down.sql pairs, which that format does not read",
            hint=f"create the file as {fmt} names it, or move the folder to sqlmig's layout "
            f"once with `sqlmig convert --from {fmt} {directory} --to NEW_FOLDER`",
        )
    existing = discover(directory, fmt).migrations
    slug = slugify(name)
    if existing and not allow_mixed:
        _refuse_mixing(existing[-1], timestamp)
    notes = [_reused(m, slug) for m in existing if m.name == slug]
    if timestamp:
        version = (now or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S")
        if existing and int(version) <= existing[-1].version:
            version = str(existing[-1].version + 1)
    else:
        last = existing[-1] if existing else None
        width = len(last.version_text) if last else 4
        version = str((last.version if last else 0) + 1).zfill(width)
    label = f"{version}_{slug}"
    if len(f"{label}.down.sql".encode()) > MAX_FILE_NAME_BYTES:
        raise UsageError(
            f"the name {name!r} makes a file name longer than the {MAX_FILE_NAME_BYTES} bytes "
            "file systems take",
            hint="give a shorter name; the file's comments can say the rest",
        )
    up, down = directory / f"{label}.up.sql", directory / f"{label}.down.sql"
    up.write_text(UP_TEMPLATE.format(label=label), "utf-8")
    down.write_text(DOWN_TEMPLATE.format(label=label), "utf-8")
    messages = [f"created {up}", f"created {down}"]
    for note in notes[-1:]:  # the newest one is enough to say it
        if notify is None:  # --quiet, --json: the warning stays in the result
            messages.append(f"warning: {note}")
        else:
            notify(Event("name_reused", f"warning: {note}", {"name": slug}, "warning"))
    return Result("new", current=label, messages=messages)


def _new_repeatable(directory: Path, name: str, fmt: str) -> Result:
    """`R__slug.sql`, in a sqlmig or Flyway folder (both read R__ files); never over a file."""
    if fmt not in (*SQLMIG_LAYOUT, "flyway"):
        raise UsageError(
            f"{directory} is read as a {fmt} folder, which has no repeatable migrations",
            hint="repeatable R__name.sql files are read in sqlmig and Flyway folders",
        )
    discover(directory, fmt)  # a missing folder, or one that does not read, is said as for `new`
    path = directory / f"R__{slugify(name)}.sql"
    if len(path.name.encode()) > MAX_FILE_NAME_BYTES:
        raise UsageError(
            f"the name {name!r} makes a file name longer than the {MAX_FILE_NAME_BYTES} bytes "
            "file systems take",
            hint="give a shorter name; the file's comments can say the rest",
        )
    # R__Views.sql and R__views.sql are one file on macOS and Windows file systems
    same = [p for p in directory.iterdir() if p.name.lower() == path.name.lower()]
    if same:
        case = "" if same[0].name == path.name else f" ({path.name} but for case)"
        raise UsageError(
            f"{same[0]} exists already{case}",
            hint="edit it: `sqlmig up` applies it again when its text changes",
        )
    try:
        with path.open("x", encoding="utf-8") as out:  # never over a file written meanwhile
            out.write(REPEATABLE_TEMPLATE.format(name=path.stem))
    except FileExistsError:
        raise UsageError(f"{path} exists already", hint="edit it") from None
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint=f"check the permissions of {directory}"
        ) from None
    return Result("new", current=path.stem, messages=[f"created {path}"])


def _reused(m: Migration, slug: str) -> str:
    return (
        f"the name {slug!r} is already used by {m.label}; two migrations of one name are hard "
        "to tell apart in status and history (give this one a name of its own?)"
    )


def _refuse_mixing(newest: Migration, timestamp: bool) -> None:
    """One folder, one kind of version: a date after 0007 sorts after every number to come,
    and a number after a date is that date plus one."""
    if is_timestamp(newest.version_text) == timestamp:
        return
    if timestamp:
        raise UsageError(
            f"this folder numbers its migrations in sequence (newest: {newest.label}); "
            "--timestamp would mix in a date version",
            hint="leave out --timestamp, or pass --allow-mixed to mix them on purpose",
        )
    raise UsageError(
        f"this folder versions its migrations by date (newest: {newest.label}); a sequence "
        "number would mix the two kinds",
        hint="pass --timestamp, or --allow-mixed to mix them on purpose",
    )

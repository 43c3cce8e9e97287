"""Flyway: `V<version>__<description>.sql`, `U<version>__...` undo files as the downs.

A version is dotted or underscored (`V1_1__x` is 1.1) and ordered as Flyway orders it, part by
part as numbers (`1.10` after `1.9`; `1` and `1.0` are the same version). sqlmig's versions are
integers: a Flyway version maps to one that keeps that order, its first part (up to 20 digits:
a date-time version fits) times 10^18, then up to three more parts of up to 6 digits each.
Every label and message shows the Flyway version text. Repeatable `R__` files are read by
repeatables.py, as in sqlmig's own layout."""

from __future__ import annotations

import re
from pathlib import Path

from ..callback_names import is_callback
from ..errors import MigrationFileError
from ..files import Migration, SqlFile, read_sql_file
from .base import refuse_duplicates, sql_files, version_of, without_transaction

NAME = re.compile(r"^(?P<kind>[VU])(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.+)\.sql$")
REPEATABLE = re.compile(r"^R__.+\.sql$")
NO_TX = re.compile(r"^--[ \t]*flyway:executeInTransaction[ \t]*=[ \t]*false[ \t]*$", re.M | re.I)
FIRST_DIGITS, PART_DIGITS, MAX_PARTS = 20, 6, 4
ANY_CASE = re.compile(r"^(?:[VU][0-9]+(?:[._][0-9]+)*|R)__.+\.sql$", re.I)
HINT = "Flyway names its files V<version>__<description>.sql (undo: U<version>__...)"


def parts(text: str) -> tuple[int, ...]:
    """`1_10.2` -> (1, 10, 2), trailing zero parts dropped (`1.0` is `1`, as in Flyway)."""
    numbers = [int(p) for p in re.split(r"[._]", text)]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def to_integer(text: str, path: Path) -> int:
    """The integer that keeps Flyway's order; a version that does not fit is refused."""
    numbers = parts(text)
    widths = (FIRST_DIGITS, *(PART_DIGITS,) * (MAX_PARTS - 1))
    too_long = any(len(str(n)) > w for n, w in zip(numbers, widths, strict=False))
    if len(numbers) > MAX_PARTS or too_long:
        raise MigrationFileError(
            f"{path}: Flyway version {shown(text)} does not fit sqlmig's versions: at most "
            f"{MAX_PARTS} parts, the first of up to {FIRST_DIGITS} digits, the others of up "
            f"to {PART_DIGITS}",
            hint="sqlmig cannot read this migration; give it a shorter version",
        )
    value = 0
    for n in (*numbers, *(0,) * (MAX_PARTS - len(numbers)))[1:]:
        value = value * 10**PART_DIGITS + n
    return numbers[0] * 10 ** (PART_DIGITS * (MAX_PARTS - 1)) + value


def text_of(value: int) -> str:
    """to_integer's inverse: the version text of a history row whose file is gone."""
    first, rest = divmod(value, 10 ** (PART_DIGITS * (MAX_PARTS - 1)))
    numbers = [first]
    for i in reversed(range(MAX_PARTS - 1)):
        numbers.append(rest // 10 ** (PART_DIGITS * i) % 10**PART_DIGITS)
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return ".".join(str(n) for n in numbers)


def spelled(m: Migration) -> bool:
    """Whether a migration's version is Flyway's: its text is not its integer."""
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)*", m.version_text)) and (
        m.version_text.lstrip("0") or "0"
    ) != str(m.version)


def shown(text: str) -> str:
    return text.replace("_", ".")


def _refuse_subfolders(folder: Path) -> None:
    """Flyway reads its locations recursively; sqlmig reads the top folder only, so a migration
    in a subfolder would be skipped without a word: refused, naming it."""
    nested = sorted(
        p
        for p in folder.rglob("*.sql")
        if p.parent != folder
        and (NAME.match(p.name) or REPEATABLE.match(p.name))
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if nested:
        raise MigrationFileError(
            f"{nested[0]}: a Flyway migration in a subfolder of {folder}, which sqlmig does not "
            f"read yet ({len(nested)} such file(s))",
            hint=f"move them into {folder} itself (Flyway reads them there too)",
        )


def read(folder: Path, dialect: str | None = None) -> list[Migration]:
    ups: dict[tuple[int, ...], tuple[str, str, Path]] = {}
    undos: dict[tuple[int, ...], Path] = {}
    _refuse_subfolders(folder)
    for path in sql_files(folder):
        if REPEATABLE.match(path.name) or is_callback(path.name):
            continue  # a repeatable migration, a callback: read by repeatables.py, callbacks.py
        match = NAME.match(path.name)
        if match is None:
            raise _not_flyway(path, ups)
        key, kind = parts(match["version"]), match["kind"]
        seen = ups.get(key, (None, None, None))[2] if kind == "V" else undos.get(key)
        if seen is not None:
            raise MigrationFileError(
                f"duplicate Flyway version {shown(match['version'])}: {seen.name} and "
                f"{path.name} (Flyway compares versions as numbers: 1 is 1.0)",
                hint="give one of them another version",
            )
        if kind == "V":
            ups[key] = (match["version"], match["desc"], path)
        else:
            undos[key] = path
    for key, path in undos.items():
        if key not in ups:
            raise MigrationFileError(
                f"{path}: undo file without its versioned migration",
                hint="add its V<version>__ file or remove this one",
            )
    return refuse_duplicates(_migration(*ups[k], undos.get(k)) for k in ups)


def _not_flyway(path: Path, ups: dict[tuple[int, ...], tuple[str, str, Path]]) -> Exception:
    """A name Flyway does not take; a lowercase prefix said as Flyway treats it: skipped
    without a word (its prefixes are case-sensitive), so the file never ran under Flyway."""
    if not ANY_CASE.match(path.name):
        return MigrationFileError(f"{path}: not a Flyway file name", hint=HINT)
    if not path.name.endswith(".sql"):  # V1__a.SQL: the suffix, not the prefix
        return MigrationFileError(
            f"{path}: not a Flyway file name: it ends in {path.suffix!r}, and Flyway's suffix "
            "for SQL migrations is '.sql' (lowercase)",
            hint=f"rename it to {path.stem}.sql",
        )
    prefix = path.name[0]
    taken = ""
    match = NAME.match(prefix.upper() + path.name[1:])
    if match and prefix in "vu":
        key = parts(match["version"])
        same = ups.get(key, (None, None, None))[2] if prefix == "v" else None
        if same is None:  # a later file of that version may still come: look ahead
            same = next(
                (p for p in sql_files(path.parent) if p != path and _version_key(p) == key), None
            )
        if same is not None:
            taken = f"; its version {shown(match['version'])} is also {same.name}'s"
    return MigrationFileError(
        f"{path}: Flyway never runs this file: its prefixes are case-sensitive ({prefix!r} is "
        f"not {prefix.upper()!r}), and it skips such a file without a word{taken}",
        hint=f"if your databases never had it, move it out of {path.parent}; to run it, "
        f"rename it with {prefix.upper()!r}" + (" and a version of its own" if taken else ""),
    )


def _version_key(path: Path) -> tuple[int, ...] | None:
    match = NAME.match(path.name)
    return parts(match["version"]) if match and match["kind"] == "V" else None


def _migration(vtext: str, desc: str, path: Path, undo: Path | None) -> Migration:
    integer = to_integer(vtext, path)
    return Migration(
        version=version_of(str(integer), path, shown(vtext)),
        version_text=shown(vtext),
        name=desc,
        up=_read(path),
        down=_read(undo) if undo else None,
    )


def _read(path: Path) -> SqlFile:
    """A script, without a transaction when its `-- flyway:executeInTransaction=false` line
    or its `.sql.conf` file (`executeInTransaction=false`) says so."""
    sql = read_sql_file(path)
    conf = path.with_name(path.name + ".conf")
    said = NO_TX.search(sql.text) is not None
    if conf.is_file():
        said = (
            said
            or re.search(
                r"^\s*executeInTransaction\s*=\s*false\s*$",
                conf.read_text("utf-8", "replace"),
                re.M | re.I,
            )
            is not None
        )
    return without_transaction(sql) if said else sql

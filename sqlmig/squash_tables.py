"""MySQL tables as the server writes them (SHOW CREATE TABLE), which squash compares too: the
schema snapshot does not hold their comments, partitions or row formats."""

from __future__ import annotations

import re

from .drivers.base import Driver

COUNTER = re.compile(r"\s*AUTO_INCREMENT=\d+")
TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
)


def written(driver: Driver) -> dict[str, frozenset[str]]:
    """Each base table's SHOW CREATE TABLE, as a set of lines (the order of its keys is the
    order they were made in, which a squash need not keep) without the AUTO_INCREMENT counter
    (the warning names what sets one); {} on another database."""
    if driver.dialect != "mysql":
        return {}
    out: dict[str, frozenset[str]] = {}
    for (name,) in driver.query(TABLES):
        text = driver.query(f"SHOW CREATE TABLE {driver.quote(name)}")[0][1]
        lines = (COUNTER.sub("", line).strip().rstrip(",") for line in text.splitlines())
        out[name] = frozenset(lines)
    return out


def differences(built: dict[str, frozenset[str]], squashed: dict[str, frozenset[str]]) -> list[str]:
    """What the squash file's tables lack or add, line by line, as the server writes them."""
    out: list[str] = []
    for name in sorted(built.keys() & squashed.keys()):
        out += [
            f"table `{name}`: {line} is missing" for line in sorted(built[name] - squashed[name])
        ]
        out += [f"table `{name}`: {line} is extra" for line in sorted(squashed[name] - built[name])]
    return out

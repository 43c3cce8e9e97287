"""Date and time values a server froze into a definition when it was created: PostgreSQL turns
`'now'::timestamp`, `'today'::date`, `'tomorrow'` and `'yesterday'` in a view, a default, a check
or an index predicate into the literal of that moment. Two definitions that differ only in such
values are the same definition, built at two moments.

A literal counts as frozen when it is a date/time literal of the same type at the same place on
both sides, its date falls in the window below, and the texts around it are identical: any other
change of the text still differs. MySQL/MariaDB and SQLite keep `now()`/`'now'` as written, so
their texts never hold such literals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

# PostgreSQL writes a folded value as a typed literal: '2026-12-03 10:26:49.009722'::timestamp
# without time zone, '2026-12-03'::date, '10:26:49.009722+00'::time with time zone.
_LITERAL = re.compile(
    r"'(?P<value>[^']*)'::(?P<type>(?:timestamp|time)(?:\(\d\))? with(?:out)? time zone|date)"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$| )")
_FRACTION = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d+")
# 'yesterday' and 'tomorrow', a session time zone up to 14 hours off UTC, a run over midnight.
BEFORE, AFTER = timedelta(days=7), timedelta(days=2)


def _today() -> date:
    return date.today()


@dataclass(frozen=True)
class Window:
    """Where a frozen value's date may lie on each side: from a week before today on (a scratch
    database was built in this run) or, for a live database, any day up to today."""

    today: date = field(default_factory=_today)
    live: bool = False  # the actual side is a live database: built on any earlier day

    def recent(self, value: str, *, live: bool = False) -> bool:
        found = _DATE.match(value)
        if found is None:
            return _FRACTION.match(value) is not None  # a time of day 'now' gave, to the µs
        try:
            day = date(*map(int, found.groups()))
        except ValueError:
            return False
        earliest = date.min if live else self.today - BEFORE
        return earliest <= day <= self.today + AFTER


def same(expected: str, actual: str, window: Window) -> bool:
    """The texts are equal, or differ only in date/time values frozen at creation."""
    if expected == actual:
        return True
    a, b = _LITERAL.split(expected), _LITERAL.split(actual)
    if len(a) != len(b) or len(a) == 1:
        return False
    # split() gives text, value, type, text, value, type, ..., text
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if i % 3 != 1:
            if x != y:
                return False
        elif x != y and not (window.recent(x) and window.recent(y, live=window.live)):
            return False
    return True


def equal(expected: object, actual: object, window: Window) -> bool:
    """`same` through the tuples of an item's attributes."""
    if isinstance(expected, str) and isinstance(actual, str):
        return same(expected, actual, window)
    if isinstance(expected, tuple) and isinstance(actual, tuple):
        return len(expected) == len(actual) and all(
            equal(x, y, window) for x, y in zip(expected, actual, strict=True)
        )
    return expected == actual

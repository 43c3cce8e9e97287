"""PostgreSQL statements sqlglot only reads as an opaque Command, recognised by a strict pattern.

A statement matching one of these whole is known (its syntax and what the rules need are read
from the pattern); any other Command is reported as not checked.
"""

from __future__ import annotations

import re

_N = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
NAME = rf"{_N}(?:\.{_N})?"
_STR = r"'(?:[^']|'')*'"
FORMS = {
    "validate-constraint": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{NAME}\s+"
    rf"VALIDATE\s+CONSTRAINT\s+(?P<constraint>{_N})",
    "add-constraint-using-index": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{NAME}\s+"
    rf"ADD\s+CONSTRAINT\s+{_N}\s+(?:UNIQUE|PRIMARY\s+KEY)\s+USING\s+INDEX\s+{_N}"
    r"(?:\s+(?:NOT\s+)?DEFERRABLE)?(?:\s+INITIALLY\s+(?:DEFERRED|IMMEDIATE))?",
    "rename-constraint": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{NAME}\s+"
    rf"RENAME\s+CONSTRAINT\s+{_N}\s+TO\s+{_N}",
    "create-extension": rf"CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?{_N}"
    rf"(?:\s+WITH)?(?:\s+SCHEMA\s+{_N})?(?:\s+VERSION\s+(?:{_N}|{_STR}))?(?:\s+CASCADE)?",
    "drop-extension": rf"DROP\s+EXTENSION\s+(?:IF\s+EXISTS\s+)?{_N}(?:\s*,\s*{_N})*"
    r"(?:\s+(?:CASCADE|RESTRICT))?",
    "add-enum-value": rf"ALTER\s+TYPE\s+(?P<type>{NAME})\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<value>{_STR})(?P<position>\s+(?:BEFORE|AFTER)\s+{_STR})?",
    "rename-type": rf"ALTER\s+TYPE\s+{NAME}\s+RENAME\s+TO\s+{_N}",
    "detach-partition": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{NAME})\s+"
    rf"DETACH\s+PARTITION\s+(?P<partition>{NAME})(?:\s+(?P<mode>CONCURRENTLY|FINALIZE))?",
    "attach-partition": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{NAME}\s+"
    rf"ATTACH\s+PARTITION\s+{NAME}\s+(?:FOR\s+VALUES\s+(?:FROM|IN|WITH)\s*\(.*\)|DEFAULT)",
    "alter-domain-drop-constraint": rf"ALTER\s+DOMAIN\s+{NAME}\s+DROP\s+CONSTRAINT\s+"
    rf"(?:IF\s+EXISTS\s+)?{_N}(?:\s+(?:CASCADE|RESTRICT))?",
    # the CHECK's expression is not read (only that the parentheses close at the end)
    "alter-domain-add-constraint": rf"ALTER\s+DOMAIN\s+(?P<domain>{NAME})\s+ADD\s+"
    rf"(?:CONSTRAINT\s+(?P<constraint>{_N})\s+)?(?:CHECK\s*\(.*\)|NOT\s+NULL)"
    r"(?P<not_valid>\s+NOT\s+VALID)?",
    "drop-index": rf"DROP\s+INDEX\s+(?P<concurrently>CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?"
    rf"(?P<names>{NAME}(?:\s*,\s*{NAME})*)(?:\s+(?:CASCADE|RESTRICT))?",
    "comment-on-constraint": rf"COMMENT\s+ON\s+CONSTRAINT\s+{_N}\s+ON\s+(?:DOMAIN\s+)?{NAME}"
    rf"\s+IS\s+(?:{_STR}|NULL)",
    "cluster": r"CLUSTER(?:\s*\(\s*VERBOSE\s*\)|\s+VERBOSE)?"
    rf"(?:\s+(?P<table>{NAME})(?:\s+USING\s+{_N})?)?",
    "vacuum": rf"VACUUM(?P<options>\s*\([^)]*\))?"
    r"(?P<words>(?:\s+(?:FULL|FREEZE|VERBOSE|ANALYZE|ANALYSE))*)"
    rf"(?P<tables>\s+{NAME}(?:\s*\([^)]*\))?(?:\s*,\s*{NAME}(?:\s*\([^)]*\))?)*)?",
    "reindex": rf"REINDEX\s+(?:\(\s*\w+(?:\s+\w+)?\s*\)\s+)?(?P<what>INDEX|TABLE|SCHEMA)\s+"
    rf"(?P<concurrently>CONCURRENTLY\s+)?{NAME}",
}
_COMPILED = {name: re.compile(rf"\s*{body}\s*;?\s*", re.I | re.S) for name, body in FORMS.items()}


def form(sql: str) -> tuple[str, re.Match[str]] | None:
    """(form name, match) when `sql` is wholly one of the known forms, else None."""
    for name, pattern in _COMPILED.items():
        match = pattern.fullmatch(sql)
        if match:
            return name, match
    return None

"""Callback file names (Flyway's): which points there are and whether a name is one. Apart
from callbacks.py so that reading a folder (files.py, formats/) needs nothing that runs them."""

from __future__ import annotations

import re

FOLDER = "callbacks"
BEFORE, BEFORE_EACH, AFTER_EACH = "beforeMigrate", "beforeEachMigrate", "afterEachMigrate"
AFTER, AFTER_ERROR = "afterMigrate", "afterMigrateError"
POINTS = (BEFORE, BEFORE_EACH, AFTER_EACH, AFTER, AFTER_ERROR)
NAME = re.compile(r"^(?P<point>[A-Za-z]+)(?:__(?P<desc>[A-Za-z0-9_.-]+))?\.sql$")


def is_callback(name: str) -> bool:
    match = NAME.match(name)
    return match is not None and match["point"] in POINTS

"""Where the documentation lives: hints name its sections (a pip user has no README.md)."""

from __future__ import annotations

import re

# pyproject.toml's [project.urls] Documentation; tests/containers/test_package.py keeps them equal
URL = "https://github.com/sqlmig/sqlmig#readme"


def section_url(section: str) -> str:
    """The address of a README heading, as the repository host anchors it."""
    anchor = re.sub(r"[^a-z0-9 _-]", "", section.lower()).replace(" ", "-")
    return f"{URL.partition('#')[0]}#{anchor}"


def see(section: str) -> str:
    return f"see '{section}' in the sqlmig documentation: {section_url(section)}"

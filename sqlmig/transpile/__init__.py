"""Transpile PostgreSQL migrations to SQLite or MySQL, statement by statement, or refuse."""

from __future__ import annotations

from .catalog import Catalog
from .core import TARGETS, Refusal, Translated, transpile_text

__all__ = ["TARGETS", "Catalog", "Refusal", "Translated", "transpile_text"]

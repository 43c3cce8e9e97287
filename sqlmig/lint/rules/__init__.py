"""The rule families; importing a module registers its rules."""

from __future__ import annotations


def load_all() -> None:
    """Import every rule module (each registers itself in model.REGISTRY)."""
    from . import (  # noqa: F401
        conventions,
        data_loss,
        file_pairs,
        folder,
        locking,
        mysql,
        pg_alter,
        pg_columns,
        pg_constraints,
        repeatable,
        sqlite,
        syntax,
        transactions,
    )

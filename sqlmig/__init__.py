"""sqlmig: plain-SQL database migrations. Public API: Migrator, Config, load_config, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Config", "Migrator", "SqlmigError", "__version__", "load_config"]

if TYPE_CHECKING:
    from .config import Config
    from .config import load as load_config
    from .errors import SqlmigError
    from .migrator import Migrator


def __getattr__(name: str) -> Any:  # lazy, so `import sqlmig` costs nothing
    if name == "Migrator":
        from .migrator import Migrator

        return Migrator
    if name in ("Config", "load_config"):
        from . import config

        return config.Config if name == "Config" else config.load
    if name == "SqlmigError":
        from .errors import SqlmigError

        return SqlmigError
    raise AttributeError(name)

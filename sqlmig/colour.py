"""ANSI colours by hand for a one-word prefix or a short label: no rich on the `up` path."""

RED = "31"
YELLOW = "33"
CYAN = "36"
BOLD_RED = "1;31"


def paint(text: str, code: str, enabled: bool) -> str:
    """`text` in colour `code` when `enabled` (see config.colour), else unchanged."""
    return f"\x1b[{code}m{text}\x1b[0m" if enabled else text

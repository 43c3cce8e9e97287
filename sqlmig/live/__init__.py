"""Know before you run: `sqlmig plan` (locks traced on a scratch database, sizes and blockers
from the live one) and `up --preflight` (read-only checks of the data a statement can fail on)."""

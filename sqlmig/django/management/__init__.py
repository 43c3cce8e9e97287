"""Django's place for management commands."""

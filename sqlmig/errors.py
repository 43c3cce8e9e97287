"""The one exception tree: every error a user can see, with its exit code and next step."""

from __future__ import annotations


class SqlmigError(Exception):
    """Base of every error sqlmig reports; `cli` turns it into a message and `exit_code`."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SqlmigError):
    """Bad options or configuration."""

    exit_code = 2
    kind = "usage"


class MigrationFileError(SqlmigError):
    """The migrations folder holds something sqlmig cannot use; found before connecting."""

    exit_code = 2
    kind = "files"


class MigrationFailed(SqlmigError):
    """A migration's SQL failed; its transaction was rolled back (or recorded as failed)."""

    exit_code = 1
    kind = "migration_failed"


class LockTimeout(SqlmigError):
    """Another runner held the migration lock for longer than --lock-timeout."""

    exit_code = 3
    kind = "lock_timeout"


class DriftError(SqlmigError):
    """An applied file was edited or is missing."""

    exit_code = 4
    kind = "drift"


class FailedStateError(SqlmigError):
    """The history holds a failed or running migration that needs `sqlmig repair`."""

    exit_code = 5
    kind = "failed_state"


class ConnectError(SqlmigError):
    """The database could not be reached or refused the login."""

    exit_code = 6
    kind = "connect"


class HistoryError(SqlmigError):
    """The history table exists but could not be read or written."""

    exit_code = 1
    kind = "history"


class LockLost(SqlmigError):
    """The migration lock's connection ended mid-run: nothing more was committed."""

    exit_code = 3
    kind = "lock_lost"


class NotEmptyError(SqlmigError):
    """`up` on a database that holds tables but no sqlmig history: it would run blind."""

    exit_code = 7
    kind = "not_empty"


class PreflightFailed(SqlmigError):
    """`up --preflight`: rows that a pending statement would fail on; nothing was applied."""

    exit_code = 9


# Every exit status sqlmig gives, for `sqlmig --help` (README.md's table says the same).
EXIT_CODES = (
    ("0", "done, or nothing to do"),
    ("1", "a migration's SQL failed; lint or verify found errors; an unexpected error"),
    ("2", "usage error, bad configuration, bad migration files"),
    ("3", "the migration lock was not acquired in time, or was lost"),
    ("4", "drift: an applied file was edited, renamed or is missing"),
    ("5", "a failed or partial migration needs `sqlmig repair` or `sqlmig mark`"),
    ("6", "cannot connect to the database"),
    ("7", "`up` refused a database with tables but no sqlmig history"),
    ("8", "`status --exit-code`: migrations are pending"),
    ("9", "`up --preflight`: a pre-check found rows a pending statement would fail on"),
    ("130, 143", "interrupted by Ctrl-C or SIGTERM"),
)

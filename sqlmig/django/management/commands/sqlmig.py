"""`python manage.py sqlmig ARGS...`: sqlmig with this project's database (see sqlmig.django)."""

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from ...command import run


class Command(BaseCommand):
    help = (
        "Run sqlmig on DATABASES['default'] with the migrations in SQLMIG_DIR "
        "(default BASE_DIR/migrations_sql). Example: python manage.py sqlmig up"
    )
    requires_system_checks = ()

    def run_from_argv(self, argv: list[str]) -> None:
        # every argument is sqlmig's (its --help too): Django's parser is not used
        sys.exit(run(argv[2:]))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("sqlmig_args", nargs=argparse.REMAINDER, help="sqlmig's arguments")

    def handle(self, *args: str, **options: object) -> None:
        """call_command("sqlmig", "up"): an exit code other than 0 is a CommandError."""
        code = run([*args, *options.get("sqlmig_args", [])])  # type: ignore[misc]
        if code:
            raise CommandError(f"sqlmig exited with {code}", returncode=code)

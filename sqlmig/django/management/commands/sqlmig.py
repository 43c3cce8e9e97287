"""`python manage.py sqlmig ARGS...`: sqlmig with this project's database (see sqlmig.django)."""

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

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

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: object) -> CommandParser:
        """call_command("sqlmig", "--url", URL, "up"): every argument is sqlmig's here too
        (REMAINDER alone would take "--url" for a Django option, and refuse it)."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parse = parser.parse_args

        def all_to_sqlmig(args: object = None, namespace: object = None) -> argparse.Namespace:
            options = parse([], namespace)  # type: ignore[arg-type]
            options.sqlmig_args = list(args or [])  # type: ignore[call-overload]
            return options

        parser.parse_args = all_to_sqlmig  # type: ignore[method-assign,assignment]
        return parser

    def handle(self, *args: str, **options: object) -> None:
        """call_command("sqlmig", "up"): an exit code other than 0 is a CommandError."""
        code = run([*args, *options.get("sqlmig_args", [])])  # type: ignore[misc]
        if code:
            raise CommandError(f"sqlmig exited with {code}", returncode=code)

"""``manage.py customfields export`` (YAML to standard output) and
``manage.py customfields import FILE`` (all or nothing; refused files name line and field)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from otrs.fields.portable import ImportRefused, export_definitions, import_definitions


class Command(BaseCommand):
    help = "Export or import custom field definitions as YAML."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("export", help="Write every definition as YAML to standard output.")
        importing = sub.add_parser("import", help="Create or update definitions from a file.")
        importing.add_argument("file", help="A YAML file written by export ('-': stdin).")

    def handle(self, *args, verb: str, **options):
        if verb == "export":
            self.stdout.write(export_definitions(), ending="")
            return
        path = options["file"]
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        try:
            imported = import_definitions(text)
        except ImportRefused as refused:
            raise CommandError(
                f"{path}: nothing imported.\n" + "\n".join(refused.problems)
            ) from None
        self.stdout.write(f"Imported {len(imported)} field definitions.")

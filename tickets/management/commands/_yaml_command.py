"""The shape of the YAML commands (as ``manage.py customfields``): ``export`` writes YAML to
standard output, ``import FILE`` ('-': stdin) reads it back, all or nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class YamlCommand(BaseCommand):
    what = ""  # "ACLs", "GenericAgent jobs"

    def export_text(self) -> str:
        raise NotImplementedError

    importer: Callable[[str], Iterable[Any]]

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("export", help=f"Write every one of the {self.what} as YAML to stdout.")
        importing = sub.add_parser("import", help=f"Create or replace {self.what} from a file.")
        importing.add_argument("file", help="A YAML file written by export ('-': stdin).")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "export":
            self.stdout.write(self.export_text(), ending="")
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
            imported = list(type(self).importer(text))
        except ValidationError as refused:
            raise CommandError(
                f"{path}: nothing imported.\n" + "\n".join(refused.messages)
            ) from None
        self.stdout.write(f"Imported {len(imported)} {self.what}.")

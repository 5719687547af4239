"""``manage.py cmdb_import FILE --class Computer [--key name] [--dry-run]``: import a CSV
file into one class (see :mod:`cmdb.actions._import`). Prints a progress bar on stderr and
one line per row that is created, changed (with the differences) or refused (with row,
column and reason); ``--start-row`` resumes an interrupted run."""

from __future__ import annotations

import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from otrs.accounts.models import system_user

from ...actions import import_rows
from ...choices import Catalog
from ...models import CatalogItem


class Command(BaseCommand):
    help = "Import configuration items of one class from a CSV file (with a dry run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--class", dest="ci_class", required=True, help="Class name")
        parser.add_argument(
            "--key", default="name", help="Match rows on: number, name or an attribute column"
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing")
        parser.add_argument("--start-row", type=int, default=1, help="First data row (1-based)")
        parser.add_argument("--batch", type=int, default=200, help="Rows per transaction")
        parser.add_argument("--delimiter", default=",")

    def handle(self, *args, **options) -> None:
        ci_class = CatalogItem.objects.filter(
            catalog=Catalog.CLASS, name__iexact=options["ci_class"]
        ).first()
        if ci_class is None:
            raise CommandError(f"No class named {options['ci_class']!r}.")
        try:
            with open(options["file"], newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle, delimiter=options["delimiter"]))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from None
        total = len(rows)

        def progress(number: int) -> None:
            done = int(30 * number / max(total, 1))
            sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {number}/{total}")
            sys.stderr.flush()

        results = import_rows(
            ci_class,
            rows,
            key=options["key"],
            actor=system_user(),
            dry_run=options["dry_run"],
            batch=options["batch"],
            start_row=options["start_row"],
            progress=progress,
        )
        sys.stderr.write("\n")
        counts: dict[str, int] = {}
        for result in results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            if result.outcome == "refused":
                for error in result.errors:
                    self.stdout.write(f"refused  {error}")
            elif result.outcome != "unchanged":
                self.stdout.write(
                    f"{result.outcome:<8} row {result.row}: {result.number} {result.name}"
                )
                for label, old, new in result.changes:
                    self.stdout.write(f"           {label}: {old or '-'} -> {new or '-'}")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        prefix = "Dry run, nothing saved: " if options["dry_run"] else "Imported: "
        self.stdout.write(prefix + (summary or "no rows"))

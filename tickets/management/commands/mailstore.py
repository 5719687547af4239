"""``manage.py mailstore``: upkeep of the raw mail store (see :mod:`tickets.mailstore`).

- ``--sweep-orphans [--dry-run] [--grace-hours N]``: remove raw mails, blob rows and
  ``cas/`` files nothing refers to, older than the grace period (the daemon runs it daily);
- ``--split-bodies [--after PK] [--batch N] [--limit N]``: store the base64 bodies of raw
  mails kept whole as content-addressed files (or blob rows with ``ATTACHMENT_STORAGE=db``),
  as new mail is stored; prints the last id done
  after every batch, so an interrupted run goes on with ``--after`` that id.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets import mailstore


class Command(BaseCommand):
    help = "Upkeep of the raw mail store: remove orphans, split stored bodies into files."

    def add_arguments(self, parser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--sweep-orphans",
            action="store_true",
            help="Remove raw mails, stored files and cas/ files nothing refers to.",
        )
        what.add_argument(
            "--split-bodies",
            action="store_true",
            help="Store the base64 bodies of raw mails kept whole as content-addressed files.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be removed."
        )
        parser.add_argument(
            "--grace-hours",
            type=int,
            default=None,
            help="Only what is older than this (default MAIL_STORE_ORPHAN_GRACE_HOURS).",
        )
        parser.add_argument("--after", type=int, default=0, help="Start after this raw mail id.")
        parser.add_argument("--batch", type=int, default=200, help="Rows per batch.")
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many rows.")

    def handle(self, *args, **options) -> None:
        if options["sweep_orphans"]:
            self._sweep(options)
        else:
            self._split(options)

    def _sweep(self, options) -> None:
        hours = options["grace_hours"]
        if hours is not None and hours < 1:
            raise CommandError(_("--grace-hours must be at least 1."))
        result = mailstore.sweep_orphans(
            dry_run=options["dry_run"],
            older_than=None if hours is None else timedelta(hours=hours),
        )
        values = {
            "rows": result.rows,
            "row_bytes": result.row_bytes,
            "blobs": result.blobs,
            "blob_bytes": result.blob_bytes,
            "files": result.files,
            "file_bytes": result.file_bytes,
        }
        if options["dry_run"]:
            text = _(
                "Would remove %(rows)d raw mail(s) (%(row_bytes)d bytes), %(blobs)d file(s) "
                "stored in the database (%(blob_bytes)d bytes) and %(files)d file(s) "
                "(%(file_bytes)d bytes)."
            )
        else:
            text = _(
                "Removed %(rows)d raw mail(s) (%(row_bytes)d bytes), %(blobs)d file(s) stored "
                "in the database (%(blob_bytes)d bytes) and %(files)d file(s) "
                "(%(file_bytes)d bytes)."
            )
        self.stdout.write(text % values)

    def _split(self, options) -> None:
        if options["dry_run"]:
            raise CommandError(_("--dry-run applies to --sweep-orphans only."))
        if options["batch"] < 1 or (options["limit"] is not None and options["limit"] < 1):
            raise CommandError(_("--batch and --limit must be at least 1."))
        result = None
        for result in mailstore.split_bodies(
            after=options["after"], batch=options["batch"], limit=options["limit"]
        ):
            if options["verbosity"] >= 2:
                self.stdout.write(_("... up to raw mail %(pk)d") % {"pk": result.last_pk})
        assert result is not None
        self.stdout.write(
            _(
                "Looked at %(looked)d raw mail(s), split %(split)d: %(before)d bytes in the "
                "database before, %(after)d after. Last id: %(last)d."
            )
            % {
                "looked": result.looked_at,
                "split": result.split,
                "before": result.bytes_before,
                "after": result.bytes_after,
                "last": result.last_pk,
            }
        )
        if result.failed:
            raise CommandError(
                _("Could not split raw mail(s) %(ids)s (see the log).")
                % {"ids": ", ".join(map(str, result.failed))}
            )

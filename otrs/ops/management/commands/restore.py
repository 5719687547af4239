"""``manage.py restore ARCHIVE``: replace the database and the attachment files with a
backup's, after checking every member against the manifest's checksum and loading the dump
into a scratch database; a corrupt archive, another database engine or another release's
migrations are refused before anything changes."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from otrs.ops import backup


class Command(BaseCommand):
    requires_system_checks: list = []
    requires_migrations_checks = False

    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _("Restore the database and the attachment files from a backup archive.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help=_("The archive manage.py backup wrote."))
        parser.add_argument(
            "--yes", action="store_true", help=_("Do not ask before replacing the data.")
        )
        parser.add_argument("--no-files", action="store_true", help=_("Restore the database only."))
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help=_("Accept a backup of an older release (run manage.py migrate afterwards)."),
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        archive = Path(options["archive"])
        started = time.monotonic()
        try:
            manifest = backup.read_manifest(archive)
            backup.check_compatible(manifest, allow_older=options["allow_older"])
            if not options["yes"] and not self._confirm(manifest):
                raise CommandError(_("Nothing restored."))
            backup.restore(
                archive,
                include_files=not options["no_files"],
                allow_older=options["allow_older"],
                progress=self._progress,
            )
        except backup.BackupError as exc:
            raise CommandError(_("Restore refused: %(error)s") % {"error": exc}) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored %(path)s (made %(when)s) in %(seconds).1f s.")
                % {
                    "path": archive,
                    "when": manifest.created_at,
                    "seconds": time.monotonic() - started,
                }
            )
        )

    def _confirm(self, manifest: backup.Manifest) -> bool:
        answer = input(
            _(
                "This replaces every row of the database and the attachment files with the "
                "backup made %(when)s. Type 'yes' to go on: "
            )
            % {"when": manifest.created_at}
        )
        return answer.strip().lower() == "yes"

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"... {message}")

"""``manage.py backup [PATH]``: the database (the engine's own dump tool), the attachment and
media files and the settings file (secrets masked unless ``--with-secrets``) in one tar file
with a manifest of counts and checksums, verified by loading the dump into a scratch database
before it is given its name. ``--check PATH`` verifies an existing archive the same way.
Exit status 1 (and no archive) when anything failed."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.ops import backup


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _(
            "Back up the database, the attachment files and the settings into one verified archive."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            help=_("The archive to write (default: var/backups/otrs-<time>.tar)."),
        )
        parser.add_argument(
            "--check", action="store_true", help=_("Verify the archive PATH instead.")
        )
        parser.add_argument(
            "--no-files", action="store_true", help=_("Leave the attachment files out.")
        )
        parser.add_argument(
            "--with-secrets",
            action="store_true",
            help=_("Keep the secrets of the settings file (masked otherwise)."),
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        try:
            if options["check"]:
                if not options["path"]:
                    raise CommandError(_("--check needs the archive's path."))
                manifest = backup.check(Path(options["path"]), progress=self._progress)
                self.stdout.write(
                    self.style.SUCCESS(
                        _("%(path)s is a good backup of %(tables)d tables, made %(when)s.")
                        % {
                            "path": options["path"],
                            "tables": len(manifest.tables),
                            "when": manifest.created_at,
                        }
                    )
                )
                return
            path = Path(options["path"] or self._default_path())
            manifest = backup.create(
                path,
                include_files=not options["no_files"],
                with_secrets=options["with_secrets"],
                progress=self._progress,
            )
        except backup.BackupError as exc:
            raise CommandError(_("Backup failed: %(error)s") % {"error": exc}) from None
        rows = sum(manifest.tables.values())
        files = sum(entry["count"] for entry in manifest.files.values())
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written and verified: %(path)s (%(size).1f MiB; %(rows)d rows in "
                    "%(tables)d tables, %(files)d files) in %(seconds).1f s."
                )
                % {
                    "path": path,
                    "size": path.stat().st_size / 1024**2,
                    "rows": rows,
                    "tables": len(manifest.tables),
                    "files": files,
                    "seconds": time.monotonic() - started,
                }
            )
        )

    def _default_path(self) -> Path:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return Path(settings.VAR_DIR) / "backups" / f"otrs-{stamp}.tar"

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"... {message}")

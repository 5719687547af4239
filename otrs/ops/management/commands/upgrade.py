"""``manage.py upgrade``: pre-flight checks, maintenance on, a verified backup, migrations,
maintenance off; on a failure the backup is restored and the failure named (exit status 1)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from otrs.ops import upgrade


class Command(BaseCommand):
    requires_system_checks: list = []
    requires_migrations_checks = False

    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _(
            "Upgrade the database to this release: pre-flight checks, maintenance mode, a "
            "verified backup, migrations; on failure the backup is restored."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--backup-dir", help=_("Where the backup goes (default: var/backups)."))
        parser.add_argument(
            "--check", action="store_true", help=_("Only run the pre-flight checks.")
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        if options["check"]:
            found = upgrade.preflight()
            for problem in found.problems:
                self.stdout.write(f"{problem.label}: {problem.detail} {problem.fix}".strip())
            self.stdout.write(
                _("Migrations to apply: %(names)s") % {"names": ", ".join(found.pending) or "-"}
            )
            if found.problems:
                raise CommandError(_("Pre-flight checks failed."))
            return
        backup_dir = Path(options["backup_dir"] or Path(settings.VAR_DIR) / "backups")
        try:
            archive = upgrade.run(backup_dir=backup_dir, progress=self._progress)
        except upgrade.UpgradeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Upgraded. The backup made before is %(path)s.") % {"path": archive}
            )
        )

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"... {message}")

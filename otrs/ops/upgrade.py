"""``manage.py upgrade``: pre-flight checks, the maintenance flag, a verified backup,
migrations (data back-fills are data migrations in this project, so they run here too), and
on any failure the backup restored and the failure named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core import checks as system_checks
from django.core.management import call_command
from django.utils import timezone

from . import backup, checks, maintenance

Progress = Callable[[str], None]
# The environment checks whose error stops an upgrade before it starts (a stopped daemon or
# a mail account in trouble does not).
BLOCKING = ("versions", "database", "database_charset", "broker", "disk:var", "disk:attachments")


class UpgradeError(Exception):
    """The upgrade did not happen; ``restored`` says whether the backup was put back."""

    def __init__(self, message: str, *, restored: bool = False):
        super().__init__(message)
        self.restored = restored


@dataclass
class Preflight:
    pending: list[str]
    problems: list[checks.Result]


def preflight() -> Preflight:
    results = checks.run()
    problems = [r for r in results if r.status == checks.ERROR and r.name in BLOCKING]
    # Settings this release refuses (Django's and the project's system checks).
    for message in system_checks.run_checks(include_deployment_checks=False):
        if message.is_serious():
            problems.append(
                checks.Result(
                    "settings", "Settings", checks.ERROR, str(message), message.hint or ""
                )
            )
    migration = next(r for r in results if r.name == "migrations")
    pending = [] if migration.ok else _pending()
    return Preflight(pending=pending, problems=problems)


def _pending() -> list[str]:
    known = set(backup.known_migrations())
    return sorted(known - set(backup.applied_migrations()))


def run(*, backup_dir: Path, progress: Progress = lambda message: None) -> Path:
    """Upgrade; return the backup's path. Raises :class:`UpgradeError`."""
    found = preflight()
    if found.problems:
        raise UpgradeError(
            "Pre-flight checks failed: "
            + "; ".join(
                f"{p.label}: {p.detail}" + (f" (fix: {p.fix})" if p.fix else "")
                for p in found.problems
            )
        )
    progress(f"{len(found.pending)} migrations to apply: {', '.join(found.pending) or '-'}")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    archive = backup_dir / f"pre-upgrade-{stamp}.tar"
    with maintenance.on("upgrade"):
        progress(f"Maintenance on; backing up to {archive}")
        try:
            backup.create(archive, progress=progress)
        except backup.BackupError as exc:
            raise UpgradeError(f"The backup failed, nothing was changed: {exc}") from None
        try:
            progress("Applying migrations")
            call_command("migrate", interactive=False, verbosity=0)
        except Exception as exc:
            progress(f"Failed ({type(exc).__name__}: {exc}); restoring {archive}")
            try:
                backup.restore(archive, allow_older=True, progress=progress)
            except backup.BackupError as restore_error:
                raise UpgradeError(
                    f"The upgrade failed ({type(exc).__name__}: {exc}) and the restore of "
                    f"{archive} failed too ({restore_error}): restore it by hand with "
                    f"manage.py restore {archive} --allow-older"
                ) from exc
            raise UpgradeError(
                f"The upgrade failed and was rolled back from {archive}: "
                f"{type(exc).__name__}: {exc}",
                restored=True,
            ) from exc
    return archive

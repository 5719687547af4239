"""loaddemo's maintenance windows: one that is over (the admin's list keeps it) and one in
two weeks (its banner appears half an hour before it starts)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from otrs.accounts.models import User

from .models import MaintenanceWindow

PAST = "Database upgrade finished: thank you for your patience."
NEXT = "The help desk is down for a server move; answers sent by mail arrive afterwards."


def load(stdout) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None or MaintenanceWindow.objects.filter(message__in=[PAST, NEXT]).exists():
        return
    midnight = timezone.localtime().replace(hour=22, minute=0, second=0, microsecond=0)
    for starts, hours, message, comment in (
        (midnight - timedelta(days=9), 2, PAST, "PostgreSQL 15 to 16; rollback plan in the wiki."),
        (midnight + timedelta(days=14), 3, NEXT, "Hosting partner on call: +49 30 1234567."),
    ):
        window = MaintenanceWindow(
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            message=message,
            comment=comment,
            created_by=admin,
        )
        window.full_clean()
        window.save()
    stdout.write("Maintenance windows: one past, one in two weeks.")

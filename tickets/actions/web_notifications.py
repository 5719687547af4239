"""Marking an agent's in-app notifications read. They are the agent's own records, not the
ticket's: no history, no event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from ..models import WebNotification

# How long a read notification stays in the agent's "All" list.
KEEP_READ_DAYS = 30


def mark_notifications_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications ``ids`` (all of them when ``None``) read; how
    many were unread. Someone else's ids change nothing; marking twice is harmless."""
    unread = WebNotification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def delete_old_read_notifications(*, days: int = KEEP_READ_DAYS) -> int:
    """Delete notifications read more than ``days`` ago (the daemon's daily cleanup); how
    many. Unread ones stay, however old."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _per_model = WebNotification.objects.filter(read_at__lt=cutoff).delete()
    return deleted

"""Marking an agent's in-app notifications read. They are the agent's own records, not the
ticket's: no history, no event."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from ..models import WebNotification


def mark_notifications_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications ``ids`` (all of them when ``None``) read; how
    many were unread. Someone else's ids change nothing; marking twice is harmless."""
    unread = WebNotification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())

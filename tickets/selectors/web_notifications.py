"""Reads of the in-app notifications (OTRS's Web transport): an agent's list and the bell's
count. An agent sees a notification only while they may still read its ticket (``ro``, or
``note`` for one made for a note or mention), through :mod:`tickets.access`, whatever they
could when it was made."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from otrs.permissions import PermissionKey

from .. import access
from ..models import WebNotification


def visible(user) -> QuerySet:
    """``user``'s notifications whose ticket they may still read, newest first."""
    readable = access.visible_to(user, PermissionKey.RO).values("pk")
    noted = access.visible_to(user, PermissionKey.NOTE).values("pk")
    return WebNotification.objects.filter(user=user).filter(
        Q(ticket__in=readable) | Q(need=PermissionKey.NOTE, ticket__in=noted)
    )


def listed(user, *, unread_only: bool) -> QuerySet:
    """The list page's rows, with their tickets (one query a page)."""
    rows = visible(user).select_related("ticket").order_by("-created_at", "-pk")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(user) -> int:
    """The bell's number: one query."""
    return visible(user).filter(read_at__isnull=True).count()

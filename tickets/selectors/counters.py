"""The agent's live counters: the numbers beside the navigation and on the dashboard, and the
queue tree's counts, as the counters endpoint serves them to pages that refresh themselves.

Each number counts the overview it stands for (the same queryset, so a counter and its list
never disagree): open tickets in my queues, my locked, watched, new in my queues, reminders
reached, escalated or escalating soon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import (
    escalated_tickets,
    locked_tickets,
    new_tickets,
    queue_counts,
    reminder_tickets,
    watched_tickets,
    web_notifications,
)


@dataclass(frozen=True)
class Counters:
    """``totals`` by counter key; ``queues``: tickets in viewable states per queue id."""

    totals: dict[str, int]
    queues: dict[int, int]


def counters(user, *, now: datetime | None = None) -> Counters:
    """The counters of ``user``: one count query per number, one for all queues."""
    now = now or timezone.now()
    queues = queue_counts(user)
    totals = {
        "queues": sum(queues.values()),
        "locked": locked_tickets(user).count(),
        "watched": watched_tickets(user).count(),
        "new": new_tickets(user).count(),
        "reminders": reminder_tickets(user, now).count(),
        "escalated": escalated_tickets(user, now).count(),
        "notifications": web_notifications.unread_count(user),
    }
    return Counters(totals=totals, queues=queues)

"""Who else has a ticket open: the zoom's and the composer's presence (collision detection).

An agent's open zoom or composer notes itself here when the page is rendered and then, with
JavaScript, every :func:`poll_seconds` through the presence endpoint; an entry that is not
renewed expires after ``TICKET_PRESENCE_SECONDS``. Other agents on the same ticket see who is
viewing it and who is writing a reply.

Presence lives in the cache, not in the database: it is short-lived state that must not add
a query to the zoom, and it is shared by every process of a host (the default file cache) or
by every host (``CACHE_URL=redis://...``). It is no domain change, so it has no action, no
history and no event. One cache entry per ticket holds its agents; two agents renewing at the
same moment may drop one of them until that one's next renewal, a few seconds later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

VIEWING, WRITING = "viewing", "writing"
ACTIVITIES = (VIEWING, WRITING)


@dataclass(frozen=True)
class Presence:
    """Another agent on the ticket: their name and whether they read or write."""

    user_id: int
    name: str
    activity: str

    @property
    def writing(self) -> bool:
        return self.activity == WRITING


def presence_seconds() -> int:
    """How long an entry lives without renewal (the setting, read at call time)."""
    return int(settings.TICKET_PRESENCE_SECONDS)


def poll_seconds() -> int:
    """How often an open page renews its entry: three times per lifetime."""
    return max(presence_seconds() // 3, 1)


def _key(ticket_id: int) -> str:
    return f"tickets:presence:{ticket_id}"


def _alive(ticket_id: int, now: float) -> dict[int, tuple[str, str, float]]:
    entries = cache.get(_key(ticket_id)) or {}
    return {uid: entry for uid, entry in entries.items() if entry[2] > now}


def note(ticket_id: int, user, activity: str, *, now: float | None = None) -> None:
    """Record that ``user`` has the ticket open, ``activity`` (viewing or writing)."""
    now = time.time() if now is None else now
    if activity not in ACTIVITIES:
        activity = VIEWING
    entries = _alive(ticket_id, now)
    name = user.get_full_name() or user.get_username()
    entries[user.pk] = (name, activity, now + presence_seconds())
    cache.set(_key(ticket_id), entries, presence_seconds())


def leave(ticket_id: int, user) -> None:
    """Forget ``user`` on the ticket (they sent their reply or closed the composer)."""
    entries = _alive(ticket_id, time.time())
    if entries.pop(user.pk, None) is not None:
        cache.set(_key(ticket_id), entries, presence_seconds())


def others(ticket_id: int, user, *, now: float | None = None) -> list[Presence]:
    """The other agents on the ticket now: writers first, then by name."""
    now = time.time() if now is None else now
    found = [
        Presence(uid, name, activity)
        for uid, (name, activity, _until) in _alive(ticket_id, now).items()
        if uid != user.pk
    ]
    return sorted(found, key=lambda p: (not p.writing, p.name.lower()))

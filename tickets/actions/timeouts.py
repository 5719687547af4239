"""The unlock timeout (spec section 7): a locked ticket nobody worked on for its queue's
``unlock_timeout`` minutes goes back to the queue.

Run by the daemon every hour at :35 (``tickets.tasks.unlock_timed_out_tickets``). Only
tickets locked with ``lock`` in a new or open state are released (pending tickets never
are); the anchor is ``unlock_anchor_at``, which locking, an agent's article and a customer's
answer to one move. The time counted is wall-clock time: business calendars are not
modelled yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from otrs.accounts.models import system_user

from .. import events
from ..choices import LockState, StateType
from ..events import TicketEvent
from ..models import Ticket
from ._base import _locked, _save, _unlock

_UNLOCKABLE = (StateType.NEW, StateType.OPEN)


def _expired(ticket: Ticket, now: datetime) -> bool:
    anchor = ticket.unlock_anchor_at
    limit = ticket.queue.unlock_timeout
    return bool(
        ticket.lock == LockState.LOCK
        and ticket.state.state_type in _UNLOCKABLE
        and limit
        and anchor is not None
        and anchor + timedelta(minutes=limit) <= now
    )


def unlock_timed_out(now: datetime | None = None) -> list[int]:
    """Unlock every ticket whose unlock timeout has passed; the ids of those unlocked."""
    now = now or timezone.now()
    actor = system_user()
    candidates = (
        Ticket.objects.filter(
            lock=LockState.LOCK,
            state__state_type__in=_UNLOCKABLE,
            queue__unlock_timeout__gt=0,
            unlock_anchor_at__isnull=False,
        )
        .select_related("queue", "state")
        .only("pk", "lock", "unlock_anchor_at", "queue__unlock_timeout", "state__state_type")
    )
    unlocked = []
    for candidate in candidates.iterator():
        if not _expired(candidate, now):
            continue
        with transaction.atomic():
            ticket = _locked(candidate.pk)
            # Re-checked under the row lock: an agent may have answered in the meantime.
            if not _expired(ticket, now) or not _unlock(ticket, actor):
                continue
            _save(ticket, actor, "lock")
            events.record(
                TicketEvent.TICKET_LOCK_TIMEOUT,
                ticket_id=ticket.pk,
                actor_id=actor.pk,
                data={"owner_id": ticket.owner_id},
            )
        unlocked.append(ticket.pk)
    return unlocked

"""The unlock timeout (spec section 7): a locked ticket nobody worked on for its queue's
``unlock_timeout`` minutes goes back to the queue.

Run by the daemon every hour at :35 (``tickets.tasks.unlock_timed_out_tickets``). Only
tickets locked with ``lock`` in a new or open state are released (pending tickets never
are); the anchor is ``unlock_anchor_at``, which locking, an agent's article and a customer's
answer to one move. The time counted is working time of the ticket's calendar (its SLA's,
else its queue's, else the default calendar), as OTRS counts it: a lock taken on Friday
evening does not run out over the weekend. A ticket whose calendar is broken counts
wall-clock time instead, so that its lock still ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from otrs.accounts.models import system_user
from otrs.calendars.lookup import Schedules
from otrs.calendars.worktime import CalendarError, working_seconds_between

from .. import events
from ..choices import LockState, StateType
from ..events import TicketEvent
from ..models import Ticket
from ._base import _locked, _save, _unlock

_UNLOCKABLE = (StateType.NEW, StateType.OPEN)


def _expired(ticket: Ticket, now: datetime, schedules: Schedules) -> bool:
    anchor = ticket.unlock_anchor_at
    limit = ticket.queue.unlock_timeout
    # Working time never exceeds wall-clock time: a lock younger than the limit on the wall
    # is not expired, whatever the calendar.
    if not (
        ticket.lock == LockState.LOCK
        and ticket.state.state_type in _UNLOCKABLE
        and limit
        and anchor is not None
        and anchor + timedelta(minutes=limit) <= now
    ):
        return False
    name = ticket.sla.calendar_id if ticket.sla is not None else ticket.queue.calendar_id
    try:
        schedule = schedules.get(name)
    except CalendarError:
        return True
    return working_seconds_between(schedule, anchor, now) >= limit * 60


def unlock_timed_out(now: datetime | None = None) -> list[int]:
    """Unlock every ticket whose unlock timeout has passed; the ids of those unlocked."""
    now = now or timezone.now()
    actor = system_user()
    schedules = Schedules()
    candidates = (
        Ticket.objects.filter(
            lock=LockState.LOCK,
            state__state_type__in=_UNLOCKABLE,
            queue__unlock_timeout__gt=0,
            unlock_anchor_at__isnull=False,
        )
        .select_related("queue", "state", "sla")
        .only(
            "pk",
            "lock",
            "unlock_anchor_at",
            "queue__unlock_timeout",
            "queue__calendar",
            "sla__calendar",
            "state__state_type",
        )
    )
    unlocked = []
    for candidate in candidates.iterator():
        if not _expired(candidate, now, schedules):
            continue
        with transaction.atomic():
            ticket = _locked(candidate.pk)
            # Re-checked under the row lock: an agent may have answered in the meantime.
            if not _expired(ticket, now, schedules) or not _unlock(ticket, actor):
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

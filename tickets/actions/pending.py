"""Pending states that act (spec section 7), run by the daemon every minute
(``tickets.tasks.check_pending``), so a pending time is acted on within a minute of passing.

* **pending auto**: once the time has passed the ticket gets its state's "state after
  pending" (:attr:`State.after_pending`; "pending auto close+" → "closed successful",
  "pending auto close-" → "closed unsuccessful") as the system user; a closed state unlocks
  it. A state without a mapping stays as it is. Each ticket is re-checked under its row
  lock, so two workers never change it twice.
* **pending reminder**: once the time has passed, and only while the ticket's calendar is in
  working time, ``NotificationPendingReminder`` goes to the owner and responsible (and the
  queue's agents when the ticket is unlocked); the state does not change. At most once a day
  per ticket: the day (in the calendar's time zone) is claimed with a conditional update.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from otrs.accounts.models import system_user
from otrs.calendars.lookup import Schedules
from otrs.calendars.worktime import CalendarError, is_working_time

from .. import events
from ..choices import StateType
from ..events import TicketEvent
from ..models import Ticket
from ._base import _locked
from .fields import _set_state

# How many tickets one run takes of each kind (the next run, a minute later, goes on).
RUN_LIMIT = 2000


@dataclass
class PendingResult:
    changed: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    unmapped: int = 0


def check_pending(now: dt.datetime | None = None, *, limit: int = RUN_LIMIT) -> PendingResult:
    now = now or timezone.now()
    result = PendingResult()
    _auto(now, limit, result)
    _reminders(now, limit, result)
    return result


def _auto(now: dt.datetime, limit: int, result: PendingResult) -> None:
    actor = system_user()
    due = (
        Ticket.objects.filter(
            state__state_type=StateType.PENDING_AUTO,
            pending_until__lte=now,
            state__after_pending__isnull=False,
        )
        .order_by("pending_until", "id")
        .values_list("pk", flat=True)[:limit]
    )
    result.unmapped = Ticket.objects.filter(
        state__state_type=StateType.PENDING_AUTO,
        pending_until__lte=now,
        state__after_pending__isnull=True,
    ).count()
    for pk in list(due):
        with transaction.atomic():
            ticket = _locked(pk)
            state = ticket.state
            # Re-checked under the row lock: an agent or another worker may have been first.
            if (
                state.state_type != StateType.PENDING_AUTO
                or ticket.pending_until is None
                or ticket.pending_until > now
                or state.after_pending is None
            ):
                continue
            _set_state(ticket, state.after_pending, actor)
        result.changed.append(pk)


def _reminders(now: dt.datetime, limit: int, result: PendingResult) -> None:
    actor = system_user()
    schedules = Schedules()
    due = (
        Ticket.objects.filter(state__state_type=StateType.PENDING_REMINDER, pending_until__lte=now)
        .select_related("queue", "sla")
        .order_by("pending_until", "id")
        .only("pk", "queue__calendar", "sla__calendar", "pending_reminded_on")[:limit]
    )
    for ticket in due:
        name = ticket.sla.calendar_id if ticket.sla is not None else ticket.queue.calendar_id
        try:
            schedule = schedules.get(name)
        except CalendarError:
            continue
        if not is_working_time(schedule, now):
            continue
        today = now.astimezone(schedule.zone).date()
        if ticket.pending_reminded_on == today:
            continue
        with transaction.atomic():
            claimed = (
                Ticket.objects.filter(
                    pk=ticket.pk,
                    state__state_type=StateType.PENDING_REMINDER,
                    pending_until__lte=now,
                )
                .filter(Q(pending_reminded_on__isnull=True) | ~Q(pending_reminded_on=today))
                .update(pending_reminded_on=today)
            )
            if not claimed:
                continue
            events.record(
                TicketEvent.NOTIFICATION_PENDING_REMINDER, ticket_id=ticket.pk, actor_id=actor.pk
            )
        result.reminded.append(ticket.pk)

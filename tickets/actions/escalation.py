"""Keeping the escalation columns, the stop events and the escalation run (spec section 6).

:func:`recompute_escalations` is called by the event handler ``tickets.escalation_index``
(:mod:`tickets.receivers`) for the tickets of every committed change that spec section 6
lists (create, article, state, queue, SLA, service, type, priority, customer, merge). It
stores the due times of :func:`tickets.escalation.compute` on the ticket and, when a target
that was overdue no longer is (answered, closed, moved to a queue without targets), writes
``Escalation…TimeStop`` history with its event.

:func:`check_escalations` is the daemon's run, every five minutes
(``tickets.tasks.check_escalations``): tickets due within five days, earliest first, each
claimed by one worker for the round with a conditional update. A ticket is acted on only if
its calendar had working time in the last ten minutes (no warnings at midnight). For each
overdue target it writes ``Escalation…TimeStart``, for each past its warning share
``Escalation…TimeNotifyBefore`` (history and event), unless the same was written within the
decay time (a day); then at most one notification event per ticket: ``NotificationEscalation``
if anything is overdue, else ``NotificationEscalationNotifyBefore``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from otrs.accounts.models import User, system_user
from otrs.calendars.lookup import Schedules
from otrs.calendars.worktime import CalendarError, working_seconds_between

from .. import events
from ..choices import HistoryType
from ..escalation import Escalation, Kind, Status, compute, load_facts, state_kinds
from ..events import TicketEvent
from ..models import Ticket, TicketHistory
from .history import record_history

# OTRS EscalationCheck: tickets escalating within this, at most this many per run.
LOOKAHEAD = dt.timedelta(days=5)
RUN_LIMIT = 1000
# A run acts only if the calendar had working time within this (OTRS: 10 minutes).
WORKING_WINDOW = dt.timedelta(minutes=10)
# The same escalation event is not repeated within this (OTRSEscalationEvents::DecayTime).
DECAY = dt.timedelta(minutes=1440)
# Tickets recomputed in one transaction (their rows locked together, facts read together).
BATCH = 200
# A claim lasts a little less than the run's period, so the next round may take it again.
CLAIM = dt.timedelta(minutes=4)

_START = {
    Kind.RESPONSE: HistoryType.ESCALATION_RESPONSE_TIME_START,
    Kind.UPDATE: HistoryType.ESCALATION_UPDATE_TIME_START,
    Kind.SOLUTION: HistoryType.ESCALATION_SOLUTION_TIME_START,
}
_NOTIFY_BEFORE = {
    Kind.RESPONSE: HistoryType.ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE,
    Kind.UPDATE: HistoryType.ESCALATION_UPDATE_TIME_NOTIFY_BEFORE,
    Kind.SOLUTION: HistoryType.ESCALATION_SOLUTION_TIME_NOTIFY_BEFORE,
}
_STOP = {
    Kind.RESPONSE: HistoryType.ESCALATION_RESPONSE_TIME_STOP,
    Kind.UPDATE: HistoryType.ESCALATION_UPDATE_TIME_STOP,
    Kind.SOLUTION: HistoryType.ESCALATION_SOLUTION_TIME_STOP,
}
COLUMNS = (
    "escalation_at",
    "escalation_response_at",
    "escalation_update_at",
    "escalation_solution_at",
)


def _load(pk: int, *, lock: bool) -> Ticket | None:
    """The ticket with what the clocks read; ``lock``: under its row lock (taken on the
    ticket row alone: PostgreSQL cannot lock the nullable side of the SLA join)."""
    if lock and not list(Ticket.objects.select_for_update().filter(pk=pk).values_list("pk")):
        return None
    return Ticket.objects.select_related("queue", "sla", "state").filter(pk=pk).first()


def recompute_escalations(
    ticket_ids: Iterable[int], *, now: dt.datetime | None = None, actor: User | None = None
) -> int:
    """Store the escalation columns of the tickets (each under its row lock) and write stop
    events; how many tickets' columns changed. Safe to run twice."""
    now = now or timezone.now()
    schedules = Schedules()
    states = state_kinds()
    changed = 0
    actor = actor or system_user()
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction.atomic():
            # The batch's rows locked in id order (one query), so two recomputes queue up
            # instead of deadlocking; then the tickets and their facts in four queries.
            list(
                Ticket.objects.select_for_update()
                .filter(pk__in=batch)
                .order_by("pk")
                .values_list("pk")
            )
            tickets = list(
                Ticket.objects.select_related("queue", "sla", "state")
                .filter(pk__in=batch)
                .order_by("pk")
            )
            facts = load_facts(tickets, states)
            for ticket in tickets:
                result = compute(
                    ticket,
                    now=now,
                    schedules=schedules,
                    states=states,
                    detail=False,
                    facts=facts[ticket.pk],
                )
                if _store(ticket, result, actor):
                    changed += 1
    return changed


def _store(ticket: Ticket, result: Escalation, actor: User) -> bool:
    values = result.stored()
    now = result.now
    for kind in Kind:
        column = f"escalation_{kind}_at"
        old, new = getattr(ticket, column), values[column]
        was_overdue = old is not None and old <= now
        is_overdue = new is not None and new <= now
        if was_overdue and not is_overdue:
            record_history(
                ticket,
                _STOP[kind],
                actor,
                old=old.isoformat(),
                new=new.isoformat() if new else "",
            )
    if all(getattr(ticket, c) == values[c] for c in COLUMNS):
        return False
    for column in COLUMNS:
        setattr(ticket, column, values[column])
    # Only these columns: the escalation index is no change of the ticket (changed_at stays).
    ticket.save(update_fields=list(COLUMNS))
    return True


@dataclass
class RunResult:
    """What one escalation run did."""

    checked: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)
    notified: list[tuple[int, str]] = field(default_factory=list)
    outside_working_time: int = 0
    broken_calendar: int = 0


def check_escalations(now: dt.datetime | None = None, *, limit: int = RUN_LIMIT) -> RunResult:
    """One escalation run (see the module's docstring)."""
    now = now or timezone.now()
    actor = system_user()
    schedules = Schedules()
    states = state_kinds()
    result = RunResult()
    candidates = list(
        Ticket.objects.filter(escalation_at__isnull=False, escalation_at__lte=now + LOOKAHEAD)
        .filter(Q(escalation_checked_at__isnull=True) | Q(escalation_checked_at__lte=now - CLAIM))
        .order_by("escalation_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        # The claim: one worker's conditional update matches, the others' find it taken.
        claimed = (
            Ticket.objects.filter(pk=pk)
            .filter(
                Q(escalation_checked_at__isnull=True) | Q(escalation_checked_at__lte=now - CLAIM)
            )
            .update(escalation_checked_at=now)
        )
        if not claimed:
            continue
        result.checked += 1
        with transaction.atomic():
            ticket = _load(pk, lock=True)
            if ticket is None:
                continue
            _check_one(ticket, now, actor, schedules, states, result)
    return result


def _check_one(
    ticket: Ticket,
    now: dt.datetime,
    actor: User,
    schedules: Schedules,
    states: dict,
    result: RunResult,
) -> None:
    escalation = compute(ticket, now=now, schedules=schedules, states=states, detail=False)
    if escalation.calendar_error:
        result.broken_calendar += 1
        return
    try:
        schedule = schedules.get(_calendar_name(ticket))
    except CalendarError:
        result.broken_calendar += 1
        return
    if working_seconds_between(schedule, now - WORKING_WINDOW, now) <= 0:
        result.outside_working_time += 1
        return
    # Keep the index honest on the way (the handler may not have run yet).
    _store(ticket, escalation, actor)
    overdue = False
    fired = False
    for clock in escalation.clocks:
        if not clock.active:
            continue
        if clock.status == Status.BREACHED:
            history_type = _START[clock.kind]
            overdue = True
        elif clock.status == Status.WARNING:
            history_type = _NOTIFY_BEFORE[clock.kind]
        else:
            continue
        if _recently(ticket, history_type, now):
            continue
        record_history(
            ticket,
            history_type,
            actor,
            new=clock.due.isoformat() if clock.due else "",
            extra={"due": clock.due.isoformat() if clock.due else ""},
        )
        result.events.append((ticket.pk, str(history_type)))
        fired = True
    if fired:
        name = (
            TicketEvent.NOTIFICATION_ESCALATION
            if overdue
            else TicketEvent.NOTIFICATION_ESCALATION_NOTIFY_BEFORE
        )
        events.record(name, ticket_id=ticket.pk, actor_id=actor.pk)
        result.notified.append((ticket.pk, str(name)))


def _calendar_name(ticket: Ticket) -> int | None:
    return ticket.sla.calendar_id if ticket.sla is not None else ticket.queue.calendar_id


def _recently(ticket: Ticket, history_type: str, now: dt.datetime) -> bool:
    return TicketHistory.objects.filter(
        ticket_id=ticket.pk, history_type=history_type, created_at__gt=now - DECAY
    ).exists()

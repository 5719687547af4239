"""A ticket's metrics row (issue 14 part 6), kept by the domain so reports never walk history.

:func:`refresh_metrics` is the event handler ``tickets.metrics``'s work (see
:mod:`tickets.receivers`) and the backfill's (``manage.py ticket_metrics --backfill``): for a
batch of tickets it reads their state history, articles and accounted time in a few queries
and writes one :class:`~tickets.models.TicketMetrics` row each. What it stores:

* first response: the first customer-visible article from an agent (spec 6), its delay in
  wall-clock seconds and in working seconds of the ticket's calendar, pauses left out;
* solution: the first close (spec 6: ever closed), the same two delays; ``closed_at`` is the
  latest close while the ticket is closed now;
* reopens: how often the ticket left a closed state for another;
* time in each state (wall clock), from the state history up to now;
* per target (first response, update, solution) "met" or "breached" once that is decided
  (the same clocks as the zoom's SLA timeline, :func:`tickets.escalation.compute`); an update
  target counts as breached once the escalation run wrote EscalationUpdateTimeStart;
* the time units accounted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from otrs.calendars.lookup import Schedules
from otrs.calendars.worktime import CalendarError, Period, working_seconds_between

from .choices import HistoryType, SenderType, StateType
from .escalation import Kind, StateKinds, Status, _Facts, _pauses, _targets, compute, state_kinds
from .models import Article, Ticket, TicketHistory, TicketMetrics, TimeAccounting

BATCH = 500
_DECIDED = {Status.MET: "met", Status.BREACHED: "breached"}
_FIELDS = [f.name for f in TicketMetrics._meta.concrete_fields if f.name != "ticket"]


def refresh_metrics(ticket_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Write the metrics rows of the tickets (batched; safe to run twice); how many."""
    now = now or timezone.now()
    schedules = Schedules()
    kinds = state_kinds()
    ids = sorted(set(ticket_ids))
    done = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        tickets = list(Ticket.objects.select_related("queue", "sla", "state").filter(pk__in=batch))
        rows = build_rows(tickets, now=now, schedules=schedules, kinds=kinds)
        with transaction.atomic():
            existing = set(
                TicketMetrics.objects.filter(ticket_id__in=batch).values_list(
                    "ticket_id", flat=True
                )
            )
            TicketMetrics.objects.bulk_update(
                [r for r in rows if r.ticket_id in existing], _FIELDS, batch_size=BATCH
            )
            TicketMetrics.objects.bulk_create(
                [r for r in rows if r.ticket_id not in existing], batch_size=BATCH
            )
        done += len(rows)
    return done


def build_rows(
    tickets: list[Ticket], *, now: dt.datetime, schedules: Schedules, kinds: StateKinds
) -> list[TicketMetrics]:
    """The metrics of loaded tickets (with queue, SLA and state) in four queries."""
    ids = [t.pk for t in tickets]
    history: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for ticket_id, at, state_id in (
        TicketHistory.objects.filter(
            ticket_id__in=ids,
            history_type__in=(HistoryType.NEW_TICKET, HistoryType.STATE_UPDATE),
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "state_id")
    ):
        history[ticket_id].append((at, state_id))
    visible: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    newest: dict[int, tuple[dt.datetime, int]] = {}
    for ticket_id, at, pk, sender, is_visible in (
        Article.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "id", "sender_type", "is_visible_for_customer")
    ):
        newest[ticket_id] = (at, pk)
        if is_visible and sender in (SenderType.AGENT, SenderType.CUSTOMER):
            visible[ticket_id].append((at, pk, sender))
    units = dict(
        TimeAccounting.objects.filter(ticket_id__in=ids)
        .values("ticket_id")
        .annotate(total=Sum("time_units"))
        .order_by()
        .values_list("ticket_id", "total")
    )
    update_breached = set(
        TicketHistory.objects.filter(
            ticket_id__in=ids, history_type=HistoryType.ESCALATION_UPDATE_TIME_START
        ).values_list("ticket_id", flat=True)
    )
    rows = []
    for ticket in tickets:
        states = history[ticket.pk] or [(ticket.created_at, ticket.state_id)]
        facts = _Facts(
            states=[(at, *kinds.get(sid, (StateType.OPEN, False))) for at, sid in states],
            visible=visible[ticket.pk],
            newest_article=newest.get(ticket.pk),
        )
        row = _row(ticket, states, facts, now=now, schedules=schedules)
        row.time_units = units.get(ticket.pk) or Decimal(0)
        if ticket.pk in update_breached:
            row.update_result = "breached"
        rows.append(row)
    return rows


def _row(
    ticket: Ticket,
    states: list[tuple[dt.datetime, int]],
    facts: _Facts,
    *,
    now: dt.datetime,
    schedules: Schedules,
) -> TicketMetrics:
    row = TicketMetrics(
        ticket_id=ticket.pk,
        created_at=ticket.created_at,
        queue_id=ticket.queue_id,
        service_id=ticket.service_id,
        sla_id=ticket.sla_id,
        owner_id=ticket.owner_id,
        state_type=ticket.state.state_type,
        computed_at=now,
    )
    # Time in each state, reopens and closes, from the state history.
    seconds: dict[str, int] = defaultdict(int)
    previous_closed = False
    for index, (at, state_id) in enumerate(states):
        end = states[index + 1][0] if index + 1 < len(states) else now
        seconds[str(state_id)] += max(0, int((end - at).total_seconds()))
        closed = facts.states[index][1] == StateType.CLOSED
        if closed and row.first_closed_at is None:
            row.first_closed_at = at
        if previous_closed and not closed and facts.states[index][1] != StateType.MERGED:
            row.reopen_count += 1
        if closed and not previous_closed:
            row.closed_at = at
        previous_closed = closed
    row.state_seconds = dict(seconds)
    if ticket.state.state_type != StateType.CLOSED:
        row.closed_at = None
    row.first_response_at = next(
        (at for at, _pk, sender in facts.visible if sender == SenderType.AGENT), None
    )
    pauses, _paused_now = _pauses(facts, now)
    schedule = None
    try:
        schedule = schedules.get(_targets(ticket).calendar)
    except CalendarError:
        row.calendar_error = True
    for until, name in (
        (row.first_response_at, "first_response"),
        (row.first_closed_at, "solution"),
    ):
        if until is None:
            continue
        setattr(row, f"{name}_seconds", int((until - ticket.created_at).total_seconds()))
        if schedule is not None:
            setattr(
                row,
                f"{name}_business_seconds",
                int(_working(schedule, ticket.created_at, until, pauses)),
            )
    if schedule is not None:
        result = compute(ticket, now=now, schedules=schedules, facts=facts, detail=False)
        if result.calendar_error:
            row.calendar_error = True
        for clock in result.clocks:
            decided = _DECIDED.get(clock.status, "")
            if clock.kind == Kind.RESPONSE:
                row.response_result = decided
            elif clock.kind == Kind.SOLUTION:
                row.solution_result = decided
            elif clock.minutes and clock.status == Status.BREACHED:
                row.update_result = "breached"
            elif clock.minutes and row.first_closed_at is not None:
                row.update_result = "met"
    return row


def _working(schedule, a: dt.datetime, b: dt.datetime, pauses: list[Period]) -> float:
    return working_seconds_between(schedule, a, b, exclude=pauses) if b > a else 0.0


def missing_ids(after: int = 0, limit: int = BATCH) -> list[int]:
    """Ids of tickets without a metrics row, from ``after`` on (the backfill's next batch)."""
    return list(
        Ticket.objects.filter(pk__gt=after, metrics__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )

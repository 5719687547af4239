"""A ticket's SLA clocks (spec section 6), computed from what the ticket is and did.

:func:`compute` reads a ticket (its queue or SLA, state history, articles) and answers, for
each target (first response, update, solution): where its clock started (the anchor), when
it is due, when its warning is due ("notify at N %"), whether it is met, breached, running,
paused or off, how much working time is left, and how that was counted (the calendar, the
working periods, the pauses). The stored escalation columns
(:mod:`tickets.actions.escalation`), the zoom's SLA timeline and the escalation run all use
it, so what an agent reads is what the daemon acts on.

The rules (OTRS, plus pausing):

* Targets come from the ticket's SLA when it has one, replacing the queue's wholesale (an
  SLA with zero times means no escalation); otherwise from its queue. So does the calendar
  (the default calendar when neither names one).
* First response: created + time; met by the first customer-visible article from an agent
  (any channel; internal notes do not count).
* Update: anchor + time, where the anchor is found by walking the customer-visible agent
  and customer articles from the newest: an agent's article is the anchor; a customer's
  means the oldest of the newest run of consecutive customer articles. Without such
  articles, the newest article (or the creation). Off while the ticket is pending.
* Solution: created + time; stops for good once the ticket was ever closed (reopening does
  not restart it).
* Nothing escalates for closed, merged and removed tickets.
* Pausing: the time a ticket spends in a state that pauses the SLA clocks
  (:attr:`State.pauses_sla`, on for the pending states) is not counted, before or after
  the anchor. Pauses come from the state history, so they survive a change of SLA or queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.calendars.lookup import Schedules
from otrs.calendars.worktime import (
    CalendarError,
    Period,
    Schedule,
    add_working_seconds,
    working_periods,
    working_seconds_between,
)

from .choices import HistoryType, SenderType, StateType
from .models import Article, State, Ticket, TicketHistory

# How many counted working periods the explanation lists (the rest are summed).
SHOWN_PERIODS = 12
_INACTIVE_TYPES = (StateType.CLOSED, StateType.MERGED, StateType.REMOVED)


class Kind(StrEnum):
    RESPONSE = "response"
    UPDATE = "update"
    SOLUTION = "solution"


KIND_LABELS = {
    Kind.RESPONSE: _("First response"),
    Kind.UPDATE: _("Update"),
    Kind.SOLUTION: _("Solution"),
}


class Status(StrEnum):
    OFF = "off"  # no target
    RUNNING = "running"
    WARNING = "warning"  # past the notify share, not yet due
    BREACHED = "breached"  # due and not met (or met too late)
    MET = "met"
    PAUSED = "paused"
    STOPPED = "stopped"  # not counted now (update time while pending, inactive ticket)


@dataclass
class Clock:
    """One target of one ticket."""

    kind: Kind
    minutes: int
    notify_percent: int
    status: Status = Status.OFF
    anchor: dt.datetime | None = None
    anchor_article_id: int | None = None
    due: dt.datetime | None = None
    notify_at: dt.datetime | None = None
    met_at: dt.datetime | None = None
    # Working seconds left until due (negative: overdue by that much).
    remaining_seconds: float | None = None
    counted_seconds: float = 0.0
    periods: list[Period] = field(default_factory=list)
    more_periods: int = 0
    # The clock runs towards ``due``: it is what the stored column holds.
    active: bool = False

    @property
    def label(self):
        return KIND_LABELS[self.kind]


@dataclass
class Escalation:
    """All clocks of one ticket at ``now``."""

    now: dt.datetime
    source: str  # "sla", "queue"
    source_name: str
    calendar_name: str
    calendar_error: str | None = None
    clocks: list[Clock] = field(default_factory=list)
    pauses: list[Period] = field(default_factory=list)
    paused_now: bool = False
    time_zone: str = ""

    def stored(self) -> dict[str, dt.datetime | None]:
        """The values of the ticket's escalation columns."""
        values: dict[str, dt.datetime | None] = {
            f"escalation_{clock.kind}_at": clock.due if clock.active else None
            for clock in self.clocks
        }
        for kind in Kind:
            values.setdefault(f"escalation_{kind}_at", None)
        active = [v for v in values.values() if v is not None]
        values["escalation_at"] = min(active) if active else None
        return values

    @property
    def has_targets(self) -> bool:
        return any(clock.minutes for clock in self.clocks)

    def clock(self, kind: Kind) -> Clock | None:
        return next((c for c in self.clocks if c.kind == kind), None)


@dataclass(frozen=True)
class _Targets:
    source: str
    source_name: str
    calendar: int | None
    values: tuple[tuple[Kind, int, int], ...]


def _targets(ticket: Ticket) -> _Targets:
    sla = ticket.sla
    if sla is not None:
        return _Targets(
            "sla",
            sla.name,
            sla.calendar_id,
            (
                (Kind.RESPONSE, sla.first_response_time, sla.first_response_notify),
                (Kind.UPDATE, sla.update_time, sla.update_notify),
                (Kind.SOLUTION, sla.solution_time, sla.solution_notify),
            ),
        )
    queue = ticket.queue
    return _Targets(
        "queue",
        queue.full_name,
        queue.calendar_id,
        (
            (Kind.RESPONSE, queue.first_response_time, queue.first_response_notify),
            (Kind.UPDATE, queue.update_time, queue.update_notify),
            (Kind.SOLUTION, queue.solution_time, queue.solution_notify),
        ),
    )


@dataclass(frozen=True)
class _Facts:
    """What the clocks are computed from, loaded in three small queries."""

    # (time, state type, pauses) for each NewTicket / StateUpdate row, in order.
    states: list[tuple[dt.datetime, str, bool]]
    # (time, id, sender type) of the customer-visible agent and customer articles.
    visible: list[tuple[dt.datetime, int, str]]
    newest_article: tuple[dt.datetime, int] | None


StateKinds = dict[int, tuple[str, bool]]


def state_kinds() -> StateKinds:
    """``{state id: (state type, pauses the SLA)}``: one small query, shared by a batch."""
    return {
        pk: (state_type, pauses)
        for pk, state_type, pauses in State.objects.values_list("pk", "state_type", "pauses_sla")
    }


def _facts(ticket: Ticket, kinds: StateKinds | None = None) -> _Facts:
    kinds = kinds if kinds is not None else state_kinds()
    rows = TicketHistory.objects.filter(
        ticket_id=ticket.pk,
        history_type__in=(HistoryType.NEW_TICKET, HistoryType.STATE_UPDATE),
    ).order_by("created_at", "id")
    states = [
        (at, *kinds.get(state_id, (StateType.OPEN, False)))
        for at, state_id in rows.values_list("created_at", "state_id")
    ]
    if not states:  # a ticket made without history (imports): its current state all along
        current = kinds.get(ticket.state_id, (StateType.OPEN, False))
        states = [(ticket.created_at, *current)]
    articles = Article.objects.filter(ticket_id=ticket.pk)
    visible = list(
        articles.filter(
            is_visible_for_customer=True, sender_type__in=(SenderType.AGENT, SenderType.CUSTOMER)
        )
        .order_by("created_at", "id")
        .values_list("created_at", "id", "sender_type")
    )
    newest = articles.order_by("-created_at", "-id").values_list("created_at", "id").first()
    return _Facts(states=states, visible=visible, newest_article=newest)


def load_facts(tickets: list[Ticket], kinds: StateKinds | None = None) -> dict[int, _Facts]:
    """The facts of many tickets in three queries (the escalation index's batches)."""
    kinds = kinds if kinds is not None else state_kinds()
    ids = [t.pk for t in tickets]
    states: dict[int, list[tuple[dt.datetime, str, bool]]] = {pk: [] for pk in ids}
    rows = (
        TicketHistory.objects.filter(
            ticket_id__in=ids,
            history_type__in=(HistoryType.NEW_TICKET, HistoryType.STATE_UPDATE),
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "state_id")
    )
    for ticket_id, at, state_id in rows:
        states[ticket_id].append((at, *kinds.get(state_id, (StateType.OPEN, False))))
    visible: dict[int, list[tuple[dt.datetime, int, str]]] = {pk: [] for pk in ids}
    newest: dict[int, tuple[dt.datetime, int]] = {}
    articles = (
        Article.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "id", "sender_type", "is_visible_for_customer")
    )
    for ticket_id, at, pk, sender, is_visible in articles:
        newest[ticket_id] = (at, pk)
        if is_visible and sender in (SenderType.AGENT, SenderType.CUSTOMER):
            visible[ticket_id].append((at, pk, sender))
    facts = {}
    for ticket in tickets:
        found = states[ticket.pk] or [
            (ticket.created_at, *kinds.get(ticket.state_id, (StateType.OPEN, False)))
        ]
        facts[ticket.pk] = _Facts(
            states=found, visible=visible[ticket.pk], newest_article=newest.get(ticket.pk)
        )
    return facts


def _pauses(facts: _Facts, now: dt.datetime) -> tuple[list[Period], bool]:
    """The periods spent in pausing states (the last one open: up to ``now``)."""
    pauses: list[Period] = []
    paused_now = False
    for index, (at, _state_type, pauses_sla) in enumerate(facts.states):
        if not pauses_sla:
            continue
        following = facts.states[index + 1][0] if index + 1 < len(facts.states) else None
        if following is None:
            paused_now = True
        end = following or now
        if end > at:
            pauses.append((at, end))
    return pauses, paused_now


def update_anchor(facts: _Facts, created_at: dt.datetime) -> tuple[dt.datetime, int | None]:
    """The update clock's anchor (spec section 6) and its article."""
    if facts.visible:
        newest_at, newest_id, sender = facts.visible[-1]
        if sender == SenderType.AGENT:
            return newest_at, newest_id
        anchor = (newest_at, newest_id)
        for at, pk, sender in reversed(facts.visible):
            if sender != SenderType.CUSTOMER:
                break
            anchor = (at, pk)
        return anchor
    if facts.newest_article is not None:
        return facts.newest_article
    return created_at, None


def compute(
    ticket: Ticket,
    *,
    now: dt.datetime | None = None,
    schedules: Schedules | None = None,
    states: StateKinds | None = None,
    detail: bool = True,
    facts: _Facts | None = None,
) -> Escalation:
    """The ticket's clocks at ``now``. A broken calendar gives an Escalation with
    ``calendar_error`` set and no times (never a wrong one).

    ``detail=False`` (the escalation index and run) leaves out what only people read: the
    working periods counted and the remaining working time, whose counting walks every day
    since the due time of a long-overdue ticket. ``schedules`` and ``states`` share loaded
    calendars and states across a batch."""
    now = now or timezone.now()
    targets = _targets(ticket)
    result = Escalation(
        now=now,
        source=targets.source,
        source_name=targets.source_name,
        calendar_name="",
    )
    result.clocks = [Clock(kind, minutes, notify) for kind, minutes, notify in targets.values]
    if not any(minutes for _k, minutes, _n in targets.values):
        return result
    try:
        schedule = (schedules or Schedules()).get(targets.calendar)
    except CalendarError as error:
        result.calendar_error = str(error)
        return result
    result.calendar_name = schedule.name
    result.time_zone = schedule.zone.key
    facts = facts if facts is not None else _facts(ticket, states)
    result.pauses, result.paused_now = _pauses(facts, now)
    inactive = ticket.state.state_type in _INACTIVE_TYPES
    pending = ticket.state.is_pending
    try:
        for clock in result.clocks:
            if clock.minutes <= 0:
                continue
            _run(
                clock,
                ticket,
                facts,
                schedule,
                result,
                inactive=inactive,
                pending=pending,
                detail=detail,
            )
    except CalendarError as error:
        result.calendar_error = str(error)
        for clock in result.clocks:
            clock.active = False
            clock.due = None
    return result


def _run(
    clock: Clock,
    ticket: Ticket,
    facts: _Facts,
    schedule: Schedule,
    result: Escalation,
    *,
    inactive: bool,
    pending: bool,
    detail: bool,
) -> None:
    now = result.now
    if clock.kind == Kind.UPDATE:
        clock.anchor, clock.anchor_article_id = update_anchor(facts, ticket.created_at)
    else:
        clock.anchor = ticket.created_at
    if clock.kind == Kind.RESPONSE:
        first = next((at for at, _pk, sender in facts.visible if sender == SenderType.AGENT), None)
        clock.met_at = first
    elif clock.kind == Kind.SOLUTION:
        closed = next((at for at, kind, _p in facts.states if kind == StateType.CLOSED), None)
        clock.met_at = closed
    # Pauses that ended are known; a pause still going on stops the clock at its start.
    pauses = result.pauses
    open_pause_start = pauses[-1][0] if result.paused_now and pauses else None
    finished = [p for p in pauses if not (result.paused_now and p is pauses[-1])]
    seconds = clock.minutes * 60
    clock.due = add_working_seconds(schedule, clock.anchor, seconds, exclude=finished)
    if clock.notify_percent:
        share = seconds * min(clock.notify_percent, 100) / 100
        clock.notify_at = add_working_seconds(schedule, clock.anchor, share, exclude=finished)
    end = clock.met_at or now
    if open_pause_start is not None and clock.met_at is None:
        # Paused: the clock stopped when the pause began, the due time moves with it.
        end = min(end, open_pause_start)
    counted = _joined(working_periods(schedule, clock.anchor, min(end, clock.due), exclude=pauses))
    clock.counted_seconds = sum((b - a).total_seconds() for a, b in counted)
    clock.periods = counted[:SHOWN_PERIODS]
    clock.more_periods = max(0, len(counted) - SHOWN_PERIODS)

    if clock.met_at is not None:
        clock.status = Status.MET if clock.met_at <= clock.due else Status.BREACHED
        clock.remaining_seconds = None
        return
    if inactive or (clock.kind == Kind.UPDATE and pending):
        clock.status = Status.STOPPED
        return
    if open_pause_start is not None:
        clock.status = Status.PAUSED
        if detail:
            clock.remaining_seconds = seconds - working_seconds_between(
                schedule, clock.anchor, now, exclude=pauses
            )
        clock.due = None
        clock.notify_at = None
        return
    clock.active = True
    if clock.due <= now:
        clock.status = Status.BREACHED
        if detail:
            clock.remaining_seconds = -working_seconds_between(schedule, clock.due, now)
    else:
        if detail:
            clock.remaining_seconds = working_seconds_between(schedule, now, clock.due)
        warned = clock.notify_at is not None and clock.notify_at <= now
        clock.status = Status.WARNING if warned else Status.RUNNING


def _joined(periods: list[Period]) -> list[Period]:
    """Periods that touch (a slot ending at midnight, the next starting there) as one."""
    joined: list[Period] = []
    for a, b in periods:
        if joined and joined[-1][1] == a:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return joined


def format_duration(seconds: float | None) -> str:
    """Working time as "26h 05m" or "45m" (hours, never days: a day of working time is not
    a day on the wall)."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}h {minutes:02d}m" if hours else f"{sign}{minutes}m"

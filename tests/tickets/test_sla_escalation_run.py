"""The escalation run (spec section 6, OTRS EscalationCheck): start and warning events with
history, once within the decay time, only in working time, one notification event per
ticket and run, notifications to the queue's agents and the responsible, and claims that
keep two workers from acting twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets import actions
from tickets.actions.escalation import check_escalations, recompute_escalations
from tickets.choices import HistoryType
from tickets.models import PersonalQueue, Ticket, TicketHistory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(hours: float = 0, *, days: int = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def escalating(support, clock):
    """A ticket in Support with a 60-minute first response (warning at 50 %), indexed."""
    q = support.queue
    q.first_response_time, q.first_response_notify = 60, 50
    q.save()
    ticket = factories.ticket(q)
    recompute_escalations([ticket.pk])
    return ticket


def history(ticket, *types):
    return list(
        TicketHistory.objects.filter(ticket=ticket, history_type__in=types)
        .order_by("id")
        .values_list("history_type", flat=True)
    )


START = HistoryType.ESCALATION_RESPONSE_TIME_START
WARN = HistoryType.ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE


def test_nothing_happens_before_the_warning_share(escalating, clock):
    clock.move_to(at(0.25))
    result = check_escalations()
    assert result.events == []
    assert history(escalating, START, WARN) == []


def test_the_warning_then_the_escalation_fire_once_each(escalating, clock, outbox):
    clock.move_to(at(0.5))
    assert check_escalations().events == [(escalating.pk, WARN)]
    clock.move_to(at(0.6))
    # Within the decay time the warning is not repeated.
    assert check_escalations().events == []
    clock.move_to(at(1))
    assert check_escalations().events == [(escalating.pk, START)]
    for minutes in (5, 10, 60, 600):
        clock.move_to(at(1 + minutes / 60))
        assert check_escalations().events == []
    assert history(escalating, START, WARN) == [WARN, START]
    names = [name for name, _pk, _payload in outbox() if name.startswith(("Escalation", "Notif"))]
    assert names == [
        "EscalationResponseTimeNotifyBefore",
        "NotificationEscalationNotifyBefore",
        "EscalationResponseTimeStart",
        "NotificationEscalation",
    ]


def test_the_escalation_fires_again_after_the_decay_time(escalating, clock):
    clock.move_to(at(1))
    check_escalations()
    # Tuesday 10:55 is not yet a day later; 11:05 is, and in working time.
    clock.move_to(at(24.9))
    assert check_escalations().events == []
    clock.move_to(at(25.1))
    assert check_escalations().events == [(escalating.pk, START)]


def test_it_stays_silent_outside_working_time_and_acts_when_work_starts(support, clock):
    q = support.queue
    q.first_response_time = 30
    q.save()
    clock.move_to(dt.datetime(2026, 3, 6, 20, 50, tzinfo=UTC))  # Friday 20:50
    ticket = factories.ticket(q)
    recompute_escalations([ticket.pk])
    # Due Monday 08:20. At midnight, on Saturday and early Monday nothing is sent.
    for moment in (
        dt.datetime(2026, 3, 7, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 9, 7, 55, tzinfo=UTC),
    ):
        clock.move_to(moment)
        result = check_escalations()
        assert result.events == []
    # Monday 08:25: overdue and in working time.
    clock.move_to(dt.datetime(2026, 3, 9, 8, 25, tzinfo=UTC))
    assert check_escalations().events == [(ticket.pk, START)]


def test_a_ticket_is_claimed_once_per_round(escalating, clock):
    clock.move_to(at(1))
    first = check_escalations()
    assert first.checked == 1
    # Another worker in the same round (a minute later) finds it claimed.
    clock.move_to(at(1 + 1 / 60))
    assert check_escalations().checked == 0
    clock.move_to(at(1 + 5 / 60))
    assert check_escalations().checked == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_act_once(support, run_in_processes):
    q = support.queue
    q.first_response_time = 60
    q.save()
    with time_machine.travel(MONDAY, tick=False):
        tickets = [factories.ticket(q) for _ in range(6)]
        recompute_escalations([t.pk for t in tickets])

    def worker():
        with time_machine.travel(at(2), tick=False):
            return len(check_escalations().events)

    counts = run_in_processes(worker, [(), (), ()])
    assert sum(counts) == 6
    for ticket in tickets:
        assert history(ticket, START) == [START]


def test_the_notification_goes_to_the_queue_agents_and_the_responsible(
    support, clock, django_capture_on_commit_callbacks
):
    # rw_agent follows the queue; writer has rw on its group without following it (spec 11:
    # MyQueues and WritePermissions); ro_agent is responsible; the outsider may not read.
    writer = factories.agent("writer")
    factories.grant(writer, support.group, factories.RW)
    for user in (support.rw, support.ro, support.outsider, writer):
        user.email = f"{user.username}@example.com"
        user.save()
    q = support.queue
    q.first_response_time = 60
    q.save()
    ticket = factories.ticket(q)
    actions.set_responsible(ticket, support.ro, actor=factories.system())
    PersonalQueue.objects.create(user=support.rw, queue=q)
    PersonalQueue.objects.create(user=support.outsider, queue=q)  # may not read the ticket
    recompute_escalations([ticket.pk])
    clock.move_to(at(1))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        check_escalations()
    mails = OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
    assert sorted(m.recipients[0] for m in mails) == [
        "ro_agent@example.com",
        "rw_agent@example.com",
        "writer@example.com",
    ]
    assert all("Escalated" in m.subject for m in mails)


def test_tickets_far_from_due_are_not_looked_at(support, clock):
    q = support.queue
    q.solution_time = 60 * 13 * 10  # ten working days
    q.save()
    ticket = factories.ticket(q)
    recompute_escalations([ticket.pk])
    assert Ticket.objects.get(pk=ticket.pk).escalation_at > at(days=5)
    assert check_escalations().checked == 0

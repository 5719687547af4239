"""Pending states that act (spec section 7): pending auto states change at their time (the
run is scheduled every minute), closing unlocks; pending reminders notify once a day in
working time without changing the state."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets import actions
from tickets.actions.pending import check_pending
from tickets.choices import HistoryType, LockState
from tickets.events import TicketEvent
from tickets.models import PersonalQueue, State, Ticket, TicketHistory
from tickets.tasks import check_pending as check_pending_task

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def pending(ticket, state_name, until, actor):
    actions.set_pending(ticket, factories.state(state_name), until, actor=actor)
    return Ticket.objects.get(pk=ticket.pk)


def test_the_pending_check_runs_every_minute(db):
    task = PeriodicTask.objects.get(task="tickets.tasks.check_pending")
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    escalation = PeriodicTask.objects.get(task="tickets.tasks.check_escalations")
    assert (escalation.interval.every, escalation.interval.period) == (5, "minutes")


def test_pending_auto_close_closes_at_its_time_and_unlocks(support, clock):
    ticket = factories.ticket(support.queue)
    actions.lock_ticket(ticket, actor=support.rw)
    due = MONDAY + dt.timedelta(hours=1)
    pending(ticket, "pending auto close+", due, support.rw)
    clock.move_to(due - dt.timedelta(seconds=1))
    assert check_pending().changed == []
    assert Ticket.objects.get(pk=ticket.pk).state.name == "pending auto close+"
    # The next run, within a minute of the time.
    clock.move_to(due + dt.timedelta(seconds=40))
    assert check_pending_task() == {"changed": 1, "reminded": 0}
    closed = Ticket.objects.get(pk=ticket.pk)
    assert closed.state.name == "closed successful"
    assert closed.lock == LockState.UNLOCK
    assert closed.pending_until is None
    change = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.STATE_UPDATE)
    assert change.last().actor == factories.system()
    # Running again changes nothing.
    assert check_pending().changed == []


def test_pending_auto_close_minus_closes_unsuccessfully(support, clock):
    ticket = factories.ticket(support.queue)
    pending(ticket, "pending auto close-", MONDAY + dt.timedelta(minutes=5), support.rw)
    clock.move_to(MONDAY + dt.timedelta(minutes=6))
    check_pending()
    assert Ticket.objects.get(pk=ticket.pk).state.name == "closed unsuccessful"


def test_a_pending_auto_state_without_a_mapping_stays(support, clock):
    State.objects.filter(name="pending auto close+").update(after_pending=None)
    ticket = factories.ticket(support.queue)
    pending(ticket, "pending auto close+", MONDAY + dt.timedelta(minutes=5), support.rw)
    clock.move_to(MONDAY + dt.timedelta(hours=1))
    result = check_pending()
    assert result.changed == [] and result.unmapped == 1
    assert Ticket.objects.get(pk=ticket.pk).state.name == "pending auto close+"


def test_a_reminder_goes_out_once_a_day_in_working_time_and_keeps_the_state(support, clock, outbox):
    ticket = factories.ticket(support.queue)
    due = MONDAY + dt.timedelta(hours=2)
    pending(ticket, "pending reminder", due, support.rw)
    clock.move_to(due - dt.timedelta(minutes=1))
    assert check_pending().reminded == []
    clock.move_to(due)
    assert check_pending().reminded == [ticket.pk]
    for hours in (0.1, 1, 5):
        clock.move_to(due + dt.timedelta(hours=hours))
        assert check_pending().reminded == []
    # Monday 21:30 to Tuesday 07:59 is outside the default calendar's hours.
    clock.move_to(dt.datetime(2026, 3, 3, 7, 59, tzinfo=UTC))
    assert check_pending().reminded == []
    clock.move_to(dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert check_pending().reminded == [ticket.pk]
    assert Ticket.objects.get(pk=ticket.pk).state.name == "pending reminder"
    assert len(outbox(TicketEvent.NOTIFICATION_PENDING_REMINDER)) == 2


def test_the_reminder_goes_to_the_owner_of_a_locked_ticket_and_my_queues_if_unlocked(
    support, clock, django_capture_on_commit_callbacks
):
    for user in (support.rw, support.ro):
        user.email = f"{user.username}@example.com"
        user.save()
    PersonalQueue.objects.create(user=support.ro, queue=support.queue)
    locked = factories.ticket(support.queue)
    actions.lock_ticket(locked, actor=support.rw)
    unlocked = factories.ticket(support.queue)
    actions.set_owner(unlocked, support.rw, actor=factories.system())
    actions.unlock_ticket(unlocked, actor=factories.system())
    due = MONDAY + dt.timedelta(minutes=30)
    pending(locked, "pending reminder", due, support.rw)
    pending(unlocked, "pending reminder", due, support.rw)
    clock.move_to(due)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        check_pending()
    sent = {
        (m.ticket_delivery.ticket_id if hasattr(m, "ticket_delivery") else None, m.recipients[0])
        for m in OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
        if "Reminder" in m.subject
    }
    assert {address for _t, address in sent} == {"rw_agent@example.com", "ro_agent@example.com"}
    by_ticket = {}
    for ticket_id, address in sent:
        by_ticket.setdefault(ticket_id, set()).add(address)
    assert by_ticket.get(locked.pk) == {"rw_agent@example.com"}
    assert by_ticket.get(unlocked.pk) == {"rw_agent@example.com", "ro_agent@example.com"}

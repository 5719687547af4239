"""The unlock timeout sweep (spec section 7) and the owner's lock-timeout notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets.actions import lock_ticket, set_pending
from tickets.actions.timeouts import unlock_timed_out
from tickets.choices import HistoryType, LockState
from tickets.models import Ticket, TicketHistory
from tickets.tasks import unlock_timed_out_tickets

pytestmark = pytest.mark.django_db


# Monday 10:00 UTC: working time in the default calendar (Mon-Fri 08:00-21:00 UTC).
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def locked(support):
    support.queue.unlock_timeout = 30
    support.queue.save()
    support.rw.email = "rw@helpdesk.test"
    support.rw.save()
    ticket = factories.ticket(support.queue)
    lock_ticket(ticket, actor=support.rw)
    return ticket


def _age(ticket, minutes):
    Ticket.objects.filter(pk=ticket.pk).update(
        unlock_anchor_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_a_lock_older_than_the_timeout_is_released(
    locked, support, django_capture_on_commit_callbacks
):
    _age(locked, 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert unlock_timed_out() == [locked.pk]
    locked.refresh_from_db()
    assert locked.lock == LockState.UNLOCK
    assert locked.owner == support.rw  # the owner stays; only the lock goes
    unlock = TicketHistory.objects.filter(ticket=locked, history_type=HistoryType.UNLOCK).get()
    assert unlock.actor.is_system
    mail = OutboundMessage.objects.get(kind=OutboundKind.AGENT_NOTIFICATION)
    assert mail.recipients == ["rw@helpdesk.test"]


def test_a_recent_lock_stays(locked):
    _age(locked, 29)
    assert unlock_timed_out_tickets() == 0
    locked.refresh_from_db()
    assert locked.lock == LockState.LOCK


def test_pending_tickets_are_never_unlocked(locked, support):
    set_pending(
        locked,
        factories.state("pending reminder"),
        timezone.now() + timedelta(days=1),
        actor=support.rw,
    )
    _age(locked, 600)
    assert unlock_timed_out() == []


def test_a_queue_without_timeout_never_unlocks(locked, support):
    support.queue.unlock_timeout = 0
    support.queue.save()
    _age(locked, 10_000)
    assert unlock_timed_out() == []


def test_the_timeout_counts_working_time_not_the_weekend(support, clock):
    support.queue.unlock_timeout = 30
    support.queue.save()
    clock.move_to(datetime(2026, 3, 6, 20, 50, tzinfo=UTC))  # Friday 20:50
    ticket = factories.ticket(support.queue)
    lock_ticket(ticket, actor=support.rw)
    # 10 working minutes on Friday (until 21:00), 19 on Monday morning: 29 of 30.
    clock.move_to(datetime(2026, 3, 9, 8, 19, tzinfo=UTC))
    assert unlock_timed_out() == []
    clock.move_to(datetime(2026, 3, 9, 8, 20, tzinfo=UTC))
    assert unlock_timed_out() == [ticket.pk]

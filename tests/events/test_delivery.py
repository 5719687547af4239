"""Delivering batches: after a crash, after failures (and then visibly failed), and never
twice in effect (a redelivered batch sends no second mail)."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from otrs import events
from otrs.accounts.models import User, UserKind
from otrs.events import delivery
from otrs.events.models import DeliveryStatus, EventBatch, EventDelivery
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets import actions, notifications
from tickets.choices import HistoryType
from tickets.models import PersonalQueue, Queue, TicketHistory

LATER = timedelta(hours=2)


def notification_mails():
    return OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)


@pytest.fixture
def follower(support):
    """ro_agent follows the Support queue: a new ticket there is mailed to them."""
    support.ro.email = "ro@example.com"
    support.ro.save()
    PersonalQueue.objects.create(user=support.ro, queue=support.queue)
    return support.ro


# --- a worker killed between the commit and the delivery ---------------------------------------


def _commit_and_die(queue_pk: int) -> None:
    """In a child process: open a ticket, commit, and die before anything is delivered."""
    connections.close_all()

    with transaction.atomic():
        # Registered first, so it runs first after the commit: the process is gone before
        # the batch is handed to a worker.
        transaction.on_commit(lambda: os._exit(0))
        factories.ticket(Queue.objects.get(pk=queue_pk), title="Committed, then killed")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_whose_worker_died_after_the_commit_is_delivered_by_the_sweep(support, follower):
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(
        target=_commit_and_die, args=(support.queue.pk,)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0

    batch = EventBatch.objects.get()  # committed by the child ...
    assert batch.dispatched_at is None  # ... and never handed on
    assert not notification_mails().exists()

    delivery.deliver_due(now=timezone.now() + LATER)

    batch.refresh_from_db()
    assert batch.dispatched_at is not None
    done = EventDelivery.objects.get(batch=batch, handler=notifications.HANDLER)
    assert (done.status, done.attempts) == (DeliveryStatus.DONE, 1)
    (mail,) = notification_mails()
    assert mail.recipients == ["ro@example.com"]
    assert "Committed, then killed" in mail.subject


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sweep_leaves_a_batch_just_committed_to_its_own_task(support, event_handlers):
    seen = []
    event_handlers.subscribe("tests.seen", seen.append)
    with events.muting("tests.seen"):
        factories.ticket(support.queue)
    # As if its task were still on the way to a worker.
    EventBatch.objects.update(dispatched_at=None)

    delivery.deliver_due()
    assert EventBatch.objects.filter(dispatched_at__isnull=True).exists()  # too young

    delivery.deliver_due(now=timezone.now() + LATER)
    assert not EventBatch.objects.filter(dispatched_at__isnull=True).exists()
    assert seen == []  # still muted when the sweep is the one to dispatch it


# --- a handler that keeps failing ---------------------------------------------------------------


@pytest.fixture
def flaky(event_handlers, settings):
    """A handler that fails while ``broken`` is set; three attempts before it gives up."""
    settings.EVENT_DELIVERY_MAX_ATTEMPTS = 3
    state = {"broken": True, "heard": []}

    def handler(batch):
        if state["broken"]:
            raise RuntimeError("search index unreachable")
        state["heard"].append([e.name for e in batch.events])

    event_handlers.subscribe("tests.flaky", handler, events=["TicketTitleUpdate"])
    return state


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_handler_is_retried_with_back_off_then_shows_as_failed_and_can_be_retried(
    client, support, flaky
):
    ticket = factories.ticket(support.queue)

    actions.set_title(ticket, "Renamed", actor=support.rw)
    row = EventDelivery.objects.get(handler="tests.flaky")
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "RuntimeError: search index unreachable" in row.last_error
    first_wait = row.next_attempt_at

    # Not due yet: the sweep leaves it alone.
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.attempts == 1

    delivery.deliver_due(now=first_wait)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 2)
    assert row.next_attempt_at - first_wait == timedelta(minutes=2)  # 1, then 2 minutes

    delivery.deliver_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)
    delivery.deliver_due(now=timezone.now() + LATER)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)  # failed stays failed
    assert flaky["heard"] == []

    # The admin lists it among the failed deliveries, with its error ...
    admin = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(admin)
    changelist = reverse("admin:events_eventdelivery_changelist")
    page = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "tests.flaky" in page and "search index unreachable" in page

    # ... and retrying it there, once the cause is fixed, delivers it.
    flaky["broken"] = False
    response = client.post(
        changelist, {"action": "retry", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 delivery will be tried again." in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DONE, 1)
    assert flaky["heard"] == [["TicketTitleUpdate"]]


# --- redelivery ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_redelivered_batch_sends_no_second_mail(support, follower):
    ticket = factories.ticket(support.queue)
    assert notification_mails().count() == 1
    row = EventDelivery.objects.get(
        handler=notifications.HANDLER,
        batch__events__name="TicketCreate",
        batch__events__object_id=ticket.pk,
    )

    # As if the worker's claim had run out and another worker took the batch again.
    EventDelivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.RUNNING, next_attempt_at=timezone.now()
    )
    delivery.deliver_due(now=timezone.now() + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DONE, 2)

    assert notification_mails().count() == 1
    sent = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.SEND_AGENT_NOTIFICATION
    )
    assert sent.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_handler_that_sees_its_batch_again_keys_its_mail_by_the_delivery(support, follower):
    ticket = factories.ticket(support.queue)
    row = EventDelivery.objects.get(
        handler=notifications.HANDLER,
        batch__events__name="TicketCreate",
        batch__events__object_id=ticket.pk,
    )
    batch = delivery._batch_for(row, events.registry.get(notifications.HANDLER))

    # The handler run again by hand, outside the delivery's bookkeeping: still one mail.
    notifications.handle(batch)
    notifications.handle(batch)

    (mail,) = notification_mails()
    assert mail.idempotency_key.startswith(f"{row.key}:")

"""The event outbox: what one change records, as one batch, and only when it commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from otrs import events
from otrs.events.models import EventBatch, EventDelivery, OutboxEvent
from tests import factories
from tickets import actions
from tickets.choices import Channel

# Commits must really happen (and roll back) here: no test-case transaction around the test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def heard(event_handlers):
    """What a handler that hears every ticket event got: one list of names per batch."""
    batches = []

    def handler(batch):
        names = [e.name for e in batch.events if e.object_type == "ticket"]
        if names:
            batches.append(names)

    event_handlers.subscribe("tests.heard", handler)
    return batches


def test_one_outermost_transaction_is_one_batch_delivered_in_order(support, heard):
    ticket = factories.ticket(support.queue)
    heard.clear()

    with transaction.atomic():
        actions.set_priority(ticket, factories.priority(5), actor=support.rw)
        with transaction.atomic():  # a savepoint is part of the same change
            actions.add_article(ticket, actions.ArticleInput(body="Done"), actor=support.rw)
        actions.lock_ticket(ticket, actor=support.rw)

    assert heard == [
        [
            "TicketPriorityUpdate",
            "ArticleCreate",
            "TicketLockUpdate",
            "TicketOwnerUpdate",
            "TicketResponsibleUpdate",
        ]
    ]


def test_each_action_outside_a_transaction_is_a_batch_of_its_own(support, heard):
    ticket = factories.ticket(support.queue)
    heard.clear()

    actions.set_priority(ticket, factories.priority(5), actor=support.rw)
    actions.set_title(ticket, "New title", actor=support.rw)

    assert heard == [["TicketPriorityUpdate"], ["TicketTitleUpdate"]]


def test_a_rolled_back_change_records_and_delivers_nothing(support, heard):
    ticket = factories.ticket(support.queue)
    heard.clear()
    batches = EventBatch.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.set_priority(ticket, factories.priority(5), actor=support.rw)
        actions.add_article(ticket, actions.ArticleInput(body="Done"), actor=support.rw)
        raise RuntimeError("the form failed after all")

    assert heard == []
    assert EventBatch.objects.count() == batches
    # The next change is a batch of its own, delivered as usual.
    actions.set_title(ticket, "After the failure", actor=support.rw)
    assert heard == [["TicketTitleUpdate"]]


def test_a_rolled_back_savepoint_takes_its_events_with_it(support, heard):
    ticket = factories.ticket(support.queue)
    heard.clear()

    with transaction.atomic():
        actions.set_priority(ticket, factories.priority(5), actor=support.rw)
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.set_title(ticket, "Never", actor=support.rw)
            raise RuntimeError("refused")
        actions.add_article(
            ticket, actions.ArticleInput(channel=Channel.INTERNAL, body="x"), actor=support.rw
        )

    assert heard == [["TicketPriorityUpdate", "ArticleCreate"]]


def test_a_savepoint_that_started_the_batch_and_rolled_back_leaves_the_next_events_a_batch(
    support, heard
):
    ticket = factories.ticket(support.queue)
    heard.clear()

    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.set_title(ticket, "Never", actor=support.rw)
            raise RuntimeError("refused")
        actions.set_priority(ticket, factories.priority(5), actor=support.rw)

    assert heard == [["TicketPriorityUpdate"]]
    assert not OutboxEvent.objects.filter(name="TicketTitleUpdate").exists()


def test_muted_handlers_get_no_delivery_and_the_others_do(support, heard, event_handlers):
    others = []
    event_handlers.subscribe("tests.others", others.append)
    with events.muting("tests.heard", "tickets.agent_notifications"):
        ticket = factories.ticket(support.queue)

    assert heard == []
    assert {e.object_id for e in others[-1].events} == {ticket.pk}
    batch = EventBatch.objects.get(pk=others[-1].id)
    handlers = set(EventDelivery.objects.filter(batch=batch).values_list("handler", flat=True))
    assert "tests.others" in handlers
    assert not handlers & {"tests.heard", "tickets.agent_notifications"}


def test_a_name_is_one_handler(event_handlers):
    def first(batch):
        pass

    def second(batch):
        pass

    event_handlers.subscribe("tests.once", first)
    event_handlers.subscribe("tests.once", first)  # ready() running twice is harmless
    with pytest.raises(ValueError, match="already registered"):
        event_handlers.subscribe("tests.once", second)

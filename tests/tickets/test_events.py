"""Each ticket change records its event with its history row, carrying the raw values."""

from __future__ import annotations

import pytest

from tests import factories
from tickets import actions
from tickets.models import SLA, Service, TicketHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(support):
    return factories.ticket(support.queue, title="A"), factories.ticket(support.queue, title="B")


def test_linking_and_unlinking_record_events_on_both_tickets(support, pair, outbox):
    a, b = pair
    actions.link_tickets(a, b, actor=support.rw)
    actions.unlink_tickets(a, b, actor=support.rw)

    added = [(pk, data["new"], data["link_type"]) for _n, pk, data in outbox("TicketLinkAdd")]
    assert added == [(a.pk, b.pk, "normal"), (b.pk, a.pk, "normal")]
    removed = [(pk, data["old"]) for _n, pk, data in outbox("TicketLinkDelete")]
    assert removed == [(a.pk, b.pk), (b.pk, a.pk)]


def test_service_and_sla_changes_record_events(support, pair, outbox):
    ticket, _other = pair
    service = Service.objects.create(name="Email")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(service)

    actions.set_service(ticket, service, sla, actor=support.rw)

    assert [(pk, d["new"]) for _n, pk, d in outbox("TicketServiceUpdate")] == [
        (ticket.pk, service.pk)
    ]
    assert [(pk, d["new"]) for _n, pk, d in outbox("TicketSLAUpdate")] == [(ticket.pk, sla.pk)]


def test_a_customer_change_carries_old_and_new(support, pair, outbox):
    ticket, _other = pair
    actions.set_customer(ticket, customer_id="ACME", customer_user="carla", actor=support.rw)
    actions.set_customer(ticket, customer_id="ACME", customer_user="dora", actor=support.rw)

    ((_n, pk, first), (_n2, _pk2, second)) = outbox("TicketCustomerUpdate")
    assert pk == ticket.pk
    assert (first["old"], first["new"], first["new_customer_id"]) == ("", "carla", "ACME")
    assert (second["old"], second["new"]) == ("carla", "dora")


def test_every_event_names_the_history_row_it_was_recorded_with(support, pair, outbox):
    ticket, other = pair
    actions.lock_ticket(ticket, actor=support.rw)
    actions.merge_tickets(other, ticket, actor=support.rw)

    with_rows = [d for _n, _pk, d in outbox(object_type="ticket") if "history_id" in d]
    assert with_rows
    for data in with_rows:
        row = TicketHistory.objects.get(pk=data["history_id"])
        assert row.history_type == data["history_type"]
        assert row.new_value == ("" if data["new"] is None else str(data["new"]))

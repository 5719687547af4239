"""Process tickets in the customer portal: a process whose start dialog is offered to
customers is started there (the ticket is the customer's web request), and a dialog offered
to customers in the ticket's activity sets a custom field that makes a transition fire;
dialogs for agents only, and other customers' tickets, stay hidden (404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.customer_portal import ticket_data as data
from tests.fields.helpers import define
from tickets.choices import HistoryType
from tickets.models import (
    Activity,
    ActivityDialog,
    Interface,
    Process,
    ProcessState,
    TicketProcess,
    Transition,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(event_handlers):
    event_handlers.unsubscribe("otrs.mail.send_queued")


@pytest.fixture
def feedback_process(db):
    define("Satisfied", "dropdown", options=["yes", "no"])
    queue = data.portal_queue("Portal")
    process = Process.objects.create(name="Feedback", queue=queue)
    start = ActivityDialog.objects.create(
        process=process,
        name="Tell us",
        interface=Interface.CUSTOMER,
        fields=[{"name": "title", "required": True}, {"name": "article", "required": True}],
    )
    rate = ActivityDialog.objects.create(
        process=process,
        name="Rate the answer",
        interface=Interface.BOTH,
        fields=[{"name": "field:Satisfied", "required": True}],
    )
    internal = ActivityDialog.objects.create(process=process, name="Agents only", fields=[])
    waiting = Activity.objects.create(process=process, name="Waiting for rating")
    waiting.dialogs.set([rate, internal])
    done = Activity.objects.create(process=process, name="Rated")
    Transition.objects.create(
        process=process,
        name="Rated",
        from_activity=waiting,
        to_activity=done,
        condition={"attr": "field:Satisfied", "op": "not_empty"},
    )
    process.start_activity, process.start_dialog = waiting, start
    process.state = ProcessState.ACTIVE
    process.save()
    return process


def test_a_customer_starts_a_process_and_fills_a_dialog(feedback_process):
    acme = data.company("ACME")
    wile = data.customer("wile", company_=acme)
    client = data.client_for(wile)
    assert "Feedback" in client.get(reverse("customer:process_list")).content.decode()
    response = client.post(
        reverse("customer:process_start", args=[feedback_process.pk]),
        {"title": "How was it?", "body": "I have a question first."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    place = TicketProcess.objects.select_related("ticket").get()
    ticket = place.ticket
    assert (ticket.customer_user, ticket.customer_id) == ("wile", "ACME")
    assert ticket.history.filter(history_type=HistoryType.WEB_REQUEST_CUSTOMER).exists()

    page = client.get(reverse("customer:ticket", args=[ticket.pk])).content.decode()
    rate = ActivityDialog.objects.get(name="Rate the answer")
    internal = ActivityDialog.objects.get(name="Agents only")
    assert reverse("customer:process_dialog", args=[ticket.pk, rate.pk]) in page
    assert "Agents only" not in page
    internal_url = reverse("customer:process_dialog", args=[ticket.pk, internal.pk])
    assert client.get(internal_url).status_code == 404

    stranger = data.client_for(data.customer("stranger", company_=data.company("OTHER")))
    rate_url = reverse("customer:process_dialog", args=[ticket.pk, rate.pk])
    assert stranger.get(rate_url).status_code == 404

    response = client.post(rate_url, {"field_Satisfied": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    place.refresh_from_db()
    assert place.activity.name == "Rated"

    # The same dialog sent again from another tab: the ticket has moved on, so it is refused
    # with the reason (not a 404), and nothing is written.
    again = client.post(rate_url, {"field_Satisfied": "no"})
    assert again.status_code == 409
    assert "cannot be submitted any more" in again.content.decode()
    assert "Back to the ticket" in again.content.decode()
    assert ticket.history.filter(history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE).count() == 1

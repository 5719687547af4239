"""The SLA timeline through the API (issue 14 part 3): the same clocks the zoom shows, with
how they were computed, for agents who may read the ticket; 404 for everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.customer_portal import ticket_data
from tests.tickets.test_sla import answer, at, targets
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/sla/"


def test_it_gives_each_clock_with_its_due_time_status_and_periods(support):
    targets(support.queue, response=60, update=120, solution=600, notify=50)
    with time_machine.travel(MONDAY, tick=False) as clock:
        ticket = factories.ticket(support.queue)
        clock.move_to(at(0.25))
        article = answer(ticket, support.rw)
        clock.move_to(at(2.5))
        response = ApiClient(token_for(support.ro, "read")).get(url(ticket))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["source"] == "queue" and data["source_name"] == "Support"
    assert data["calendar_name"] == "Default" and data["time_zone"] == "UTC"
    assert data["calendar_error"] is None and data["paused_now"] is False
    clocks = {clock["kind"]: clock for clock in data["clocks"]}
    assert clocks["response"]["status"] == "met"
    assert clocks["response"]["met_at"] == "2026-03-02T10:15:00Z"
    assert clocks["update"]["status"] == "breached"
    assert clocks["update"]["anchor_article"] == article.pk
    assert clocks["update"]["due"] == "2026-03-02T12:15:00Z"
    assert clocks["update"]["remaining_seconds"] == -15 * 60
    assert clocks["solution"]["status"] == "running"
    assert clocks["solution"]["due"] == "2026-03-02T20:00:00Z"
    # The working time counted, period by period, so it can be checked by hand.
    assert clocks["solution"]["periods"] == [
        {"start": "2026-03-02T10:00:00Z", "end": "2026-03-02T12:30:00Z"}
    ]
    assert clocks["solution"]["counted_seconds"] == 150 * 60


def test_a_broken_calendar_is_said_instead_of_a_wrong_time(support):
    targets(support.queue, response=60, calendar="Gone")
    ticket = factories.ticket(support.queue)
    data = ApiClient(token_for(support.rw, "read")).get(url(ticket)).json()
    assert data["calendar_error"] == "The calendar “Gone” does not exist or is invalid."
    assert all(clock["due"] is None for clock in data["clocks"])


def test_outsiders_and_customers_get_404(support, settings):
    settings.API_CUSTOMER_ACCESS = True
    queue = ticket_data.portal_queue()
    targets(queue, response=60)
    ticket = ticket_data.ticket(queue, customer_user="api-sla-c1")
    # The customer may read the ticket itself, not its clocks (as the portal shows none).
    as_customer = ApiClient(token_for(ticket_data.customer("api-sla-c1"), "read"))
    assert as_customer.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert as_customer.get(url(ticket)).status_code == 404
    assert ApiClient(token_for(support.outsider, "read")).get(url(ticket)).status_code == 404
    missing = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    response = ApiClient(token_for(support.rw, "read")).get(f"/api/v1/tickets/{missing}/sla/")
    assert response.status_code == 404

"""The queue view, the search and the customer portal list sort states and priorities the
same way (issue 18): by the state's / priority's id, then the oldest first (as OTRS
TicketSearch sorts them), not by the name or level, which would disagree page by page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.customer_portal import ticket_data as portal
from tickets import actions
from tickets.choices import StateType
from tickets.models import Priority, State, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def wile(db):
    """The customer whose tickets they are."""
    return portal.customer("wile")


@pytest.fixture
def tickets(support, wile):
    """Nine tickets of one customer in the support queue, a day apart in age, over four
    states and six priorities. "awaiting customer" (an open state) and "0 minimal" are made
    last: their ids are the highest, their name and level the lowest, so an order by name
    or level would differ from one by id."""
    awaiting = State.objects.create(name="awaiting customer", state_type=StateType.OPEN)
    minimal = Priority.objects.create(name="0 minimal", level=0)
    states = ["new", "open", "pending reminder", awaiting.name]
    priorities = [*(factories.priority(level) for level in (1, 3, 5, 2, 4)), minimal]
    later = timezone.now() + timedelta(days=1)
    made = []
    for i in range(9):
        ticket = factories.ticket(
            support.queue,
            title=f"sorted {i}",
            customer_user="wile",
            priority=priorities[i % len(priorities)],
            created_at=timezone.now() - timedelta(days=20 - i),
        )
        state = factories.state(states[i % len(states)])
        if state.name == "pending reminder":
            actions.set_pending(ticket, state, later, actor=support.rw)
        elif state.name != "new":
            actions.set_state(ticket, state, actor=support.rw)
        made.append(ticket)
    return list(Ticket.objects.filter(pk__in=[t.pk for t in made]))


def expected(tickets, column: str, order: str) -> list[int]:
    key = lambda t: (getattr(t, column), t.created_at, t.pk)  # noqa: E731
    return [t.pk for t in sorted(tickets, key=key, reverse=order == "desc")]


def queue_view(client, sort: str, order: str) -> list[int]:
    answer = client.get(reverse("agent:queues"), {"sort": sort, "order": order})
    numbers = re.findall(r'<td class="num"><a href="/agent/tickets/(\d+)/">', answer.text)
    return [int(pk) for pk in numbers]


def search(client, sort: str, order: str) -> list[int]:
    answer = client.get(reverse("agent:search"), {"title": "sorted", "sort": sort, "order": order})
    return [ticket.pk for ticket in answer.context["results"].rows]


@pytest.mark.parametrize("sort", ["state", "priority"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_the_queue_view_and_the_search_agree(client, support, tickets, sort, order):
    client.force_login(support.rw)
    wanted = expected(tickets, f"{sort}_id", order)
    assert len({getattr(t, f"{sort}_id") for t in tickets}) >= 4

    assert queue_view(client, sort, order) == wanted
    assert search(client, sort, order) == wanted


def test_the_customer_portal_sorts_states_as_the_agent_does(client, support, wile, tickets):
    answer = portal.client_for(wile).get(
        reverse("customer:tickets"), {"sort": "state", "state": "all"}
    )
    listed = [row.ticket.pk for row in answer.context["rows"]]

    assert listed == expected(tickets, "state_id", "asc")
    client.force_login(support.rw)
    assert listed == queue_view(client, "state", "asc") == search(client, "state", "asc")

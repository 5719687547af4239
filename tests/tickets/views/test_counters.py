"""The live counters: the endpoint's numbers (each the size of the overview it stands for),
its cost, and the places of the pages that show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import actions, selectors


@pytest.fixture
def desk(support, django_capture_on_commit_callbacks, time_machine):
    """For the rw agent: one locked and watched, one new, one reminder reached, one
    escalated (the queue answers within 10 minutes, the ticket is an hour old), one closed.
    On a Tuesday at noon: escalation counts working hours, so an hour-old ticket made in the
    evening or at a weekend is not escalated yet."""
    time_machine.move_to(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    rw, system = support.rw, factories.system()
    old = timezone.now() - timedelta(hours=1)
    locked = factories.ticket(support.queue, title="locked one")
    actions.lock_ticket(locked, actor=rw)
    actions.watch_ticket(locked, actor=rw)
    reminder = factories.ticket(support.queue, title="reminder one")
    actions.set_pending(reminder, factories.state("pending reminder"), old, actor=system)
    support.queue.first_response_time = 10
    support.queue.save()
    # The escalation time is set by the event handlers, after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        escalated = factories.ticket(support.queue, title="escalated one", created_at=old)
    closed = factories.ticket(support.queue, title="closed one")
    actions.set_state(closed, factories.state("closed successful"), actor=rw)
    return escalated


def counters(client, user):
    client.force_login(user)
    response = client.get(reverse("agent:counters"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.json()


def test_each_counter_is_the_size_of_its_overview(client, support, desk):
    data = counters(client, support.rw)
    rw = support.rw
    assert selectors.escalated_tickets(rw).count() == 1
    assert data["totals"] == {
        "queues": 3,  # the locked, the reminder and the escalated (new) ticket
        "locked": selectors.locked_tickets(rw).count(),
        "watched": 1,
        "new": 2,  # the reminder was new before; the locked one is still new
        "reminders": 1,
        "escalated": 1,
        "notifications": 0,
    }
    assert data["totals"]["locked"] == 1
    assert data["totals"]["new"] == selectors.new_tickets(rw).count()
    assert data["queues"] == {str(support.queue.pk): 3}


def test_an_outsider_counts_nothing(client, support, desk):
    data = counters(client, support.outsider)
    assert set(data["totals"].values()) == {0}
    assert data["queues"] == {}


def test_it_costs_a_fixed_number_of_queries(client, support, desk, django_assert_num_queries):
    client.force_login(support.rw)
    for _n in range(5):
        factories.ticket(support.queue)
    # Pinned: session (read only: renewed at sign-in, then at most once a minute), user,
    # grants (2), the state ids (viewable twice, new, reminder: 4), the queue counts (the
    # maintained rows of the agent's queues, the other queues' ids, the agent's own tickets
    # there: 3) and one count per other number (5) The same whatever the number of tickets
    # and queues; and the unread in-app notifications (1).
    with django_assert_num_queries(17):
        assert client.get(reverse("agent:counters")).json()["totals"]["queues"] == 8


def test_it_answers_agents_only_and_get_only(client, support):
    response = client.get(reverse("agent:counters"))
    assert response.status_code == 302
    client.force_login(factories.customer())
    assert client.get(reverse("agent:counters")).status_code == 403
    client.force_login(support.rw)
    assert client.post(reverse("agent:counters")).status_code == 405


def test_pages_carry_the_places_the_counters_fill_without_a_query(client, support, desk):
    client.force_login(support.rw)
    page = client.get(reverse("agent:dashboard")).content.decode()
    assert f'data-counters-url="{reverse("agent:counters")}"' in page
    for key in ("queues", "locked", "watched"):
        assert f'data-counter="{key}" data-counter-zero="hide" hidden' in page
    for key in ("locked", "new", "reminders", "watched", "escalated"):
        assert f'<span class="widget-count" data-counter="{key}" hidden>' in page
    assert 'id="dashboard-widgets" data-refresh="60"' in page
    assert 'class="refresh-link" href="/agent/"' in page
    queues = client.get(reverse("agent:queues"), {"sort": "age", "page": 1}).content.decode()
    assert f'data-queue-count="{support.queue.pk}"' in queues
    assert 'id="queue-tickets" class="overview" aria-labelledby="queue-heading" data-refresh' in (
        queues
    )
    assert 'href="/agent/queues/?sort=age&amp;page=1">Refresh</a>' in queues

"""Query counts of the two measured calls (the brief's figures): a page of 50 tickets and a
ticket with 200 articles. Counts, not times, are asserted; they must not grow with the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.customer_portal import ticket_data

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

# Token look-up, the agent's grants (direct and by role), the queue filter's check (the
# search form), the capped count, the page. A site with custom fields adds one query for
# their values (the definitions come from the cache); a page holding tickets with a service or
# an SLA one each for those (priority and type come from the worker's master-data copy).
LIST_QUERIES = 6
# Token, ticket, grants (direct and by role) for the access check.
GET_QUERIES = 4
# Token, ticket, grants (two), the capped count, the articles, their attachments (one
# prefetch for the page).
ARTICLES_QUERIES = 7


def _count(client: ApiClient, url: str, data=None) -> int:
    client.get(url, data)  # warm the caches a running server has warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(queries)


def test_a_page_of_tickets_costs_the_same_for_5_and_50(support):
    api = ApiClient(token_for(support.ro))
    for _ in range(5):
        factories.ticket(support.queue)
    params = {"page_size": 50, "queue": support.queue.pk, "state_type": "open"}
    small = _count(api, "/api/v1/tickets/", params)
    for _ in range(45):
        factories.ticket(support.queue)
    full = _count(api, "/api/v1/tickets/", params)
    assert small == full == LIST_QUERIES


def test_a_ticket_with_200_articles(support):
    ticket = factories.ticket(support.queue)
    for index in range(199):
        ticket_data.article(
            ticket, visible=index % 2 == 0, files=[("f.txt", b"x")] if index < 20 else ()
        )
    api = ApiClient(token_for(support.ro))
    assert _count(api, f"/api/v1/tickets/{ticket.pk}/") == GET_QUERIES
    url = f"/api/v1/tickets/{ticket.pk}/articles/"
    assert _count(api, url, {"page_size": 200}) == ARTICLES_QUERIES
    assert len(api.get(url, {"page_size": 200}).json()["results"]) == 200

"""With 20 custom fields defined and set, the queue list, the search list and the zoom run a
constant number of queries, whatever the number of tickets or fields shown."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs.fields.actions import set_field_values
from tests import factories
from tests.customers import customer_user

from .helpers import define

pytestmark = pytest.mark.django_db

EVERYWHERE = {"zoom": "shown", "queue_list": "shown", "search_list": "shown"}


def twenty_fields():
    fields = []
    for n in range(20):
        kind = ("text", "dropdown", "integer", "date", "multiselect")[n % 5]
        options = ["a", "b", "c"] if kind in ("dropdown", "multiselect") else None
        fields.append(define(f"F{n}", kind, options=options, screens=EVERYWHERE, order=n))
    return fields


def values_for_kind(fields):
    sample = {
        "text": "x",
        "dropdown": "b",
        "integer": 7,
        "date": date(2030, 1, 1),
        "multiselect": ["a", "c"],
    }
    return {d.name: sample[d.field_type] for d in fields}


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_lists_and_zoom_stay_constant_with_twenty_fields(
    client, support, django_assert_max_num_queries
):
    fields = twenty_fields()
    values = values_for_kind(fields)
    support.rw.rows_per_page = 50
    support.rw.save()
    client.force_login(support.rw)

    def add_tickets(count):
        made = []
        for _ in range(count):
            ticket = factories.ticket(support.queue)
            set_field_values(ticket, values, actor=support.rw)
            made.append(ticket)
        return made

    first = add_tickets(2)
    queue_url = reverse("agent:queues") + f"?queue={support.queue.pk}"
    search_url = reverse("agent:search") + "?q=&df_F1=b"
    zoom_url = reverse("agent:zoom", args=[first[0].pk])
    for url in (queue_url, search_url, zoom_url):
        client.get(url)  # warm the caches (definitions)
    few = [queries(client, u) for u in (queue_url, search_url, zoom_url)]

    add_tickets(20)
    page = client.get(queue_url).content.decode()
    assert page.count('data-field="F') == 20  # every column shown
    assert page.count('<td class="custom-field">B</td>') >= 20
    many = [queries(client, u) for u in (queue_url, search_url, zoom_url)]

    assert few == many
    # The fields cost one query per page (their values), once the definitions are cached.
    with django_assert_max_num_queries(many[0]):
        client.get(queue_url)


def test_reference_columns_cost_one_query_per_target_kind(client, support):
    """Two reference fields to tickets and one to customer users as queue-list columns: each
    row points at other objects, yet the page's queries do not grow with the rows."""
    screens = {"queue_list": "shown", "zoom": "shown"}
    define("Parent", "reference", settings={"target": "ticket"}, screens=screens, order=1)
    define("Origin", "reference", settings={"target": "ticket"}, screens=screens, order=2)
    define("Contact", "reference", settings={"target": "customer_user"}, screens=screens, order=3)
    support.rw.rows_per_page = 50
    support.rw.save()
    client.force_login(support.rw)

    def add_tickets(count, start):
        for n in range(count):
            parent, origin = factories.ticket(support.queue), factories.ticket(support.queue)
            contact = customer_user(f"contact{start + n}", email=f"c{start + n}@example.org")
            ticket = factories.ticket(support.queue, title=f"Child {start + n}")
            set_field_values(
                ticket,
                {"Parent": parent.pk, "Origin": origin.pk, "Contact": contact.pk},
                actor=support.rw,
            )

    add_tickets(1, 0)
    queue_url = reverse("agent:queues") + f"?queue={support.queue.pk}"
    client.get(queue_url)  # warm the caches (definitions)
    few = queries(client, queue_url)
    add_tickets(10, 1)
    page = client.get(queue_url).content.decode()
    many = queries(client, queue_url)

    assert few == many
    cells = [cell.split("</td>")[0] for cell in page.split('<td class="custom-field">')[1:]]
    assert "contact7" in cells  # the customer user's login
    filled = [cell for cell in cells if cell]
    assert len(filled) == 33  # 11 children x 3 fields, every one resolved (not "#id")
    assert not [cell for cell in filled if cell.startswith("#")]

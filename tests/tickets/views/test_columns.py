"""Configurable columns of the ticket lists (issue 18, part 1): chosen and ordered by each
agent on the preferences page, custom fields included, kept per agent; a list's query
count stays the same whatever the columns and the page size."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.fields.helpers import define
from tickets import actions, columns
from tickets.agent_preferences import ColumnPreferences

pytestmark = pytest.mark.django_db


def headers(html: str) -> list[str]:
    head = html.split("<thead>")[1].split("</thead>")[0]
    # After the select box; the column's key is the first class (the sorted one has "sorted").
    return [c.split()[0] for c in re.findall(r'<th scope="col" class="([^"]+)"', head)[1:]]


def queue_url(queue) -> str:
    return reverse("agent:queues") + f"?queue={queue.pk}"


def choose(user, **per_overview):
    """Post the preferences section: keys per overview, in order (others as they are)."""
    available = [c.key for c in columns.available()]
    data = {}
    for overview in columns.OVERVIEWS:
        keys = per_overview.get(overview) or [c.key for c in columns.chosen(user, overview)]
        for index, key in enumerate(available):
            if key in keys:
                data[f"columns_{overview}_{index}"] = "on"
                data[f"columns_{overview}_{index}_position"] = str(keys.index(key) + 1)
    return ColumnPreferences(data, user=user)


def test_without_a_choice_the_lists_show_the_default_columns(client, support):
    factories.ticket(support.queue, title="Columns default")
    client.force_login(support.rw)
    page = client.get(queue_url(support.queue)).content.decode()
    assert headers(page) == list(columns.DEFAULT)


def test_an_agent_chooses_and_orders_columns_with_custom_fields(client, support):
    define("ColumnsProduct", "text", screens={"zoom": "shown"})
    ticket = factories.ticket(support.queue, title="Columns chosen", customer_id="colco")
    actions.set_field_values(ticket, {"ColumnsProduct": "Widget"}, actor=support.rw)
    section = choose(support.rw, queue=["title", "field:ColumnsProduct", "customer_id", "number"])
    assert section.is_valid(), section.errors
    section.save()
    client.force_login(support.rw)
    page = client.get(queue_url(support.queue)).content.decode()
    assert headers(page) == ["title", "custom-field", "customer_id", "number"]
    assert 'data-field="ColumnsProduct"' in page
    assert '<td class="custom-field">Widget</td>' in page
    assert "colco" in page
    # Another overview and another agent keep the default.
    assert headers(client.get(reverse("agent:status")).content.decode()) == list(columns.DEFAULT)
    client.force_login(support.ro)
    assert headers(client.get(queue_url(support.queue)).content.decode()) == list(columns.DEFAULT)


def test_a_list_needs_a_column_that_links_to_the_ticket(support):
    section = choose(support.rw, lists=["state", "priority"])
    assert not section.is_valid()
    assert "keep the ticket number or the title" in str(section.non_field_errors())


def test_the_preferences_page_saves_the_columns(client, support):
    client.force_login(support.rw)
    html = client.get(reverse("agent:preferences")).content.decode()
    assert "Columns of the ticket lists" in html
    data = {"rows_per_page": 25, "theme": "auto", "language": "", "time_zone": ""}
    data.update(choose(support.rw, search=["number", "changed"]).data)
    answer = client.post(reverse("agent:preferences"), data)
    assert answer.status_code == 302
    support.rw.refresh_from_db()
    assert support.rw.list_columns["search"] == ["number", "changed"]


def test_the_query_count_does_not_grow_with_rows_or_columns(client, support):
    define("ColumnsTopic", "text", screens={"zoom": "shown"})
    support.rw.rows_per_page = 50
    support.rw.save()
    client.force_login(support.rw)
    url = queue_url(support.queue)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    factories.ticket(support.queue)
    client.get(url)  # warm the caches
    default_few = count()
    for _n in range(8):
        ticket = factories.ticket(support.queue)
        actions.set_field_values(ticket, {"ColumnsTopic": "t"}, actor=support.rw)
    assert count() == default_few
    every = [c.key for c in columns.available()]
    section = choose(support.rw, queue=every)
    assert section.is_valid(), section.errors
    section.save()
    client.force_login(support.rw)
    client.get(url)
    # All columns, a custom field among them: one query more (its values), for any rows.
    assert count() <= default_few + 1

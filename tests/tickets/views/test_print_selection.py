"""Print a ticket with a chosen selection of articles (issue 18, part 6)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_print_page_prints_the_chosen_articles_and_history(client, support):
    ticket = factories.ticket(support.queue, title="Print first", body="First body")
    second = factories.note(ticket, actor=support.rw, body="Second body")
    client.force_login(support.rw)
    url = reverse("agent:print", args=[ticket.pk])
    everything = client.get(url).content.decode()
    assert "First body" in everything and "Second body" in everything
    assert 'name="article"' in everything and "What to print" in everything
    chosen = client.get(url, {"article": [second.pk], "history": ["0"]}).content.decode()
    assert "Second body" in chosen and "First body" not in chosen
    assert 'id="history"' not in chosen
    with_history = client.get(url, {"history": ["0", "1"]}).content.decode()
    assert "First body" in with_history and 'id="history"' in with_history


def test_others_cannot_print(client, support):
    ticket = factories.ticket(support.queue)
    client.force_login(support.outsider)
    assert client.get(reverse("agent:print", args=[ticket.pk])).status_code == 404

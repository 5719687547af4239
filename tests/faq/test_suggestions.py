"""Suggestions while a customer writes a new ticket ("did you know?", without JavaScript)
and the count of tickets they prevented."""

from __future__ import annotations

import pytest
from django.urls import reverse

from faq.choices import ItemState
from faq.models import FaqSettings
from tests.customer_portal import ticket_data as data
from tests.faq import category, fulltext_db, item
from tickets.models import Ticket

pytestmark = fulltext_db

CREATE = reverse("customer:ticket_create")
TEXT = {"title": "Printer jams", "body": "The printer on floor two jams in tray two every day."}


@pytest.fixture
def setup(db):
    queue = data.portal_queue("Portal")
    acme = data.company("ACME")
    customer = data.customer("wile", company_=acme)
    cat = category(customers_all=True)
    jam = item(
        cat,
        "Paper jams",
        state=ItemState.EXTERNAL,
        keywords="printer",
        solution="<p>Open tray two and fan the paper.</p>",
    )
    secret = item(
        cat,
        "Printer jams: internal workaround",
        state=ItemState.INTERNAL,
        solution="<p>Kick the printer in tray two.</p>",
    )
    return type("Setup", (), {"queue": queue, "customer": customer, "jam": jam, "secret": secret})


def test_it_offers_matching_items_before_the_ticket_is_made(setup):
    client = data.client_for(setup.customer)
    page = client.post(CREATE, TEXT).content.decode()
    assert "Paper jams" in page and 'name="faq_seen"' in page
    assert "internal workaround" not in page
    assert not Ticket.objects.exists()
    response = client.post(CREATE, {**TEXT, "faq_seen": "1"})
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_it_counts_a_ticket_prevented_once_and_uncounts_it_when_sent(setup):
    client = data.client_for(setup.customer)
    client.post(CREATE, TEXT)
    url = reverse("customer:faq_item", args=[setup.jam.pk]) + "?suggested=1"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert FaqSettings.load().prevented_tickets == 1
    client.post(CREATE, {**TEXT, "faq_seen": "1"})
    assert FaqSettings.load().prevented_tickets == 0


def test_it_makes_the_ticket_at_once_when_nothing_matches(setup):
    client = data.client_for(setup.customer)
    response = client.post(CREATE, {"title": "Invoice", "body": "Where is my invoice?"})
    assert response.status_code == 302 and Ticket.objects.count() == 1

"""The customer portal's ticket page shows only the fields configured for it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.fields.actions import set_field_values
from tests import factories
from tests.customer_portal import ticket_data as data

from .helpers import define

pytestmark = pytest.mark.django_db


def test_the_ticket_page_shows_only_fields_configured_for_customers(db):
    define("Product", "dropdown", options=["alpha"], screens={"customer_ticket": "shown"})
    define("InternalCost", "integer", screens={"zoom": "shown"})
    queue = data.portal_queue()
    login = data.customer()
    ticket = data.ticket(queue, customer_user=login.username)
    set_field_values(ticket, {"Product": "alpha", "InternalCost": 999}, actor=factories.system())

    page = data.client_for(login).get(reverse("customer:ticket", args=[ticket.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-field="Product"' in html and "Alpha" in html
    assert "InternalCost" not in html and "999" not in html

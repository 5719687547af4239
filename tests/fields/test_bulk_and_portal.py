"""Custom fields on the bulk action and the customer portal's new-ticket form: only the fields
configured for the screen, values through the action, history per ticket, bad values named."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from otrs.fields.models import FieldValue
from otrs.fields.selectors import values_for
from otrs.permissions import PermissionKey
from tests import factories
from tests.customer_portal import ticket_data as data
from tickets.choices import HistoryType
from tickets.models import Ticket, TicketHistory

from .helpers import define

pytestmark = pytest.mark.django_db

BULK = reverse("agent:bulk")
LIST = "/agent/queues/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bulk_fields(db):
    return {
        "product": define(
            "Product", "dropdown", options=["alpha", "beta"], order=1, screens={"bulk": "shown"}
        ),
        # Required elsewhere, but the bulk action never requires a field: empty = unchanged.
        "contract": define(
            "Contract",
            "text",
            settings={"regex": r"^C-\d+$", "regex_error": "Use C-digits."},
            order=2,
            screens={"bulk": "required"},
        ),
        "hidden": define("Secret", "text", order=3, screens={"zoom": "shown"}),
    }


def test_the_bulk_form_shows_the_fields_configured_for_it(support, bulk_fields):
    ticket = factories.ticket(support.queue)
    page = client_for(support.rw).post(BULK, {"ticket": [ticket.pk], "next": LIST})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="field_Product"' in html and 'name="field_Contract"' in html
    assert 'name="field_Secret"' not in html


def test_bulk_sets_fields_on_every_ticket_with_history_on_each(support, bulk_fields):
    first, second = factories.ticket(support.queue), factories.ticket(support.queue)
    response = client_for(support.rw).post(
        BULK,
        {
            "step": "apply",
            "next": LIST,
            "ticket": [first.pk, second.pk],
            "field_Product": "beta",
            "field_Contract": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 tickets changed."]
    values = values_for("ticket", [first, second], list(bulk_fields.values()))
    # The empty text field stayed unset (unchanged), the dropdown is set on both.
    assert values == {first.pk: {"Product": "beta"}, second.pk: {"Product": "beta"}}
    for ticket in (first, second):
        rows = TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
        )
        assert rows.count() == 1


def test_bulk_refuses_a_bad_value_naming_the_field_and_changes_nothing(support, bulk_fields):
    ticket = factories.ticket(support.queue)
    response = client_for(support.rw).post(
        BULK,
        {
            "step": "apply",
            "next": LIST,
            "ticket": [ticket.pk],
            "field_Product": "alpha",
            "field_Contract": "nope",
        },
    )
    assert response.status_code == 400
    assert "Use C-digits." in response.content.decode()
    assert not FieldValue.objects.exists()


def test_bulk_skips_a_ticket_the_agent_may_not_change(support, bulk_fields):
    reading = factories.group("reading")
    look_only = factories.queue("Reading", group_=reading)
    factories.grant(support.rw, reading, PermissionKey.RO)
    mine, theirs = factories.ticket(support.queue), factories.ticket(look_only)
    response = client_for(support.rw).post(
        BULK,
        {"step": "apply", "next": LIST, "ticket": [mine.pk, theirs.pk], "field_Product": "alpha"},
    )
    assert response.status_code == 302
    values = values_for("ticket", [mine, theirs], [bulk_fields["product"]])
    assert values == {mine.pk: {"Product": "alpha"}, theirs.pk: {}}


# --- the customer portal's new ticket -----------------------------------------------------------


@pytest.fixture
def portal_fields(db):
    return {
        "product": define(
            "Product",
            "dropdown",
            options=["alpha", "beta"],
            order=1,
            screens={"customer_new_ticket": "required"},
        ),
        "seats": define(
            "Seats",
            "integer",
            settings={"min": 1, "max": 10},
            order=2,
            screens={"customer_new_ticket": "shown"},
        ),
        "cost": define("InternalCost", "integer", order=3, screens={"phone_ticket": "shown"}),
    }


def _new_ticket(**extra) -> dict:
    return {"title": "Printer on fire", "body": "Please help.", **extra}


def test_the_portal_form_offers_only_the_fields_configured_for_it(portal_fields):
    data.portal_queue()
    login = data.customer()
    html = data.client_for(login).get(reverse("customer:ticket_create")).content.decode()
    assert 'name="field_Product"' in html and 'name="field_Seats"' in html
    assert "InternalCost" not in html


def test_a_customer_creates_a_ticket_with_field_values(portal_fields):
    data.portal_queue()
    login = data.customer()
    response = data.client_for(login).post(
        reverse("customer:ticket_create"),
        _new_ticket(field_Product="beta", field_Seats="3", field_InternalCost="999"),
    )
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get(title="Printer on fire")
    found = values_for("ticket", [ticket], list(portal_fields.values()))[ticket.pk]
    # A field not configured for the portal is not set, whatever is posted.
    assert found == {"Product": "beta", "Seats": 3}
    assert (
        TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    ("posted", "error_field"),
    [
        ({"field_Seats": "2"}, "field_Product"),  # required and missing
        ({"field_Product": "gamma"}, "field_Product"),  # not a possible value
        ({"field_Product": "alpha", "field_Seats": "99"}, "field_Seats"),  # out of range
    ],
)
def test_the_portal_refuses_bad_values_naming_the_field(portal_fields, posted, error_field):
    data.portal_queue()
    login = data.customer()
    response = data.client_for(login).post(reverse("customer:ticket_create"), _new_ticket(**posted))
    assert response.status_code == 400
    assert response.context["form"].errors[error_field]
    assert not Ticket.objects.filter(title="Printer on fire").exists()
    # What the customer wrote is still in the form.
    assert "Please help." in response.content.decode()

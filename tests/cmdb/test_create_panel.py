"""Affected configuration items on the new-ticket screens: the agent's phone and email
tickets offer the customer's CIs (as far as the agent sees them), the portal's new ticket
offers the customer's own; the chosen ones are linked to the ticket in its transaction."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmdb import actions
from cmdb.choices import LinkType
from cmdb.models import TicketLink
from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from tests import factories
from tests.cmdb import cmdb_group, make_ci
from tests.customer_portal import ticket_data as data
from tickets import create_panels
from tickets.choices import HistoryType
from tickets.models import State, Ticket, TicketHistory

pytestmark = pytest.mark.django_db

PHONE = reverse("agent:new_phone_ticket")
EMAIL = reverse("agent:new_email_ticket")
PORTAL = reverse("customer:ticket_create")


@pytest.fixture
def world(support, event_handlers):
    event_handlers.unsubscribe("otrs.mail.send_queued")
    acme, globex = data.company("CMDBPANEL-ACME"), data.company("CMDBPANEL-GLOBEX")
    alice = data.customer("cmdbpanel_alice", company_=acme, email="alice@cmdbpanel.test")
    bob = data.customer("cmdbpanel_bob", company_=globex)
    agent = factories.agent("cmdbpanel_agent")
    factories.grant(agent, support.group, PermissionKey.CREATE, PermissionKey.RO)
    factories.grant(agent, cmdb_group(), factories.RO)
    blind = factories.agent("cmdbpanel_blind")  # creates tickets, sees no CMDB class
    factories.grant(blind, support.group, PermissionKey.CREATE, PermissionKey.RO)
    laptop = make_ci("cmdbpanel-laptop", values={"CustomerID": acme.pk})
    owned = make_ci("cmdbpanel-phone", values={"Owner": alice.customer_profile.pk})
    server = make_ci("cmdbpanel-server", values={"CustomerID": globex.pk})
    return type(
        "World",
        (),
        {
            "support": support,
            "alice": alice,
            "bob": bob,
            "agent": agent,
            "blind": blind,
            "laptop": laptop,
            "owned": owned,
            "server": server,
        },
    )


def _phone(world, **overrides):
    values = {
        "customer": "cmdbpanel_alice",
        "queue": world.support.queue.pk,
        "title": "CMDB panel printer",
        "body": "It smokes.",
        "state": State.objects.get(name="open").pk,
        "priority": factories.priority(3).pk,
        "type": Ticket._meta.get_field("type").related_model.objects.get(is_default=True).pk,
    }
    values.update(overrides)
    return values


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_it_offers_the_customers_items_on_the_phone_ticket_screen(client, world):
    page = _signed_in(client, world.agent).get(PHONE + "?customer_user=cmdbpanel_alice")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Affected configuration items" in html
    assert "cmdbpanel-laptop" in html and "cmdbpanel-phone" in html
    assert "cmdbpanel-server" not in html


def test_it_asks_for_the_customer_first_and_updates_without_creating(client, world):
    client = _signed_in(client, world.agent)
    empty = client.get(PHONE).content.decode()
    assert "Affected configuration items" in empty and "cmdbpanel-laptop" not in empty

    response = client.post(
        PHONE, {"customer": "cmdbpanel_bob", create_panels.REFRESH: "1", "title": ""}
    )

    html = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "cmdbpanel-server" in html and "cmdbpanel-laptop" not in html
    assert "This field is required" not in html


def test_it_links_the_chosen_items_to_the_new_ticket(client, world):
    response = _signed_in(client, world.agent).post(
        PHONE, _phone(world, **{"cmdb-configitems": [world.laptop.pk, world.owned.pk]})
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    links = TicketLink.objects.filter(ticket=ticket).order_by("configitem_id")
    assert [(link.configitem, link.link_type) for link in links] == [
        (world.laptop, LinkType.RELEVANT_TO),
        (world.owned, LinkType.RELEVANT_TO),
    ]
    added = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.TICKET_LINK_ADD)
    assert added.count() == 2
    zoom = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "cmdbpanel-laptop" in zoom


def test_it_offers_the_items_by_the_to_address_on_the_email_ticket_screen(client, world):
    response = _signed_in(client, world.agent).post(
        EMAIL, {"to": "alice@cmdbpanel.test", create_panels.REFRESH: "1"}
    )

    html = response.content.decode()
    assert "cmdbpanel-laptop" in html and "cmdbpanel-server" not in html


def test_it_refuses_another_customers_item_and_creates_nothing(client, world):
    before = factories.snapshot()

    response = _signed_in(client, world.agent).post(
        PHONE, _phone(world, **{"cmdb-configitems": [world.server.pk]})
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert factories.snapshot() == before


def test_an_agent_without_cmdb_classes_gets_no_panel_and_links_nothing(client, world):
    client = _signed_in(client, world.blind)
    assert "Affected configuration items" not in client.get(PHONE).content.decode()

    client.post(PHONE, _phone(world, **{"cmdb-configitems": [world.laptop.pk]}))

    assert Ticket.objects.count() == 1 and not TicketLink.objects.exists()


def test_the_action_refuses_an_item_the_actor_cannot_see(world):
    ticket = data.ticket(world.support.queue, customer_user="cmdbpanel_alice")
    with pytest.raises(DomainError):
        actions.link_affected_configitems(ticket, [world.laptop], actor=world.blind)
    assert not TicketLink.objects.exists()


# --- the customer portal -----------------------------------------------------------------------


def _portal(queue, **overrides):
    values = {"title": "CMDB panel portal", "body": "Broken.", "queue": queue.pk, "faq_seen": "1"}
    values.update(overrides)
    return values


def test_the_portal_offers_only_the_customers_own_items_with_the_setting(settings, world):
    queue = data.portal_queue("CMDB panel portal")
    client = data.client_for(world.alice)
    settings.CMDB_CUSTOMER_PORTAL = False
    assert "cmdb-configitems" not in client.get(PORTAL).context["form"].fields

    settings.CMDB_CUSTOMER_PORTAL = True
    html = client.get(PORTAL).content.decode()
    assert "cmdbpanel-laptop" in html and "cmdbpanel-phone" in html
    assert "cmdbpanel-server" not in html

    response = client.post(PORTAL, _portal(queue, **{"cmdb-configitems": [world.laptop.pk]}))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert list(TicketLink.objects.filter(ticket=ticket).values_list("configitem", flat=True)) == [
        world.laptop.pk
    ]


def test_the_portal_refuses_another_companys_item(settings, world):
    settings.CMDB_CUSTOMER_PORTAL = True
    queue = data.portal_queue("CMDB panel portal 2")
    before = factories.snapshot()

    response = data.client_for(world.alice).post(
        PORTAL, _portal(queue, **{"cmdb-configitems": [world.server.pk]})
    )

    assert response.status_code == 400 and factories.snapshot() == before

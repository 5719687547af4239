"""The customer's own configuration items in the portal: only with the setting on, only
theirs (their company's, or theirs as owner), read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmdb import actions
from cmdb.choices import LinkType
from tests import factories
from tests.cmdb import make_ci
from tests.customer_portal import ticket_data as data

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_customers_own_items_when_the_setting_is_on(settings):
    acme, globex = data.company("ACME"), data.company("GLOBEX")
    alice = data.customer("alice", company_=acme)
    bob = data.customer("bob", company_=globex)
    make_ci("acme-laptop", values={"CustomerID": acme.pk})
    make_ci("globex-server", values={"CustomerID": globex.pk})
    url = reverse("customer:configitems")

    settings.CMDB_CUSTOMER_PORTAL = False
    assert data.client_for(alice).get(url).status_code == 404
    assert (
        "My configuration items"
        not in data.client_for(alice).get(reverse("customer:faq")).content.decode()
    )

    settings.CMDB_CUSTOMER_PORTAL = True
    page = data.client_for(alice).get(url).content.decode()
    assert "acme-laptop" in page and "globex-server" not in page
    assert "My configuration items" in page and "Operational" in page
    other = data.client_for(bob).get(url).content.decode()
    assert "globex-server" in other and "acme-laptop" not in other


def test_the_item_page_shows_the_customers_own_item_and_its_tickets_only(settings):
    settings.CMDB_CUSTOMER_PORTAL = True
    acme, globex = data.company("CIPAGE-ACME"), data.company("CIPAGE-GLOBEX")
    alice = data.customer("cipage_alice", company_=acme)
    bob = data.customer("cipage_bob", company_=globex)
    laptop = make_ci("cipage-laptop", values={"CustomerID": acme.pk, "Vendor": "CIPAGE vendor"})
    server = make_ci("cipage-server", values={"CustomerID": globex.pk})
    queue = data.portal_queue("CIPAGE queue")
    mine = data.ticket(queue, customer_user="cipage_alice", customer_id="CIPAGE-ACME")
    theirs = data.ticket(queue, customer_user="cipage_bob", customer_id="CIPAGE-GLOBEX")
    for ticket in (mine, theirs):
        actions.link_ticket(laptop, ticket.pk, LinkType.RELEVANT_TO, actor=factories.system())
    url = reverse("customer:configitem", args=[laptop.pk])

    listing = data.client_for(alice).get(reverse("customer:configitems")).content.decode()
    assert f'href="{url}"' in listing

    page = data.client_for(alice).get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "cipage-laptop" in html and "CIPAGE vendor" in html and laptop.number in html
    assert mine.number in html and theirs.number not in html

    assert data.client_for(bob).get(url).status_code == 404
    missing = reverse("customer:configitem", args=[server.pk + 1000])
    assert data.client_for(alice).get(missing).status_code == 404
    assert (
        data.client_for(alice).get(reverse("customer:configitem", args=[server.pk])).status_code
        == 404
    )
    settings.CMDB_CUSTOMER_PORTAL = False
    assert data.client_for(alice).get(url).status_code == 404

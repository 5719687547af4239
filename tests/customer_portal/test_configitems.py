"""The customer's own configuration items in the portal: only with the setting on, only
theirs (their company's, or theirs as owner), read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

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

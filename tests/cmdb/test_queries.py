"""The list and the CI page run a fixed number of queries, whatever they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb import actions
from cmdb.choices import LinkType
from tests import factories
from tests.cmdb import make_ci, personas

pytestmark = pytest.mark.django_db


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def grow(ci, n, support, start):
    system = factories.system()
    for i in range(start, start + n):
        other = make_ci(f"dep-{i}", "Software")
        actions.link_configitems(other, ci, LinkType.DEPENDS_ON, actor=system)
        actions.link_configitems(
            make_ci(f"sw-{i}", "Hardware"), other, LinkType.DEPENDS_ON, actor=system
        )
        ticket = factories.ticket(support.queue)
        actions.link_ticket(ci, ticket.pk, LinkType.RELEVANT_TO, actor=system)
        actions.set_deployment_state(ci, "Repair" if i % 2 else "Production", actor=system)


def test_the_ci_page_and_the_list_do_not_grow_with_their_rows(client, support):
    rw, _ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    ci = make_ci("server", values={"Vendor": "Acme", "NIC": "eth0", "NIC/IPAddress": "10.0.0.1"})
    grow(ci, 1, support, 1)  # with a state change: its history row reads state names
    client.force_login(rw)
    page = reverse("agent:cmdb_ci", args=[ci.pk])
    listing = reverse("agent:cmdb_list")
    # Warm the caches (the maintenance banner's windows are read once, then cached).
    client.get(page)
    small = count(client, page), count(client, listing)
    grow(ci, 4, support, 2)
    assert (count(client, page), count(client, listing)) == small

"""Screenshots of the CMDB screens in light and dark colour schemes, English and German,
375 px and 1400 px wide: overview, list, CI page, its links page, add form, diff, definition
editor, the attribute form and the ticket zoom's CI panel.
Each page is checked (one heading, named fields, no template source) and its language
asserted. Files: test-artifacts/cmdb-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmdb import actions
from cmdb.choices import LinkType
from tests import factories
from tests.cmdb import ci_class, make_ci, personas
from tests.missing import import_or_missing

from .conftest import ARTIFACTS, TIMEOUT_MS
from .test_agent_portal import PASSWORD, check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (375, 1400)


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_cmdb_screens_in_both_schemes_and_languages(
    browser, live_server, support, scheme, language
):
    rw, _ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    rw.set_password(PASSWORD)
    rw.language = "" if language == "en" else language
    rw.save()
    system = factories.system()
    server = make_ci(
        "db-01",
        values={"Vendor": "Dell", "NIC": "eth0", "NIC/IPAddress": "10.0.0.12", "FQDN": "db-01"},
    )
    shop = make_ci("Shop application", "Software")
    switch = make_ci("core-switch", "Hardware")
    room = make_ci("Server room", "Location")
    actions.link_configitems(shop, server, LinkType.DEPENDS_ON, actor=system)
    actions.link_configitems(server, switch, LinkType.DEPENDS_ON, actor=system)
    actions.link_configitems(room, server, LinkType.INCLUDES, actor=system)
    ticket = factories.ticket(support.queue, title="Shop is slow")
    actions.link_ticket(server, ticket.pk, LinkType.RELEVANT_TO, actor=system)
    actions.set_incident_state(switch, "Incident", actor=system)
    screens = {
        "overview": "/agent/cmdb/",
        "list": "/agent/cmdb/items/",
        "ci": f"/agent/cmdb/items/{server.pk}/",
        "links": f"/agent/cmdb/items/{server.pk}/links/",
        "add": f"/agent/cmdb/classes/{ci_class().pk}/new/",
        "diff": f"/agent/cmdb/items/{server.pk}/diff/",
        "definition": f"/agent/cmdb/classes/{ci_class('Software').pk}/definition/",
        "attribute-add": reverse("agent:cmdb_attribute_add", args=[ci_class("Software").pk]),
        "ticket-panel": f"/agent/tickets/{ticket.pk}/",
    }
    context = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900},
        locale="en-US",
        color_scheme=scheme,
        base_url=live_server.url,
        java_script_enabled=False,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, rw.username)
        for name, url in screens.items():
            page.set_viewport_size({"width": WIDTHS[-1], "height": 900})
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            expect(page.locator("html")).to_have_attribute("lang", language)
            check_page(page)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(ARTIFACTS / f"cmdb-{name}-{scheme}-{language}-{width}.png"),
                    full_page=True,
                )
    finally:
        context.close()

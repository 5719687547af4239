"""The configuration items panel on the ticket zoom: link a CI and remove the link from the
zoom, and refresh the panel after a CI changed elsewhere. With JavaScript the panel alone is
swapped (the page is not reloaded: a marker set on the window survives); without it each
button loads the whole zoom, which shows the same."""

from __future__ import annotations

import pytest

from cmdb import actions
from cmdb.choices import LinkType
from cmdb.models import TicketLink
from tests import factories
from tests.cmdb import make_ci, personas
from tests.missing import import_or_missing

from .test_agent_portal import PASSWORD, check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_ticket_zoom_panel_links_unlinks_and_refreshes(page, support, js_mode, screenshot):
    rw, _ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    rw.set_password(PASSWORD)
    rw.save()
    system = factories.system()
    router = make_ci("panel-router", "Hardware")
    switch = make_ci("panel-switch", "Hardware")
    actions.link_configitems(router, switch, LinkType.DEPENDS_ON, actor=system)
    ticket = factories.ticket(support.queue, title="Panel walk")

    sign_in(page, rw.username)
    page.goto(f"/agent/tickets/{ticket.pk}/")
    check_page(page)
    panel = page.locator("#zoom-cis")
    expect(panel).to_contain_text("No configuration item is linked")
    if js_mode == "js":
        page.evaluate("window.panelMarker = 'kept'")

    panel.get_by_label("Configuration item (number or name)").fill("nothing-like-this")
    panel.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("No such configuration item")

    panel.get_by_label("Configuration item (number or name)").fill("panel-router")
    panel.get_by_role("button", name="Link", exact=True).click()
    expect(panel.locator(".linked-cis")).to_contain_text("panel-router")
    expect(panel.locator(".linked-cis")).to_contain_text("Operational")
    assert TicketLink.objects.filter(ticket=ticket, configitem=router).exists()
    screenshot(page, "linked")

    # An incident on what the router depends on, raised elsewhere: Refresh shows the warning.
    actions.set_incident_state(switch, "Incident", actor=system)
    expect(panel.locator(".linked-cis")).to_contain_text("Operational")
    panel.get_by_role("link", name="Refresh").click()
    expect(panel.locator(".linked-cis")).to_contain_text("Warning")
    screenshot(page, "refreshed")

    panel.get_by_role("button", name="Remove link panel-router").click()
    expect(panel).to_contain_text("No configuration item is linked")
    assert not TicketLink.objects.filter(ticket=ticket).exists()
    if js_mode == "js":
        assert page.evaluate("window.panelMarker") == "kept"

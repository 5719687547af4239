"""The CMDB in a real browser with JavaScript off: create a CI, link it to a ticket and to a
CI that depends on it, raise an incident, see the warning on the dependent CI and the
incident on the ticket."""

from __future__ import annotations

import pytest

from cmdb.models import ConfigItem
from tests import factories
from tests.cmdb import make_ci, personas
from tests.missing import import_or_missing

from .test_agent_portal import PASSWORD, check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("js_mode", ["nojs"])
def test_the_cmdb_walk_without_javascript(page, support, screenshot):
    rw, _ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    rw.set_password(PASSWORD)
    rw.save()
    shop = make_ci("shop-app", "Software")
    ticket = factories.ticket(support.queue, title="Shop is slow")

    sign_in(page, rw.username)
    page.get_by_role("link", name="CMDB", exact=True).click()
    check_page(page)
    screenshot(page, "overview")
    page.get_by_role("link", name="Add Computer").click()
    check_page(page)
    page.locator("#id_name").fill("db-07")
    page.get_by_label("Type").select_option("Server")
    page.get_by_label("Vendor", exact=True).fill("Dell")
    screenshot(page, "add")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("created")
    check_page(page)
    db = ConfigItem.objects.get(name="db-07")

    # the shop depends on the new CI: link from this end ("required for")
    page.get_by_label("db-07 …").select_option("-DependsOn")
    page.get_by_label("Configuration item (number or name)").fill("shop-app")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator("#links")).to_contain_text("shop-app")
    # and the ticket is relevant to it
    page.get_by_label("Ticket number").fill(ticket.number)
    page.get_by_role("button", name="Link ticket").click()
    expect(page.locator("#tickets")).to_contain_text(ticket.number)

    # raise the incident through the edit form
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Incident state").select_option(label="Incident")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Incident")
    screenshot(page, "ci-in-incident")

    page.goto(f"/agent/cmdb/items/{shop.pk}/")
    expect(page.locator("h1")).to_contain_text("Warning")
    expect(page.locator("#links")).to_contain_text("db-07")
    screenshot(page, "dependent-warning")

    page.goto(f"/agent/tickets/{ticket.pk}/")
    panel = page.locator(".zoom-cis")
    expect(panel).to_contain_text("db-07")
    expect(panel).to_contain_text("Incident")
    screenshot(page, "ticket-zoom")
    assert db.ticket_links.count() == 1

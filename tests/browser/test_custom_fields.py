"""Custom fields in a real browser with JavaScript off: an agent sets fields on the
free-fields screen and finds the ticket by one of them in the search. Screenshots of the
free-fields screen (wide and narrow) go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fields.helpers import define
from tests.missing import import_or_missing

from .test_agent_portal import check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

# Committed rows for the live server, restored afterwards (see test_agent_portal).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_agent_sets_free_fields_and_finds_the_ticket_by_one(page, js_mode, support, screenshot):
    if js_mode == "js":
        pytest.skip("the free-fields flow is the no-JavaScript one; agent.js adds nothing here")
    define(
        "Product",
        "dropdown",
        options=["alpha", "beta"],
        screens={"free_fields": "shown", "zoom": "shown", "search_list": "shown"},
    )
    define("Contract", "text", screens={"free_fields": "shown", "zoom": "shown"})
    ticket = factories.ticket(support.queue, title="Laptop broken")
    other = factories.ticket(support.queue, title="Mouse broken")

    sign_in(page, support.rw.username)
    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_text("Miscellaneous", exact=True).click()  # the zoom's menu of such actions
    page.get_by_role("link", name="Free fields").click()
    check_page(page)
    page.get_by_label("Title").fill("Laptop screen broken")
    page.get_by_label("Product").select_option("beta")
    page.get_by_label("Contract").fill("C-42")
    screenshot(page, "free-fields-wide")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "free-fields-narrow")
    page.set_viewport_size({"width": 1400, "height": 800})
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".zoom-title")).to_contain_text("Laptop screen broken")
    expect(page.locator('[data-field="Product"]')).to_contain_text("Beta")
    expect(page.locator('[data-field="Contract"]')).to_contain_text("C-42")
    screenshot(page, "zoom-with-fields")

    page.goto("/agent/search/")
    check_page(page)
    form = page.locator("form.search-form")
    form.get_by_text("More criteria").click()
    form.get_by_role("checkbox", name="Beta").check()
    form.get_by_role("button", name="Search").click()
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name=ticket.number)).to_be_visible()
    expect(results.get_by_role("link", name=other.number)).to_have_count(0)
    screenshot(page, "search-by-field")

"""The agent portal's navigation in a real browser, with JavaScript on and off: the menu the
apps declare, the current entry, and (with JavaScript) "g" then an entry's letter."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_agent_portal import check_page, press_keys, sign_in
from tests.missing import import_or_missing

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_it_moves_between_the_views_through_the_menu(page, support, js_mode):
    sign_in(page, support.rw.username)
    expect(page).to_have_url(re.compile(r"/agent/$"))
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_text(
        [
            "Dashboard",
            "Queues",
            "Status",
            "Locked",
            "Watched",
            "Responsible",
            "Customers",
            "FAQ",
            "CMDB",
        ]
    )
    # The two new-ticket screens share a drop-down (a <details>: it opens without JavaScript).
    main.get_by_text("New ticket", exact=True).click()
    expect(main.get_by_role("link", name="New phone ticket")).to_be_visible()
    expect(main.get_by_role("link", name="New email ticket")).to_be_visible()
    main.get_by_text("New ticket", exact=True).click()

    main.get_by_role("link", name="Customers").click()
    expect(page).to_have_url(re.compile(r"/agent/customers/users/$"))
    expect(main.get_by_role("link", name="Customers")).to_have_attribute("aria-current", "page")
    check_page(page)

    if js_mode == "js":
        press_keys(page, "g", "l")
        expect(page).to_have_url(re.compile(r"/agent/locked/$"))
        expect(main.get_by_role("link", name="Locked")).to_have_attribute("aria-current", "page")
    else:
        main.get_by_role("link", name="Locked").click()
        expect(page).to_have_url(re.compile(r"/agent/locked/$"))
    check_page(page)

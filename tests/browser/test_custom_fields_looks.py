"""Screenshots of the custom-field screens in light and dark colour schemes, English and
German, narrow (375 px) and wide (1400 px): the agent's free-fields screen and the admin's
field editor. Each page is also checked (one heading, named fields, no template source) and
its language asserted. Files: test-artifacts/custom-fields-<screen>-<scheme>-<lang>-<width>.png.
"""

from __future__ import annotations

import pytest

from customers import actions as customer_actions
from otrs.fields.actions import set_field_values
from tests import factories
from tests.customers import customer_user
from tests.fields.helpers import define
from tests.missing import import_or_missing

from .conftest import ARTIFACTS, TIMEOUT_MS
from .test_agent_portal import check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (375, 1400)


@pytest.mark.parametrize(
    ("scheme", "language"), [("light", "en"), ("dark", "de"), ("dark", "en"), ("light", "de")]
)
def test_custom_field_screens_in_both_schemes_and_languages(
    browser, live_server, support, scheme, language
):
    product = define(
        "Product",
        "dropdown",
        options=["alpha", "beta"],
        label="Product",
        labels={"de": "Produkt"},
        screens={"free_fields": "required", "zoom": "shown"},
    )
    define("Contract", "text", labels={"de": "Vertrag"}, screens={"free_fields": "shown"})
    # An article field (shown under its article in the zoom, required on the note form) and
    # a customer user field with history (the Customer Information Center).
    define(
        "CallReason",
        "dropdown",
        object_type="article",
        options=["billing", "outage"],
        labels={"de": "Anrufgrund"},
        screens={"note": "required", "zoom": "shown"},
    )
    define(
        "ContractLevel",
        "dropdown",
        object_type="customer_user",
        options=["bronze", "gold"],
        labels={"de": "Vertragsstufe"},
        screens={"customer_user_edit": "shown"},
    )
    ticket = factories.ticket(support.queue, title="Laptop broken")
    agent = support.rw
    agent.language = "" if language == "en" else language
    agent.is_staff = agent.is_superuser = True
    agent.save()
    note = factories.note(ticket, actor=agent, body="Customer called about the invoice.")
    set_field_values(note, {"CallReason": "billing"}, actor=agent)
    gina = customer_user("gina")
    profile = customer_actions.CustomerUserInput(login="gina", email="gina@example.com")
    for level in ("bronze", "gold"):
        customer_actions.update_customer_user(
            gina, profile, actor=factories.system(), field_values={"ContractLevel": level}
        )

    context = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900},
        # The sign-in page follows the browser; after it, the agent's own language applies.
        locale="en-US",
        color_scheme=scheme,
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, agent.username)
        screens = {
            "free-fields": f"/agent/tickets/{ticket.pk}/free-fields/",
            "field-editor": f"/admin/fields/fielddefinition/{product.pk}/change/",
            "note-form": f"/agent/tickets/{ticket.pk}/note/",
            "zoom-article-fields": f"/agent/tickets/{ticket.pk}/",
            "customer-history": f"/agent/customers/users/{gina.pk}/",
        }
        for name, url in screens.items():
            page.set_viewport_size({"width": WIDTHS[-1], "height": 900})
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            expect(page.locator("html")).to_have_attribute("lang", language)
            if name == "free-fields":
                check_page(page)
                expect(
                    page.get_by_label("Produkt" if language == "de" else "Product")
                ).to_be_visible()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                if name == "field-editor":
                    # The possible-value table keeps inside the page (it scrolls in its box
                    # on a phone), and the page itself does not get wider than the window.
                    box = page.locator("#possible_values-group").bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width + 1, box
                    if width == WIDTHS[-1]:
                        scroll = page.evaluate("document.documentElement.scrollWidth")
                        assert scroll <= width, scroll
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(ARTIFACTS / f"custom-fields-{name}-{scheme}-{language}-{width}.png"),
                    full_page=True,
                )
    finally:
        context.close()

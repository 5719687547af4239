"""The customer portal follows the system's colour scheme (issue 18): in the dark scheme the
page, its panels, fields and buttons turn dark with light text that keeps its contrast, in
the light scheme nothing changes. Screenshots of the ticket list and a ticket, light and dark,
English and German, at 375 and 1,600 px go to test-artifacts/
(customer-theme-<page>-<scheme>-<lang>-<width>.png)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, new_context, shoot_widths
from tests.browser.test_customer_portal import TITLE, portal, sign_in  # noqa: F401 - a fixture
from tickets import actions
from tickets.choices import Channel, SenderType

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# (red, green, blue) of a computed CSS colour.
RGB = """(args) => { const [selector, property] = args;
    const value = getComputedStyle(document.querySelector(selector))[property];
    return value.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number); }"""


def luminance(rgb) -> float:
    """WCAG relative luminance."""
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("de", "dark")])
def test_the_portal_follows_the_systems_colour_scheme(
    browser,
    live_server,
    portal,  # noqa: F811 - the imported fixture
    language,
    scheme,
):
    user = portal.customer.user
    user.language = language
    user.save()
    ticket = actions.create_web_ticket(
        title=TITLE,
        queue=portal.support.queue,
        article=actions.ArticleInput(
            channel=Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            subject=TITLE,
            body="The skates overheat.",
        ),
        actor=user,
    )
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            subject="Cooling kit",
            body="A cooling kit is on its way.",
        ),
        actor=portal.support.rw,
    )
    context = new_context(browser, live_server, scheme=scheme, width=1600)
    page = context.new_page()
    sign_in(page)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, url in (
        ("list", "/customer/tickets/"),
        ("ticket", f"/customer/tickets/{ticket.pk}/"),
    ):
        page.goto(url)
        shoot_widths(page, f"customer-theme-{name}-{scheme}-{language}", widths=[375, 1600])
        body = page.evaluate(RGB, ["body", "backgroundColor"])
        text = page.evaluate(RGB, ["body", "color"])
        assert (luminance(body) < 0.05) == (scheme == "dark"), f"{name}: page {body}"
        assert contrast(body, text) >= 7, f"{name}: text {text} on {body}"
        if page.locator("main a:not([class])").count():  # a plain link, not a button
            link = page.evaluate(RGB, ["main a:not([class])", "color"])
            assert contrast(body, link) >= 4.5, f"{name}: link {link} on {body}"
        if page.locator(".panel").count():
            panel = page.evaluate(RGB, [".panel", "backgroundColor"])
            assert (luminance(panel) < 0.05) == (scheme == "dark"), f"{name}: panel {panel}"
            assert contrast(panel, text) >= 7
    # A form field and the primary button keep readable text in both schemes.
    page.goto("/customer/tickets/new/")
    field = page.locator("textarea, input[type=text]").first
    field_bg = field.evaluate("(el) => getComputedStyle(el).backgroundColor")
    field_text = field.evaluate("(el) => getComputedStyle(el).color")
    values = [list(map(float, re.findall(r"\d+(?:\.\d+)?", v)[:3])) for v in (field_bg, field_text)]
    assert contrast(*values) >= 7, f"field: {field_text} on {field_bg}"
    button = page.locator(".button-primary").first
    colours = button.evaluate(
        "(el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    values = [list(map(float, re.findall(r"\d+(?:\.\d+)?", v)[:3])) for v in colours]
    assert contrast(*values) >= 4.5, f"button: {colours}"
    shoot_widths(page, f"customer-theme-new-{scheme}-{language}", widths=[375, 1600])
    context.close()

"""Split, bounce, print selection and the list columns in a real browser (issue 18, parts
1 and 6), without JavaScript: split an article into a child ticket, then screenshots of the
new screens at 375 and 1,400 px, light/English and dark/German
(test-artifacts/agent-zoomtools-*)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.permissions import PermissionKey
from tests import factories
from tests.browser.conftest import ARTIFACTS, new_context
from tests.browser.test_agent_portal import check_page, sign_in
from tests.missing import import_or_missing
from tickets import columns
from tickets.models import InboundSource, SystemAddress, Ticket, TicketLink
from tickets.postmaster.intake import receive

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RAW = (
    b"From: Zoomtools Sender <zoomtools-sender@example.org>\r\n"
    b"To: zoomtools-desk@example.test\r\n"
    b"Subject: Zoomtools two problems\r\n"
    b"Message-ID: <zoomtools-original@example.org>\r\n"
    b"\r\n"
    b"The printer jams and the scanner is slow.\r\n"
)


@pytest.fixture
def desk(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="zoomtools-desk@example.test", display_name="Zoomtools Desk", queue=support.queue
    )
    support.queue.save()
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    receive(RAW, source=InboundSource.PIPE)
    ticket = Ticket.objects.get(title="Zoomtools two problems")
    factories.note(ticket, actor=support.rw, body="Zoomtools: called the customer.")
    return type("Desk", (), {"ticket": ticket, "agent": support.rw})


def test_split_an_article_without_javascript(browser, live_server, desk):
    context = new_context(browser, live_server, js=False)
    try:
        page = context.new_page()
        sign_in(page, desk.agent.username)
        page.goto(reverse("agent:zoom", args=[desk.ticket.pk]))
        page.locator('[data-article-action="split"]').first.click()
        check_page(page)
        expect(page.get_by_label("Title")).to_have_value("Zoomtools two problems")
        page.get_by_label("Title").fill("Zoomtools scanner")
        page.get_by_role("button", name="Create ticket").click()
        expect(page.locator(".messages")).to_contain_text("linked as a child")
        child = Ticket.objects.get(title="Zoomtools scanner")
        assert TicketLink.objects.filter(source=desk.ticket, target=child).exists()
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1400])
@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("de", "dark")])
def test_screenshots_of_the_zoom_tools(browser, live_server, desk, width, language, scheme):
    agent = desk.agent
    agent.language = language
    agent.list_columns = {columns.QUEUE: ["title", "customer_id", "changed", "number"]}
    agent.save()
    ticket = desk.ticket
    mail = ticket.articles.order_by("pk").first()
    context = new_context(browser, live_server, width=width, scheme=scheme)
    try:
        page = context.new_page()
        sign_in(page, agent.username)
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"{width}-{language}-{scheme}"
        for screen, url in (
            ("split", reverse("agent:split", args=[ticket.pk, mail.pk])),
            ("bounce", reverse("agent:bounce", args=[ticket.pk, mail.pk])),
            ("print", reverse("agent:print", args=[ticket.pk])),
            ("queue", reverse("agent:queues") + f"?queue={ticket.queue_id}"),
            ("preferences", reverse("agent:preferences")),
        ):
            page.goto(url)
            check_page(page)
            if screen == "preferences":
                page.locator(".column-overview summary").first.click()
            page.screenshot(
                path=str(ARTIFACTS / f"agent-zoomtools-{screen}-{name}.png"), full_page=True
            )
            assert page.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth"
            ), f"horizontal scroll on {screen} at {width} px"
    finally:
        context.close()

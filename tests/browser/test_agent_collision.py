"""Collision detection, live counters and the shortcut help in a real browser (issue 18).

One journey with two agents in two browser contexts: one reads the ticket, the other opens
the composer; the reader sees the writer appear (the zoom polls its presence), answers
meanwhile, and the writer is warned before sending, refused on sending (an edit conflict
that shows the change) and sends anyway. Then screenshots of the changed screens at 375 and
1,400 px, light/English and dark/German (test-artifacts/agent-collision-*).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.browser.conftest import ARTIFACTS, new_context
from tests.browser.test_agent_portal import sign_in
from tests.missing import import_or_missing
from tickets import actions, presence
from tickets.models import SystemAddress

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def desk(support, settings):
    # Short presence, so the pages renew it every 2 s (waiting for it is no timed assertion:
    # the expectations below wait until it shows).
    settings.TICKET_PRESENCE_SECONDS = 6
    support.queue.system_address = SystemAddress.objects.create(
        email="support@example.test", display_name="Example Support", queue=support.queue
    )
    support.queue.save()
    reader = factories.refetch(support.rw)
    reader.first_name, reader.last_name = "Rita", "Reader"
    reader.save()
    writer = factories.agent("writer", first_name="Walt", last_name="Writer")
    factories.grant(writer, support.group, factories.RW)
    ticket = factories.ticket(support.queue, customer_user="carol@example.com")
    actions.watch_ticket(ticket, actor=reader)
    return type("Desk", (), {"reader": reader, "writer": writer, "ticket": ticket})


def test_two_agents_on_one_ticket(browser, live_server, desk):
    ticket = desk.ticket
    zoom = reverse("agent:zoom", args=[ticket.pk])
    reply = reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk])
    reading, writing = new_context(browser, live_server), new_context(browser, live_server)
    try:
        reader = reading.new_page()
        sign_in(reader, desk.reader.username)
        reader.goto(zoom)
        expect(reader.locator(".presence-others")).to_have_count(0)
        # The watched counter is filled by the counters endpoint.
        expect(reader.locator('[data-nav="watched"] + .nav-count')).to_have_text("1")

        writer = writing.new_page()
        sign_in(writer, desk.writer.username)
        writer.goto(reply)
        expect(writer.locator(".presence-others")).to_contain_text(
            "Rita Reader is viewing this ticket."
        )
        # The reader's zoom learns of the writer without a reload.
        expect(reader.locator(".presence-others")).to_contain_text(
            "Walt Writer is writing a reply."
        )

        # The reader adds a note meanwhile: the writer is warned before sending.
        actions.add_article(
            ticket,
            actions.ArticleInput(body="Called the customer.", subject="Call"),
            actor=desk.reader,
        )
        expect(writer.locator(".presence-changed")).to_contain_text("Rita Reader")
        writer.get_by_label("Text").fill("Please switch it off.")
        writer.get_by_role("button", name="Send").click()
        expect(writer.locator(".notice[role=alert]").first).to_contain_text(
            "Changed by others since you opened this form:"
        )
        expect(writer.get_by_label("Text")).to_have_value("Please switch it off.")
        writer.get_by_role("button", name="Send").click()
        expect(writer.locator(".messages")).to_contain_text("The email is queued for sending.")

        # "?" shows the shortcuts, with the zoom's own (Note: n).
        reader.goto(zoom)
        reader.keyboard.press("?")
        dialog = reader.locator("#shortcut-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator('[data-shortcut-entry="queues"]')).to_contain_text("Queues")
        expect(dialog.locator("[data-page-shortcuts]")).to_contain_text("Note")
        reader.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    finally:
        reading.close()
        writing.close()


@pytest.mark.parametrize("width", [375, 1400])
@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("de", "dark")])
def test_screenshots_of_the_changed_screens(
    browser, live_server, desk, settings, width, language, scheme
):
    settings.TICKET_PRESENCE_SECONDS = 600  # the writer stays while the pages load
    desk.reader.language = language
    desk.reader.save()
    ticket = desk.ticket
    presence.note(ticket.pk, desk.writer, presence.WRITING)
    context = new_context(browser, live_server, width=width, scheme=scheme)
    try:
        page = context.new_page()
        sign_in(page, desk.reader.username)
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"{width}-{language}-{scheme}"
        page.goto(reverse("agent:zoom", args=[ticket.pk]))
        expect(page.locator(".presence-others")).to_be_visible()
        expect(page.locator('[data-nav="watched"] + .nav-count')).to_have_text("1")
        page.screenshot(path=str(ARTIFACTS / f"agent-collision-zoom-{name}.png"), full_page=True)
        page.keyboard.press("?")
        expect(page.locator("#shortcut-dialog")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"agent-collision-shortcuts-{name}.png"))
        page.goto(reverse("agent:dashboard"))
        expect(page.locator('.widget-count[data-counter="watched"]')).to_have_text("1")
        page.screenshot(
            path=str(ARTIFACTS / f"agent-collision-dashboard-{name}.png"), full_page=True
        )
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(reverse("agent:preferences"))
        page.locator(".shortcut-preferences").screenshot(
            path=str(ARTIFACTS / f"agent-collision-preferences-{name}.png")
        )
    finally:
        context.close()

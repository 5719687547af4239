"""With JavaScript on, the note screen's FAQ box lists matching items while the agent types
(the text, then a search), and its "Insert" button is the same submit as without JavaScript:
the item's text lands under what was typed and the ticket's history records it."""

from __future__ import annotations

import re

import pytest

from faq.choices import InsertFormat
from faq.models import FaqSettings
from tests import factories
from tests.faq import category, item
from tests.missing import import_or_missing
from tickets.history import describe
from tickets.models import TicketHistory

from .conftest import ARTIFACTS, TIMEOUT_MS
from .test_agent_portal import PASSWORD, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_note_screen_suggests_while_typing_and_inserts(browser, live_server, support):
    FaqSettings.objects.update_or_create(pk=1, defaults={"insert_format": InsertFormat.TEXT})
    agent = support.rw
    agent.set_password(PASSWORD)
    agent.save()
    shelf = category("Livesuggest printing")
    toner = item(shelf, "Livesuggest toner smears", solution="<p>Shake the cartridge.</p>")
    ticket = factories.ticket(support.queue, title="Livesuggest printer")

    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="en-US", base_url=live_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, agent.username)
        page.goto(f"/agent/tickets/{ticket.pk}/note/")
        page.locator("textarea[name=body]").fill("The printer smears toner on every page.")
        hits = page.locator(".faq-insert-hits li")
        expect(hits).to_have_count(1)
        expect(hits.first).to_contain_text("Livesuggest toner smears")
        page.locator("#composer-faq-q").fill("nothing-matches-this")
        expect(page.locator(".faq-insert-hits")).to_be_hidden()
        page.locator("#composer-faq-q").fill("livesuggest")
        expect(hits).to_have_count(1)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "faq-live-suggestions.png"), full_page=True)

        page.locator(f"button[name=faq_insert][value='{toner.pk}']").click()

        expect(page.locator("textarea[name=body]")).to_have_value(
            re.compile(r"^The printer smears toner on every page\.\n\n> Livesuggest")
        )
    finally:
        context.close()
    texts = [text for _row, text in describe(TicketHistory.objects.filter(ticket=ticket))]
    assert f"FAQ item {toner.number} inserted into the answer." in texts

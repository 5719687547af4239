"""Enter in a text field of the note screen, whose FAQ box has its own "Search" button
before the note's "Add note": with JavaScript off, Enter in the search box runs the FAQ
search (nothing is added) and Enter in the subject adds the note; with JavaScript on, Enter
in the search box only lists the hits, and Enter in the subject adds the note."""

from __future__ import annotations

import pytest

from tests import factories
from tests.faq import category, item
from tests.missing import import_or_missing
from tickets.models import Article

from .conftest import TIMEOUT_MS
from .test_agent_portal import PASSWORD, sign_in

expect = import_or_missing("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_enter_searches_in_the_faq_box_and_adds_the_note_elsewhere(
    browser, js_mode, live_server, support
):
    agent = support.rw
    agent.set_password(PASSWORD)
    agent.save()
    toner = item(category(f"Faqenter {js_mode}"), f"Faqenter toner {js_mode}")
    ticket = factories.ticket(support.queue, title=f"Faqenter ticket {js_mode}")
    url = f"/agent/tickets/{ticket.pk}/note/"
    context = browser.new_context(
        java_script_enabled=js_mode == "js", locale="en-US", base_url=live_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, agent.username)
        page.goto(url)
        page.get_by_label("Subject").fill("Faqenter subject")
        page.locator("textarea[name=body]").fill("Faqenter body text.")
        page.locator("#composer-faq-q").fill("faqenter toner")
        page.locator("#composer-faq-q").press("Enter")
        hit = page.locator(f".faq-insert-hits button[name=faq_insert][value='{toner.pk}']")
        expect(hit).to_be_visible()
        assert page.url.endswith(url)
        expect(page.locator("textarea[name=body]")).to_have_value("Faqenter body text.")
        assert not Article.objects.filter(ticket=ticket, subject="Faqenter subject").exists()

        page.get_by_label("Subject").press("Enter")
        page.wait_for_url(f"**/agent/tickets/{ticket.pk}/")
        note = Article.objects.get(ticket=ticket, subject="Faqenter subject")
        assert note.body.strip() == "Faqenter body text."
    finally:
        context.close()

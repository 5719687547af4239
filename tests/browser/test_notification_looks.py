"""The notification admin in a real browser with JavaScript off: the list, a default's
editor with its texts, the preview for a ticket, the trace, and the agent's preferences.
Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/notifications-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from tests import factories
from tests.missing import import_or_missing
from tickets import notifications
from tickets.models import PersonalQueue, TicketNotification

from .conftest import new_context, shoot_widths
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_the_notification_admin_without_javascript(browser, live_server, support, scheme, language):
    agent = support.rw
    agent.language = "" if language == "en" else language
    agent.is_staff = agent.is_superuser = True
    agent.email = "rw@example.com"
    agent.save()
    german = language == "de"
    PersonalQueue.objects.create(user=support.ro, queue=support.queue)
    support.ro.email = "ro@example.com"
    support.ro.save()
    with transaction.atomic():
        ticket = factories.ticket(support.queue, owner=agent, title="Printer on fire")
    note = TicketNotification.objects.get(key="new_note")

    context = new_context(browser, live_server, js=False, scheme=scheme)
    page = context.new_page()

    def shoot(name: str) -> None:
        shoot_widths(page, f"notifications-{name}-{scheme}-{language}")

    try:
        sign_in(page, agent.username)
        page.goto("/admin/tickets/ticketnotification/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        # Built-in names in the admin's language.
        with translation.override(language):
            shown = notifications.label(note)
        expect(page.get_by_role("link", name=shown, exact=True)).to_be_visible()
        shoot("list")

        page.goto(f"/admin/tickets/ticketnotification/{note.pk}/change/")
        expect(page.locator("#id_texts-1-subject")).to_have_value("New note: <OTRS_TICKET_Title>")
        shoot("editor")

        page.get_by_role("link", name="Vorschau" if german else "Preview").first.click()
        page.locator("#id_ticket").fill(ticket.number)
        page.locator("#id_event").select_option("AddNote")
        page.locator("#id_actor").select_option(label=support.ro.username)
        page.locator("input[type=submit]").click()
        expect(page.locator("#notification-preview")).to_contain_text(
            f"[Ticket#{ticket.number}] {'Neue Notiz' if german else 'New note'}: Printer on fire"
        )
        shoot("preview")

        page.goto("/admin/tickets/notificationtrace/")
        expect(page.locator("#result_list")).to_contain_text(ticket.number)
        shoot("trace")

        page.goto("/agent/preferences/")
        expect(page.locator("input[name=notify_new_note]")).to_be_checked()
        shoot("preferences")
    finally:
        context.close()

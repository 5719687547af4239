"""In-app notifications in a real browser with JavaScript off: the bell's number, the list,
marking ticked ones read, and opening one (its ticket, read). Screenshots in light and dark,
English and German, 375 and 1400 px: test-artifacts/web-notifications-<scheme>-<lang>-<w>.png."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests import factories
from tests.missing import import_or_missing
from tickets.models import PersonalQueue, TicketNotification, WebNotification

from .conftest import new_context, shoot_widths, submit
from .test_agent_portal import check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_the_bell_and_the_list_without_javascript(browser, live_server, support, scheme, language):
    agent = support.ro
    agent.language = "" if language == "en" else language
    agent.save()
    german = language == "de"
    TicketNotification.objects.filter(key="new_ticket").update(transports=["web"])
    PersonalQueue.objects.create(user=agent, queue=support.queue)
    with transaction.atomic():
        first = factories.ticket(support.queue, title="Printer on fire")
        second = factories.ticket(
            support.queue, title="A rather long title of a ticket that wraps " * 2
        )
    assert WebNotification.objects.filter(user=agent).count() == 2

    context = new_context(browser, live_server, js=False, scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, agent.username)
        bell = page.locator("a.bell")
        expect(bell.locator(".nav-count")).to_have_text("2")
        submit(bell)
        check_page(page)
        expect(page.locator("li.notification.unread")).to_have_count(2)
        shoot_widths(page, f"web-notifications-{scheme}-{language}")

        page.locator("li.notification", has_text="Printer on fire").get_by_role("checkbox").check()
        submit(
            page.get_by_role(
                "button", name="Ausgewählte als gelesen markieren" if german else "Mark ticked read"
            )
        )
        expect(page.locator("li.notification.unread")).to_have_count(1)
        expect(bell.locator(".nav-count")).to_have_text("1")
        assert WebNotification.objects.get(ticket=first).read_at is not None

        submit(page.locator("li.notification .notification-subject"))
        assert page.url.endswith(f"/agent/tickets/{second.pk}/")
        expect(bell.locator(".nav-count")).to_be_hidden()
        assert not WebNotification.objects.filter(read_at__isnull=True).exists()
    finally:
        context.close()

"""The notification admin's test mail and YAML import in a real browser with JavaScript off:
a test mail sent to a real SMTP server, an import refused with its reasons, an import that
asks about existing names and then keeps them. Screenshots in light and dark, English and
German, 375 and 1400 px: test-artifacts/notifications-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests import factories
from tests.missing import import_or_missing
from tickets.models import TicketNotification

from .conftest import new_context, shoot_widths, submit
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BAD = b"notifications:\n- name: Broken\n  key: broken\n  events: [NoSuchEvent]\n"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_test_mail_and_import_without_javascript(
    browser, live_server, support, smtp_server, tmp_path, scheme, language
):
    agent = support.rw
    agent.language = "" if language == "en" else language
    agent.is_staff = agent.is_superuser = True
    agent.email = "rw@example.com"
    agent.save()
    german = language == "de"
    with transaction.atomic():
        ticket = factories.ticket(support.queue, owner=agent, title="Printer on fire")
    closed = TicketNotification.objects.get(key="customer_ticket_closed")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(BAD)

    context = new_context(browser, live_server, js=False, scheme=scheme)
    page = context.new_page()

    def shoot(name: str) -> None:
        shoot_widths(page, f"notifications-{name}-{scheme}-{language}")

    try:
        sign_in(page, agent.username)
        page.goto(f"/admin/tickets/ticketnotification/{closed.pk}/change/")
        submit(page.get_by_role("link", name="Test-E-Mail senden" if german else "Send test mail"))
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("#id_ticket").fill(ticket.number)
        page.locator("#id_event").select_option("TicketClosed")
        shoot("test-mail")
        submit(page.locator("input[type=submit]"))
        expect(page.locator(".messagelist")).to_contain_text("rw@example.com")
        assert [m.rcpt_tos for m in smtp_server.messages] == [["rw@example.com"]]
        shoot("test-mail-sent")

        page.goto("/admin/tickets/ticketnotification/")
        submit(page.get_by_role("link", name="Import YAML" if not german else "YAML importieren"))
        shoot("import")
        page.locator("input[type=file]").set_input_files(str(bad))
        submit(page.locator("input[type=submit]"))
        expect(page.locator(".errornote")).to_contain_text("NoSuchEvent")
        shoot("import-refused")

        page.goto("/admin/tickets/ticketnotification/")
        page.locator(f"input[name=_selected_action][value='{closed.pk}']").check()
        page.locator("select[name=action]").select_option("export_yaml")
        with page.expect_download() as download:
            page.locator("button[name=index]").click()
        exported = tmp_path / "export.yaml"
        download.value.save_as(exported)
        page.goto("/admin/tickets/ticketnotification/import/")
        page.locator("input[type=file]").set_input_files(str(exported))
        submit(page.locator("input[type=submit]"))
        expect(page.locator("#content")).to_contain_text(closed.name)
        shoot("import-existing")
        submit(page.locator("button[value=skip]"))
        expect(page.locator(".messagelist")).to_be_visible()
    finally:
        context.close()

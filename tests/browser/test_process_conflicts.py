"""Edit conflicts in activity dialogs, in a real browser with JavaScript off: an agent fills
the demo's "Decide" dialog while a colleague changes the ticket (the dialog comes back with
the colleague's change, and "Submit anyway" applies it), and while a colleague decides first
(the ticket moved on: the dialog cannot be submitted, the page says where the ticket stands).
Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/process-conflict-<scheme>-<lang>-<width>.png and process-moved-....png."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.missing import import_or_missing
from tickets import actions
from tickets.management.commands import _process_demo
from tickets.models import ActivityDialog, Priority, Process, TicketProcess
from tickets.processes import engine
from tickets.processes.dialogs import DialogForm

from .conftest import new_context, shoot_widths, submit
from .test_agent_portal import check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LOOKS = [("light", "en"), ("dark", "en"), ("light", "de"), ("dark", "de")]


def _start(process, agent):
    form = DialogForm(
        {"title": "Upgrade the mail server", "body": "To version 9."},
        dialog=process.start_dialog,
        user=agent,
    )
    assert form.is_valid(), form.errors
    return engine.start_process(process, form, actor=agent)


def _decide(page, ticket, decide, text: str) -> None:
    page.goto(reverse("agent:process_dialog", args=[ticket.pk, decide.pk]))
    page.locator('[name="field_ChangeApproval"]').select_option("approved")
    page.locator('[name="body"]').fill(text)


def test_a_dialog_shows_others_changes_and_refuses_a_left_activity(browser, live_server, support):
    _process_demo.load(stdout=type("Out", (), {"write": lambda self, text: None})())
    process = Process.objects.get(name=_process_demo.NAME)
    decide = ActivityDialog.objects.get(process=process, name="Decide")
    agent = support.rw
    colleague = factories.agent("colleague", first_name="Carla", last_name="Colleague")
    factories.grant(colleague, support.group, factories.RW)
    levels = [Priority.objects.get(level=level) for level in (5, 4, 2, 1)]
    context = new_context(browser, live_server, js=False)
    page = context.new_page()
    try:
        sign_in(page, agent.username)
        for number, (scheme, language) in enumerate(LOOKS):
            agent.language = "" if language == "en" else language
            agent.save(update_fields=["language"])
            page.emulate_media(color_scheme=scheme)

            # A colleague changes the priority while the agent writes.
            ticket = _start(process, agent)
            _decide(page, ticket, decide, "Approved by the change board.")
            actions.set_priority(ticket, levels[number], actor=colleague)
            submit(page.locator(".form-actions button[type=submit]"))
            expect(page.locator("#conflict-title")).to_be_visible()
            expect(page.locator(".conflict")).to_contain_text("Carla Colleague")
            check_page(page)
            shoot_widths(page, f"process-conflict-{scheme}-{language}")
            # Submit anyway: the agent's decision goes through on top.
            submit(page.locator(".form-actions button[type=submit]"))
            expect(page.locator(".zoom-process .process-activity")).to_have_text("Implementation")

            # A colleague decides first: the ticket has moved on.
            ticket = _start(process, agent)
            _decide(page, ticket, decide, "Approved, as discussed.")
            form = DialogForm(
                {"field_ChangeApproval": "rejected"}, dialog=decide, user=colleague, ticket=ticket
            )
            assert form.is_valid(), form.errors
            engine.submit_dialog(ticket, form, actor=colleague)
            submit(page.locator(".form-actions button[type=submit]"))
            expect(page.locator(".activity-changed")).to_be_visible()
            expect(page.locator(".form-actions button")).to_have_count(0)
            check_page(page)
            shoot_widths(page, f"process-moved-{scheme}-{language}")
            assert TicketProcess.objects.get(ticket=ticket).activity.name == "Rejected"
    finally:
        context.close()

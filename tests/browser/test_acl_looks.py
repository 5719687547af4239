"""The ACL screens in a real browser with JavaScript off: the ACL list with its debugger and
import buttons, a rule's editor, the debugger asked about a ticket, the shared YAML import
page refusing a bad file, and the close screen without the state an ACL takes away.
Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/acl-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from tests import factories
from tests.missing import import_or_missing
from tickets.models import AclRule, State

from .conftest import new_context, shoot_widths
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def admin_page(browser, live_server, agent, scheme: str, language: str):
    """``agent`` made an admin speaking ``language``, and a page without JavaScript in
    ``scheme`` (not signed in yet): a browser context to close and its page."""
    agent.language = "" if language == "en" else language
    agent.is_staff = agent.is_superuser = True
    agent.save()
    context = new_context(browser, live_server, js=False, scheme=scheme)
    return context, context.new_page()


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_the_debugger_and_the_close_screen_agree_without_javascript(
    browser, live_server, support, scheme, language, tmp_path
):
    ticket = factories.ticket(support.queue, title="Printer on fire")
    closed = State.objects.get(name="closed successful")
    AclRule.objects.create(
        name="aclbrowser no closing in Support",
        properties={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
        changes={"state": {"possible_not": [closed.pk]}},
    )
    AclRule.objects.create(
        name="aclbrowser only the move screen",
        properties={"all": [{"attr": "screen", "op": "equals", "value": "move"}]},
        changes={"priority": {"possible": []}},
    )
    agent = support.rw
    german = language == "de"
    context, page = admin_page(browser, live_server, agent, scheme, language)

    def shoot(name: str) -> None:
        shoot_widths(page, f"acl-{name}-{scheme}-{language}")

    try:
        sign_in(page, agent.username)
        page.goto("/admin/tickets/aclrule/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        shoot("list")

        rule = AclRule.objects.get(name="aclbrowser no closing in Support")
        page.goto(f"/admin/tickets/aclrule/{rule.pk}/change/")
        expect(page.locator("#id_changes_text")).to_contain_text("closed successful")
        expect(page.locator("#id_properties")).to_contain_text("queue = Support")
        shoot("editor")

        page.goto("/admin/tickets/aclrule/")

        page.get_by_role("link", name="ACL-Debugger" if german else "ACL debugger").click()
        page.locator("#id_ticket").fill(ticket.number)
        page.locator("#id_agent").select_option(label=agent.username)
        page.locator("#id_screen").select_option("close")
        page.locator("input[type=submit]").click()
        steps = page.locator("#acl-steps")
        expect(steps.get_by_role("link", name="aclbrowser no closing in Support")).to_be_visible()
        expect(
            steps.get_by_text("Trifft nicht zu." if german else "Did not match.")
        ).to_be_visible()
        taken = "erfolgreich geschlossen" if german else "closed successful"
        expect(page.locator("#acl-lists")).to_contain_text(taken)
        shoot("debugger")

        page.goto("/admin/tickets/aclrule/import/")
        bad = tmp_path / "acls.yaml"
        bad.write_text("acls:\n- name: x\n  properties: colour = red\n", encoding="utf-8")
        page.locator("input[type=file]").set_input_files(str(bad))
        page.locator("input[type=submit]").click()
        expect(page.locator(".errornote")).to_contain_text("colour")
        assert AclRule.objects.count() == 2
        shoot("import-refused")

        page.goto(f"/agent/tickets/{ticket.pk}/close/")
        options = page.locator("#id_state option")
        # The states in the agent's language (the close screen translates its choices).
        kept, removed = (
            ("erfolglos geschlossen", "erfolgreich geschlossen")
            if german
            else ("closed unsuccessful", "closed successful")
        )
        expect(options.filter(has_text=kept)).to_have_count(1)
        expect(options.filter(has_text=removed)).to_have_count(0)
        shoot("close-screen")
    finally:
        context.close()

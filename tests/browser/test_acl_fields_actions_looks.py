"""ACLs on custom-field values and actions in a real browser with JavaScript off: the
debugger's answer for the zoom (a custom field's values and the actions each rule took
away), the zoom without the entries of removed actions, and a removed screen's refusal.
Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/aclfa-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from otrs.fields.actions import save_definition
from otrs.fields.models import FieldDefinition
from tests import factories
from tests.missing import import_or_missing
from tickets.fields import TICKET
from tickets.models import AclRule

from .conftest import shoot_widths
from .test_acl_looks import admin_page
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_debugger_the_zoom_and_a_refused_screen_without_javascript(
    browser, live_server, support, scheme, language
):
    ticket = factories.ticket(support.queue, title="Printer on fire")
    save_definition(
        FieldDefinition(
            name="AclBrowserProduct",
            label="Product",
            labels={"de": "Produkt"},
            object_type=TICKET,
            field_type="dropdown",
            screens={"free_fields": "shown", "zoom": "shown"},
        ),
        [{"key": "office", "label": "Office"}, {"key": "erp", "label": "ERP"}],
    )
    AclRule.objects.create(
        name="aclbrowser no ERP",
        changes={"field:AclBrowserProduct": {"possible_not": ["erp"]}},
    )
    AclRule.objects.create(
        name="aclbrowser no closing or merging in Support",
        properties={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
        changes={"action": {"possible_not": ["close", "merge"]}},
    )
    agent = support.rw
    german = language == "de"
    context, page = admin_page(browser, live_server, agent, scheme, language)

    def shoot(name: str) -> None:
        shoot_widths(page, f"aclfa-{name}-{scheme}-{language}")

    try:
        sign_in(page, agent.username)
        page.goto(
            f"/admin/tickets/aclrule/debug/?ticket={ticket.number}&agent={agent.pk}&screen=zoom"
        )
        steps = page.locator("#acl-steps")
        expect(steps).to_contain_text("ERP")
        expect(steps).to_contain_text("Zusammenfassen" if german else "Merge")
        expect(page.locator("#acl-actions")).to_contain_text("Schließen" if german else "Close")
        shoot("debugger")

        page.goto(f"/agent/tickets/{ticket.pk}/")
        expect(page.locator("h1")).to_contain_text("Printer on fire")
        assert page.locator(f'a[href="/agent/tickets/{ticket.pk}/close/"]').count() == 0
        assert page.locator(f'a[href="/agent/tickets/{ticket.pk}/merge/"]').count() == 0
        assert page.locator(f'a[href="/agent/tickets/{ticket.pk}/note/"]').count() > 0
        shoot("zoom")

        page.goto(f"/agent/tickets/{ticket.pk}/close/")
        expect(page.locator("h1")).to_have_text(
            "Hier nicht möglich" if german else "Not possible here"
        )
        shoot("refused")

        page.goto(f"/agent/tickets/{ticket.pk}/free-fields/")
        options = page.locator("#id_field_AclBrowserProduct option")
        expect(options.filter(has_text="Office")).to_have_count(1)
        expect(options.filter(has_text="ERP")).to_have_count(0)
        shoot("free-fields")
    finally:
        context.close()

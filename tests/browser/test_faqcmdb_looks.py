"""Screenshots of the screens that join the FAQ, the tickets and the CMDB, in light and dark
colour schemes, English and German, 375 px and 1400 px wide, JavaScript off: the reply
composer with FAQ hits and the internal-item warning, the ticket's FAQ items, an FAQ item
written from a ticket, the CI page's services and FAQ items, the new phone ticket's affected
CIs, and the customer's configuration items, one of them, and the portal's new ticket with
them. Each page is checked (one heading, named fields, no template source)
and its language asserted. Files: test-artifacts/faqcmdb-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb import actions as cmdb_actions
from cmdb.choices import LinkType
from faq.choices import ItemState
from tests import factories
from tests.cmdb import make_ci, personas
from tests.customer_portal import ticket_data as data
from tests.faq import category, item
from tests.missing import import_or_missing
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.models import Service

from .conftest import ARTIFACTS, TIMEOUT_MS, new_context
from .test_agent_portal import PASSWORD, check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (375, 1400)


def _shoot(page, name, scheme, language) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    check_page(page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"faqcmdb-{name}-{scheme}-{language}-{width}.png"),
            full_page=True,
        )
    page.set_viewport_size({"width": WIDTHS[-1], "height": 900})


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_faq_and_cmdb_link_screens(browser, live_server, support, settings, scheme, language):
    settings.CMDB_CUSTOMER_PORTAL = True
    rw, _ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    rw.set_password(PASSWORD)
    rw.language = "" if language == "en" else language
    rw.save()
    editors = factories.group("faq-look-editors")
    factories.grant(rw, editors, factories.RW)
    cat = category("Printing", edit=[editors])
    item(cat, "Toner smears on paper", solution="<p>Shake the toner cartridge.</p>")
    internal = item(cat, "Toner vendor contract", state=ItemState.INTERNAL, solution="Call Bob.")
    acme = data.company("ACME")
    data.portal_queue("CMDB look portal")  # the portal's new ticket has a queue to offer
    data.customer("alice", company_=acme, language="" if language == "en" else language)
    ticket = factories.ticket(support.queue, title="Toner smears", body="Every page is grey.")
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            subject="Re: Toner smears",
            body="Please shake the cartridge.",
        ),
        actor=rw,
    )
    first = ticket.articles.order_by("pk").first()
    server = make_ci("printer-01", "Hardware", values={"CustomerID": acme.pk})
    cmdb_actions.link_service(
        server, Service.objects.create(name="Printing"), LinkType.DEPENDS_ON, actor=rw
    )
    cmdb_actions.link_faq_item(server, internal, actor=rw)
    specs = cmdb_actions.definition_specs(server.ci_class)
    specs.append({"key": "Manual", "name": "Manual", "field_type": "attachment", "count_max": 3})
    cmdb_actions.update_definition(server.ci_class, specs, actor=rw)
    manual = server.ci_class.attributes.get(key="Manual", removed=False)
    cmdb_actions.attach_file(
        server,
        manual.pk,
        SimpleUploadedFile("printer-manual.pdf", b"%PDF-1.4 look", "application/pdf"),
        actor=rw,
    )

    context = new_context(browser, live_server, js=False, scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, rw.username)
        page.goto(f"/agent/tickets/{ticket.pk}/articles/{first.pk}/reply/")
        page.locator("#composer-faq-q").fill("toner")
        page.locator("button[name=faq_search]").click()
        expect(page.locator(".faq-insert-hits li")).to_have_count(2)
        _shoot(page, "composer-hits", scheme, language)
        page.locator(f"button[name=faq_insert][value='{internal.pk}']").first.click()
        expect(page.locator(".faq-insert .notice")).to_be_visible()
        _shoot(page, "composer-internal-warning", scheme, language)

        for name, url in {
            "ticket-faq": f"/agent/tickets/{ticket.pk}/faq/",
            "faq-from-ticket": f"/agent/tickets/{ticket.pk}/faq/new/",
            "ci-related": f"/agent/cmdb/items/{server.pk}/",
            "definition-attributes": f"/agent/cmdb/classes/{server.ci_class_id}/definition/",
            "attribute-edit": (
                f"/agent/cmdb/classes/{server.ci_class_id}/definition/attributes/{manual.pk}/"
            ),
        }.items():
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            _shoot(page, name, scheme, language)

        # The note screen's FAQ search, without JavaScript.
        page.goto(f"/agent/tickets/{ticket.pk}/note/")
        page.locator("#composer-faq-q").fill("toner")
        page.locator("button[name=faq_search]").click()
        expect(page.locator(".faq-insert-hits li")).to_have_count(2)
        _shoot(page, "note-faq-hits", scheme, language)

        # The new phone ticket offers the typed customer's CIs after "update the lists".
        page.goto("/agent/tickets/new/phone/")
        page.locator("#id_customer").fill("alice")
        page.locator("button[name=panels_refresh]").click()
        expect(page.locator("#panel-cmdb")).to_contain_text("printer-01")
        _shoot(page, "new-ticket-cis", scheme, language)
    finally:
        context.close()

    customer = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900},
        locale="en-US",
        color_scheme=scheme,
        base_url=live_server.url,
        java_script_enabled=False,
    )
    customer.set_default_timeout(TIMEOUT_MS)
    page = customer.new_page()
    try:
        page.goto("/customer/login/")
        page.locator("input[name=username]").fill("alice")
        page.locator("input[name=password]").fill("x")
        page.locator("form button[type=submit]").first.click()
        expect(page).to_have_url(re.compile(r"/customer/"))
        page.goto("/customer/configuration-items/")
        expect(page.get_by_text("printer-01")).to_be_visible()
        _shoot(page, "customer-configitems", scheme, language)
        page.get_by_role("link", name="printer-01").click()
        expect(page.locator("h1")).to_have_text("printer-01")
        _shoot(page, "customer-configitem", scheme, language)
        page.goto("/customer/tickets/new/")
        expect(page.get_by_text("printer-01")).to_be_visible()
        _shoot(page, "customer-new-ticket-cis", scheme, language)
    finally:
        customer.close()

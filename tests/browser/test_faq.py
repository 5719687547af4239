"""The FAQ in a real browser, with JavaScript on and off: an editor writes an item in a
category that needs approval, the approver publishes it, and anyone reads it on the public
pages; then the screens' looks in light and dark, English and German, 375 and 1400 px
(test-artifacts/faq-<screen>-<scheme>-<lang>-<width>.png)."""

from __future__ import annotations

import pytest

from faq import actions
from faq.choices import ItemState
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.browser.test_agent_portal import check_page, sign_in
from tests.customers import company, customer_user
from tests.faq import category, item
from tests.missing import import_or_missing

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (375, 1400)


@pytest.fixture
def team(db):
    editors, approvers = factories.group("faq-editors"), factories.group("faq-approvers")
    editor, approver = factories.agent("faq_editor"), factories.agent("faq_approver")
    factories.grant(editor, editors, factories.RW)
    factories.grant(approver, editors, factories.RW)
    factories.grant(approver, approvers, factories.RW)
    cat = category(
        "Printing", edit=[editors], approvers=[approvers], approval=True, customers_all=True
    )
    return type("Team", (), {"editor": editor, "approver": approver, "category": cat})


def test_editor_writes_approver_publishes_anyone_reads(browser, js_mode, live_server, team):
    def context():
        made = browser.new_context(
            java_script_enabled=js_mode == "js", locale="en-US", base_url=live_server.url
        )
        made.set_default_timeout(TIMEOUT_MS)
        return made

    writer = context()
    page = writer.new_page()
    sign_in(page, team.editor.username)
    page.goto("/agent/faq/")
    check_page(page)
    page.get_by_role("link", name="New FAQ item").click()
    check_page(page)
    page.get_by_label("Category").select_option(label="Printing")
    page.get_by_label("State").select_option("public")
    page.get_by_label("Title").fill("Paper jams in tray 2")
    page.get_by_label("Keywords").fill("printer jam")
    page.get_by_label("Solution").fill(
        "<p>Open tray 2 and <script>alert(1)</script>fan the paper.</p>"
    )
    page.get_by_role("button", name="Save and submit").click()
    expect(page.get_by_text("Revision 1 waits for approval.")).to_be_visible()
    writer.close()

    approving = context()
    page = approving.new_page()
    sign_in(page, team.approver.username)
    page.goto("/agent/faq/dashboard/")
    check_page(page)
    page.get_by_role("link", name="Paper jams in tray 2").first.click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Revision 1 is published.")).to_be_visible()
    approving.close()

    reading = context()
    page = reading.new_page()
    page.goto("/public/faq/?q=tray")
    check_page(page)
    page.get_by_role("link", name="Paper jams in tray 2").click()
    check_page(page)
    expect(page.get_by_text("fan the paper")).to_be_visible()
    assert page.locator("script").count() == 0
    page.get_by_role("button", name="5 of 5").click()
    expect(page.get_by_text("Thank you for your vote.")).to_be_visible()
    reading.close()


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_faq_screens_in_both_schemes_and_languages(browser, live_server, team, scheme, language):
    approver = team.approver
    approver.language = "" if language == "en" else language
    approver.save()
    first = item(
        team.category,
        "Paper jams in tray 2",
        state=ItemState.PUBLIC,
        solution="<p>Open tray 2 and fan the paper.</p>",
        keywords="printer jam",
        symptom="<p>The printer stops with a red light.</p>",
    )
    actions.approve_revision(first.latest_revision, actor=approver)
    actions.update_item(
        first,
        actions.Content(
            title="Paper jams in tray 2",
            keywords="printer jam",
            symptom="<p>The printer stops with a red light and beeps.</p>",
            solution="<p>Open tray 2, take the paper out, fan it and put it back.</p>",
        ),
        actor=team.editor,
        note="More detail",
    )
    german = item(
        team.category,
        "Papierstau in Fach 2",
        language="de",
        state=ItemState.PUBLIC,
        translation_of=first,
    )
    actions.approve_revision(german.latest_revision, actor=approver)
    cust = customer_user("faq_looks", company=company("LOOKS"), password="Looks-Good-2024!").user
    cust.language = language if language == "de" else ""
    cust.save()
    context = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900},
        # The sign-in page follows the browser; after it, the agent's own language applies,
        # and the public pages follow the browser again (German asked for below).
        locale="en-US",
        color_scheme=scheme,
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, approver.username)
        if language == "de":
            page.set_extra_http_headers({"Accept-Language": "de"})
        screens = {
            "explorer": "/agent/faq/",
            "item": f"/agent/faq/{first.pk}/",
            "diff": f"/agent/faq/{first.pk}/diff/?a=1&b=2",
            "dashboard": "/agent/faq/dashboard/",
            "edit": f"/agent/faq/{first.pk}/edit/",
            "public-index": "/public/faq/",
            "public-item": f"/public/faq/{first.pk}/",
        }
        for name, url in screens.items():
            page.set_viewport_size({"width": WIDTHS[-1], "height": 900})
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            if name.startswith("public"):
                expect(page.locator("html")).to_have_attribute("lang", language)
            check_page(page)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(ARTIFACTS / f"faq-{name}-{scheme}-{language}-{width}.png"),
                    full_page=True,
                )
    finally:
        context.close()

"""The composer in a real browser (issue 18, part 5): drafts, text modules, @-mentions.

With JavaScript, typing saves a draft by itself and ``::keyword`` plus a space becomes the
module's text; without it, "Save draft" and "Insert" do the same by submitting the form.
Screenshots of the note screen with a restored draft, the reply composer and the zoom's
drafts at 375 and 1,400 px, light/English and dark/German (test-artifacts/agent-composer-*).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.permissions import PermissionKey
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, new_context
from tests.browser.test_agent_portal import check_page, sign_in
from tests.missing import import_or_missing
from tickets import actions
from tickets.models import Draft, Mention, SystemAddress, TextModule

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def desk(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="composer-desk@example.test", display_name="Composer Desk", queue=support.queue
    )
    support.queue.save()
    module = TextModule.objects.create(
        name="Composer browser thanks", keyword="thx", text="Thank you for waiting."
    )
    module.queues.add(support.queue)
    colleague = factories.agent(
        "composer_browser_mate", first_name="Mia", email="composer-mia@example.com"
    )
    factories.grant(colleague, support.group, factories.RW)
    ticket = factories.ticket(support.queue, customer_user="composer-dora@example.com")
    return type("Desk", (), {"ticket": ticket, "agent": support.rw, "module": module})


def test_with_javascript_drafts_save_themselves_and_keywords_insert(browser, live_server, desk):
    note = reverse("agent:note", args=[desk.ticket.pk])
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        sign_in(page, desk.agent.username)
        page.goto(note)
        check_page(page)
        text = page.get_by_label("Text", exact=True)
        text.click()
        text.press_sequentially("Hello ::thx ")
        expect(text).to_have_value("Hello Thank you for waiting.")
        # The autosave answers in the status line; the draft is on the server then.
        expect(page.locator(".draft-status")).to_have_text("Draft saved.", timeout=TIMEOUT_MS)
        assert Draft.objects.get(ticket=desk.ticket).body == "Hello Thank you for waiting."
        page.goto(note)
        expect(page.get_by_label("Text", exact=True)).to_have_value("Hello Thank you for waiting.")
        page.get_by_label("Text", exact=True).fill("@composer_browser_mate see above")
        page.get_by_role("button", name="Add note").click()
        expect(page.locator(".messages")).to_contain_text("Note added")
        assert Mention.objects.filter(user__username="composer_browser_mate").exists()
        assert not Draft.objects.exists()
    finally:
        context.close()


def test_typing_at_offers_the_agents_who_may_read_the_ticket(browser, live_server, desk):
    outsider = factories.agent("composer_browser_mallory", first_name="Mallory")
    factories.grant(outsider, factories.group(), factories.RW)
    note = reverse("agent:note", args=[desk.ticket.pk])
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        sign_in(page, desk.agent.username)
        page.goto(note)
        text = page.get_by_label("Text", exact=True)
        text.click()
        text.press_sequentially("Please look, @composer_browser_m")
        options = page.get_by_role("listbox").get_by_role("option")
        # Mia may read the ticket; Mallory (another group) is not offered.
        expect(options).to_have_count(1)
        expect(options.first).to_contain_text("@composer_browser_mate")
        expect(options.first).to_have_attribute("aria-selected", "true")
        text.press("Enter")
        expect(text).to_have_value("Please look, @composer_browser_mate ")
        expect(page.get_by_role("listbox")).to_be_hidden()
        # Typing on, then a new @ by first name, picked with the mouse.
        text.press_sequentially("and @Mi")
        page.get_by_role("option", name="@composer_browser_mate").click()
        expect(text).to_have_value(
            "Please look, @composer_browser_mate and @composer_browser_mate "
        )
        text.press_sequentially("@composer_browser_mal")
        expect(page.locator(".mention-list [role=option]")).to_have_count(0)
        expect(page.locator(".mention-list")).to_be_hidden()
        page.get_by_role("button", name="Add note").click()
        expect(page.locator(".messages")).to_contain_text("Note added")
        assert Mention.objects.filter(user__username="composer_browser_mate").exists()
    finally:
        context.close()


def test_without_javascript_save_draft_and_insert_are_buttons(browser, live_server, desk):
    note = reverse("agent:note", args=[desk.ticket.pk])
    context = new_context(browser, live_server, js=False)
    try:
        page = context.new_page()
        sign_in(page, desk.agent.username)
        page.goto(note)
        page.get_by_label("Text", exact=True).fill("Begun")
        page.get_by_label("Text module").select_option(label="Composer browser thanks (::thx)")
        page.get_by_role("button", name="Insert").click()
        expect(page.get_by_label("Text", exact=True)).to_have_value(
            "Begun\n\nThank you for waiting.\n"
        )
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".messages")).to_contain_text("Draft saved.")
        expect(page.locator(".draft-notice")).to_contain_text("is restored")
        page.goto(reverse("agent:zoom", args=[desk.ticket.pk]))
        expect(page.locator(".zoom-drafts")).to_contain_text("Your note")
        page.get_by_role("link", name="Your note").click()
        page.get_by_role("button", name="Discard draft").click()
        expect(page.locator(".messages")).to_contain_text("Draft discarded.")
        assert not Draft.objects.exists()
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1400])
@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("de", "dark")])
def test_screenshots_of_the_composer(browser, live_server, desk, width, language, scheme):
    agent = desk.agent
    agent.language = language
    agent.save()
    ticket = desk.ticket
    actions.save_draft(
        ticket, "note", actor=agent, subject="Composer draft", body="A note in progress."
    )
    context = new_context(browser, live_server, width=width, scheme=scheme)
    try:
        page = context.new_page()
        sign_in(page, agent.username)
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"{width}-{language}-{scheme}"
        for screen, url in (
            ("note", reverse("agent:note", args=[ticket.pk])),
            ("reply", reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk])),
            ("zoom", reverse("agent:zoom", args=[ticket.pk])),
            ("mentioned", reverse("agent:mentioned")),
        ):
            page.goto(url)
            check_page(page)
            page.screenshot(
                path=str(ARTIFACTS / f"agent-composer-{screen}-{name}.png"), full_page=True
            )
            assert page.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth"
            ), f"horizontal scroll on {screen} at {width} px"
    finally:
        context.close()


def test_keywords_insert_on_the_new_phone_ticket_as_written(browser, live_server, desk, support):
    factories.grant(desk.agent, support.group, PermissionKey.CREATE)
    desk.module.text = "Thank you, <OTRS_CUSTOMER_REALNAME>."
    desk.module.save()
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        sign_in(page, desk.agent.username)
        page.goto(reverse("agent:new_phone_ticket"))
        check_page(page)
        page.get_by_label("Queue").select_option(str(support.queue.pk))
        text = page.locator("textarea[name=body]")  # its tags are filled in when it is made
        text.click()
        text.press_sequentially("Called ::thx ")
        expect(text).to_have_value("Called Thank you, <OTRS_CUSTOMER_REALNAME>.")
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1400])
@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_new_phone_ticket_and_the_mention_list(
    browser, live_server, desk, support, width, language, scheme
):
    agent = desk.agent
    agent.language = language
    agent.save()
    factories.grant(agent, support.group, PermissionKey.CREATE)
    context = new_context(browser, live_server, width=width, scheme=scheme)
    try:
        page = context.new_page()
        sign_in(page, agent.username)
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"{width}-{language}-{scheme}"
        page.goto(reverse("agent:new_phone_ticket"))
        check_page(page)
        page.screenshot(
            path=str(ARTIFACTS / f"agent-composer-new-phone-{name}.png"), full_page=True
        )
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(reverse("agent:note", args=[desk.ticket.pk]))
        text = page.locator("textarea[name=body]")
        text.click()
        text.press_sequentially("@compo")
        expect(page.locator(".mention-list [role=option]").first).to_be_visible()
        page.screenshot(
            path=str(ARTIFACTS / f"agent-composer-mention-list-{name}.png"), full_page=True
        )
    finally:
        context.close()

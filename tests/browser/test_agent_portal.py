"""The agent portal in a real browser, with JavaScript on and off: sign in, find a ticket in
the queue view, add a note, close it, search for it, and a bulk action. Screenshots of the
dashboard, queue view, zoom and search go to test-artifacts/.

The locators are roles and labels, so a form field without a label or a button without a
name fails here as it would fail an agent with a screen reader. With JavaScript on, the
flow also uses what agent.js adds (partial updates, keyboard shortcuts).
"""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.missing import import_or_missing

from .conftest import submit

sync_api = import_or_missing("playwright.sync_api")
Page, expect = sync_api.Page, sync_api.expect

# The live server runs in another thread with its own connection: it sees only committed rows,
# so these tests commit, and the database is flushed after each. serialized_rollback restores
# what the migrations made (states, priorities, the system user) for the transactional tests
# that follow; pytest-django runs these after the ordinary tests (it reads this mark when it
# orders the tests, so it must be on the module, not added by a hook later).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Template syntax in the text of a page: a tag or comment that did not parse (a {# #}
# comment spans one line only) and is shown to the agent as it is.
TEMPLATE_SYNTAX = re.compile(r"\{[#%{]|[#%}]\}")

# What tests.factories gives every user.
PASSWORD = "x"

UNNAMED_FIELDS = """() => [...document.querySelectorAll("input, select, textarea")]
    .filter((field) => !["hidden", "submit", "button", "reset", "image"].includes(field.type))
    .filter((field) => !(field.labels.length || field.getAttribute("aria-label")
        || field.getAttribute("aria-labelledby") || field.title))
    .map((field) => field.outerHTML)"""


@pytest.fixture
def agent(support):
    """The agent who works the queue: rw on the "support" group, password "x"."""
    return support.rw


@pytest.fixture
def printer(support):
    """The ticket the flow works on: a word of its body ("marzipan") is nowhere else."""
    return factories.ticket(
        support.queue, title="Printer on fire", body="The toner smells of burnt marzipan."
    )


def sign_in(page: Page, username: str) -> None:
    page.goto("/agent/login/")
    check_page(page)
    page.get_by_label("Login", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page.get_by_role("button", name="Sign in"))


def check_page(page: Page) -> None:
    """What every page owes its reader: one main heading, a name for every form field, and
    no template source shown as text. (Screenshots are taken before it, so a failing page
    is in test-artifacts/.)"""
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    text = page.locator("body").inner_text()
    shown = [text[max(m.start() - 40, 0) : m.end() + 40] for m in TEMPLATE_SYNTAX.finditer(text)]
    assert not shown, f"template source shown on {page.url}: {shown}"
    unnamed = page.evaluate(UNNAMED_FIELDS)
    assert not unnamed, f"form fields without a label on {page.url}: {unnamed}"


def press_keys(page: Page, *keys: str) -> None:
    """Presses keyboard shortcuts once the page's deferred scripts have run: a URL or a
    heading is there as soon as the document streams in, the key handlers only after
    parsing, so pressing earlier can lose the keys on a busy machine."""
    page.wait_for_load_state("domcontentloaded")
    for key in keys:
        page.keyboard.press(key)


def ticket_actions(page: Page):
    return page.get_by_role("navigation", name="Ticket actions")


def mark_document(page: Page) -> None:
    """Tags the current document; ``is_same_document`` tells whether it was replaced."""
    page.evaluate("() => { window.otrsTestMark = true; }")


def is_same_document(page: Page) -> bool:
    return page.evaluate("() => window.otrsTestMark === true")


def test_it_signs_an_agent_in_to_the_dashboard(page, agent, screenshot):
    sign_in(page, agent.username)

    expect(page).to_have_url(re.compile(r"/agent/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "dashboard")
    check_page(page)


def test_it_refuses_a_customer_at_the_agent_login(page, support):
    customer = factories.customer("carla")

    sign_in(page, customer.username)

    expect(page).to_have_url(re.compile(r"/agent/login/"))
    expect(page.get_by_role("alert")).to_contain_text("This sign-in is for agents")
    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/agent/login/\?next="))


def test_it_works_a_ticket_from_the_queue_view_to_the_search(
    page, js_mode, agent, support, printer, screenshot
):
    factories.ticket(support.queue, title="VPN drops every hour", body="Since Monday.")
    sign_in(page, agent.username)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Printer on fire")).to_be_visible()
    screenshot(page, "dashboard")
    check_page(page)

    # The queue view: the queue in the tree, the ticket in its list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    expect(page.get_by_role("heading", name="Queues", level=2)).to_be_visible()
    mark_document(page)
    tree = page.get_by_role("navigation", name="Queues")
    tree.get_by_role("link", name=re.compile(r"^Support\b")).click()
    tickets = page.locator("#queue-tickets")
    expect(tickets.get_by_role("heading", name="Queue: Support", level=1)).to_be_visible()
    expect(tickets.get_by_role("link", name="VPN drops every hour")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/agent/queues/\?queue={support.queue.pk}$"))
    # With JavaScript, the tree's links swap only the list (data-partial), without a reload.
    assert is_same_document(page) == (js_mode == "js")
    screenshot(page, "queue")
    check_page(page)
    tickets.get_by_role("link", name="Printer on fire").click()

    # The zoom.
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{printer.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer on fire")
    expect(page.get_by_text("The toner smells of burnt marzipan.")).to_be_visible()
    screenshot(page, "zoom")
    check_page(page)

    # A note, seen in the zoom ("n" is the note's keyboard shortcut with JavaScript).
    if js_mode == "js":
        press_keys(page, "n")
    else:
        ticket_actions(page).get_by_role("link", name="Note", exact=True).click()
    expect(page.get_by_role("heading", name="Add note", level=1)).to_be_visible()
    check_page(page)
    page.get_by_label("Subject", exact=True).fill("Toner ordered")
    page.get_by_label("Text", exact=True).fill("Ordered a new toner cartridge.")
    page.get_by_role("button", name="Add note").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{printer.pk}/$"))
    expect(page.get_by_text(f"Note added to ticket {printer.number}.")).to_be_visible()
    note = page.get_by_role("article", name="Toner ordered")
    expect(note).to_contain_text("Ordered a new toner cartridge.")
    expect(note).to_contain_text("Internal \N{EN DASH} not visible to the customer")

    # Closed, with a note.
    ticket_actions(page).get_by_role("link", name="Close", exact=True).click()
    expect(page.get_by_role("heading", name="Close ticket", level=1)).to_be_visible()
    check_page(page)
    page.get_by_label("Close as").select_option(label="closed successful")
    page.get_by_label("Note", exact=True).fill("New toner fitted; printing again.")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{printer.pk}/$"))
    expect(page.get_by_text(f"Ticket {printer.number} closed.")).to_be_visible()
    info = page.get_by_role("region", name="Ticket information")
    expect(info).to_contain_text("closed successful")
    expect(page.get_by_text("New toner fitted; printing again.")).to_be_visible()
    expect(ticket_actions(page).get_by_role("link", name="Close", exact=True)).to_have_count(0)

    # Found again by a word of its body, closed ("/" focuses the search with JavaScript).
    search = page.get_by_role("searchbox", name="Search tickets")
    if js_mode == "js":
        press_keys(page, "/")
        expect(search).to_be_focused()
        page.keyboard.type("marzipan")
    else:
        search.fill("marzipan")
    search.press("Enter")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    results = page.get_by_role("region", name="Results")
    row = results.get_by_role("row").filter(has=page.get_by_role("link", name="Printer on fire"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("closed successful")
    expect(results.get_by_role("link", name="VPN drops every hour")).to_have_count(0)
    screenshot(page, "search")
    check_page(page)


def test_it_changes_the_priority_of_two_tickets_in_bulk(page, agent, support):
    first = factories.ticket(support.queue, title="Mouse stutters")
    second = factories.ticket(support.queue, title="Keyboard sticky")
    third = factories.ticket(support.queue, title="Monitor flickers")
    sign_in(page, agent.username)
    page.goto(f"/agent/queues/?queue={support.queue.pk}")

    page.get_by_label(f"Select ticket {first.number}").check()
    page.get_by_label(f"Select ticket {second.number}").check()
    page.get_by_role("button", name="Bulk action on selected tickets").click()

    expect(page.get_by_role("heading", name="Bulk action", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="2 selected tickets")).to_be_visible()
    check_page(page)
    page.get_by_label("Priority", exact=True).select_option(label="5 very high")
    page.get_by_role("button", name="Apply to the selected tickets").click()

    expect(page).to_have_url(re.compile(rf"/agent/queues/\?queue={support.queue.pk}$"))
    expect(page.get_by_text("2 tickets changed.")).to_be_visible()
    for ticket, priority in ((first, "5 very high"), (second, "5 very high"), (third, "3 normal")):
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ticket.title))
        expect(row).to_contain_text(priority)

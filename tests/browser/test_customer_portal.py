"""The customer portal in a real browser, with JavaScript on and off, in English and German:
sign in, choose the language in the preferences, open a ticket with an attachment, read the
agent's answer (and not the agent's internal note), reply, close the ticket, sign out. The
portal has no script of its own: the runs with JavaScript off show that nothing needs one.

The German runs switch the language on the portal's preferences page (the browser itself asks
for English), so they also show that the customer's choice wins over the browser's. Labels
are looked up in the catalogue the server uses (``tr``), so the flow keeps working as the
German translation grows; what proves that the pages speak German are the ``lang`` attribute
and words the catalogue already translated (``GERMAN``).

Screenshots of the ticket list and of the ticket go to test-artifacts/ as
``<test>-<js|nojs>-<en|de>-<page>.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import translation

from customers.actions import CompanyInput, CustomerUserInput, create_company, create_customer_user
from tests import factories
from tests.missing import import_or_missing
from tickets import actions
from tickets.choices import Channel, SenderType, StateType
from tickets.models import Article, Attachment, Ticket

sync_api = import_or_missing("playwright.sync_api")
Page, expect = sync_api.Page, sync_api.expect

# The live server sees only committed rows: these tests commit, the database is flushed
# after each, and serialized_rollback restores what the migrations made (see
# test_agent_portal.py; the mark must be on the module).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LOGIN = "wile"
PASSWORD = "Acme-Rocket-Skates-1949"  # passes the site's password validators

TITLE = "Rocket skates overheat"
BODY = "The rocket skates from order 4711 overheat after ten seconds."
ATTACHMENT = "skate-log.txt"
ATTACHMENT_BYTES = b"t=0s 20C\nt=5s 180C\nt=10s 460C (smoke)\n"
ANSWER_SUBJECT = "Cooling kit on its way"
ANSWER = "We are sending you a cooling kit for the skates; it fits in five minutes."
NOTE_SUBJECT = "Warranty check"
NOTE = "Customer bought the skates in 1949; warranty long expired, ship the kit anyway."
REPLY = "Thank you, the kit arrived and the skates stay cool now."

# Words the German catalogue already has (msgid -> msgstr in locale/de/LC_MESSAGES/django.po):
# the German runs look for these literally, so a German page is proven German even where
# newer portal strings are still English.
GERMAN = {
    "Preferences": "Einstellungen",
    "Your preferences were saved.": "Ihre Einstellungen wurden gespeichert.",
    "Language": "Sprache",
    "Subject": "Betreff",
    "Attachments": "Anhänge",
    "Send": "Senden",
    "Reply": "Antworten",
    "State": "Status",
    "Closed": "Geschlossen",
    "Sign out": "Abmelden",
}

# Template syntax in the text of a page (a tag or comment that did not parse).
TEMPLATE_SYNTAX = re.compile(r"\{[#%{]|[#%}]\}")

UNNAMED_FIELDS = """() => [...document.querySelectorAll("input, select, textarea")]
    .filter((field) => !["hidden", "submit", "button", "reset", "image"].includes(field.type))
    .filter((field) => !(field.labels.length || field.getAttribute("aria-label")
        || field.getAttribute("aria-labelledby") || field.title))
    .map((field) => field.outerHTML)"""

# How far the page reaches beyond the window's width (it then scrolls sideways).
SIDEWAYS = """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""

# One paragraph typed without line breaks, as people type into a text box.
PARAGRAPH = (
    "First they smoke, then the left one leaves without me and the right one melts into the "
    "road; the log of this morning's test run in the canyon shows 460 degrees after ten "
    "seconds, which is rather more than the catalogue promised for a Sunday afternoon."
)


@pytest.fixture(params=["en", "de"])
def language(request) -> str:
    """The language the customer chooses in the preferences."""
    return request.param


@pytest.fixture
def attachment_dir(settings, tmp_path, monkeypatch) -> Path:
    """Attachments go to the file system storage, in a directory of this test."""
    directory = tmp_path / "attachments"
    settings.ATTACHMENT_STORAGE = "fs"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(directory)},
        },
    }
    monkeypatch.setattr(
        Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=directory)
    )
    return directory


@pytest.fixture
def portal(support):
    """Two queues offered to customers ("Support", where the agent works, and "Billing"), and
    the customer "wile" of Acme with a portal password."""
    system = factories.system()
    for queue in (support.queue, factories.queue("Billing", group_=support.group)):
        queue.customer_selectable = True
        queue.save()
    acme = create_company(CompanyInput(customer_id="ACME", name="Acme Corporation"), actor=system)
    customer = create_customer_user(
        CustomerUserInput(
            login=LOGIN,
            email="wile@acme.test",
            first_name="Wile E.",
            last_name="Coyote",
            company=acme,
        ),
        password=PASSWORD,
        actor=system,
    )
    return type("Portal", (), {"support": support, "company": acme, "customer": customer})


def tr(language: str, message: str) -> str:
    """``message`` as the server shows it in ``language`` (English where not yet translated)."""
    with translation.override(language):
        return translation.gettext(message)


def label(text: str) -> re.Pattern:
    """A form field's label: the portal's forms put Django's colon after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def sign_in(page: Page) -> None:
    page.goto("/customer/login/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    check_page(page)
    page.get_by_label(label("Login")).fill(LOGIN)
    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/customer/tickets/$"))


def check_page(page: Page) -> None:
    """One main heading, a name for every form field, no template source as text."""
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    text = page.locator("body").inner_text()
    shown = [text[max(m.start() - 40, 0) : m.end() + 40] for m in TEMPLATE_SYNTAX.finditer(text)]
    assert not shown, f"template source shown on {page.url}: {shown}"
    unnamed = page.evaluate(UNNAMED_FIELDS)
    assert not unnamed, f"form fields without a label on {page.url}: {unnamed}"


def check_language(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    nav = page.get_by_role("navigation", name=tr(language, "Customer portal"))
    preferences = nav.get_by_role("link", name=tr(language, "Preferences"), exact=True)
    expect(preferences).to_be_visible()
    sign_out = page.get_by_role("button", name=tr(language, "Sign out"), exact=True)
    expect(sign_out).to_be_visible()
    if language == "de":
        expect(preferences).to_have_text(GERMAN["Preferences"])
        expect(sign_out).to_have_text(GERMAN["Sign out"])


def nav_link(page: Page, language: str, name: str):
    nav = page.get_by_role("navigation", name=tr(language, "Customer portal"))
    return nav.get_by_role("link", name=tr(language, name), exact=True)


def article(page: Page, subject: str):
    return page.get_by_role("article", name=subject, exact=True)


def test_a_customer_opens_follows_and_closes_a_ticket(
    page, language, portal, attachment_dir, tmp_path, screenshot
):
    support = portal.support
    if language == "de":
        # What the German runs look for literally must be what the server translates.
        assert {msgid: tr("de", msgid) for msgid in GERMAN} == GERMAN

    # Signing in (the browser asks for English: the sign-in page is English in every run).
    sign_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()
    expect(page.get_by_text("No tickets match.")).to_be_visible()
    check_language(page, "en")

    # The language, chosen in the preferences: every later page speaks it.
    nav_link(page, "en", "Preferences").click()
    expect(page.get_by_role("heading", name="Preferences", level=1)).to_be_visible()
    check_page(page)
    page.get_by_label(label("Language")).select_option(
        label={"en": "English", "de": "German"}[language]
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/customer/preferences/$"))
    expect(page.get_by_role("status")).to_contain_text(tr(language, "Your preferences were saved."))
    check_language(page, language)
    language_field = page.get_by_label(label(tr(language, "Language")))
    expect(language_field).to_have_value(language)
    if language == "de":
        expect(page.get_by_role("status")).to_contain_text(GERMAN["Your preferences were saved."])
        expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN["Preferences"])
        expect(page.get_by_label(label(GERMAN["Language"]))).to_be_visible()

    # A new ticket, with an attachment, in the queue chosen.
    nav_link(page, language, "New ticket").click()
    expect(page).to_have_url(re.compile(r"/customer/tickets/new/$"))
    expect(page.get_by_role("heading", name=tr(language, "New ticket"), level=1)).to_be_visible()
    check_page(page)
    queue_field = page.get_by_label(label(tr(language, "Queue")))
    expect(queue_field.locator("option")).to_have_text(["Billing", "Support"])
    page.get_by_label(label(tr(language, "Subject"))).fill(TITLE)
    queue_field.select_option(label="Support")
    page.get_by_label(label(tr(language, "Text"))).fill(BODY)
    upload = tmp_path / ATTACHMENT
    upload.write_bytes(ATTACHMENT_BYTES)
    page.get_by_label(label(tr(language, "Attachments"))).set_input_files(str(upload))
    if language == "de":
        expect(page.get_by_label(label(GERMAN["Subject"]))).to_be_visible()
        expect(page.get_by_label(label(GERMAN["Attachments"]))).to_be_visible()
        expect(page.get_by_role("button", name=GERMAN["Send"], exact=True)).to_be_visible()
    page.get_by_role("button", name=tr(language, "Send"), exact=True).click()

    # The ticket's page: its title, the customer's message and the attachment.
    ticket = Ticket.objects.get(title=TITLE)
    expect(page).to_have_url(re.compile(rf"/customer/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        tr(language, "Ticket %(number)s was created.") % {"number": ticket.number}
    )
    check_language(page, language)
    check_page(page)
    first = article(page, TITLE)
    expect(first).to_contain_text(BODY)
    expect(first).to_contain_text(tr(language, "You"))
    download_link = first.get_by_role("link", name=ATTACHMENT, exact=True)
    expect(download_link).to_be_visible()
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == ATTACHMENT
    assert Path(download.value.path()).read_bytes() == ATTACHMENT_BYTES

    # ... and in the database: the customer's ticket in the chosen queue, with the file.
    assert (ticket.customer_user, ticket.customer_id) == (LOGIN, "ACME")
    assert ticket.queue == support.queue
    assert ticket.state.state_type == StateType.NEW
    created = Article.objects.get(ticket=ticket)
    assert (created.channel, created.sender_type) == (Channel.WEB, SenderType.CUSTOMER)
    assert created.is_visible_for_customer
    stored = created.attachments.get()
    assert stored.filename == ATTACHMENT
    assert stored.size == len(ATTACHMENT_BYTES)
    assert not stored.in_database
    assert (attachment_dir / stored.file.name).read_bytes() == ATTACHMENT_BYTES

    # The agent answers (visible to the customer) and writes an internal note.
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.PHONE,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            subject=ANSWER_SUBJECT,
            body=ANSWER,
        ),
        actor=support.rw,
    )
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.INTERNAL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=False,
            subject=NOTE_SUBJECT,
            body=NOTE,
        ),
        actor=support.rw,
    )

    # The customer sees the answer, from the help desk, and nothing of the note.
    page.reload()
    answer = article(page, ANSWER_SUBJECT)
    expect(answer).to_contain_text(ANSWER)
    expect(answer).to_contain_text(tr(language, "Support"))
    expect(article(page, NOTE_SUBJECT)).to_have_count(0)
    text = page.locator("body").inner_text()
    assert NOTE_SUBJECT not in text
    assert NOTE not in text

    # The customer replies.
    reply = page.get_by_role("region", name=tr(language, "Reply"))
    if language == "de":
        expect(reply.get_by_role("heading", level=2)).to_have_text(GERMAN["Reply"])
    reply.get_by_label(label(tr(language, "Text"))).fill(REPLY)
    reply.get_by_role("button", name=tr(language, "Send"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/customer/tickets/{ticket.pk}/#article-\d+$"))
    expect(page.get_by_role("status")).to_contain_text(
        tr(language, "Your message was added to the ticket.")
    )
    replied = page.locator("#" + page.url.rsplit("#", 1)[1])
    expect(replied).to_contain_text(REPLY)
    expect(replied).to_contain_text(tr(language, "You"))
    expect(page.get_by_text(ANSWER, exact=True)).to_be_visible()
    screenshot(page, f"{language}-ticket")
    check_page(page)
    check_language(page, language)

    # The list of the customer's (open) tickets.
    nav_link(page, language, "My tickets").click()
    expect(page).to_have_url(re.compile(r"/customer/tickets/$"))
    expect(page.get_by_role("heading", name=tr(language, "My tickets"), level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(ticket.number)
    expect(row).to_contain_text("Acme Corporation")
    screenshot(page, f"{language}-tickets")
    check_page(page)
    check_language(page, language)
    row.get_by_role("link", name=TITLE, exact=True).click()

    # Closing it.
    expect(page).to_have_url(re.compile(rf"/customer/tickets/{ticket.pk}/$"))
    page.get_by_role("button", name=tr(language, "Close this ticket"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/customer/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text(tr(language, "The ticket is closed."))
    facts = page.locator(".ticket-facts")
    expect(facts.locator("dd.ticket-state")).to_have_text(tr(language, "Closed"))
    if language == "de":
        expect(facts.locator("dd.ticket-state")).to_have_text(GERMAN["Closed"])
        expect(facts).to_contain_text(GERMAN["State"])
    expect(page.get_by_role("button", name=tr(language, "Close this ticket"))).to_have_count(0)
    screenshot(page, f"{language}-closed")
    check_page(page)
    check_language(page, language)

    # The list shows it among the closed tickets only.
    nav_link(page, language, "My tickets").click()
    expect(page.get_by_role("link", name=TITLE, exact=True)).to_have_count(0)
    page.get_by_label(label(tr(language, "State"))).select_option(label=tr(language, "Closed"))
    page.get_by_role("button", name=tr(language, "Filter"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/customer/tickets/\?.*state=closed"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE, exact=True))
    expect(row).to_contain_text(tr(language, "Closed"))

    # Signing out: the browser's language again, and the portal asks for a sign-in.
    page.get_by_role("button", name=tr(language, "Sign out"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/customer/login/$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"/customer/tickets/{ticket.pk}/")
    expect(page).to_have_url(re.compile(r"/customer/login/\?next="))

    # The database: closed by the customer; the customer's two messages and the agent's
    # answer visible to them, the note not.
    ticket.refresh_from_db()
    assert ticket.state.state_type == StateType.CLOSED
    assert ticket.state.name == "closed successful"
    assert factories.refetch(portal.customer.user).language == language
    written = list(
        Article.objects.filter(ticket=ticket)
        .exclude(sender_type=SenderType.SYSTEM)
        .order_by("id")
        .values_list("channel", "sender_type", "is_visible_for_customer", "subject")
    )
    assert written == [
        (Channel.WEB, SenderType.CUSTOMER, True, TITLE),
        (Channel.PHONE, SenderType.AGENT, True, ANSWER_SUBJECT),
        (Channel.INTERNAL, SenderType.AGENT, False, NOTE_SUBJECT),
        (Channel.WEB, SenderType.CUSTOMER, True, TITLE),
    ]
    replies = Article.objects.filter(ticket=ticket, sender_type=SenderType.CUSTOMER)
    assert replies.order_by("id").last().body == REPLY
    assert Attachment.objects.filter(article__ticket=ticket).count() == 1


def test_a_long_line_of_a_message_wraps_inside_the_page(page, portal, screenshot):
    ticket = actions.create_web_ticket(
        title=TITLE,
        queue=portal.support.queue,
        article=actions.ArticleInput(
            channel=Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            subject=TITLE,
            body=PARAGRAPH,
        ),
        actor=portal.customer.user,
    )
    sign_in(page)
    page.goto(f"/customer/tickets/{ticket.pk}/")
    expect(article(page, TITLE)).to_contain_text(PARAGRAPH)
    screenshot(page, "long-line")
    assert page.evaluate(SIDEWAYS) <= 0, "the page scrolls sideways"

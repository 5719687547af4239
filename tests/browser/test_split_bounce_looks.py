"""The e-mail split, the bounce form with "inform the sender" and the note screen with a
draft's files, in a real browser with JavaScript off (each reached from the zoom's plain
links). Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/article-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from otrs.permissions import PermissionKey
from tests import factories
from tests.missing import import_or_missing
from tickets import actions
from tickets.models import DraftScreen, InboundSource, SystemAddress, Ticket
from tickets.postmaster.intake import receive

from .conftest import new_context, shoot_widths
from .test_agent_portal import check_page, sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RAW = (
    b"From: Carla Customer <carla@example.org>\r\n"
    b"To: looks-support@example.test\r\n"
    b"Subject: Scanner too\r\n"
    b"Message-ID: <looks-scanner@example.org>\r\n"
    b"\r\n"
    b"And the scanner is broken.\r\n"
)


def test_the_email_split_bounce_and_note_files_without_javascript(browser, live_server, support):
    support.queue.system_address = SystemAddress.objects.create(
        email="looks-support@example.test", display_name="Support", queue=support.queue
    )
    support.queue.save()
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    # A received mail (its raw source kept: what a bounce sends on).
    receive(RAW, source=InboundSource.PIPE)
    ticket = Ticket.objects.get(title="Scanner too")
    mail = ticket.articles.get()
    actions.save_draft(
        ticket,
        DraftScreen.NOTE,
        actor=support.rw,
        subject="Scanner log",
        body="The scanner's log, to look at tomorrow.",
        attachments=[actions.AttachmentInput("scanner-log.txt", b"t=0 jam\n" * 40, "text/plain")],
    )
    agent = support.rw
    for scheme, language in [("light", "en"), ("dark", "en"), ("light", "de"), ("dark", "de")]:
        agent.language = "" if language == "en" else language
        agent.save()
        german = language == "de"
        context = new_context(browser, live_server, js=False, scheme=scheme)
        page = context.new_page()
        try:
            sign_in(page, agent.username)
            page.goto(f"/agent/tickets/{ticket.pk}/?articles=all")
            expect(page.locator("html")).to_have_attribute("lang", language)
            # The mail's own Split link leads to the e-mail split.
            split = f"/agent/tickets/{ticket.pk}/articles/{mail.pk}/split/email/"
            link = page.locator(f'a[data-article-action="split"][href="{split}"]')
            expect(link).to_have_count(1)
            page.goto(split)
            expect(page.locator('input[name="to"]')).to_have_value(
                "Carla Customer <carla@example.org>"
            )
            check_page(page)
            shoot_widths(page, f"article-split-email-{scheme}-{language}")

            page.goto(f"/agent/tickets/{ticket.pk}/articles/{mail.pk}/bounce/")
            page.locator('input[name="inform_sender"]').check()
            check_page(page)
            shoot_widths(page, f"article-bounce-{scheme}-{language}")

            page.goto(f"/agent/tickets/{ticket.pk}/note/")
            files = page.get_by_role("checkbox", name="scanner-log.txt", exact=False)
            expect(files).to_be_checked()
            expect(page.locator("body")).to_contain_text(
                "Anhänge Ihres Entwurfs" if german else "Attachments of your draft"
            )
            check_page(page)
            shoot_widths(page, f"article-note-draft-files-{scheme}-{language}")
        finally:
            context.close()

"""What agents and customers read (issue 18, "Found"): dates in an unambiguous English, the
history in German with translated state names, the texts the system writes (a merge note, a
missing title) in the reader's language, and no merge note for the customer after an unmerge.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests import factories
from tests.customer_portal import ticket_data as data
from tickets import actions, generated
from tickets.choices import HistoryType
from tickets.history import describe
from tickets.models import Article

pytestmark = pytest.mark.django_db


def _zoom(user, ticket) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()


def _agent(support, language: str):
    support.rw.language = language
    support.rw.save()
    return support.rw


def test_english_dates_are_not_us_style_and_end_no_sentence_twice(support):
    ticket = factories.ticket(support.queue)
    until = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    actions.set_pending(ticket, factories.state("pending reminder"), until, actor=support.rw)
    entry = ticket.history.get(history_type=HistoryType.SET_PENDING_TIME)

    with translation.override("en"):
        ((_entry, text),) = describe([entry])

    assert text == "Pending time set to 2026-12-10 09:00."


def test_german_history_translates_state_names(support):
    ticket = factories.ticket(support.queue)
    actions.set_state(ticket, factories.state("open"), actor=support.rw)
    entry = ticket.history.get(history_type=HistoryType.STATE_UPDATE)

    with translation.override("de"):
        ((_entry, text),) = describe([entry])

    assert "neu" in text and "offen" in text
    assert "new" not in text and "open" not in text


def test_the_merge_note_and_a_missing_title_read_in_the_readers_language(support):
    english = factories.agent("english")
    factories.grant(english, support.group, factories.RW)
    source = actions.create_ticket(title="", queue=support.queue, actor=english)
    target = factories.ticket(support.queue)
    actions.merge_tickets(source, target, actor=english)
    note = Article.objects.get(ticket=source)

    german_page = _zoom(_agent(support, "de"), source)

    assert (source.title, note.subject) == (generated.UNTITLED, generated.MERGED_SUBJECT)
    assert "(kein Titel)" in german_page and "(no title)" not in german_page
    assert "Ticket zusammengefasst" in german_page and "Ticket Merged" not in german_page
    assert f"{source.number}" in german_page
    english_page = _zoom(_agent(support, "en"), source)
    assert "Ticket Merged" in english_page and "(no title)" in english_page


def test_after_an_unmerge_the_customer_no_longer_sees_the_merge_note(support):
    acme = data.company("ACME", "Acme Corporation")
    wile = data.customer("wile", company_=acme, email="wile@acme.test")
    queue = data.portal_queue("Portal")
    factories.grant(support.rw, queue.group, factories.RW)
    source = data.ticket(queue, customer_user="wile", customer_id="ACME")
    target = data.ticket(queue, customer_user="wile", customer_id="ACME")
    detail = reverse("customer:ticket", args=[source.pk])
    customer = data.client_for(wile)

    actions.merge_tickets(source, target, actor=support.rw)
    actions.unmerge_ticket(source, actor=support.rw)
    restored = customer.get(detail)

    assert restored.status_code == 200
    assert "Ticket Merged" not in restored.content.decode()
    assert "merged into" not in restored.content.decode()
    # The agents keep it, as an internal note beside the Unmerged history.
    note = Article.objects.get(ticket=source, subject=generated.MERGED_SUBJECT)
    assert not note.is_visible_for_customer
    assert "Ticket Merged" in _zoom(support.rw, source)

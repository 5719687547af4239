"""Matched words marked on the agent search page: escaped first, then marked, with the
database backend and with Elasticsearch (over real HTTP)."""

from __future__ import annotations

import pytest
from django.test import Client

from otrs.permissions import PermissionKey
from otrs.search import maintenance
from otrs.search.elastic import alias_name
from otrs.search.highlight import highlights, passages
from tests import factories
from tests.faq import fulltext_db

pytestmark = pytest.mark.django_db


@pytest.fixture
def searcher(db):
    queue = factories.queue("Highlight queue", group_=factories.group("highlight"))
    hidden = factories.queue("Highlight hidden", group_=factories.group("highlight-hidden"))
    agent = factories.agent("highlight-agent")
    factories.grant(agent, queue.group, PermissionKey.RW)
    return queue, hidden, agent


def test_passages_escape_the_text_and_mark_only_the_words():
    found = passages(['<script>alert("x")</script> The Printer smokes & stops'], ["printer"])
    assert len(found) == 1
    assert "&lt;script&gt;" in found[0] and "<script>" not in found[0]
    assert "<mark>Printer</mark>" in found[0] and "&amp; stops" in found[0]
    # A private-use mark smuggled into the text is dropped, never turned into markup.
    assert "<mark>" not in passages(["\ue000bold\ue001 nothing"], ["else"])


@fulltext_db
def test_the_search_page_marks_the_words_in_the_tickets_it_shows(searcher):
    queue, hidden, agent = searcher
    shown = factories.ticket(
        queue, title="Highlight toner", body="The <b>cartridge</b> smokes behind the tray."
    )
    factories.ticket(hidden, title="Highlight secret", body="A secret cartridge.")
    client = Client()
    client.force_login(agent)
    page = client.get("/agent/search/", {"fulltext": "cartridge"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;<mark>cartridge</mark>&lt;/b&gt;" in html
    assert shown.number in html
    assert "A secret" not in html


def test_elasticsearch_fragments_are_escaped_and_marked(
    es, searcher, django_capture_on_commit_callbacks
):
    queue, _hidden, _agent = searcher
    maintenance.rebuild("ticket")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.ticket(
            queue, title="Highlight walrus", body="<i>a</i> walrus sits on the <b>printer</b>"
        )
    es.indices.refresh(index=alias_name("ticket"))
    found = highlights("ticket", "walrus", [ticket.pk])
    assert list(found) == [ticket.pk]
    text = " ".join(found[ticket.pk])
    assert "<mark>walrus</mark>" in text
    assert "<b>" not in text and "<i>" not in text

"""The database backend's side of search: SQLite FTS5 (kept by triggers, repaired after a
migration rebuilt a table), the registry's kinds through the access entries, attachment
text extraction, and which events reach the index."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otrs.events import Event
from otrs.search import DatabaseBackend, extract, fts, indexing, registry
from tests import factories
from tickets.models import Article, Ticket


def _matching(text: str) -> set[int]:
    return set(
        DatabaseBackend().filter_tickets(Ticket.objects.all(), text).values_list("pk", flat=True)
    )


sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5")


@sqlite_only
@pytest.mark.django_db
def test_it_matches_whole_words_through_fts5_on_sqlite():
    queue = factories.queue("Fts")
    hit = factories.ticket(queue, title="Straße", body="Der Drucker brennt, Über-Größe.")
    factories.ticket(queue, title="Other", body="Druckerei")

    with CaptureQueriesContext(connection) as queries:
        assert _matching("drucker") == {hit.pk}
    assert "tickets_article_fts" in queries[-1]["sql"]
    assert _matching("GRÖSSE") == set()  # no folding of ß, as PostgreSQL's simple
    assert _matching("größe brennt") == {hit.pk}
    assert _matching('dru" OR *') == set()  # user text is never FTS5 syntax

    Article.objects.filter(ticket=hit).update(body="Nothing left.")  # the update trigger
    assert _matching("drucker") == set()


@sqlite_only
@pytest.mark.django_db
def test_it_puts_back_triggers_a_table_rebuild_dropped():
    queue = factories.queue("Fts")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER tickets_article_fts_ai")
    factories.ticket(queue, title="Unseen", body="invisible words")
    assert _matching("invisible") == set()

    assert fts.ensure(connection) == ["tickets_article_fts"]

    assert len(_matching("invisible")) == 1
    assert fts.ensure(connection) == []


@pytest.mark.django_db
def test_every_app_registers_what_it_indexes():
    assert registry.kinds() == [
        "configitem",
        "customer_company",
        "customer_user",
        "faq_item",
        "ticket",
    ]
    for indexed in registry.all_indexed():
        assert isinstance(indexed, registry.Indexed)


@pytest.mark.django_db
def test_the_database_backend_searches_other_kinds_within_what_access_gives():
    # Imported here: the customers app's models are needed by this test only.
    from customers.models import CustomerCompany

    CustomerCompany.objects.create(customer_id="ACME", name="Acme Rockets", city="Duckburg")
    CustomerCompany.objects.create(customer_id="OTHER", name="Other", city="Gotham")
    companies = CustomerCompany.objects.all()

    found = DatabaseBackend().filter("customer_company", companies, "duckburg rockets")

    assert list(found.values_list("customer_id", flat=True)) == ["ACME"]
    assert not DatabaseBackend().filter("customer_company", companies.none(), "duckburg")


def test_only_events_that_change_a_document_reach_the_index():
    tickets = registry.get("ticket")

    def event(name, object_type="ticket"):
        return Event(name=name, object_type=object_type, object_id=7, actor_id=1)

    assert list(tickets.affected(event("ArticleCreate"))) == [7]
    assert list(tickets.affected(event("TicketMerge"))) == [7]
    assert list(tickets.affected(event("TicketQueueUpdate"))) == []
    assert list(tickets.affected(event("TicketStateUpdate"))) == []
    assert list(registry.get("faq_item").affected(event("FAQUpdate", "faq_item"))) == [7]
    assert not indexing.enabled()  # the database backend keeps no index: no deliveries


def test_it_extracts_text_from_office_files_and_html(settings):
    document = docx.Document()
    document.add_paragraph("Angebot für Zebras")
    word = io.BytesIO()
    document.save(word)
    book = openpyxl.Workbook()
    book.active["A1"] = "spreadsheet cell"
    sheet = io.BytesIO()
    book.save(sheet)

    assert "Zebras" in extract.extract(word.getvalue(), extract.OFFICE_WORD, "a.docx")
    assert "spreadsheet cell" in extract.extract(sheet.getvalue(), extract.OFFICE_EXCEL, "a.xlsx")
    html = b"<style>p{}</style><p>Hello &amp; <i>bye</i></p>"
    assert extract.extract(html, "text/html", "a.html") == "Hello & bye"


def test_it_reports_what_it_cannot_extract(settings):
    settings.SEARCH_ATTACHMENT_MAX_BYTES = 10
    settings.SEARCH_ATTACHMENT_MAX_CHARS = 4

    with pytest.raises(extract.NotExtracted, match="SEARCH_ATTACHMENT_MAX_BYTES"):
        extract.extract(b"x" * 11, "text/plain", "big.txt")
    settings.SEARCH_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(extract.NotExtracted, match="no text extraction"):
        extract.extract(b"x", "application/x-thing", "a.bin")
    with pytest.raises(extract.NotExtracted, match="unreadable pdf"):
        extract.extract(b"%PDF-broken", "application/pdf", "a.pdf")
    with pytest.raises(extract.NotExtracted, match="cut") as cut:
        extract.extract(b"abcdefgh", "text/plain", "a.txt")
    assert cut.value.text == "abcd"

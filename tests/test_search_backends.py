"""The search backend interface (otrs.search) and the database backend on each engine."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q

from otrs.search import DatabaseBackend, SearchBackend, get_backend, words_of
from otrs.search import backends as backends_module
from tests import factories
from tickets.models import Article, Ticket

# InnoDB's full-text index sees committed rows only, so on MariaDB the tests that match
# article text commit their data (and restore the default data afterwards).
_COMMIT = connection.vendor == "mysql"
fulltext_db = pytest.mark.django_db(transaction=_COMMIT, serialized_rollback=_COMMIT)


class ListBackend:
    """What a search-server backend looks like from here: ids from elsewhere, as a Q."""

    ids: list[int] = []
    indexed: list[int] = []

    def ticket_condition(self, text, *, using="default"):
        return Q(pk__in=list(self.ids))

    def filter_tickets(self, queryset, text):
        return queryset.filter(self.ticket_condition(text, using=queryset.db))

    def index_ticket(self, ticket_id):
        self.indexed.append(ticket_id)

    def filter_faq_items(self, queryset, text, *, internal=False):
        return queryset.filter(pk__in=list(self.ids))

    def suggest_faq_items(self, queryset, text, limit, *, internal=False):
        return list(self.ids)[:limit]

    def rank_faq_items(self, queryset, text, limit, *, internal=False):
        return list(self.ids)[:limit]

    def index_faq_item(self, item_id):
        self.indexed.append(item_id)


def _matching(text: str) -> set[int]:
    return set(
        DatabaseBackend().filter_tickets(Ticket.objects.all(), text).values_list("pk", flat=True)
    )


@pytest.fixture
def queue(db):
    return factories.queue("Backend")


# --- choosing a backend -------------------------------------------------------------------


def test_it_uses_the_database_backend_by_default(settings):
    del settings.SEARCH_BACKEND

    backend = get_backend()

    assert isinstance(backend, DatabaseBackend)
    assert isinstance(backend, SearchBackend)


def test_it_reads_the_setting_on_every_call(settings):
    settings.SEARCH_BACKEND = "database"
    assert isinstance(get_backend(), DatabaseBackend)

    settings.SEARCH_BACKEND = "tests.test_search_backends.ListBackend"
    backend = get_backend()

    assert isinstance(backend, ListBackend)
    assert isinstance(backend, SearchBackend)


@pytest.mark.parametrize("name", ["elastic", "tests.test_search_backends.Missing", "no.such"])
def test_it_refuses_an_unknown_backend_by_name(settings, name):
    settings.SEARCH_BACKEND = name

    with pytest.raises(ImproperlyConfigured, match="SEARCH_BACKEND"):
        get_backend()


def test_it_splits_text_into_distinct_words():
    assert words_of("Printer, printer ON fire!  über-straße 42") == [
        "Printer",
        "ON",
        "fire",
        "über",
        "straße",
        "42",
    ]
    assert words_of("'); -- %_*") == ["_"]
    assert words_of("!!!") == []
    assert len(words_of(" ".join(f"w{i}" for i in range(50)))) == backends_module.MAX_WORDS


# --- the database backend ------------------------------------------------------------------


@fulltext_db
def test_it_finds_a_ticket_by_a_word_in_an_article_body(queue):
    hit = factories.ticket(queue, title="Printer", body="The toner cartridge smokes badly.")
    factories.ticket(queue, title="Other", body="Nothing to see here.")

    assert _matching("cartridge") == {hit.pk}
    assert _matching("CARTRIDGE smokes") == {hit.pk}
    assert _matching("cartridge nothing") == set()


@fulltext_db
def test_it_finds_words_in_the_subject_and_in_internal_notes(queue):
    by_subject = factories.ticket(queue, title="Quarterly invoice", body="See attachment.")
    by_note = factories.ticket(queue, title="Call back", body="Customer called.")
    factories.note(by_note, body="Escalated to the vendor, reference zebracode.")

    assert _matching("quarterly") == {by_subject.pk}
    assert _matching("zebracode") == {by_note.pk}


@fulltext_db
def test_it_needs_all_words_in_one_article(queue):
    ticket = factories.ticket(queue, title="Split", body="alpha words here")
    factories.note(ticket, body="bravo words there")

    assert _matching("alpha bravo") == set()
    assert _matching("alpha words") == {ticket.pk}


@fulltext_db
def test_it_returns_each_ticket_once_however_many_articles_match(queue):
    ticket = factories.ticket(queue, title="Many", body="kangaroo one")
    factories.note(ticket, body="kangaroo two")
    factories.note(ticket, body="kangaroo three")

    found = list(DatabaseBackend().filter_tickets(Ticket.objects.all(), "kangaroo"))

    assert found == [ticket]


@fulltext_db
def test_it_matches_short_words_and_stopwords_too(queue):
    """InnoDB indexes neither (they go through LIKE there); the others match them as words."""
    hit = factories.ticket(queue, title="Printer on fire", body="It is on the desk by the door")
    factories.ticket(queue, title="Printer", body="Paper jam")

    assert _matching("printer on") == {hit.pk}
    assert _matching("on the desk") == {hit.pk}
    assert _matching("it") == {hit.pk}


@fulltext_db
def test_it_passes_the_text_as_a_parameter(queue):
    hit = factories.ticket(queue, title="Refund", body="Mr O'Brien wants 100% back")
    attack = "x'); DELETE FROM tickets_article; --"

    assert _matching(attack) == set()
    assert _matching("O'Brien 100%") == {hit.pk}
    assert Article.objects.filter(ticket=hit).exists()
    query = DatabaseBackend().matching_articles("O'Brien wants")
    sql, params = query.query.sql_with_params()
    assert "Brien" not in sql
    assert any("Brien" in str(param) for param in params)


@fulltext_db
def test_it_gives_the_same_answer_with_many_matches(queue, monkeypatch):
    """Past ID_LIST_LIMIT matching articles the condition is a subquery, not an id list."""
    hits = {factories.ticket(queue, body=f"wombat {i}").pk for i in range(3)}
    factories.ticket(queue, body="nothing")
    assert _matching("wombat") == hits
    backend = DatabaseBackend()

    monkeypatch.setattr(backends_module, "ID_LIST_LIMIT", 2)

    assert _matching("wombat") == hits
    assert "SELECT" in str(Ticket.objects.filter(backend.ticket_condition("wombat")).query)


@fulltext_db
def test_many_matches_combine_with_other_conditions(queue, monkeypatch):
    by_text = factories.ticket(queue, title="One", body="numbat here")
    by_title = factories.ticket(queue, title="numbat in the title", body="nothing")
    factories.ticket(queue, title="Other", body="nothing")
    monkeypatch.setattr(backends_module, "ID_LIST_LIMIT", 0)

    condition = Q(title__icontains="numbat") | DatabaseBackend().ticket_condition("numbat")

    assert set(Ticket.objects.filter(condition)) == {by_text, by_title}


@pytest.mark.django_db
def test_it_matches_nothing_for_text_without_words(queue):
    factories.ticket(queue, title="Anything", body="Anything at all")

    assert _matching("!!! ???") == set()
    assert _matching("") == set()


@pytest.mark.django_db
def test_a_condition_combines_with_other_conditions(queue):
    ticket = factories.ticket(queue, title="Number match")
    condition = Q(number=ticket.number) | DatabaseBackend().ticket_condition("zzzunfindable")

    assert list(Ticket.objects.filter(condition)) == [ticket]


@pytest.mark.django_db
def test_the_database_backend_keeps_no_index_of_its_own(queue):
    ticket = factories.ticket(queue)

    assert DatabaseBackend().index_ticket(ticket.pk) is None


# --- the indexes the queries rely on --------------------------------------------------------


def _plan(text: str) -> str:
    queryset = DatabaseBackend().matching_articles(text)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On a handful of rows a sequential scan is cheaper; forbid it to see that the
            # index *can* answer the query (that is, that the expressions are the same).
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite searches with LIKE")
@pytest.mark.django_db
def test_the_full_text_query_uses_the_migration_index(queue):
    factories.ticket(queue, body="indexed words")

    index = "article_search_vector" if connection.vendor == "postgresql" else "article_fulltext"
    assert index in _plan("indexed words")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL tsvector limit")
@pytest.mark.django_db
def test_a_huge_article_can_still_be_stored_and_found(queue):
    """A tsvector over 1 MB would fail the INSERT; the index covers the first 100,000
    characters only."""
    huge = " ".join(f"{i:010x}" for i in range(120_000))  # 1.3 MB of distinct words

    ticket = factories.ticket(queue, title="Dump", body="needle " + huge)

    assert _matching("needle") == {ticket.pk}
    assert _matching(f"{10:010x}") == {ticket.pk}

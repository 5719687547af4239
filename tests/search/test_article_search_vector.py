"""The articles' full text kept in step with every write, on each engine: PostgreSQL's stored
vector (migration tickets 0038, a trigger), MariaDB's FULLTEXT index, SQLite's FTS5 table. On
PostgreSQL the search reads the stored vector and never parses article text, and the
migration's batched fill gives every old row the vector the trigger would have."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from otrs.search import DatabaseBackend, backends
from otrs.search.backends import ARTICLE_VECTOR_COLUMN, ARTICLE_VECTOR_INDEX
from tests import factories
from tickets import actions
from tickets.models import Article, Ticket

# InnoDB's full-text index sees committed rows only (as in tests/test_search_backends.py).
_COMMIT = connection.vendor == "mysql"
fulltext_db = pytest.mark.django_db(transaction=_COMMIT, serialized_rollback=_COMMIT)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored vector is PostgreSQL's"
)
migration = importlib.import_module("tickets.migrations.0038_article_search_vector")


def _matching(text: str) -> set[int]:
    return set(
        DatabaseBackend().filter_tickets(Ticket.objects.all(), text).values_list("pk", flat=True)
    )


def _vectors_agree() -> list[int]:
    """Ids of articles whose stored vector differs from the one their text gives."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM tickets_article WHERE {ARTICLE_VECTOR_COLUMN} IS DISTINCT FROM "  # noqa: S608 (constant names)
            + migration.VECTOR.format(row="")
        )
        return [pk for (pk,) in cursor.fetchall()]


@fulltext_db
def test_it_finds_an_article_from_the_moment_it_is_added(support):
    ticket = factories.ticket(support.queue, title="Fresh", body="Kettle whistles loudly")
    factories.note(ticket, actor=support.rw, body="Toaster sparks")

    assert _matching("kettle") == {ticket.pk}
    assert _matching("toaster sparks") == {ticket.pk}
    assert _matching("kettle toaster") == set()  # every word in one article


@fulltext_db
def test_an_edited_article_is_found_by_its_new_words_only(support):
    ticket = factories.ticket(support.queue, title="Edited", body="Original wording here")
    article = ticket.articles.get()

    article.body = "Replacement phrasing"
    article.save(update_fields=["body"])
    Article.objects.filter(pk=article.pk).update(subject="Retitled")

    assert _matching("original") == set()
    assert _matching("replacement phrasing") == {ticket.pk}
    assert _matching("retitled") == {ticket.pk}


@fulltext_db
def test_a_merged_tickets_articles_are_found_under_the_target(support):
    rw = factories.refetch(support.rw)
    source = factories.ticket(support.queue, title="Source", body="Blender rattles")
    target = factories.ticket(support.queue, title="Target", body="Fridge hums")

    actions.merge_tickets(source, target, actor=rw)

    assert target.pk in _matching("blender rattles")
    assert source.pk not in _matching("blender rattles")
    assert _matching("fridge") == {target.pk}


@postgresql_only
@pytest.mark.django_db
def test_the_trigger_keeps_the_stored_vector_of_every_write(support):
    rw = factories.refetch(support.rw)
    source = factories.ticket(support.queue, title="A", body="Alpha " * 3)
    target = factories.ticket(support.queue, title="B", body="Beta")
    factories.note(source, actor=rw, body="Gamma")
    Article.objects.filter(ticket=target).update(body="Delta epsilon")
    actions.merge_tickets(source, target, actor=rw)

    assert Article.objects.count() >= 3  # the merge may add its own note
    assert _vectors_agree() == []


@postgresql_only
@pytest.mark.django_db
def test_the_search_reads_the_stored_vector_and_never_parses_article_text(support):
    ticket = factories.ticket(support.queue, title="Plan", body="Indexed words")

    with CaptureQueriesContext(connection) as queries:
        assert _matching("indexed words") == {ticket.pk}
    sql = "\n".join(q["sql"] for q in queries)
    assert f'"tickets_article"."{ARTICLE_VECTOR_COLUMN}" @@' in sql
    assert "to_tsvector" not in sql


@postgresql_only
@pytest.mark.django_db
def test_the_migration_index_is_the_only_full_text_index_left(support):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tickets_article'"
        )
        indexes = dict(cursor.fetchall())

    assert f"gin ({ARTICLE_VECTOR_COLUMN})" in indexes[ARTICLE_VECTOR_INDEX]
    assert not [name for name, definition in indexes.items() if "to_tsvector" in definition]


@postgresql_only
@pytest.mark.django_db
def test_the_fill_gives_old_rows_their_vector_in_batches(support):
    tickets = [
        factories.ticket(support.queue, title=f"Old {i}", body=f"Legacy{i} text") for i in range(5)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tickets_article SET {ARTICLE_VECTOR_COLUMN} = NULL")  # noqa: S608 (constant names)
    assert _matching("legacy3") == set()  # as before the migration's fill

    assert migration.fill(connection, batch=2) == 5
    assert migration.fill(connection, batch=2) == 0  # restartable: filled rows are kept

    assert _vectors_agree() == []
    assert _matching("legacy3 text") == {tickets[3].pk}


@postgresql_only
@pytest.mark.django_db
def test_a_common_word_is_tested_ticket_by_ticket_also_beside_the_title(support, monkeypatch):
    """Past ID_LIST_LIMIT matching articles, the quick search ORs the title with a test of
    each ticket's articles; PostgreSQL must not turn that into a hash of every matching
    article's ticket (a million tickets: 620 ms before the first row)."""
    by_text = factories.ticket(support.queue, title="One", body="Quokka here")
    by_title = factories.ticket(support.queue, title="Quokka in the title", body="Nothing")
    factories.ticket(support.queue, title="Other", body="Nothing")
    monkeypatch.setattr(backends, "ID_LIST_LIMIT", 0)
    condition = Q(title__icontains="quokka") | DatabaseBackend().ticket_condition("quokka")
    tickets = Ticket.objects.filter(condition)

    assert set(tickets) == {by_text, by_title}
    sql, params = tickets.query.sql_with_params()
    assert "OFFSET 0)" in sql
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hashed SubPlan" not in plan

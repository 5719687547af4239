"""The suggestions' word weights (otrs.search.backends._suggest_by_word): on PostgreSQL the
items' text is a stored tsvector column and a word-count table kept by triggers says how
many items hold each word; common words are left out, rarer words weigh more."""

from __future__ import annotations

import pytest
from django.db import connection

from faq import access, actions, selectors
from faq.choices import ItemState
from faq.models import FaqItem
from otrs.search import backends
from tests import factories
from tests.customers import customer_user
from tests.faq import category, fulltext_db, item

pytestmark = [
    fulltext_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's word counts"),
]


def counts(*words: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT word, items FROM {backends.FAQ_WORD_COUNTS} WHERE word = ANY(%s)",  # noqa: S608
            [list(words)],
        )
        return dict(cursor.fetchall())


def test_the_counts_follow_new_changed_and_deleted_items():
    cat = category()
    first = item(cat, "Qwvtrap alpha", solution="<p>qwvshared</p>")
    item(cat, "Qwvtrap beta", solution="<p>qwvshared qwvshared</p>")
    assert counts("qwvtrap", "qwvshared", "alpha") == {"qwvtrap": 2, "qwvshared": 2, "alpha": 1}
    actions.update_item(
        first, actions.Content(title="Qwvtrap gamma", solution="<p>x</p>"), actor=factories.system()
    )
    assert counts("qwvshared", "alpha", "gamma") == {"qwvshared": 1, "alpha": 0, "gamma": 1}
    FaqItem.objects.filter(pk=first.pk).update(live_revision=None, latest_revision=None)
    FaqItem.objects.filter(pk=first.pk).delete()
    assert counts("qwvtrap", "gamma") == {"qwvtrap": 1, "gamma": 0}


def test_search_reads_the_stored_vector_of_the_live_text():
    cat = category()
    found = item(cat, "Qwvstored printer", solution="<p>before</p>")
    actions.update_item(
        found,
        actions.Content(title="Qwvstored printer", solution="<p>qwvafter</p>"),
        actor=factories.system(),
    )
    items = FaqItem.objects.filter(category=cat)
    assert list(selectors.search(items, "qwvafter")) == [found]
    assert not selectors.search(items, "before qwvstored").exists()


def test_a_rare_word_outranks_many_common_ones(monkeypatch):
    monkeypatch.setattr(backends, "SUGGEST_COMMON", 3)
    cat = category()
    common = [item(cat, f"Qwvcommon qwvother number {n}") for n in range(4)]
    rare = item(cat, "Qwvrare toner", solution="<p>qwvother</p>")
    ranked = selectors.suggestions(
        FaqItem.objects.filter(category=cat), "qwvcommon qwvother qwvrare", limit=10
    )
    # qwvcommon (4 items) and qwvother (5) are too common to rank by; qwvrare decides.
    assert ranked == [rare]
    assert common[0] not in ranked


def test_rarer_words_weigh_more(monkeypatch):
    cat = category()
    two = [item(cat, f"Qwvpair {n}") for n in range(2)]
    single = item(cat, "Qwvsingle")
    ranked = selectors.suggestions(FaqItem.objects.filter(category=cat), "qwvpair qwvsingle")
    assert ranked[0] == single and set(ranked[1:]) == set(two)


def test_a_text_of_unknown_or_quoting_words_suggests_nothing():
    cat = category()
    item(cat, "Qwvquote")
    items = FaqItem.objects.filter(category=cat)
    assert selectors.suggestions(items, "zzqnothing 'qwv' \\ | & ! <-> :*") == []


def test_a_suggestion_is_three_queries_and_skips_what_the_reader_may_not_read(
    django_assert_num_queries,
):
    # Word counts, scoring, then one query that filters the candidates through the
    # reader's queryset (access and language fallback) and fetches the best of them.
    shown = category("Qwvshown", customers_all=True)
    hidden = category("Qwvhidden")  # no customer reads it
    best = item(hidden, "Qwvrank qwvalpha qwvbeta", state=ItemState.EXTERNAL)
    second = item(shown, "Qwvrank qwvalpha", state=ItemState.EXTERNAL)
    third = item(shown, "Qwvrank", state=ItemState.PUBLIC)
    internal = item(shown, "Qwvrank qwvalpha qwvbeta internal", state=ItemState.INTERNAL)
    reader = customer_user("qwv-reader").user
    readable = selectors.in_language(access.visible_to(reader), "en")
    with django_assert_num_queries(3):
        ranked = selectors.suggestions(readable, "qwvrank qwvalpha qwvbeta", limit=5)
        assert [i.category.name for i in ranked] == ["Qwvshown", "Qwvshown"]
    assert ranked == [second, third]
    # Without the reader's limits: the two with all three words (equal scores: the newer
    # first), then the others.
    agent_view = selectors.suggestions(FaqItem.objects.all(), "qwvrank qwvalpha qwvbeta")
    assert agent_view == [internal, best, second, third]

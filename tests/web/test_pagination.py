"""The one pagination helper (otrs/web/pagination.py) and the lists that use it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from otrs.accounts.models import Group
from otrs.web.pagination import MAX_PAGE, page_number, paginate
from tests import factories

DASH = "\u2013"  # the en dash between the first and last row of a page summary


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("3", 3),
        (None, 1),
        ("", 1),
        ("0", 1),
        ("-2", 1),
        ("abc", 1),
        ("2.5", 1),
        ("99999999999999999999999", 1),
        (str(MAX_PAGE), MAX_PAGE),
        (str(MAX_PAGE + 1), 1),
        ("٣", 1),  # an Arabic-Indic three: a digit to Python, not to a link
        ("3\x00", 1),
        (" 4 ", 4),
    ],
)
def test_it_reads_a_page_number_or_falls_back_to_the_first(raw, number):
    assert page_number(raw) == number


@pytest.fixture
def groups(db):
    """25 groups named g00..g24 (ordered by name)."""
    Group.objects.bulk_create(Group(name=f"g{i:02}") for i in range(25))
    return Group.objects.filter(name__startswith="g").order_by("name")


def test_it_counts_where_the_page_does_not_tell_the_total(groups, django_assert_num_queries):
    with django_assert_num_queries(2):  # the rows, then a capped count
        page = paginate(groups, number=2, per_page=10)

    assert [g.name for g in page] == [f"g{i}" for i in range(10, 20)]
    assert (page.total, page.has_previous, page.has_next) == (25, True, True)
    assert page.summary == f"11{DASH}20 of 25"


def test_it_needs_no_count_on_the_last_page(groups, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = paginate(groups, number=3, per_page=10)

    assert (len(page), page.total, page.has_next) == (5, 25, False)
    assert page.summary == f"21{DASH}25 of 25"


def test_it_says_more_than_when_counting_stops_at_the_cap(groups):
    page = paginate(groups, number=1, per_page=10, cap=20)

    assert page.total is None
    assert page.summary == f"1{DASH}10 of more than 20"
    with translation.override("de"):
        assert page.summary == f"1{DASH}10 von mehr als 20"


def test_it_takes_a_known_total_and_a_fetch_function(db, django_assert_num_queries):
    rows = list(range(1234))

    with django_assert_num_queries(0):
        page = paginate(
            lambda offset, limit: rows[offset : offset + limit], number="2", per_page=50, total=1234
        )

    assert page.summary == f"51{DASH}100 of 1,234"
    assert (page.previous_number, page.next_number) == (1, 3)


def test_a_page_past_the_end_is_empty_and_offers_the_first(groups):
    page = paginate(groups, number=9, per_page=10)

    assert (list(page), page.total, page.summary) == ([], 25, "")


def test_the_lists_show_the_total(client, support):
    for i in range(3):
        factories.ticket(support.queue, title=f"T{i}")
    support.rw.rows_per_page = 2
    support.rw.save()
    client.force_login(support.rw)

    pages = {
        "queue": client.get(reverse("agent:queues"), {"queue": support.queue.pk}),
        "status": client.get(reverse("agent:status")),
        "search": client.get(reverse("agent:search"), {"q": "T"}),
        "huge page": client.get(reverse("agent:search"), {"q": "T", "page": "9" * 23}),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        assert f"1{DASH}2 of 3" in response.content.decode(), name

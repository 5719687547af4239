"""Ticket search: the search page, its CSV export and saved searches."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs.permissions import PermissionKey
from tests import factories
from tests.test_search_backends import ListBackend
from tickets import access, actions
from tickets import search as ticket_search
from tickets.models import SavedSearch

SEARCH = reverse("agent:search")
EXPORT = reverse("agent:search_export")
SAVE = reverse("agent:saved_search_save")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOAD = SCRIPT + IMG
UTC = dt.UTC

# InnoDB's full-text index sees committed rows only: on MariaDB the tests that match
# article text commit their data (and restore the default data afterwards).
_COMMIT = connection.vendor == "mysql"
fulltext_db = pytest.mark.django_db(transaction=_COMMIT, serialized_rollback=_COMMIT)


@pytest.fixture
def world(support):
    """rw_agent: rw on Support, ro on Reading, nothing on Secret; ro_agent: ro on Support."""
    reading = factories.group("reading")
    support.reading = factories.queue("Reading", group_=reading)
    factories.grant(support.rw, reading, PermissionKey.RO)
    support.secret = factories.queue("Secret", group_=factories.group("secret"))
    support.printer = factories.ticket(
        support.queue,
        title="Printer on fire",
        body="It smokes.",
        customer_user="carol@example.com",
        customer_id="ACME",
    )
    support.mail = factories.ticket(
        support.queue,
        title="Mail server down",
        body="Postfix queue stuck.",
        customer_user="dave",
        customer_id="GLOBEX",
        priority=factories.priority(5),
    )
    support.manual = factories.ticket(
        support.reading, title="Manual for the printer", body="Where is it?"
    )
    support.hidden = factories.ticket(
        support.secret,
        title="Secret printer plans",
        body="It smokes too.",
        customer_user="carol@example.com",
        customer_id="ACME",
    )
    return support


def login(client, user) -> Client:
    client.force_login(user)
    return client


def found(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return [ticket.pk for ticket in response.context["results"].rows]


def search(client, **params):
    return client.get(SEARCH, params)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


# --- access ------------------------------------------------------------------------------


def test_it_shows_the_form_and_no_results_before_a_search(client, world):
    response = login(client, world.rw).get(SEARCH)

    assert response.status_code == 200
    assert response.context["results"] is None
    assert 'id="search-results"' not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "printer"}, {"customer": "ACME"}, {"state_type": "open"}, {"title": "e"}],
)
def test_it_never_finds_tickets_the_agent_may_not_read(client, world, params):
    for agent in (world.rw, world.ro, world.outsider):
        results = found(login(client, agent).get(SEARCH, params))

        visible = set(access.visible_to(agent).values_list("pk", flat=True))
        assert set(results) <= visible
        assert world.hidden.pk not in results
    assert found(login(client, world.outsider).get(SEARCH, params)) == []


def test_it_finds_everything_readable_for_an_empty_search(client, world):
    results = found(search(login(client, world.rw), q=""))

    assert set(results) == {world.printer.pk, world.mail.pk, world.manual.pk}
    assert set(found(search(login(client, world.ro), q=""))) == {world.printer.pk, world.mail.pk}


def test_it_offers_only_queues_the_agent_may_read(client, world):
    response = search(login(client, world.rw), q="")

    queues = list(response.context["form"].fields["queue"].queryset)
    assert queues == [world.reading, world.queue]


def test_it_refuses_a_queue_the_agent_may_not_read(client, world):
    response = login(client, world.rw).get(SEARCH, {"queue": world.secret.pk})

    assert response.status_code == 400
    assert response.context["results"] is None
    assert "Secret printer plans" not in response.content.decode()


def test_it_sends_anonymous_visitors_to_the_login(client, world):
    for url in (SEARCH, f"{EXPORT}?q=x"):
        response = client.get(url)

        assert response.status_code == 302
        assert response.url.startswith("/agent/login/?next=")
    response = client.post(SAVE, {"name": "x", "query": "q=x"})
    assert response.url.startswith("/agent/login/?next=")
    assert not SavedSearch.objects.exists()


def test_it_refuses_customers(client, world):
    client.force_login(factories.customer("carol"))
    saved = SavedSearch.objects.create(owner=world.rw, name="Mine", criteria={"q": ["x"]})
    delete = reverse("agent:saved_search_delete", args=[saved.pk])

    for response in (
        client.get(SEARCH, {"q": "printer"}),
        client.get(EXPORT, {"q": "printer"}),
        client.post(SAVE, {"name": "x", "query": "q=printer"}),
        client.post(delete),
    ):
        assert response.status_code == 403
        assert "Printer on fire" not in response.content.decode()
    assert SavedSearch.objects.count() == 1


def test_it_answers_get_only(client, world):
    assert login(client, world.rw).post(SEARCH, {"q": "x"}).status_code == 405
    assert client.post(EXPORT, {"q": "x"}).status_code == 405


# --- criteria ----------------------------------------------------------------------------


def test_it_finds_by_title_in_the_quick_search(client, world):
    results = found(search(login(client, world.rw), q="PRINTER"))

    assert set(results) == {world.printer.pk, world.manual.pk}


def test_it_finds_by_ticket_number(client, world):
    client = login(client, world.rw)

    assert found(search(client, number=world.mail.number)) == [world.mail.pk]
    assert found(search(client, number=f"Ticket#{world.mail.number}")) == [world.mail.pk]
    assert found(search(client, number=world.mail.number[:-1])) == []
    assert found(search(client, number=f"*{world.mail.number[-7:]}")) == [world.mail.pk]
    assert found(search(client, number=f"{world.mail.number[:8]}*")) != []
    assert found(search(client, number=world.hidden.number)) == []


def test_it_finds_by_title(client, world):
    assert found(search(login(client, world.rw), title="server")) == [world.mail.pk]


def test_it_finds_by_customer_user_or_customer_id(client, world):
    client = login(client, world.rw)

    assert found(search(client, customer="CAROL@")) == [world.printer.pk]
    assert found(search(client, customer="globe")) == [world.mail.pk]


def test_it_finds_by_queue(client, world):
    client = login(client, world.rw)

    assert found(client.get(SEARCH, {"queue": world.reading.pk})) == [world.manual.pk]
    both = found(client.get(SEARCH, {"queue": [world.reading.pk, world.queue.pk]}))
    assert set(both) == {world.printer.pk, world.mail.pk, world.manual.pk}


def test_it_finds_by_state_and_state_type(client, world):
    closed = factories.state("closed successful")
    actions.set_state(world.mail, closed, actor=world.rw)
    client = login(client, world.rw)

    assert found(client.get(SEARCH, {"state": [closed.pk]})) == [world.mail.pk]
    assert found(client.get(SEARCH, {"state_type": "closed"})) == [world.mail.pk]
    assert set(found(client.get(SEARCH, {"state_type": "open"}))) == {
        world.printer.pk,
        world.manual.pk,
    }


def test_it_finds_by_priority(client, world):
    client = login(client, world.rw)
    very_high, low = factories.priority(5), factories.priority(2)

    assert found(client.get(SEARCH, {"priority": [very_high.pk]})) == [world.mail.pk]
    assert found(client.get(SEARCH, {"priority": [low.pk]})) == []


def test_it_finds_by_owner(client, world):
    actions.set_owner(world.printer, world.rw, actor=world.rw)
    client = login(client, world.rw)

    assert found(client.get(SEARCH, {"owner": world.rw.pk})) == [world.printer.pk]


def test_it_reads_dates_as_days_in_the_agents_time_zone(client, world):
    world.rw.time_zone = "Europe/Berlin"
    world.rw.save()
    # 23:30 UTC on the 10th is half past midnight on the 11th in Berlin.
    late = factories.ticket(world.queue, created_at=dt.datetime(2024, 3, 10, 23, 30, tzinfo=UTC))
    noon = factories.ticket(world.queue, created_at=dt.datetime(2024, 3, 10, 12, 0, tzinfo=UTC))
    client = login(client, world.rw)

    on_the_11th = {"created_from": "2024-03-11", "created_to": "2024-03-11"}
    on_the_10th = {"created_from": "2024-03-10", "created_to": "2024-03-10"}
    assert found(client.get(SEARCH, on_the_11th)) == [late.pk]
    assert found(client.get(SEARCH, on_the_10th)) == [noon.pk]
    assert set(found(client.get(SEARCH, {"created_to": "2024-03-31"}))) == {late.pk, noon.pk}


def test_it_finds_by_change_date(client, world):
    old = factories.ticket(world.queue, created_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=UTC))
    touched = factories.ticket(world.queue, created_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=UTC))
    actions.set_priority(touched, factories.priority(4), actor=world.rw)
    client = login(client, world.rw)

    january = {"changed_from": "2024-01-01", "changed_to": "2024-01-31"}
    assert found(client.get(SEARCH, january)) == [old.pk]
    now = timezone.localdate()  # the site's zone: this agent has chosen none
    today = now.isoformat()
    since_yesterday = (now - dt.timedelta(days=1)).isoformat()
    assert touched.pk in found(client.get(SEARCH, {"changed_from": since_yesterday}))
    assert old.pk not in found(client.get(SEARCH, {"changed_from": today}))


def test_it_refuses_a_date_range_that_ends_before_it_starts(client, world):
    response = login(client, world.rw).get(
        SEARCH, {"created_from": "2024-03-11", "created_to": "2024-03-01"}
    )

    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_it_combines_criteria(client, world):
    client = login(client, world.rw)

    assert found(client.get(SEARCH, {"q": "printer", "queue": world.queue.pk})) == [
        world.printer.pk
    ]
    assert found(client.get(SEARCH, {"q": "printer", "customer": "dave"})) == []


# --- full text (through the search backend) -------------------------------------------------


@fulltext_db
def test_it_finds_a_word_of_an_article_body(client, world):
    client = login(client, world.rw)

    assert found(search(client, fulltext="postfix")) == [world.mail.pk]
    # The hidden ticket's body says "smokes" too.
    assert found(search(client, fulltext="smokes")) == [world.printer.pk]
    assert found(search(client, q="stuck")) == [world.mail.pk]


@fulltext_db
def test_it_searches_internal_notes(client, world):
    factories.note(world.mail, actor=world.rw, body="Vendor reference zebracode-77")

    assert found(search(login(client, world.rw), fulltext="zebracode")) == [world.mail.pk]


def test_the_text_goes_through_the_configured_backend(client, world, settings):
    settings.SEARCH_BACKEND = "tests.test_search_backends.ListBackend"
    ListBackend.ids = [world.mail.pk, world.hidden.pk]
    try:
        results = found(search(login(client, world.rw), fulltext="anything"))
    finally:
        ListBackend.ids = []

    assert results == [world.mail.pk]


# --- the ticket number shortcut ---------------------------------------------------------------


def test_it_opens_the_ticket_for_its_exact_number(client, world):
    client = login(client, world.rw)

    for text in (world.mail.number, f" Ticket#{world.mail.number} "):
        response = search(client, q=text)

        assert response.status_code == 302
        assert response.url == reverse("agent:zoom", args=[world.mail.pk])


def test_it_does_not_open_a_ticket_the_agent_may_not_read(client, world):
    client = login(client, world.rw)

    hidden = search(client, q=world.hidden.number)
    missing = search(client, q="1999010110000019")

    assert found(hidden) == found(missing) == []


def test_it_lists_instead_of_opening_when_other_criteria_are_set(client, world):
    response = login(client, world.rw).get(SEARCH, {"q": world.mail.number, "state_type": "open"})

    assert found(response) == [world.mail.pk]


# --- pages and order ---------------------------------------------------------------------


def _titled(world, *titles, **kwargs):
    return [factories.ticket(world.reading, title=title, **kwargs) for title in titles]


def test_it_pages_the_results(client, world):
    world.rw.rows_per_page = 2
    world.rw.save()
    client = login(client, world.rw)
    _titled(world, "p1", "p2")

    pages = [client.get(SEARCH, {"q": "", "sort": "number", "page": n}) for n in (1, 2, 3)]

    numbers = [found(page) for page in pages]
    assert [len(rows) for rows in numbers] == [2, 2, 1]
    assert len({pk for rows in numbers for pk in rows}) == 5
    assert [p.context["results"].has_next for p in pages] == [True, True, False]
    assert 'rel="next"' in pages[0].content.decode()
    assert 'rel="prev"' in pages[2].content.decode()


def test_it_sorts_by_each_column(client, world):
    b, a, c = _titled(world, "b-title", "a-title", "c-title")
    client = login(client, world.rw)

    def order(**params):
        return found(client.get(SEARCH, {"title": "-title", **params}))

    assert order(sort="title") == [a.pk, b.pk, c.pk]
    assert order(sort="title", order="desc") == [c.pk, b.pk, a.pk]
    assert order(sort="number") == [b.pk, a.pk, c.pk]
    assert order(sort="number", order="desc") == [c.pk, a.pk, b.pk]
    # The oldest first by default; the latest changed first.
    assert order(sort="age") == [b.pk, a.pk, c.pk]
    assert order(sort="age", order="asc") == [c.pk, a.pk, b.pk]
    system = factories.system()
    actions.set_priority(a, factories.priority(1), actor=system)
    actions.set_priority(c, factories.priority(4), actor=system)
    assert order(sort="changed") == [c.pk, a.pk, b.pk]
    assert order() == [c.pk, a.pk, b.pk]
    assert order(sort="priority") == [c.pk, b.pk, a.pk]
    assert order(sort="priority", order="asc") == [a.pk, b.pk, c.pk]
    actions.set_state(b, factories.state("open"), actor=system)
    assert order(sort="state") == [a.pk, c.pk, b.pk]  # "new" before "open"
    actions.move_ticket(a, world.queue, actor=system)
    assert order(sort="queue") == [b.pk, c.pk, a.pk]  # "Reading" before "Support"


def test_it_links_sorting_from_the_table_headers(client, world):
    response = search(login(client, world.rw), q="printer")

    assert 'href="?q=printer&amp;sort=number"' in response.content.decode()


def test_its_queries_do_not_grow_with_the_results(client, world, django_assert_max_num_queries):
    client = login(client, world.rw)
    SavedSearch.objects.create(owner=world.rw, name="One", criteria={"q": ["a"]})
    # Warm the caches (the custom field definitions are read once, then cached).
    search(client, q="")
    with django_assert_max_num_queries(13):
        assert len(found(search(client, q=""))) == 3
    _titled(world, *(f"more {i}" for i in range(12)))
    with django_assert_max_num_queries(13):
        assert len(found(search(client, q=""))) == 15


# --- saved searches ------------------------------------------------------------------------


def test_it_saves_the_current_search(client, world):
    query = urlencode({"q": "printer", "state_type": "open", "page": "3", "title": ""})

    response = login(client, world.rw).post(SAVE, {"name": " Open printers ", "query": query})

    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.name) == (world.rw, "Open printers")
    assert saved.criteria == {"q": ["printer"], "state_type": ["open"]}
    assert response.status_code == 302
    assert response.url == f"{SEARCH}?q=printer&state_type=open"


def test_it_lists_my_saved_searches_as_links(client, world):
    SavedSearch.objects.create(
        owner=world.rw, name="Mine", criteria={"q": ["printer"], "queue": [str(world.queue.pk)]}
    )
    SavedSearch.objects.create(owner=world.ro, name="Someone else's", criteria={"q": ["x"]})

    page = login(client, world.rw).get(SEARCH).content.decode()

    assert f'href="{SEARCH}?q=printer&amp;queue={world.queue.pk}">Mine</a>' in page
    assert "Someone else" not in page


def test_a_saved_search_link_runs_the_search_again(client, world):
    client = login(client, world.rw)
    client.post(SAVE, {"name": "Printers", "query": f"q=printer&queue={world.queue.pk}"})
    saved = SavedSearch.objects.get()

    response = client.get(f"{SEARCH}?{urlencode(saved.criteria, doseq=True)}")

    assert found(response) == [world.printer.pk]


def test_saving_under_the_same_name_replaces_the_search(client, world):
    client = login(client, world.rw)
    client.post(SAVE, {"name": "Mine", "query": "q=printer"})
    client.post(SAVE, {"name": "Mine", "query": "q=mail"})

    assert list(SavedSearch.objects.values_list("name", "criteria")) == [("Mine", {"q": ["mail"]})]


def test_two_agents_may_use_the_same_name(client, world):
    login(client, world.rw).post(SAVE, {"name": "Mine", "query": "q=printer"})
    login(client, world.ro).post(SAVE, {"name": "Mine", "query": "q=mail"})

    assert SavedSearch.objects.count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "query": "q=printer"},
        {"name": "   ", "query": "q=printer"},
        {"name": "x" * 101, "query": "q=printer"},
        {"name": "Secret", "query": "queue=%d"},
    ],
)
def test_it_refuses_to_save_a_bad_search(client, world, data):
    if "%d" in data["query"]:
        data = {**data, "query": data["query"] % world.secret.pk}

    response = login(client, world.rw).post(SAVE, data)

    assert response.status_code == 400
    assert not SavedSearch.objects.exists()


def test_it_deletes_my_saved_search(client, world):
    saved = SavedSearch.objects.create(owner=world.rw, name="Mine", criteria={"q": ["x"]})

    response = login(client, world.rw).post(reverse("agent:saved_search_delete", args=[saved.pk]))

    assert response.status_code == 302
    assert response.url == SEARCH
    assert not SavedSearch.objects.exists()


def test_another_agents_saved_search_is_missing(client, world):
    theirs = SavedSearch.objects.create(owner=world.ro, name="Theirs", criteria={"q": ["x"]})
    client = login(client, world.rw)

    refused = client.post(reverse("agent:saved_search_delete", args=[theirs.pk]))
    missing = client.post(reverse("agent:saved_search_delete", args=[theirs.pk + 1000]))

    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


def test_saved_searches_need_a_csrf_token(world):
    saved = SavedSearch.objects.create(owner=world.rw, name="Mine", criteria={"q": ["x"]})
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.rw)

    save = client.post(SAVE, {"name": "New", "query": "q=x"})
    delete = client.post(reverse("agent:saved_search_delete", args=[saved.pk]))

    assert save.status_code == delete.status_code == 403
    assert list(SavedSearch.objects.values_list("name", flat=True)) == ["Mine"]
    page = client.get(SEARCH, {"q": "x"}).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # save, delete, bulk


def test_saved_searches_are_changed_by_post_only(client, world):
    saved = SavedSearch.objects.create(owner=world.rw, name="Mine", criteria={"q": ["x"]})
    client = login(client, world.rw)

    assert client.get(SAVE, {"name": "x", "query": "q=x"}).status_code == 405
    assert client.get(reverse("agent:saved_search_delete", args=[saved.pk])).status_code == 405
    assert SavedSearch.objects.count() == 1


# --- CSV export ------------------------------------------------------------------------------


def test_it_exports_the_results_as_csv(client, world):
    world.rw.time_zone = "Europe/Berlin"
    world.rw.save()
    late = factories.ticket(
        world.queue,
        title="Late printer",
        customer_user="erin",
        customer_id="INITECH",
        created_at=dt.datetime(2024, 3, 10, 23, 30, tzinfo=UTC),
    )

    response = login(client, world.rw).get(EXPORT, {"q": "printer", "sort": "number"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tickets.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "Ticket#",
        "Title",
        "State",
        "Priority",
        "Queue",
        "Owner",
        "Customer user",
        "Customer ID",
        "Created",
        "Changed",
    ]
    assert [row[0] for row in rows[1:]] == sorted(
        [late.number, world.printer.number, world.manual.number]
    )
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[late.number][1:] == [
        "Late printer",
        "new",
        "3 normal",
        "Support",
        "system",
        "erin",
        "INITECH",
        "2024-03-11 00:30:00",
        "2024-03-11 00:30:00",
    ]


def test_the_export_holds_only_readable_tickets(client, world):
    for agent, expected in (
        (world.rw, {world.printer, world.mail, world.manual}),
        (world.ro, {world.printer, world.mail}),
        (world.outsider, set()),
    ):
        rows = csv_rows(login(client, agent).get(EXPORT, {"customer": ""}))

        assert {row[0] for row in rows[1:]} == {t.number for t in expected}


def test_the_export_neutralises_spreadsheet_formulas(client, world):
    factories.ticket(
        world.queue,
        title='=HYPERLINK("http://evil.example","click")',
        customer_user="+1 555 0100",
        customer_id="@SUM(A1)",
    )
    factories.ticket(world.queue, title="-2+3", customer_user="\tcmd", customer_id="ok")

    rows = csv_rows(login(client, world.rw).get(EXPORT, {"queue": world.queue.pk}))

    cells = {cell for row in rows[1:] for cell in row}
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert {"'+1 555 0100", "'@SUM(A1)", "'-2+3", "'\tcmd", "ok"} <= cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t") for cell in cells if cell)


def test_the_export_stops_at_its_limit(client, world, monkeypatch):
    monkeypatch.setattr(ticket_search, "EXPORT_MAX_ROWS", 2)

    rows = csv_rows(login(client, world.rw).get(EXPORT, {"q": ""}))

    assert len(rows) == 1 + 2


def test_the_export_refuses_bad_criteria(client, world):
    response = login(client, world.rw).get(EXPORT, {"queue": world.secret.pk})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_export_link_keeps_the_criteria_but_not_the_page(client, world):
    page = login(client, world.rw).get(SEARCH, {"q": "printer", "page": "1"}).content.decode()

    assert f'href="{EXPORT}?q=printer"' in page


# --- escaping ------------------------------------------------------------------------------


def test_it_renders_user_text_inert(client, world):
    ticket = factories.ticket(world.queue, title=f"Title {PAYLOAD}", customer_user=PAYLOAD)
    SavedSearch.objects.create(owner=world.rw, name=f"Saved {PAYLOAD}", criteria={"q": [PAYLOAD]})
    client = login(client, world.rw)

    response = client.get(SEARCH, {"q": "Title", "title": PAYLOAD[:10]})
    saved = client.post(SAVE, {"name": PAYLOAD, "query": urlencode({"q": PAYLOAD})}, follow=True)

    for page in (response.content.decode(), saved.content.decode()):
        assert SCRIPT not in page
        assert IMG not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert found(response) == [ticket.pk]


# --- indexes ---------------------------------------------------------------------------


def _plan(user, criteria) -> str:
    sql, params = ticket_search.search_tickets(user, criteria).query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows is cheaper to scan or to walk in order; forbid both to see
        # what the indexes can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
def test_contains_criteria_use_the_trigram_indexes(world):
    quick = ticket_search.Criteria(q="printer")
    customer = ticket_search.Criteria(customer="carol")

    assert "ticket_title_trgm" in _plan(world.rw, quick)
    assert "ticket_customer_trgm" in _plan(world.rw, customer)

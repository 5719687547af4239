"""The caller's in-app notifications in the API (issue 15): the list (paged with totals,
filter unread) shows what the list page shows, marking read (some, all, one) goes through
the page's action, a notification whose ticket the agent may no longer read is missing, and
customers are turned away."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.tickets import test_notifications as base
from tests.tickets.test_notifications import my_queue
from tickets import actions
from tickets.models import TicketNotification, WebNotification

pytestmark = pytest.mark.django_db

committed = base.committed
team = base.team
URL = "/api/v1/notifications/"


@pytest.fixture
def shown(team, committed):
    """New tickets are shown to ro_agent in the portal (no mail); three of them."""
    TicketNotification.objects.filter(key="new_ticket").update(transports=["web"])
    my_queue(team.ro, team.queue)
    with committed:
        team.tickets = [factories.ticket(team.queue, title=f"Printer {n}") for n in range(3)]
    return team


def _item(ticket) -> WebNotification:
    return WebNotification.objects.get(ticket=ticket)


def test_it_lists_the_callers_notifications_newest_first_with_a_total(api, shown):
    response = api(shown.ro).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["count_exact"], body["next"]) == (3, True, None)
    titles = [row["ticket_title"] for row in body["results"]]
    assert titles == ["Printer 2", "Printer 1", "Printer 0"]
    first = body["results"][0]
    ticket = shown.tickets[2]
    assert first["ticket"] == ticket.pk and first["ticket_number"] == ticket.number
    assert first["subject"] == f"[Ticket#{ticket.number}] New ticket: Printer 2"
    assert first["event"] == "TicketCreate"
    assert "A new ticket was opened in queue Support." in first["body"]
    assert (first["unread"], first["read_at"]) == (True, None)


def test_it_pages_and_filters_unread(api, shown):
    actions.mark_notifications_read(shown.ro, [_item(shown.tickets[0]).pk])
    client = api(shown.ro)

    page = client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert [r["ticket_title"] for r in rest["results"]] == ["Printer 0"]

    unread = client.get(URL, {"unread": "true"}).json()
    assert unread["count"] == 2
    assert {r["ticket_title"] for r in unread["results"]} == {"Printer 1", "Printer 2"}
    read = client.get(URL, {"unread": "false"}).json()
    assert [r["ticket_title"] for r in read["results"]] == ["Printer 0"]
    assert read["results"][0]["unread"] is False and read["results"][0]["read_at"]

    bad = client.get(URL, {"unread": "perhaps"})
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["unread"]


def test_it_hides_a_notification_whose_ticket_the_agent_may_no_longer_read(api, shown):
    ticket = shown.tickets[1]
    item = _item(ticket)
    elsewhere = factories.queue("Elsewhere", group_=factories.group("elsewhere"))
    actions.move_ticket(ticket, elsewhere, actor=factories.system())
    client = api(shown.ro)

    listed = client.get(URL).json()
    assert listed["count"] == 2 and item.pk not in [r["id"] for r in listed["results"]]
    assert client.get(f"{URL}{item.pk}/").status_code == 404
    assert client.post(f"{URL}{item.pk}/read/").status_code == 404
    assert _item(ticket).read_at is None
    # Read access back: there again, as on the list page.
    factories.grant(shown.ro, elsewhere.group, factories.RO)
    assert client.get(f"{URL}{item.pk}/").json()["id"] == item.pk


def test_it_marks_one_read_and_answers_it(api, shown):
    item = _item(shown.tickets[0])
    client = api(shown.ro)

    response = client.post(f"{URL}{item.pk}/read/")

    assert response.status_code == 200
    assert response.json()["id"] == item.pk and response.json()["unread"] is False
    assert _item(shown.tickets[0]).read_at is not None
    assert client.get(URL, {"unread": "true"}).json()["count"] == 2
    # Twice is harmless.
    assert client.post(f"{URL}{item.pk}/read/").status_code == 200


def test_it_marks_chosen_ids_or_all_read(api, shown):
    client = api(shown.ro)
    first = _item(shown.tickets[0]).pk

    response = client.post(f"{URL}read/", {"ids": [first]})
    assert (response.status_code, response.json()) == (200, {"marked": 1})
    assert client.post(f"{URL}read/", {"ids": [first]}).json() == {"marked": 0}
    assert client.post(f"{URL}read/", {"all": True}).json() == {"marked": 2}
    assert not WebNotification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"ids": []}, {"ids": ["x"]}, {"ids": [0]}, {"ids": "12"}, {"all": "maybe"}],
)
def test_it_refuses_bad_input_and_changes_nothing(api, shown, data):
    response = api(shown.ro).post(f"{URL}read/", data)

    assert response.status_code == 400
    assert not WebNotification.objects.filter(read_at__isnull=False).exists()


def test_someone_elses_notification_looks_missing_and_stays_unread(api, shown):
    item = _item(shown.tickets[0])
    client = api(shown.rw)  # may read the ticket, but the notification is not theirs

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{item.pk}/").status_code == 404
    assert client.post(f"{URL}{item.pk}/read/").status_code == 404
    assert client.post(f"{URL}{10**12}/read/").status_code == 404
    assert client.post(f"{URL}read/", {"ids": [item.pk]}).json() == {"marked": 0}
    assert client.post(f"{URL}read/", {"all": True}).json() == {"marked": 0}
    assert not WebNotification.objects.filter(read_at__isnull=False).exists()


def test_customers_and_read_tokens_are_turned_away(api, shown, settings):
    settings.API_CUSTOMER_ACCESS = True
    customer = api(factories.customer())
    item = _item(shown.tickets[0])

    assert customer.get(URL).status_code == 403
    assert customer.post(f"{URL}read/", {"all": True}).status_code == 403
    assert customer.post(f"{URL}{item.pk}/read/").status_code == 403
    assert api(None).get(URL).status_code == 401
    reader = api(shown.ro, scope="read")
    assert reader.get(URL).status_code == 200
    assert reader.post(f"{URL}read/", {"all": True}).status_code == 403
    assert _item(shown.tickets[0]).read_at is None


def test_the_list_costs_the_same_queries_for_three_rows_and_thirty(api, shown, committed):
    client = api(shown.ro)
    client.get(URL)  # warm the token's and settings' caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    with committed:
        for n in range(27):
            factories.ticket(shown.queue, title=f"More {n}")
    assert WebNotification.objects.filter(user=shown.ro).count() == 30
    assert queries() == few


def test_the_schema_documents_the_endpoints(api, shown):
    schema = api(shown.ro).get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"get"} <= set(paths[URL])
    assert "post" in paths[f"{URL}read/"]
    assert "post" in paths[URL + "{id}/read/"]
    parameters = {p["name"] for p in paths[URL]["get"]["parameters"]}
    assert {"unread", "page", "page_size"} <= parameters

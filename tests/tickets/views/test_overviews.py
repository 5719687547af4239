"""The agent's dashboard and overviews: queue view, status, locked, watched, responsible."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import actions
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
VIEWS = ["dashboard", "queues", "status", "locked", "watched", "responsible"]


def url(name: str, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(f"agent:{name}") + (f"?{query}" if query else "")


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def numbers_in(response) -> list[str]:
    """The ticket numbers linked from the ticket rows, in page order."""
    return re.findall(r'<td class="num"><a href="/agent/tickets/\d+/">([^<]+)</a>', text(response))


def text(response) -> str:
    return response.content.decode()


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def desk(support):
    """Tickets of the support queue that every view of the rw agent lists:
    ``locked`` locked by rw (owner and responsible rw, watched by rw), ``new`` untouched,
    ``reminder`` in pending reminder since yesterday, ``closed`` closed."""
    rw = support.rw
    locked = factories.ticket(support.queue, title="locked one", created_at=days_ago(4))
    actions.lock_ticket(locked, actor=rw)
    actions.watch_ticket(locked, actor=rw)
    new = factories.ticket(support.queue, title="new one", created_at=days_ago(3))
    reminder = factories.ticket(support.queue, title="reminder one", created_at=days_ago(2))
    actions.set_pending(
        reminder, factories.state("pending reminder"), days_ago(1), actor=factories.system()
    )
    closed = factories.ticket(support.queue, title="closed one", created_at=days_ago(1))
    actions.set_state(closed, factories.state("closed successful"), actor=rw)
    return type("Desk", (), {"locked": locked, "new": new, "reminder": reminder, "closed": closed})


# Who may come in.


@pytest.mark.parametrize("name", VIEWS)
def test_it_sends_anonymous_visitors_to_the_login(client, name):
    response = client.get(url(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("agent:login"))


@pytest.mark.parametrize("name", VIEWS)
def test_it_refuses_customers(client, name):
    response = signed_in(client, factories.customer()).get(url(name))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["queues", "status", "locked", "watched", "responsible"])
def test_it_answers_get_only(client, support, name):
    response = signed_in(client, support.rw).post(url(name))

    assert response.status_code == 405


# What each agent sees.


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("dashboard", {}),
        ("queues", {}),
        ("status", {"view": "open"}),
        ("status", {"view": "closed"}),
        ("status", {"view": "new"}),
        ("status", {"view": "reminders"}),
        ("locked", {}),
        ("watched", {"view": "all"}),
        ("responsible", {"view": "all"}),
    ],
)
def test_it_shows_an_outsider_nothing(client, support, desk, name, params):
    response = signed_in(client, support.outsider).get(url(name, **params))

    assert response.status_code == 200
    assert numbers_in(response) == []
    assert " one<" not in text(response)
    assert "Support" not in text(response)


def test_it_shows_an_outsider_an_empty_list_for_a_queue_they_may_not_read(client, support, desk):
    response = signed_in(client, support.outsider).get(url("queues", queue=support.queue.pk))

    assert response.status_code == 200
    assert numbers_in(response) == []
    assert "Support" not in text(response)
    assert "There is no queue you may read." in text(response)


def test_it_shows_a_read_only_agent_the_queue_with_its_count(client, support, desk):
    response = signed_in(client, support.ro).get(url("queues", queue=support.queue.pk))

    assert response.context["chosen"].queue == support.queue
    assert [(n.queue, n.count) for n in response.context["roots"]] == [(support.queue, 3)]
    assert numbers_in(response) == [desk.locked.number, desk.new.number, desk.reminder.number]


def test_it_chooses_the_first_queue_with_tickets_by_default(client, support, desk):
    factories.queue("Accounts", group_=support.group)  # first by name, but empty

    response = signed_in(client, support.ro).get(url("queues"))

    assert response.context["chosen"].queue == support.queue
    assert len(numbers_in(response)) == 3


def test_it_lists_only_readable_queues_in_a_tree(client, support):
    child = factories.queue("Printers", group_=support.group, parent=support.queue)
    factories.queue("Hidden", group_=factories.group("other"), parent=support.queue)
    factories.queue("Support 2", group_=support.group)
    factories.queue("Secret", group_=factories.group("secret"))
    factories.ticket(child)

    response = signed_in(client, support.ro).get(url("queues"))

    tree = response.context["roots"]
    assert [(n.label, n.depth) for n in tree] == [("Support", 0), ("Support 2", 0)]
    assert [(n.label, n.depth, n.count) for n in tree[0].children] == [("Printers", 1, 1)]
    assert "Hidden" not in text(response)
    assert "Secret" not in text(response)
    assert response.context["chosen"].queue == child


def test_it_shows_a_queue_whose_parent_is_hidden_under_its_full_name(client, support):
    hidden_parent = factories.queue("Internal", group_=factories.group("internal"))
    factories.queue("Desk", group_=support.group, parent=hidden_parent)

    response = signed_in(client, support.ro).get(url("queues"))

    assert [(n.label, n.depth) for n in response.context["roots"]] == [
        ("Internal::Desk", 0),
        ("Support", 0),
    ]


def test_it_shows_an_owner_their_ticket_outside_their_groups(client, support):
    owner = factories.agent("owner")
    factories.grant(owner, support.group, factories.RW)
    ticket = factories.ticket(support.queue, title="my own")
    actions.lock_ticket(ticket, actor=factories.refetch(owner))
    support.group.user_grants.filter(user=owner).delete()
    client = signed_in(client, owner)

    assert numbers_in(client.get(url("locked"))) == [ticket.number]
    assert numbers_in(client.get(url("responsible"))) == [ticket.number]
    queues = client.get(url("queues"))
    assert [(n.queue, n.count) for n in queues.context["roots"]] == [(support.queue, 1)]
    assert numbers_in(queues) == [ticket.number]


def test_it_lists_the_rw_agents_views(client, support, desk):
    client = signed_in(client, support.rw)

    def listed(name, **params):
        return numbers_in(client.get(url(name, **params)))

    assert listed("locked") == [desk.locked.number]
    assert listed("watched") == [desk.locked.number]
    assert listed("responsible") == [desk.locked.number]
    assert listed("status") == [desk.locked.number, desk.new.number, desk.reminder.number]
    assert listed("status", view="closed") == [desk.closed.number]
    assert listed("status", view="new") == [desk.locked.number, desk.new.number]
    assert listed("status", view="reminders") == [desk.reminder.number]


def test_it_shows_open_or_all_watched_and_responsible_tickets(client, support, desk):
    actions.set_state(desk.locked, factories.state("closed successful"), actor=support.rw)
    client = signed_in(client, support.rw)

    assert numbers_in(client.get(url("watched"))) == []
    assert numbers_in(client.get(url("watched", view="all"))) == [desk.locked.number]
    assert numbers_in(client.get(url("responsible"))) == []
    assert numbers_in(client.get(url("responsible", view="all"))) == [desk.locked.number]


def test_it_hides_tickets_watched_without_read_access(client, support, desk):
    watcher = factories.agent()
    factories.grant(watcher, support.group, factories.RO)
    actions.watch_ticket(desk.new, actor=factories.refetch(watcher))
    support.group.user_grants.filter(user=watcher).delete()
    client = signed_in(client, watcher)

    # Watching alone still grants read access (OTRS WatcherCheck) ...
    assert numbers_in(client.get(url("watched"))) == [desk.new.number]
    actions.unwatch_ticket(desk.new, actor=watcher)
    # ... and without it the ticket is gone.
    assert numbers_in(client.get(url("watched", view="all"))) == []


# The dashboard.


def test_it_fills_the_dashboard_widgets(client, support, desk):
    response = signed_in(client, support.rw).get(url("dashboard"))

    board = response.context["board"]
    assert [t.pk for t in board.locked.tickets] == [desk.locked.pk]
    assert [t.pk for t in board.new.tickets] == [desk.locked.pk, desk.new.pk]
    assert [t.pk for t in board.reminders.tickets] == [desk.reminder.pk]
    assert [t.pk for t in board.watched.tickets] == [desk.locked.pk]
    assert "No escalation targets are configured yet." in text(response)
    assert url("status", view="reminders") in text(response)


def test_it_shows_reminders_only_once_reached(client, support, desk):
    later = factories.ticket(support.queue, title="later")
    actions.set_pending(
        later,
        factories.state("pending reminder"),
        timezone.now() + timedelta(hours=1),
        actor=support.rw,
    )

    board = signed_in(client, support.rw).get(url("dashboard")).context["board"]

    assert [t.pk for t in board.reminders.tickets] == [desk.reminder.pk]


def test_it_shows_reminders_of_my_own_tickets_outside_my_queues(client, support):
    owner = factories.agent()
    factories.grant(owner, support.group, factories.RW)
    ticket = factories.ticket(support.queue)
    actions.lock_ticket(ticket, actor=factories.refetch(owner))
    actions.set_pending(ticket, factories.state("pending reminder"), days_ago(1), actor=owner)
    support.group.user_grants.filter(user=owner).delete()

    board = signed_in(client, owner).get(url("dashboard")).context["board"]

    assert [t.pk for t in board.reminders.tickets] == [ticket.pk]
    assert board.new.tickets == []


def test_it_leaves_watcher_only_reminders_and_new_tickets_off_the_dashboard(client, support):
    watcher = factories.agent()
    factories.grant(watcher, support.group, factories.RO)
    ticket = factories.ticket(support.queue)
    actions.set_pending(ticket, factories.state("pending reminder"), days_ago(1), actor=support.rw)
    actions.watch_ticket(ticket, actor=factories.refetch(watcher))
    new = factories.ticket(support.queue)
    actions.watch_ticket(new, actor=factories.refetch(watcher))
    support.group.user_grants.filter(user=watcher).delete()

    board = signed_in(client, watcher).get(url("dashboard")).context["board"]

    assert board.reminders.tickets == []
    assert board.new.tickets == []
    assert {t.pk for t in board.watched.tickets} == {ticket.pk, new.pk}


def test_it_caps_the_dashboard_widgets_and_links_to_the_full_view(client, support):
    support.ro.rows_per_page = 100
    support.ro.save()
    for i in range(12):
        factories.ticket(support.queue, title=f"t{i}", created_at=days_ago(20 - i))

    response = signed_in(client, support.ro).get(url("dashboard"))

    board = response.context["board"]
    assert len(board.new.tickets) == 10
    assert board.new.has_more
    assert "Show all" in text(response)


def test_it_says_when_no_escalation_targets_are_configured(client, support):
    response = signed_in(client, support.rw).get(url("dashboard"))
    assert "No escalation targets are configured yet." in text(response)
    support.queue.first_response_time = 60
    support.queue.save()
    response = signed_in(client, support.rw).get(url("dashboard"))
    assert "No escalation targets are configured yet." not in text(response)


# Sorting and pages.


@pytest.fixture
def twelve(support):
    """Twelve tickets of the support queue, created a day apart (t00 oldest), titles in
    reverse creation order, priorities cycling 1..5; the rw agent shows 5 rows a page."""
    support.rw.rows_per_page = 5
    support.rw.save()
    return [
        factories.ticket(
            support.queue,
            title=f"title {11 - i:02}",
            priority=factories.priority(1 + i % 5),
            created_at=days_ago(20 - i),
        )
        for i in range(12)
    ]


@pytest.mark.parametrize("name", ["queues", "status"])
def test_it_pages_oldest_first_by_default(client, support, twelve, name):
    client = signed_in(client, support.rw)

    pages = [numbers_in(client.get(url(name, page=n))) for n in (1, 2, 3)]

    assert pages == [[t.number for t in twelve[i : i + 5]] for i in (0, 5, 10)]
    page2 = text(client.get(url(name, page=2)))
    assert 'rel="prev"' in page2 and 'rel="next"' in page2


@pytest.mark.parametrize("name", ["queues", "status"])
@pytest.mark.parametrize(
    ("sort", "order", "key"),
    [
        ("age", "desc", lambda t: (t.created_at, t.pk)),
        ("title", "asc", lambda t: (t.title, t.pk)),
        ("title", "desc", lambda t: (t.title, t.pk)),
        ("number", "asc", lambda t: (t.number, t.pk)),
        # By the priority's and the state's id, then age (as OTRS; see selectors.SORTS).
        ("priority", "desc", lambda t: (t.priority_id, t.created_at, t.pk)),
        ("state", "asc", lambda t: (t.state_id, t.created_at, t.pk)),
    ],
)
def test_it_sorts(client, support, twelve, name, sort, order, key):
    client = signed_in(client, support.rw)
    expected = sorted(twelve, key=key, reverse=order == "desc")

    pages = [numbers_in(client.get(url(name, sort=sort, order=order, page=n))) for n in (1, 2, 3)]

    assert [number for page in pages for number in page] == [t.number for t in expected]


@pytest.fixture
def mingled(support, twelve):
    """The twelve tickets spread over the viewable states (new, open, pending reminder,
    pending auto close+, three each, interleaved in age) plus one closed ticket."""
    rw = support.rw
    later = timezone.now() + timedelta(days=1)
    for i, ticket in enumerate(twelve):
        if i % 4 == 1:
            actions.set_state(ticket, factories.state("open"), actor=rw)
        elif i % 4 == 2:
            actions.set_pending(ticket, factories.state("pending reminder"), later, actor=rw)
        elif i % 4 == 3:
            actions.set_pending(ticket, factories.state("pending auto close+"), later, actor=rw)
    closed = factories.ticket(support.queue, title="closed", created_at=days_ago(30))
    actions.set_state(closed, factories.state("closed successful"), actor=rw)
    return list(Ticket.objects.filter(pk__in=[t.pk for t in twelve]))


@pytest.mark.parametrize("name", ["queues", "status"])
@pytest.mark.parametrize("sort", ["state", "priority"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_it_sorts_by_state_and_priority_ids_then_age_across_pages(
    client, support, mingled, name, sort, order
):
    """Pages of 5 over four states: each page takes rows from several states' ordered
    reads (selectors._page_ids); ids order the groups, age within them."""
    client = signed_in(client, support.rw)
    column = "state_id" if sort == "state" else "priority_id"
    expected = sorted(
        mingled, key=lambda t: (getattr(t, column), t.created_at, t.pk), reverse=order == "desc"
    )
    assert len({getattr(t, column) for t in mingled}) == (4 if sort == "state" else 5)

    pages = [numbers_in(client.get(url(name, sort=sort, order=order, page=n))) for n in (1, 2, 3)]

    assert [number for page in pages for number in page] == [t.number for t in expected]


@pytest.mark.parametrize("name", ["queues", "status"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_it_sorts_by_title_across_states_and_pages(client, support, mingled, name, order):
    """Read per state from ``ticket_queue_title`` and merged (selectors._merge)."""
    client = signed_in(client, support.rw)
    expected = sorted(mingled, key=lambda t: (t.title, t.pk), reverse=order == "desc")

    pages = [
        numbers_in(client.get(url(name, sort="title", order=order, page=n))) for n in (1, 2, 3)
    ]

    assert [number for page in pages for number in page] == [t.number for t in expected]


@pytest.mark.parametrize("name", ["queues", "status"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_it_sorts_by_escalation_time_with_the_untimed_last(client, support, mingled, name, order):
    """Pages of 5 over four states, some tickets without an escalation time: those come
    after all the others in both directions, in id order. The times are written as the
    escalation index keeps them (computing them would need working-hour calendars), some
    equal, so the id breaks ties."""
    now = timezone.now()
    for i, ticket in enumerate(mingled):
        due = None if i % 3 == 0 else now + timedelta(hours=i % 4)
        Ticket.objects.filter(pk=ticket.pk).update(escalation_at=due)
    fresh = list(Ticket.objects.filter(pk__in=[t.pk for t in mingled]))
    desc = order == "desc"
    timed = [t for t in fresh if t.escalation_at is not None]
    untimed = [t for t in fresh if t.escalation_at is None]
    expected = sorted(timed, key=lambda t: (t.escalation_at, t.pk), reverse=desc) + sorted(
        untimed, key=lambda t: t.pk, reverse=desc
    )
    client = signed_in(client, support.rw)

    pages = [
        numbers_in(client.get(url(name, sort="escalation", order=order, page=n))) for n in (1, 2, 3)
    ]

    assert [number for page in pages for number in page] == [t.number for t in expected]


def test_it_keeps_the_queue_and_sort_in_its_links(client, support, twelve):
    response = signed_in(client, support.rw).get(
        url("queues", queue=support.queue.pk, sort="title", order="desc")
    )

    html = text(response)
    assert f'<input type="hidden" name="queue" value="{support.queue.pk}">' in html
    assert '<option value="title" selected>' in html
    assert '<option value="desc" selected>' in html
    assert f"?queue={support.queue.pk}&amp;sort=title&amp;order=desc&amp;page=2" in html


@pytest.mark.parametrize("name", ["queues", "status"])
def test_a_sorted_columns_header_turns_the_order_round(client, support, twelve, name):
    client = signed_in(client, support.rw)
    extra = {"queue": support.queue.pk} if name == "queues" else {}

    def header_links(html: str) -> dict[str, dict[str, str]]:
        """{column class: the query of its header's link} (the queue kept, for the queue view)."""
        found = re.findall(r'<th scope="col" class="(\w+)[^"]*"[^>]*><a href="\?([^"]+)"', html)
        return {key: dict(QueryDict(query.replace("&amp;", "&")).items()) for key, query in found}

    ascending = text(client.get(url(name, sort="number", order="asc", **extra)))
    assert 'aria-sort="ascending"' in ascending
    links = header_links(ascending)
    assert links["number"] == {
        "sort": "number",
        "order": "desc",
        **{k: str(v) for k, v in extra.items()},
    }
    # Another column's header sorts by it, from the start.
    assert "order" not in links["age"]

    descending = text(client.get(url(name, sort="number", order="desc", **extra)))
    assert 'aria-sort="descending"' in descending
    assert header_links(descending)["number"]["order"] == "asc"


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus", "order": "sideways", "page": "abc"},
        {"page": "0"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"queue": "abc"},
        {"queue": "99999999999999"},
    ],
)
def test_it_falls_back_to_defaults_on_bad_parameters(client, support, twelve, params):
    response = signed_in(client, support.rw).get(url("queues", **params))

    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_it_shows_an_empty_page_past_the_end(client, support, twelve):
    response = signed_in(client, support.rw).get(url("status", page=50))

    assert response.status_code == 200
    assert numbers_in(response) == []
    assert 'rel="prev"' in text(response)


# Seen, escaping.


def test_it_marks_unseen_tickets_bold(client, support, desk):
    actions.mark_seen(desk.new, user=support.rw)

    response = signed_in(client, support.rw).get(url("queues"))

    assert response.context["unseen_ids"] == {desk.locked.pk, desk.reminder.pk}
    html = text(response)
    assert html.count('<tr class="unseen">') == 2


@pytest.mark.parametrize(
    ("name", "params"),
    [("dashboard", {}), ("queues", {}), ("status", {}), ("locked", {}), ("watched", {})],
)
def test_it_escapes_titles_customers_and_queue_names(client, support, name, params):
    queue = factories.queue(XSS, group_=support.group)
    ticket = factories.ticket(queue, title=XSS, customer_user=XSS)
    actions.lock_ticket(ticket, actor=support.rw)
    actions.watch_ticket(ticket, actor=support.rw)

    response = signed_in(client, support.rw).get(url(name, **params))

    html = text(response)
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# A constant number of queries, however many rows.


def build(support, count: int, start: int = 0) -> None:
    """``count`` more tickets that every view of the rw agent lists: locked by rw (so owned
    and responsible), watched by rw; every third in a reached pending reminder, every fifth
    closed (from the second)."""
    rw = support.rw
    reminder = factories.state("pending reminder")
    closed = factories.state("closed successful")
    for i in range(start, start + count):
        ticket = factories.ticket(
            support.queue,
            title=f"ticket {i}",
            customer_user=f"customer{i}@example.com",
            priority=factories.priority(1 + i % 5),
            created_at=days_ago(100 - i),
        )
        actions.lock_ticket(ticket, actor=rw)
        actions.watch_ticket(ticket, actor=rw)
        if i % 3 == 0:
            actions.set_pending(ticket, reminder, days_ago(1), actor=rw)
        elif i % 5 == 1:
            actions.set_state(ticket, closed, actor=rw)
        if i % 2:
            actions.mark_seen(ticket, user=rw)


# Per request: the session and the user (2), the agent's grants (2), the top bar's bell (the
# unread in-app notifications: 1); then the page's own. (The
# session is saved for the idle timeout at most once a minute: the warm-up request did it.)
# Every page also counts its unread in-app notifications for the bell (one query).
QUERIES = {
    # locked (rows), new (state ids, queue ids, page ids, rows), reminders (state ids,
    # rows), watched (state ids, rows), escalated (rows), escalation targets (2), seen flags
    "dashboard": ({}, 18),
    # counts (state ids, the maintained rows of the agent's queues, the other queues' ids,
    # the agent's own tickets there), tree, page (state ids, page ids, rows), seen flags
    "queues": ({}, 14),
    # sorted by state or priority: read from the indexes as the default order is
    "queues by state": ({"sort": "state", "order": "desc"}, 14),
    "queues by priority": ({"sort": "priority", "order": "desc"}, 14),
    "queues by title": ({"sort": "title", "order": "desc"}, 14),
    # counts (4), tree, page (state ids, rows), seen flags
    "queues sorted": ({"sort": "number", "order": "desc"}, 13),
    # state ids, queue ids, page ids, rows, seen flags
    "status": ({}, 10),
    "status by state": ({"sort": "state"}, 10),
    "status closed": ({"view": "closed"}, 10),
    "status new": ({"view": "new"}, 10),
    "status by title": ({"sort": "title"}, 10),
    # state ids, rows, seen flags
    "status sorted": ({"sort": "number"}, 8),
    "status reminders": ({"view": "reminders"}, 8),
    # rows, seen flags
    "locked": ({}, 7),
    # state ids, rows, seen flags
    "watched": ({}, 8),
    # rows, seen flags
    "responsible": ({"view": "all"}, 7),
}


@pytest.mark.parametrize("case", QUERIES)
def test_it_runs_a_constant_number_of_queries(client, support, case, django_assert_num_queries):
    params, expected = QUERIES[case]
    name = case.split()[0]
    support.rw.rows_per_page = 50
    support.rw.save()
    client = signed_in(client, support.rw)

    def load() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name, **params))
        assert response.status_code == 200
        return len(numbers_in(response)), len(captured.captured_queries)

    # Warm the caches (the custom field definitions are read once, then cached).
    client.get(url(name, **params))
    build(support, 5)
    few_rows, few_queries = load()
    build(support, 25, start=5)
    many_rows, many_queries = load()

    assert 0 < few_rows < many_rows
    assert few_queries == many_queries
    with django_assert_num_queries(expected):
        client.get(url(name, **params))

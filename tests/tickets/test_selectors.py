"""The agent portal's read side: queue page, queue counts and zoom (tickets.selectors)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otrs.accounts.models import Group
from tests import factories
from tickets import actions, selectors
from tickets.actions import ArticleInput, AttachmentInput
from tickets.models import Queue

pytestmark = pytest.mark.django_db


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def row_cells(tickets) -> list[tuple]:
    """What a queue view row shows, read from the related objects."""
    return [
        (t.number, t.queue.full_name, t.state.name, t.priority.name, t.owner.get_username())
        for t in tickets
    ]


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.fixture
def mixed(support):
    """Tickets of the support queue in every viewable state plus a closed one, oldest first."""
    rw = support.rw
    new = factories.ticket(support.queue, title="new", created_at=days_ago(5))
    opened = factories.ticket(support.queue, title="open", created_at=days_ago(4))
    actions.set_state(opened, factories.state("open"), actor=rw)
    closed = factories.ticket(support.queue, title="closed", created_at=days_ago(3))
    actions.set_state(closed, factories.state("closed successful"), actor=rw)
    pending = factories.ticket(support.queue, title="pending", created_at=days_ago(2))
    actions.set_pending(
        pending, factories.state("pending reminder"), timezone.now() + timedelta(days=1), actor=rw
    )
    auto = factories.ticket(support.queue, title="auto", created_at=days_ago(1))
    actions.set_pending(
        auto, factories.state("pending auto close+"), timezone.now() + timedelta(days=1), actor=rw
    )
    return type("Mixed", (), {"viewable": [new, opened, pending, auto], "closed": closed})


def test_it_pages_the_viewable_tickets_oldest_first(support, mixed):
    page = selectors.queue_page(factories.refetch(support.rw), support.queue)

    assert [t.pk for t in page.rows] == [t.pk for t in mixed.viewable]
    assert not page.has_next
    assert not page.has_previous


def test_it_pages_newest_first(support, mixed):
    page = selectors.queue_page(factories.refetch(support.rw), support.queue, order="desc")

    assert [t.pk for t in page.rows] == [t.pk for t in reversed(mixed.viewable)]


def test_it_splits_pages_without_overlap(support, mixed):
    user = factories.refetch(support.rw)
    first = selectors.queue_page(user, support.queue, per_page=3)
    second = selectors.queue_page(user, support.queue.pk, page=2, per_page=3)

    assert first.has_next and not second.has_next
    assert second.has_previous
    assert [t.pk for t in first.rows + second.rows] == [t.pk for t in mixed.viewable]


def test_it_rejects_an_unknown_order(support):
    with pytest.raises(ValueError):
        selectors.queue_page(support.rw, support.queue, order="random")


def test_it_shows_a_read_only_agent_the_queue(support, mixed):
    page = selectors.queue_page(factories.refetch(support.ro), support.queue)

    assert len(page.rows) == len(mixed.viewable)


def test_it_shows_an_outsider_no_rows_and_no_counts(support, mixed):
    outsider = factories.refetch(support.outsider)

    assert selectors.queue_page(outsider, support.queue).rows == []
    assert selectors.queue_counts(outsider) == {}
    with pytest.raises(Http404):
        selectors.ticket_zoom(outsider, mixed.viewable[0].pk)


def test_it_counts_viewable_tickets_per_visible_queue(support, mixed):
    other_group = factories.group("sales")
    other = factories.queue("Sales", group_=other_group)
    factories.ticket(other, title="sales question")
    both = factories.agent()
    factories.grant(both, support.group, factories.RO)
    factories.grant(both, other_group, factories.RW)

    assert selectors.queue_counts(factories.refetch(support.rw)) == {support.queue.pk: 4}
    assert selectors.queue_counts(factories.refetch(both)) == {support.queue.pk: 4, other.pk: 1}


def test_it_shows_an_owner_their_ticket_outside_their_groups(support):
    owner = factories.agent()
    factories.grant(owner, support.group, factories.RW)
    ticket = factories.ticket(support.queue)
    actions.lock_ticket(ticket, actor=factories.refetch(owner))
    support.group.user_grants.filter(user=owner).delete()
    owner = factories.refetch(owner)

    assert [t.pk for t in selectors.queue_page(owner, support.queue).rows] == [ticket.pk]
    assert selectors.queue_counts(owner) == {support.queue.pk: 1}


def _ticket_table_queries(captured) -> list[str]:
    # The tickets table itself, not tickets_ticketwatcher and the like.
    return [q["sql"] for q in captured.captured_queries if re.search(r"tickets_ticket\b", q["sql"])]


def test_it_counts_from_the_maintained_counts_without_reading_tickets(support, mixed):
    everything = factories.agent()
    for group in Group.objects.all():
        factories.grant(everything, group, factories.RO)
    user = factories.refetch(everything)
    selectors.queue_counts(user)  # grants are now cached on the user

    with CaptureQueriesContext(connection) as captured:
        counts = selectors.queue_counts(user)

    assert counts[support.queue.pk] == 4
    assert _ticket_table_queries(captured) == []
    assert len(captured.captured_queries) == 3


def test_it_reads_tickets_only_for_personal_ones_in_other_queues(support, mixed):
    user = factories.refetch(support.rw)
    selectors.queue_counts(user)

    with CaptureQueriesContext(connection) as captured:
        selectors.queue_counts(user)

    # One query over the tickets, for the agent's own tickets in queues outside their groups.
    assert len(_ticket_table_queries(captured)) == 1


def test_it_pages_with_a_constant_number_of_queries(support):
    owners = [support.rw, factories.agent()]
    factories.grant(owners[1], support.group, factories.RW)
    for i in range(30):
        ticket = factories.ticket(
            support.queue, priority=factories.priority(1 + i % 5), created_at=days_ago(30 - i)
        )
        if i % 3 == 0:
            actions.lock_ticket(ticket, actor=factories.refetch(owners[i % 2]))
        if i % 4 == 0:
            actions.set_state(ticket, factories.state("open"), actor=support.rw)

    def show(per_page):
        page = selectors.queue_page(factories.refetch(support.rw), support.queue, per_page=per_page)
        assert len(row_cells(page.rows)) == per_page

    assert count_queries(lambda: show(5)) == count_queries(lambda: show(20))


def zoom_everything(user, ticket_id) -> int:
    """Load a zoom and read what the page shows; return the number of articles."""
    zoom = selectors.ticket_zoom(factories.refetch(user), ticket_id)
    for article in zoom.articles:
        assert article.created_by.get_username()
        for attachment in article.attachments.all():
            assert attachment.filename and attachment.size
    for entry in zoom.history:
        assert entry.actor.get_username()
    assert zoom.ticket.queue.full_name and zoom.ticket.state.name
    return len(zoom.articles)


def test_it_zooms_with_a_constant_number_of_queries(support, settings):
    settings.ATTACHMENT_STORAGE = "db"
    small = factories.ticket(support.queue, title="small")
    factories.note(small, actor=support.rw)
    large = factories.ticket(support.queue, title="large")
    for i in range(39):
        actions.add_article(
            large,
            ArticleInput(
                body=f"note {i}",
                attachments=[AttachmentInput(f"log{i}.txt", b"log line\n")] if i % 5 == 0 else (),
            ),
            actor=support.rw if i % 2 else factories.system(),
        )

    small_queries = count_queries(lambda: zoom_everything(support.rw, small.pk))
    large_queries = count_queries(lambda: zoom_everything(support.rw, large.pk))

    assert zoom_everything(support.rw, small.pk) == 2
    assert zoom_everything(support.rw, large.pk) == 40
    assert small_queries == large_queries


def test_it_zooms_articles_and_history_in_order(support):
    ticket = factories.ticket(support.queue, created_at=days_ago(2))
    note = factories.note(ticket, actor=support.rw)

    zoom = selectors.ticket_zoom(factories.refetch(support.ro), ticket.pk)

    assert zoom.ticket == ticket
    assert [a.pk for a in zoom.articles] == [
        *ticket.articles.exclude(pk=note.pk).values_list("pk", flat=True),
        note.pk,
    ]
    assert zoom.history[0].history_type == "NewTicket"
    assert [h.pk for h in zoom.history] == sorted(h.pk for h in zoom.history)


# The overviews and the dashboard.


def test_it_pages_any_sort_without_overlap(support, mixed):
    user = factories.refetch(support.rw)
    tickets = selectors.open_tickets(user)

    first = selectors.ticket_page(tickets, sort="title", order="desc", per_page=3)
    second = selectors.ticket_page(tickets, sort="title", order="desc", page=2, per_page=3)

    assert first.has_next and not second.has_next and second.has_previous
    titles = [t.title for t in first.rows + second.rows]
    assert titles == sorted((t.title for t in mixed.viewable), reverse=True)


def test_it_rejects_an_unknown_sort(support):
    tickets = selectors.open_tickets(support.rw)

    with pytest.raises(ValueError):
        selectors.ticket_page(tickets, sort="customer")
    with pytest.raises(ValueError):
        selectors.ticket_page(tickets, order="sideways")


def test_it_reads_a_ticket_page_in_one_query(support, mixed):
    tickets = selectors.closed_tickets(factories.refetch(support.rw))

    with CaptureQueriesContext(connection) as captured:
        page = selectors.ticket_page(tickets, sort="priority")
        row_cells(page.rows)

    assert [t.pk for t in page.rows] == [mixed.closed.pk]
    assert len([q for q in captured.captured_queries if "tickets_ticket" in q["sql"]]) == 1


def test_it_finds_the_unseen_tickets_in_one_query(support, mixed):
    user = factories.refetch(support.rw)
    actions.mark_seen(mixed.viewable[0], user=user)

    with CaptureQueriesContext(connection) as captured:
        unseen = selectors.unseen_ids(user, mixed.viewable)

    assert unseen == {t.pk for t in mixed.viewable[1:]}
    assert len(captured.captured_queries) == 1
    assert count_queries(lambda: selectors.unseen_ids(user, [])) == 0


def test_it_builds_the_queue_tree_of_readable_queues(support):
    printers = factories.queue("printers", group_=support.group, parent=support.queue)
    factories.queue("Laser", group_=support.group, parent=printers)
    factories.queue("Secret", group_=factories.group("secret"), parent=support.queue)
    factories.queue("Support 2", group_=support.group)
    old = factories.queue("Old", group_=support.group)
    Queue.objects.filter(pk=old.pk).update(is_valid=False)
    factories.ticket(printers)

    tree = selectors.queue_tree(factories.refetch(support.ro))

    assert [(n.label, n.depth, n.count) for n in tree] == [
        ("Support", 0, 0),
        ("printers", 1, 1),
        ("Laser", 2, 0),
        ("Support 2", 0, 0),
    ]
    assert [n.label for n in tree[0].children] == ["printers"]


def test_it_shows_no_tree_to_an_outsider(support, mixed):
    outsider = factories.refetch(support.outsider)

    assert selectors.queue_tree(outsider) == []


def test_it_builds_the_dashboard_with_a_constant_number_of_queries(support):
    rw = factories.refetch(support.rw)

    def add(count):
        for i in range(count):
            ticket = factories.ticket(support.queue, created_at=days_ago(20 - i))
            actions.lock_ticket(ticket, actor=rw)
            actions.watch_ticket(ticket, actor=rw)
            actions.set_pending(ticket, factories.state("pending reminder"), days_ago(1), actor=rw)
            factories.ticket(support.queue, created_at=days_ago(20 - i))  # new

    def board_queries(rows):
        return count_queries(lambda: selectors.dashboard(factories.refetch(rw), rows=rows))

    add(1)
    few = board_queries(10)
    add(12)

    board = selectors.dashboard(factories.refetch(rw), rows=50)
    assert len(board.locked.tickets) == selectors.DASHBOARD_MAX_ROWS and board.locked.has_more
    assert len(board.new.tickets) == selectors.DASHBOARD_MAX_ROWS and board.new.has_more
    assert len(board.reminders.tickets) == selectors.DASHBOARD_MAX_ROWS
    assert board_queries(2) == board_queries(10) == few


@pytest.fixture
def spread(support):
    """An agent ("agent") with ro on support, who also owns, is responsible for and watches
    tickets of a queue of another group; tickets in every kind of state, a day apart."""
    agent = factories.agent("agent")
    factories.grant(agent, support.group, factories.RO)
    other_group = factories.group("other")
    other = factories.queue("Other", group_=other_group)
    helper = factories.agent("helper")
    factories.grant(helper, other_group, factories.RW)
    factories.grant(agent, other_group, factories.RW)  # for now, to become owner/responsible
    states = ["new", "open", "closed successful", "closed unsuccessful", "new", "open"]
    age = iter(range(60, 0, -1))
    second = factories.queue("Second", group_=support.group)
    for queue in (support.queue, other, second):
        for state in states:
            ticket = factories.ticket(queue, title=state, created_at=days_ago(next(age)))
            if state != "new":
                actions.set_state(ticket, factories.state(state), actor=factories.system())
    mine = list(other.ticket_set.order_by("pk"))
    agent = factories.refetch(agent)
    actions.lock_ticket(mine[0], actor=agent)  # owner and responsible
    actions.watch_ticket(mine[0], actor=agent)  # and watcher: found three times
    actions.set_responsible(mine[1], agent, actor=helper)
    actions.watch_ticket(mine[2], actor=agent)
    actions.set_owner(mine[3], agent, actor=helper)
    other_group.user_grants.filter(user=agent).delete()
    return type("Spread", (), {"agent": agent, "mine": mine[:4], "other": other})


@pytest.mark.parametrize("name", ["open", "closed", "new"])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("merge", [True, False])
def test_it_pages_by_age_like_the_plain_query(support, spread, name, order, merge, monkeypatch):
    if not merge:
        monkeypatch.setattr(selectors, "MAX_MERGED_PARTS", 0)
    user = factories.refetch(spread.agent)

    def pages(read):
        found, page = [], 1
        while True:
            result = read(page)
            found.append([t.pk for t in result.rows])
            if not result.has_next:
                return found
            page += 1

    with CaptureQueriesContext(connection) as captured:
        fast = pages(lambda n: selectors.overview_page(user, name, order=order, page=n, per_page=2))
    merged = any("UNION" in query["sql"].upper() for query in captured.captured_queries)
    assert merged == (merge and connection.features.supports_slicing_ordering_in_compound)
    tickets = selectors._overviews()[name](user)
    plain = pages(lambda n: selectors.ticket_page(tickets, order=order, page=n, per_page=2))

    assert fast == plain
    shown = [pk for page in fast for pk in page]
    assert len(shown) == len(set(shown))


def test_it_counts_the_tickets_seen_outside_the_readable_queues(support, spread):
    user = factories.refetch(spread.agent)

    open_ids = {t.pk for t in selectors.overview_page(user, "open", per_page=100).rows}
    new_ids = {t.pk for t in selectors.overview_page(user, "new", per_page=100).rows}

    outside = {t.pk for t in spread.mine if t.state.state_type in ("new", "open")}
    assert outside and outside <= open_ids
    assert not {t.pk for t in spread.mine} & new_ids
    assert selectors.overview_page(factories.refetch(support.outsider), "open").rows == []


def test_it_rejects_an_unknown_overview(support):
    with pytest.raises(ValueError):
        selectors.overview_page(support.rw, "everything")


def test_it_loads_only_the_newest_bodies_when_asked(support, django_assert_num_queries):
    ticket = factories.ticket(support.queue)
    for n in range(5):
        factories.note(ticket, body=f"note {n}")
    zoom = selectors.ticket_zoom(factories.refetch(support.rw), ticket.pk, bodies_of_last=2)
    newest, older = zoom.articles[-2:], zoom.articles[:-2]
    with django_assert_num_queries(0):
        assert [a.body for a in newest] == ["note 3", "note 4"]
    assert all("body" in a.get_deferred_fields() for a in older)

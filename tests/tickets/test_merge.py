"""Merge (spec section 8), number resolution through merges, and unmerge."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.choices import Channel, HistoryType, LinkType, LockState, SenderType
from tickets.models import Article, Ticket, TicketFlag, TicketHistory, TicketLink, TicketWatcher


@pytest.fixture
def rw(support):
    return factories.refetch(support.rw)


@pytest.fixture
def source(support, rw):
    ticket = factories.ticket(support.queue, title="Source")
    factories.note(ticket, actor=rw, body="Source note")
    return ticket


@pytest.fixture
def target(support):
    return factories.ticket(support.queue, title="Target")


def article_ids(ticket) -> set[int]:
    return set(Article.objects.filter(ticket_id=ticket.pk).values_list("pk", flat=True))


def history_ids(ticket) -> set[int]:
    return set(TicketHistory.objects.filter(ticket_id=ticket.pk).values_list("pk", flat=True))


def watcher_ids(ticket) -> set[int]:
    return set(TicketWatcher.objects.filter(ticket_id=ticket.pk).values_list("user", flat=True))


def links() -> set[tuple[int, int, str]]:
    return set(TicketLink.objects.values_list("source_id", "target_id", "link_type"))


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def merged_rows(ticket) -> list[tuple[str, str]]:
    return list(
        ticket.history.filter(history_type=HistoryType.MERGED).values_list("old_value", "new_value")
    )


# --- effects -------------------------------------------------------------------------------------


def test_it_moves_articles_and_their_history_to_the_target(source, target, rw):
    moved_articles = article_ids(source)
    moved_history = set(source.history.filter(article__isnull=False).values_list("pk", flat=True))
    kept_history = history_ids(source) - moved_history
    target_articles = article_ids(target)

    actions.merge_tickets(source, target, actor=rw)

    assert len(moved_articles) == 2
    assert article_ids(target) == target_articles | moved_articles
    assert moved_history <= history_ids(target)
    assert kept_history <= history_ids(source)
    assert not moved_history & history_ids(source)


def test_it_marks_the_source_merged_and_unlocked(source, target, rw):
    actions.lock_ticket(source, actor=rw)

    actions.merge_tickets(source, target, actor=rw)

    merged = fresh(source)
    assert merged.state.name == "merged"
    assert merged.merged_into == target
    assert merged.lock == LockState.UNLOCK
    assert (source.state, source.merged_into) == (merged.state, target)
    assert fresh(target).state.name == "new"


def test_it_makes_the_target_the_parent_of_the_source(source, target, rw):
    mark = TicketHistory.objects.order_by("-pk").values_list("pk", flat=True).first()

    actions.merge_tickets(source, target, actor=rw)

    assert links() == {(target.pk, source.pk, LinkType.PARENT_CHILD)}
    link_rows = TicketHistory.objects.filter(pk__gt=mark, history_type=HistoryType.TICKET_LINK_ADD)
    assert set(link_rows.values_list("ticket_id", "new_value")) == {
        (target.pk, str(source.pk)),
        (source.pk, str(target.pk)),
    }


def test_it_leaves_a_merge_note_on_the_source(source, target, rw):
    actions.merge_tickets(source, target, actor=rw)

    note = Article.objects.get(ticket=source)
    assert (note.channel, note.sender_type) == (Channel.INTERNAL, SenderType.AGENT)
    assert note.is_visible_for_customer
    assert note.subject == "Ticket Merged"
    # The wording is the translators' business; both numbers, source first, are ours.
    assert source.number in note.body
    assert note.body.index(source.number) < note.body.index(target.number)
    assert note.created_by == rw


def test_it_writes_merged_history_on_both_tickets(source, target, rw):
    actions.merge_tickets(source, target, actor=rw)

    expected = [(str(source.pk), str(target.pk))]
    assert merged_rows(source) == expected
    assert merged_rows(target) == expected
    row = source.history.get(history_type=HistoryType.MERGED)
    assert row.extra == {"source_number": source.number, "target_number": target.number}


def test_it_moves_watchers_without_duplicates(support, source, target, rw):
    both = factories.refetch(support.ro)
    only_source = factories.refetch(support.rw)
    actions.watch_ticket(source, actor=both)
    actions.watch_ticket(target, actor=both)
    actions.watch_ticket(source, actor=only_source)

    actions.merge_tickets(source, target, actor=rw)

    assert watcher_ids(source) == set()
    assert TicketWatcher.objects.filter(ticket=target).count() == 2
    assert watcher_ids(target) == {both.pk, only_source.pk}


def test_it_repoints_links_and_drops_duplicates_and_self_links(support, source, target, rw):
    shared = factories.ticket(support.queue, title="Linked to both")
    child = factories.ticket(support.queue, title="Child of source")
    parent = factories.ticket(support.queue, title="Parent of source")
    actions.link_tickets(source, shared, actor=rw)
    actions.link_tickets(target, shared, actor=rw)
    actions.link_tickets(source, child, LinkType.PARENT_CHILD, actor=rw)
    actions.link_tickets(parent, source, LinkType.PARENT_CHILD, actor=rw)
    actions.link_tickets(source, target, actor=rw)

    actions.merge_tickets(source, target, actor=rw)

    assert links() == {
        (target.pk, shared.pk, LinkType.NORMAL),
        (target.pk, child.pk, LinkType.PARENT_CHILD),
        (parent.pk, target.pk, LinkType.PARENT_CHILD),
        (target.pk, source.pk, LinkType.PARENT_CHILD),
    }


def test_it_clears_the_seen_flags_of_the_target(support, source, target, rw):
    actions.mark_seen(target, user=rw)
    actions.mark_seen(target, user=factories.refetch(support.ro))

    actions.merge_tickets(source, target, actor=rw)

    assert not TicketFlag.objects.filter(ticket=target).exists()


def test_it_records_ticket_merge_on_both_tickets(source, target, rw, outbox):
    actions.merge_tickets(source, target, actor=rw)

    merged = [(pk, data["old"], data["new"]) for _name, pk, data in outbox("TicketMerge")]
    assert merged == [(source.pk, source.pk, target.pk), (target.pk, source.pk, target.pk)]


# --- resolve_number ------------------------------------------------------------------------------


def test_it_resolves_a_number_through_a_merge_chain(support, rw):
    a, b, c = (factories.ticket(support.queue, title=t) for t in "ABC")
    actions.merge_tickets(a, b, actor=rw)
    actions.merge_tickets(b, c, actor=rw)

    assert actions.resolve_number(a.number) == c
    assert actions.resolve_number(b.number) == c
    assert actions.resolve_number(c.number) == c
    assert actions.resolve_number("0") is None


def test_it_gives_up_resolving_after_ten_hops(support):
    system = factories.system()
    chain = [factories.ticket(support.queue, title=f"T{i}") for i in range(12)]
    for source, target in itertools.pairwise(chain):
        actions.merge_tickets(source, target, actor=system)

    assert actions.resolve_number(chain[1].number) == chain[-1]  # ten hops
    assert actions.resolve_number(chain[0].number) is None  # eleven


def test_it_stops_redirecting_a_merged_ticket_that_was_reopened(source, target, rw):
    actions.merge_tickets(source, target, actor=rw)

    try:
        actions.set_state(source, factories.state("open"), actor=rw)
    except DomainError:
        return  # refusing to reopen a merged ticket (unmerge it instead) is fine too
    # Spec section 2: only a *merged* ticket's number leads on to its main ticket.
    assert fresh(source).state.name == "open"
    assert actions.resolve_number(source.number) == source


# --- refusals ------------------------------------------------------------------------------------


def refused(code, call):
    before = factories.snapshot()
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.code == code
    assert factories.snapshot() == before


def test_it_refuses_to_merge_a_ticket_into_itself(source, rw):
    refused("merge_self", lambda: actions.merge_tickets(source, fresh(source), actor=rw))


def test_it_refuses_to_merge_into_a_merged_ticket(support, source, target, rw):
    final = factories.ticket(support.queue, title="Final")
    actions.merge_tickets(target, final, actor=rw)

    refused("merge_target_merged", lambda: actions.merge_tickets(source, target, actor=rw))


def test_it_refuses_to_merge_an_already_merged_ticket(support, source, target, rw):
    other = factories.ticket(support.queue, title="Other")
    actions.merge_tickets(source, target, actor=rw)

    refused("merge_source_merged", lambda: actions.merge_tickets(source, other, actor=rw))


@pytest.mark.parametrize("lacking", ["source", "target"])
def test_it_refuses_to_merge_without_rw_on_both_tickets(support, rw, lacking):
    elsewhere = factories.queue("Elsewhere")
    agent = factories.agent()
    factories.grant(agent, support.group, PermissionKey.RW)
    factories.grant(agent, elsewhere.group, *[k for k in PermissionKey if k != PermissionKey.RW])
    agent = factories.refetch(agent)
    ours = factories.ticket(support.queue, title="Ours")
    theirs = factories.ticket(elsewhere, title="Theirs")
    source, target = (theirs, ours) if lacking == "source" else (ours, theirs)

    refused("permission_denied", lambda: actions.merge_tickets(source, target, actor=agent))


# --- unmerge -------------------------------------------------------------------------------------


def test_it_round_trips_merge_and_unmerge(support, source, target, rw):
    watcher = factories.refetch(support.ro)
    target_watcher = factories.agent()
    factories.grant(target_watcher, support.group, PermissionKey.RO)
    target_watcher = factories.refetch(target_watcher)
    linked = factories.ticket(support.queue, title="Linked")
    shared = factories.ticket(support.queue, title="Linked to both")
    actions.set_state(source, factories.state("open"), actor=rw)
    actions.watch_ticket(source, actor=watcher)
    actions.watch_ticket(target, actor=target_watcher)
    actions.link_tickets(source, linked, actor=rw)
    actions.link_tickets(source, target, actor=rw)
    actions.link_tickets(shared, source, LinkType.PARENT_CHILD, actor=rw)
    actions.link_tickets(target, shared, actor=rw)
    own_articles, own_history = article_ids(source), history_ids(source)
    target_articles = article_ids(target)
    links_before = links()

    actions.merge_tickets(source, target, actor=rw)
    merge_note = article_ids(source)
    later = factories.note(target, actor=rw, body="Added after the merge")
    actions.unmerge_ticket(source, actor=rw)

    unmerged = fresh(source)
    assert unmerged.merged_into is None
    assert unmerged.state.name == "open"
    assert source.state.name == "open"
    # Its own articles again, plus the merge note the merge wrote on it.
    assert article_ids(source) == own_articles | merge_note
    assert article_ids(target) == target_articles | {later.pk}
    assert own_history <= history_ids(source)
    assert not own_history & history_ids(target)
    assert watcher_ids(source) == {watcher.pk}
    assert watcher_ids(target) == {target_watcher.pk}
    assert links() == links_before
    unmerged_rows = [(str(target.pk), str(source.pk))]
    for ticket in (source, target):
        assert (
            list(
                ticket.history.filter(history_type=HistoryType.UNMERGED).values_list(
                    "old_value", "new_value"
                )
            )
            == unmerged_rows
        )


def test_it_restores_a_pending_state_with_its_pending_time(source, target, rw):
    until = timezone.now().replace(microsecond=0) + timedelta(days=2)
    pending = factories.state("pending reminder")
    actions.set_pending(source, pending, until, actor=rw)

    actions.merge_tickets(source, target, actor=rw)
    actions.unmerge_ticket(source, actor=rw)

    unmerged = fresh(source)
    assert unmerged.state == pending
    assert unmerged.pending_until == until


def test_it_keeps_a_watcher_the_target_already_had(support, source, target, rw):
    both = factories.refetch(support.ro)
    actions.watch_ticket(source, actor=both)
    actions.watch_ticket(target, actor=both)

    actions.merge_tickets(source, target, actor=rw)
    actions.unmerge_ticket(source, actor=rw)

    assert watcher_ids(source) == {both.pk}
    assert watcher_ids(target) == {both.pk}


def test_it_unmerges_through_a_chain(support, rw):
    a, b, c = (factories.ticket(support.queue, title=t) for t in "ABC")
    for ticket in (a, b, c):
        factories.note(ticket, actor=rw, body=f"Note on {ticket.title}")
    own = {t.pk: article_ids(t) for t in (a, b, c)}

    actions.merge_tickets(a, b, actor=rw)
    actions.merge_tickets(b, c, actor=rw)
    a_note, b_note = article_ids(a), article_ids(b)
    assert article_ids(c) == own[a.pk] | own[b.pk] | own[c.pk]

    actions.unmerge_ticket(a, actor=rw)

    assert article_ids(a) == own[a.pk] | a_note
    assert article_ids(c) == own[b.pk] | own[c.pk]
    assert fresh(b).merged_into == c
    assert links() == {(c.pk, b.pk, LinkType.PARENT_CHILD)}

    actions.unmerge_ticket(b, actor=rw)

    assert article_ids(b) == own[b.pk] | b_note
    assert article_ids(c) == own[c.pk]
    assert article_ids(a) == own[a.pk] | a_note
    assert links() == set()


def test_it_refuses_to_unmerge_a_ticket_that_is_not_merged(source, rw):
    refused("not_merged", lambda: actions.unmerge_ticket(source, actor=rw))

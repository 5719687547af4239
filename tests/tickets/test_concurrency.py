"""Two OS processes change the same ticket at the same moment; nothing may be lost."""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import Client

from otrs.accounts.models import User
from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.choices import HistoryType
from tickets.models import Priority, Queue, State, Ticket, TicketHistory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROUNDS = 20


def _pause() -> None:
    """Let the other process in between two actions. SQLite's busy handler polls with growing
    sleeps, so a writer that starts its next transaction at once would otherwise tend to run
    all its rounds before the other gets a turn."""
    time.sleep(0.003)


def _notes_and_priorities(ticket_id: int, actor_id: int) -> int:
    """Add a note and change the priority, ROUNDS times; return the history rows written."""
    actor = User.objects.get(pk=actor_id)
    ticket = Ticket.objects.get(pk=ticket_id)
    levels = [4, 5, 1, 2, 3]  # each differs from the one before, starting from 3 normal
    priorities = {p.level: p for p in Priority.objects.all()}
    for i in range(ROUNDS):
        actions.add_article(ticket, actions.ArticleInput(body=f"A{i}"), actor=actor)
        _pause()
        actions.set_priority(ticket, priorities[levels[i % len(levels)]], actor=actor)
        _pause()
    return 2 * ROUNDS


def _notes_states_and_moves(ticket_id: int, actor_id: int, queue_ids: list[int]) -> int:
    """Add a note, change the state and move the ticket, ROUNDS times."""
    actor = User.objects.get(pk=actor_id)
    ticket = Ticket.objects.get(pk=ticket_id)
    states = [State.objects.get(name="open"), State.objects.get(name="closed successful")]
    queues = [Queue.objects.get(pk=pk) for pk in queue_ids]
    for i in range(ROUNDS):
        actions.add_article(ticket, actions.ArticleInput(body=f"B{i}"), actor=actor)
        _pause()
        actions.set_state(ticket, states[i % 2], actor=actor)
        _pause()
        actions.move_ticket(ticket, queues[(i + 1) % 2], actor=actor)
        _pause()
    return 3 * ROUNDS


def _last(ticket: Ticket, history_type: str) -> str:
    return (
        TicketHistory.objects.filter(ticket=ticket, history_type=history_type)
        .order_by("-pk")
        .values_list("new_value", flat=True)
        .first()
    )


def _agents(*groups) -> list[User]:
    agents = []
    for _ in range(2):
        agent = factories.agent()
        for grp in groups:
            factories.grant(agent, grp, PermissionKey.RW)
        agents.append(agent)
    return agents


def test_it_loses_no_change_when_two_processes_edit_one_ticket(run_in_processes):
    first, second = factories.queue("First"), factories.queue("Second")
    a, b = _agents(first.group, second.group)
    ticket = factories.ticket(first)
    articles_before, history_before = ticket.articles.count(), ticket.history.count()

    written = run_in_processes(
        lambda fn, *args: fn(*args),
        [
            (_notes_and_priorities, ticket.pk, a.pk),
            (_notes_states_and_moves, ticket.pk, b.pk, [first.pk, second.pk]),
        ],
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    actors = list(ticket.history.order_by("pk").values_list("actor_id", flat=True))
    turns = sum(1 for x, y in itertools.pairwise(actors) if x != y)
    assert turns >= 5, "the two processes did not run at the same time"
    assert ticket.articles.count() == articles_before + 2 * ROUNDS
    assert ticket.history.count() == history_before + sum(written)
    assert ticket.articles.filter(created_by=a).count() == ROUNDS
    assert ticket.articles.filter(created_by=b).count() == ROUNDS
    assert ticket.history.filter(history_type=HistoryType.ADD_NOTE).count() == 2 * ROUNDS
    assert ticket.history.filter(history_type=HistoryType.PRIORITY_UPDATE).count() == ROUNDS
    assert ticket.history.filter(history_type=HistoryType.STATE_UPDATE).count() == ROUNDS
    assert ticket.history.filter(history_type=HistoryType.MOVE).count() == ROUNDS
    assert str(ticket.priority_id) == _last(ticket, HistoryType.PRIORITY_UPDATE)
    assert str(ticket.state_id) == _last(ticket, HistoryType.STATE_UPDATE)
    assert str(ticket.queue_id) == _last(ticket, HistoryType.MOVE)
    assert (ticket.priority.level, ticket.state.name, ticket.queue) == (
        [4, 5, 1, 2, 3][(ROUNDS - 1) % 5],
        "closed successful",
        first,
    )


def _priorities(ticket_id: int, actor_id: int, offset: int) -> None:
    actor = User.objects.get(pk=actor_id)
    ticket = Ticket.objects.get(pk=ticket_id)
    priorities = list(Priority.objects.order_by("level"))
    for i in range(ROUNDS):
        actions.set_priority(ticket, priorities[(i + offset) % 5], actor=actor)
        _pause()


def test_it_keeps_the_priority_history_a_gapless_chain_under_contention(run_in_processes):
    queue = factories.queue("Contended")
    a, b = _agents(queue.group)
    ticket = factories.ticket(queue)
    initial = str(ticket.priority_id)

    run_in_processes(_priorities, [(ticket.pk, a.pk, 0), (ticket.pk, b.pk, 2)])

    rows = list(
        TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.PRIORITY_UPDATE)
        .order_by("pk")
        .values_list("old_value", "new_value")
    )
    assert rows, "no priority changed"
    # Each change starts from the value the previous one left: none was overwritten unseen.
    assert rows[0][0] == initial
    for (_old, previous_new), (old, new) in itertools.pairwise(rows):
        assert old == previous_new
        assert old != new
    assert str(Ticket.objects.get(pk=ticket.pk).priority_id) == rows[-1][1]


# --- opposite merges and bursts of notes, through the agent screens ---------------------------

MERGE_PAIRS = 12
NOTE_PROCESSES, NOTES_EACH = 10, 5  # 50 notes on one ticket at once


def _post_all(agent_id: int, posts: list[tuple[str, dict]]) -> list[int]:
    """Sign ``agent_id`` in with a client of this process and POST each (url, data) in
    turn; return the status codes."""
    client = Client()
    client.force_login(User.objects.get(pk=agent_id))
    return [client.post(url, data).status_code for url, data in posts]


def _merge_post(source: Ticket, target: Ticket) -> tuple[str, dict]:
    data = {"seen": actions.ticket_version(source), "number": target.number, "confirm": "1"}
    return f"/agent/tickets/{source.pk}/merge/", data


def test_it_merges_opposite_pairs_at_once_without_a_deadlock(run_in_processes):
    """A into B and B into A at the same moment: the merge action locks both rows in id
    order before anything else (the view locks nothing), so one merge waits for the other
    and is then refused (400); never a deadlock or a 500."""
    queue = factories.queue("Merging")
    a, b = _agents(queue.group)
    pairs = [(factories.ticket(queue), factories.ticket(queue)) for _ in range(MERGE_PAIRS)]

    first, second = run_in_processes(
        _post_all,
        [
            (a.pk, [_merge_post(x, y) for x, y in pairs]),
            (b.pk, [_merge_post(y, x) for x, y in pairs]),
        ],
    )

    for (x, y), one, other in zip(pairs, first, second, strict=True):
        assert sorted([one, other]) == [302, 400], (one, other)
        x, y = Ticket.objects.get(pk=x.pk), Ticket.objects.get(pk=y.pk)
        merged = [t for t in (x, y) if t.merged_into_id is not None]
        assert len(merged) == 1
        assert merged[0].merged_into_id == (y.pk if merged[0] == x else x.pk)


def test_it_accepts_every_note_of_a_burst_on_one_ticket(run_in_processes):
    """Fifty notes at once, each sent with the version the agent saw before any of them:
    a note overwrites nothing, so none is refused as an edit conflict."""
    queue = factories.queue("Busy")
    agents = []
    for _ in range(NOTE_PROCESSES):
        agent = factories.agent()
        factories.grant(agent, queue.group, PermissionKey.RW)
        agents.append(agent)
    ticket = factories.ticket(queue)
    seen = actions.ticket_version(ticket)
    url = f"/agent/tickets/{ticket.pk}/note/"
    before = ticket.articles.count()

    statuses = run_in_processes(
        _post_all,
        [
            (agent.pk, [(url, {"seen": seen, "body": f"Note {n}"}) for n in range(NOTES_EACH)])
            for agent in agents
        ],
    )

    assert [code for codes in statuses for code in codes] == [302] * (NOTE_PROCESSES * NOTES_EACH)
    assert ticket.articles.count() == before + NOTE_PROCESSES * NOTES_EACH
    assert (
        TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.ADD_NOTE).count()
        == NOTE_PROCESSES * NOTES_EACH
    )

"""The maintained ticket counts per queue, state and lock (tickets.ticket_counts): kept
equal to a fresh count by every action, read by the queue tree, checked and rebuilt by
``manage.py ticket_counts``."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from tests import factories
from tickets import access, actions, selectors, tasks, ticket_counts
from tickets.actions.bulk import BulkChanges, bulk_change
from tickets.choices import LockState
from tickets.models import MergeRecord, QueueTicketCount, QueueTicketCountDelta, Ticket

pytestmark = pytest.mark.django_db

STATES = ("new", "open", "closed successful", "closed unsuccessful", "pending reminder")


def fresh_queue_counts(user) -> dict[int, int]:
    """The queue tree's counts the slow way: every visible viewable ticket counted."""
    counts: dict[int, int] = {}
    viewable = selectors.viewable_state_ids()
    for queue_id in (
        access.visible_to(user, PermissionKey.RO)
        .filter(state_id__in=viewable)
        .values_list("queue_id", flat=True)
    ):
        counts[queue_id] = counts.get(queue_id, 0) + 1
    return counts


class World:
    """Three queues in two groups, agents with different grants, tickets made by actions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.system = factories.system()
        first, second = factories.group(), factories.group()
        self.queues = [
            factories.queue(group_=first),
            factories.queue(group_=first),
            factories.queue(group_=second),
        ]
        # Each may own tickets in the other's group too, without reading it: such tickets
        # are theirs to see beyond their groups.
        self.rw = factories.agent()
        factories.grant(self.rw, first, factories.RW)
        factories.grant(self.rw, second, PermissionKey.OWNER)
        self.other = factories.agent()
        factories.grant(self.other, second, factories.RW)
        factories.grant(self.other, first, PermissionKey.OWNER)
        self.tickets: list[Ticket] = []

    def step(self) -> None:
        rng = self.rng
        kind = rng.choice(
            [
                *("create", "create", "move", "state", "lock", "unlock", "owner"),
                *("merge", "unmerge", "delete", "bulk", "watch", "pending"),
            ]
        )
        live = [t for t in self.tickets if Ticket.objects.filter(pk=t.pk).exists()]
        if kind == "create" or not live:
            ticket = factories.ticket(
                rng.choice(self.queues),
                state=factories.state(rng.choice(("new", "open", "closed successful"))),
                lock=rng.choice((LockState.UNLOCK, LockState.LOCK)),
                owner=rng.choice((self.rw, self.other)),
                responsible=self.system,
            )
            self.tickets.append(ticket)
            return
        ticket = rng.choice(live)
        # A refused change (a rule) rolls back its transaction, counts included.
        with contextlib.suppress(DomainError):
            self._change(kind, ticket, live)

    def _change(self, kind: str, ticket: Ticket, live: list[Ticket]) -> None:
        rng, system = self.rng, self.system
        if kind == "move":
            actions.move_ticket(ticket, rng.choice(self.queues), actor=system)
        elif kind == "state":
            actions.set_state(ticket, factories.state(rng.choice(STATES[:4])), actor=system)
        elif kind == "pending":
            until = timezone.now() + timedelta(days=1)
            actions.set_pending(ticket, factories.state("pending reminder"), until, actor=system)
        elif kind == "lock":
            actions.lock_ticket(ticket, actor=system)
        elif kind == "unlock":
            actions.unlock_ticket(ticket, actor=system)
        elif kind == "owner":
            actions.set_owner(ticket, rng.choice((self.rw, self.other)), actor=system)
        elif kind == "merge":
            target = rng.choice(live)
            if target.pk != ticket.pk:
                actions.merge_tickets(ticket, target, actor=system)
        elif kind == "unmerge":
            record = MergeRecord.objects.filter(unmerged_at__isnull=True).order_by("?").first()
            if record is not None:
                actions.unmerge_ticket(record.source, actor=system)
        elif kind == "delete":
            actions.delete_ticket(ticket, actor=system)
        elif kind == "watch":
            actions.watch_ticket(ticket, actor=system, user=rng.choice((self.rw, self.other)))
        elif kind == "bulk":
            chosen = rng.sample(live, min(3, len(live)))
            changes = BulkChanges(
                queue=rng.choice(self.queues),
                state=factories.state(rng.choice(STATES[:4])),
                lock=rng.choice((LockState.LOCK, LockState.UNLOCK, "")),
            )
            bulk_change(chosen, changes, actor=system)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_action_sequences_keep_the_counts_equal_to_a_fresh_count(seed):
    world = World(random.Random(seed))
    for number in range(60):
        world.step()
        if number % 10 == 9:
            assert ticket_counts.verify() == {}
        if number % 20 == 14:
            # The daemon's fold, between the actions: the counts stay the same.
            before = ticket_counts.stored()
            ticket_counts.fold()
            assert ticket_counts.stored() == before
            assert not QueueTicketCountDelta.objects.exists()
    assert ticket_counts.verify() == {}
    assert ticket_counts.stored() == ticket_counts.count_fresh()
    for agent in (world.rw, world.other):
        user = factories.refetch(agent)
        assert selectors.queue_counts(user) == fresh_queue_counts(user)


def test_a_refused_action_leaves_the_counts_alone():
    world = World(random.Random(7))
    ticket = factories.ticket(world.queues[0])
    target = factories.ticket(world.queues[1])
    actions.merge_tickets(ticket, target, actor=world.system)

    with pytest.raises(DomainError):
        actions.delete_ticket(target, actor=world.system)  # others were merged into it

    assert ticket_counts.verify() == {}


def test_the_tree_counts_watched_and_owned_tickets_outside_the_agents_groups():
    world = World(random.Random(8))
    outside = world.queues[2]
    # Watched while in a queue of the agent's group, then moved out of it.
    watched = factories.ticket(world.queues[1], title="watched")
    actions.watch_ticket(watched, actor=world.system, user=world.rw)
    actions.move_ticket(watched, outside, actor=world.system)
    owned = factories.ticket(outside, title="owned", owner=world.rw, responsible=world.system)
    actions.watch_ticket(owned, actor=world.system, user=world.rw)  # still counted once
    factories.ticket(outside, title="neither")
    factories.ticket(world.queues[0], title="in the group")

    user = factories.refetch(world.rw)
    counts = selectors.queue_counts(user)

    assert counts == {world.queues[0].pk: 1, outside.pk: 2}
    assert counts == fresh_queue_counts(user)


def test_the_command_finds_a_wrong_count_and_rebuilds_it(capsys):
    world = World(random.Random(9))
    ticket = factories.ticket(world.queues[0])
    call_command("ticket_counts", "--fold")  # the new ticket's change into its count row
    QueueTicketCount.objects.filter(
        queue=ticket.queue, state=ticket.state, lock=ticket.lock
    ).update(n=41)

    with pytest.raises(CommandError, match="1 count"):
        call_command("ticket_counts", "--verify")
    assert "kept 41" in capsys.readouterr().out

    call_command("ticket_counts")
    call_command("ticket_counts", "--verify")
    assert "agree" in capsys.readouterr().out
    assert ticket_counts.verify() == {}


def test_filldb_counts_the_tickets_it_writes():
    factories.queue("Filled")

    call_command("filldb", "--tickets", "40", "--batch", "15", "--articles-per-ticket", "1")

    assert ticket_counts.verify() == {}


def test_an_action_records_a_change_and_leaves_the_count_rows_alone():
    world = World(random.Random(10))
    ticket = factories.ticket(world.queues[0])
    ticket_counts.fold()
    rows = list(QueueTicketCount.objects.order_by("pk").values_list("pk", "n"))

    actions.move_ticket(ticket, world.queues[1], actor=world.system)

    assert list(QueueTicketCount.objects.order_by("pk").values_list("pk", "n")) == rows
    changes = sorted(QueueTicketCountDelta.objects.values_list("queue_id", "n"))
    assert changes == sorted([(world.queues[0].pk, -1), (world.queues[1].pk, 1)])
    assert ticket_counts.verify() == {}


def test_a_fold_moves_the_changes_in_batches_and_keeps_the_sums(capsys):
    world = World(random.Random(11))
    for number in range(7):
        ticket = factories.ticket(world.queues[number % 2])
        if number % 3 == 0:
            actions.move_ticket(ticket, world.queues[2], actor=world.system)
    before = ticket_counts.stored()
    changes = QueueTicketCountDelta.objects.count()
    assert changes == 7 + 2 * 3

    assert ticket_counts.fold(batch=4) == changes

    assert not QueueTicketCountDelta.objects.exists()
    assert ticket_counts.stored() == before
    assert ticket_counts.verify() == {}
    call_command("ticket_counts", "--fold")
    assert "Folded 0 recorded change(s)" in capsys.readouterr().out


def test_the_daemon_task_folds():
    world = World(random.Random(12))
    factories.ticket(world.queues[0])

    assert tasks.fold_ticket_counts() == 1

    assert not QueueTicketCountDelta.objects.exists()
    assert ticket_counts.verify() == {}

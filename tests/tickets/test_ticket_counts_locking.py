"""Two new tickets in one queue at once, each in a transaction still open: the second must
not wait for the first to commit because of the maintained queue counts
(tickets.ticket_counts), as two mail workers filing into the same queue would.

The test asks the server whether the second transaction waits for a lock (as
tests/cmdb/test_propagation_locking.py does), instead of measuring time. On SQLite a writer
locks the whole database anyway, so it runs on PostgreSQL and MariaDB. The ticket number
generator is ``Random`` here, to test the counts alone; the counter-based generators are
tested the same way in tests/tickets/test_ticket_number_locking.py.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from tests import factories
from tests.row_locks import beside_an_open_transaction
from tickets import ticket_counts
from tickets.models import QueueTicketCount, QueueTicketCountDelta

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor not in ("postgresql", "mysql"),
        reason="row locks: PostgreSQL and MariaDB",
    ),
]


@override_settings(TICKET_NUMBER_GENERATOR="Random")
def test_a_second_new_ticket_in_the_queue_does_not_wait_for_the_first():
    system = factories.system()
    queue = factories.queue("Counted together")
    # Both tickets land on the same queue, state and lock: the same count.
    factories.ticket(queue, title="before both")

    def second():
        with transaction.atomic():
            factories.ticket(queue, title="second", actor=system)

    beside_an_open_transaction(lambda: factories.ticket(queue, title="first", actor=system), second)
    assert ticket_counts.verify() == {}
    kept = ticket_counts.stored()
    assert sum(n for (queue_id, _state, _lock), n in kept.items() if queue_id == queue.pk) == 3


@override_settings(TICKET_NUMBER_GENERATOR="Random")
def test_a_fold_passes_over_a_change_not_yet_committed_without_waiting():
    queue = factories.queue("Folded beside a writer")
    factories.ticket(queue, title="committed before")

    beside = beside_an_open_transaction(
        lambda: factories.ticket(queue, title="not yet committed"), ticket_counts.fold
    )
    # The committed ticket's change was folded; the other one stays for the next fold.
    assert beside.results == [1]
    assert QueueTicketCountDelta.objects.filter(queue=queue).count() == 1
    assert ticket_counts.verify() == {}
    assert ticket_counts.fold() == 1
    assert ticket_counts.verify() == {}
    assert QueueTicketCount.objects.get(queue=queue).n == 2


def test_two_folds_at_once_move_each_change_once():
    queue = factories.queue("Folded twice at once")
    for number in range(30):
        factories.ticket(queue, title=f"fold {number}")
    barrier = threading.Barrier(2)
    moved: list[int] = []
    errors: list[BaseException] = []

    def fold():
        try:
            barrier.wait(60)
            moved.append(ticket_counts.fold(batch=7))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=fold) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors
    assert sum(moved) == 30
    assert not QueueTicketCountDelta.objects.exists()
    assert QueueTicketCount.objects.get(queue=queue).n == 30
    assert ticket_counts.verify() == {}

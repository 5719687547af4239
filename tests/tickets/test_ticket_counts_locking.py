"""Two new tickets in one queue at once, each in a transaction still open: the second must
not wait for the first to commit because of the maintained queue counts
(tickets.ticket_counts), as two mail workers filing into the same queue would.

The test asks the server whether the second transaction waits for a lock (as
tests/cmdb/test_propagation_locking.py does), instead of measuring time. On SQLite a writer
locks the whole database anyway, so it runs on PostgreSQL and MariaDB. The ticket number
generator is ``Random`` here: the counter-based generators take a row lock of their own on
the day's (or the single) number counter, which is OTRS's behaviour and not what is tested.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from tests import factories
from tickets import ticket_counts
from tickets.models import QueueTicketCount, QueueTicketCountDelta

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor not in ("postgresql", "mysql"),
        reason="row locks: PostgreSQL and MariaDB",
    ),
]


def _waiting_for_a_lock(backend_id) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                [backend_id],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM information_schema.INNODB_TRX "
                "WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT'",
                [backend_id],
            )
        return cursor.fetchone()[0] > 0


def _backend_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()"
            if connection.vendor == "postgresql"
            else "SELECT CONNECTION_ID()"
        )
        return cursor.fetchone()[0]


@override_settings(TICKET_NUMBER_GENERATOR="Random")
def test_a_second_new_ticket_in_the_queue_does_not_wait_for_the_first():
    system = factories.system()
    queue = factories.queue("Counted together")
    # Both tickets land on the same queue, state and lock: the same count.
    factories.ticket(queue, title="before both")
    backend: dict[str, int] = {}
    started, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    waited: list[bool] = []

    def second():
        try:
            backend["id"] = _backend_id()
            started.set()
            with transaction.atomic():
                factories.ticket(queue, title="second", actor=system)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()
            done.set()

    with transaction.atomic():
        factories.ticket(queue, title="first", actor=system)
        worker = threading.Thread(target=second)
        worker.start()
        assert started.wait(60)
        # Poll every 0.2 s until the second commits or is seen waiting: InnoDB refreshes
        # INNODB_TRX only when it has not been read for 0.1 s.
        for _round in range(300):
            if _waiting_for_a_lock(backend["id"]):
                waited.append(True)
                break
            if done.is_set():
                break
            done.wait(0.2)
        # Still inside the first transaction: the second has committed already.
        finished_before_the_first = done.is_set()
    worker.join(60)
    assert not errors, errors
    assert not waited, "the second creation waited for a lock held by the first"
    assert finished_before_the_first
    assert ticket_counts.verify() == {}
    kept = ticket_counts.stored()
    assert sum(n for (queue_id, _state, _lock), n in kept.items() if queue_id == queue.pk) == 3


@override_settings(TICKET_NUMBER_GENERATOR="Random")
def test_a_fold_passes_over_a_change_not_yet_committed_without_waiting():
    queue = factories.queue("Folded beside a writer")
    factories.ticket(queue, title="committed before")
    backend: dict[str, int] = {}
    started, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    moved: list[int] = []

    def fold():
        try:
            backend["id"] = _backend_id()
            started.set()
            moved.append(ticket_counts.fold())
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()
            done.set()

    with transaction.atomic():
        factories.ticket(queue, title="not yet committed")
        worker = threading.Thread(target=fold)
        worker.start()
        assert started.wait(60)
        waited = False
        for _round in range(300):
            if _waiting_for_a_lock(backend["id"]):
                waited = True
                break
            if done.is_set():
                break
            done.wait(0.2)
        finished_before_the_writer = done.is_set()
    worker.join(60)
    assert not errors, errors
    assert not waited, "the fold waited for the writer's transaction"
    assert finished_before_the_writer
    # The committed ticket's change was folded; the other one stays for the next fold.
    assert moved == [1]
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

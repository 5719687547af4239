"""Ticket numbers from the counter generators (AutoIncrement, Date, DateChecksum) without a
shared row lock (tickets.numbers): a new ticket does not wait for another creation's
transaction to commit, as two mail workers filing at once would, and parallel creations,
each on its own connection, never get the same number.

As tests/tickets/test_ticket_counts_locking.py does, the first test asks the server whether
the second transaction waits for a lock instead of measuring time. On SQLite a writer locks
the whole database anyway, so these run on PostgreSQL and MariaDB.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections, transaction

from tests import factories
from tests.row_locks import beside_an_open_transaction
from tickets import numbers
from tickets.models import Queue, Ticket, TicketNumberCounter

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor not in ("postgresql", "mysql"),
        reason="row locks: PostgreSQL and MariaDB",
    ),
]

COUNTED = ["AutoIncrement", "Date", "DateChecksum"]


def counter(number: str, name: str) -> int:
    """The counter inside a number of generator ``name`` (SystemID 10)."""
    if name == "AutoIncrement":
        return int(number[2:])
    return int(number[10:-1] if name == "DateChecksum" else number[10:])


@pytest.mark.parametrize("name", COUNTED)
def test_a_second_new_ticket_does_not_wait_for_the_first_to_commit(settings, name):
    settings.TICKET_NUMBER_GENERATOR, settings.SYSTEM_ID = name, 10
    system = factories.system()
    queue = factories.queue("Numbered together")
    # The scope's counter exists (its first number of the day is the one write it needs).
    before = factories.ticket(queue, title="before both")

    def second():
        with transaction.atomic():
            return factories.ticket(queue, title="second", actor=system).number

    first: list[str] = []
    beside = beside_an_open_transaction(
        lambda: first.append(factories.ticket(queue, title="first", actor=system).number),
        second,
    )
    # Numbered in the order drawn, each once.
    drawn = [counter(n, name) for n in (before.number, first[0], beside.results[0])]
    assert drawn == sorted(set(drawn))
    assert TicketNumberCounter.objects.count() == 1


def _create(queue_id: int, count: int, barrier: threading.Barrier, out: list, errors: list):
    try:
        queue = Queue.objects.get(pk=queue_id)
        barrier.wait(60)
        for i in range(count):
            with transaction.atomic():
                out.append(factories.ticket(queue, title=f"parallel {i}").number)
    except BaseException as exc:  # reported to the test
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.slow
@pytest.mark.parametrize("name", COUNTED)
def test_parallel_creations_get_unique_numbers_in_the_generators_format(settings, name):
    """Four threads, each with its own connection, create tickets at once; the day's (or
    the single) counter does not exist yet, so they also race to start it."""
    settings.TICKET_NUMBER_GENERATOR, settings.SYSTEM_ID = name, 10
    queue = factories.queue("Parallel numbers")
    factories.system()
    threads, each = 4, 15
    barrier = threading.Barrier(threads)
    made: list[str] = []
    errors: list[BaseException] = []
    workers = [
        threading.Thread(target=_create, args=(queue.pk, each, barrier, made, errors))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)

    assert not errors, errors
    stored = list(Ticket.objects.filter(queue=queue).values_list("number", flat=True))
    assert sorted(made) == sorted(stored)
    assert len(set(stored)) == threads * each
    assert all(re.fullmatch(numbers.generator().pattern(), n) for n in stored)
    counters = sorted(counter(n, name) for n in stored)
    # Nothing rolled back: the counters are 1..60 (AutoIncrement continues from the
    # newest ticket, here none).
    assert counters == list(range(1, threads * each + 1))
    if name == "DateChecksum":
        assert all(n[-1] == str(numbers.checksum_digit(n[:-1])) for n in stored)
    assert TicketNumberCounter.objects.count() == 1

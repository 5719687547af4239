"""Group commit of the inbound mail a worker drains: many stored messages processed in one
transaction (a savepoint each) and committed once; a failing message rolls back alone and its
quarantine commits with the group; a crash leaves the group's messages waiting; each message
is claimed by one worker; the events go out after the commit, all of a group's at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from otrs.events import delivery, outbox
from otrs.events.models import EventBatch
from otrs.mail import spool
from tickets.models import (
    InboundMessage,
    InboundSource,
    InboundStatus,
    Ticket,
)
from tickets.models.mail import QuarantineReason
from tickets.postmaster import intake
from tickets.postmaster.intake import Incoming, process_waiting, receive_many, sweep

from . import test_mail_store

pytestmark = pytest.mark.django_db

# The support queue with its system address and an auto reply, as the store's tests have it.
support_address = test_mail_store.support_address
customer_articles, auto_replies = test_mail_store.customer_articles, test_mail_store.auto_replies


def mail(subject: str, n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <group-{n}@example.com>\r\n"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nPlease help.\r\n"
    ).encode()


def incoming(subjects: list[str]) -> list[Incoming]:
    return [Incoming(raw=mail(s, n), source=InboundSource.PIPE) for n, s in enumerate(subjects)]


@pytest.fixture(autouse=True)
def _groups_end_by_count(settings):
    """A group here ends by its count, not by time (a loaded machine would cut it short)."""
    settings.POSTMASTER_GROUP_MS = 600_000


def deliver(handed_over) -> None:
    """What the Celery worker does with the batches handed over."""
    for _kind, ids in list(handed_over):
        for batch_id in ids:
            delivery.deliver_batch(batch_id)


def fail_on(monkeypatch, subject: str, error: BaseException) -> None:
    """``handle`` does its work for the message with ``subject`` and then raises ``error``:
    what it wrote must go with the savepoint (or the group)."""
    real = intake.handle

    def handle(parsed, **kwargs):
        result = real(parsed, **kwargs)
        if parsed.subject == subject:
            raise error
        return result

    monkeypatch.setattr(intake, "handle", handle)


@pytest.fixture
def commits(monkeypatch):
    """How many times the connection commits (transaction=True tests only)."""
    count = [0]
    real = type(connections["default"]).commit

    def commit(self):
        count[0] += 1
        return real(self)

    monkeypatch.setattr(type(connections["default"]), "commit", commit)
    return count


@pytest.fixture
def handed_over(monkeypatch):
    """The Celery hand-overs of committed event batches: (task, ids), not delivered (see
    :func:`deliver`)."""
    calls: list[tuple[str, list[int]]] = []

    def single(batch_id):
        calls.append(("one", [batch_id]))

    def several(batch_ids):
        calls.append(("many", list(batch_ids)))

    monkeypatch.setattr(outbox.deliver_batch, "delay", single)
    monkeypatch.setattr(outbox.deliver_batches, "delay", several)
    return calls


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_stores_a_group_in_one_commit_and_processes_it_in_another(
    support_address, commits, handed_over
):
    rows = receive_many(incoming([f"Request {i}" for i in range(6)]))

    assert [r.status for r in rows] == [InboundStatus.PROCESSED] * 6
    assert commits[0] == 2  # the six raw rows, then the six tickets
    # A batch of events per message, as before, handed to Celery in one task after the commit.
    assert [kind for kind, _ids in handed_over] == ["many"]
    assert sorted(handed_over[0][1]) == sorted(EventBatch.objects.values_list("pk", flat=True))
    assert len(handed_over[0][1]) == 6
    deliver(handed_over)
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (6, 6, 6)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_message_in_the_middle_rolls_back_alone_and_its_quarantine_commits(
    support_address, monkeypatch, handed_over
):
    fail_on(monkeypatch, "Request 2", RuntimeError("the printer caught fire"))

    rows = receive_many(incoming([f"Request {i}" for i in range(5)]))

    assert [r.status for r in rows] == [InboundStatus.PROCESSED] * 2 + [
        InboundStatus.QUARANTINED
    ] + [InboundStatus.PROCESSED] * 2
    bad = InboundMessage.objects.get(pk=rows[2].pk)  # committed, read back
    assert bad.status == InboundStatus.QUARANTINED
    assert bad.error_code == QuarantineReason.FAILED and "caught fire" in bad.error
    assert bad.subject == "Request 2" and bad.claimed_until is None
    # Its ticket, article and events went with its savepoint; the others' stayed.
    assert not Ticket.objects.filter(title="Request 2").exists()
    assert [len(ids) for _kind, ids in handed_over] == [4]
    assert EventBatch.objects.count() == 4
    deliver(handed_over)
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (4, 4, 4)
    # Reprocessed once the cause is gone, it makes its ticket like any other.
    monkeypatch.undo()
    assert intake.reprocess(bad).status == InboundStatus.PROCESSED
    assert Ticket.objects.filter(title="Request 2").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_crash_mid_group_leaves_every_message_of_it_waiting_for_the_sweep(
    support_address, monkeypatch, settings, time_machine, handed_over
):
    # A KeyboardInterrupt stands for the process dying: no except clause of the intake
    # catches it, so the group's transaction is rolled back as a lost connection's is.
    fail_on(monkeypatch, "Request 2", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        receive_many(incoming([f"Request {i}" for i in range(5)]))

    waiting = InboundMessage.objects.order_by("pk")
    assert [r.status for r in waiting] == [InboundStatus.RECEIVED] * 5
    assert [r.attempts for r in waiting] == [0] * 5
    # The two processed before the crash went too: nothing half-done, nothing sent.
    assert (Ticket.objects.count(), EventBatch.objects.count(), handed_over) == (0, 0, [])
    monkeypatch.undo()
    assert sweep() == 0  # within the grace: the worker that stored them may be at it
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.POSTMASTER_CLAIM_SECONDS + 1))
    assert sweep() == 5
    deliver(handed_over)
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (5, 5, 5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_group_ends_after_its_time_and_gives_the_rest_back_unclaimed(
    support_address, settings, commits, handed_over
):
    stored = [intake.store(mail(f"Request {i}", i), source=InboundSource.PIPE) for i in range(4)]
    settings.POSTMASTER_GROUP_MS = 0  # every group ends after its first message
    before = commits[0]

    done = process_waiting([row.pk for row in stored])

    assert len(done) == 4 and commits[0] - before == 4
    rows = InboundMessage.objects.order_by("pk")
    assert [(r.status, r.attempts) for r in rows] == [(InboundStatus.PROCESSED, 1)] * 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failure_that_breaks_the_groups_transaction_processes_each_message_alone(
    support_address, monkeypatch, handed_over
):
    # MariaDB rolls a deadlocked transaction back whole, savepoints and all: the group
    # cannot go on, so each of its messages is processed again in a transaction of its own.
    real, broke = intake.handle, []

    def handle(parsed, **kwargs):
        if parsed.subject == "Request 1" and not broke:
            broke.append(True)
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
            raise DatabaseError("Deadlock found when trying to get lock")
        return real(parsed, **kwargs)

    monkeypatch.setattr(intake, "handle", handle)
    rows = receive_many(incoming([f"Request {i}" for i in range(3)]))

    assert broke and [r.status for r in rows] == [InboundStatus.PROCESSED] * 3
    deliver(handed_over)
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (3, 3, 3)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        f"Request {i}" for i in range(3)
    ]


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_a_lock_conflict_is_not_a_quarantine_the_message_is_tried_alone(
    support_address, monkeypatch
):
    # Two workers' groups locking the same tickets in another order: the database picks
    # one statement to fail. Not the message's fault: it is processed again after the
    # group's commit, alone.
    real, met = intake.handle, []

    def handle(parsed, **kwargs):
        result = real(parsed, **kwargs)
        if parsed.subject == "Request 1" and not met:
            met.append(True)
            raise DatabaseError("deadlock detected") from _Deadlock()
        return result

    monkeypatch.setattr(intake, "handle", handle)
    rows = receive_many(incoming([f"Request {i}" for i in range(3)]))

    assert met and [r.status for r in rows] == [InboundStatus.PROCESSED] * 3
    assert [r.attempts for r in InboundMessage.objects.order_by("pk")] == [1, 1, 1]
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        f"Request {i}" for i in range(3)
    ]


def test_the_same_mail_twice_in_one_group_makes_one_ticket(support_address):
    first, again = receive_many([Incoming(raw=mail("Same", 1), source=InboundSource.PIPE)] * 2)
    assert (first.status, first.is_duplicate) == (InboundStatus.PROCESSED, False)
    assert (again.pk, again.is_duplicate) == (first.pk, True)
    assert Ticket.objects.count() == 1


def test_a_mail_stored_and_processed_before_is_not_processed_again(support_address):
    [first] = receive_many(incoming(["Request 0"]))
    [again] = receive_many(incoming(["Request 0"]))
    assert again.pk == first.pk and again.is_duplicate
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_the_spool_drain_stores_its_files_as_groups(support_address, tmp_path, settings):
    settings.POSTMASTER_GROUP_SIZE = 3
    for i in range(7):
        spool.spool(mail(f"Spooled {i}", i), source="pipe", directory=tmp_path)
    spool.spool(mail("Elsewhere", 99), source="pipe", queue="No such queue", directory=tmp_path)

    result = spool.drain(tmp_path)

    # The file naming a missing queue is retried later; the group it was in went in alone.
    assert (result.stored, result.retried, result.failed) == (7, 1, 0)
    assert InboundMessage.objects.filter(status=InboundStatus.PROCESSED).count() == 7
    assert Ticket.objects.count() == 7
    assert len(list((tmp_path / "new").iterdir())) == 1
    assert not list((tmp_path / "cur").iterdir())


def test_events_of_a_group_rolled_back_are_never_handed_over(support_address, handed_over):
    with pytest.raises(RuntimeError), outbox.handed_over_together(), transaction.atomic():
        with outbox.own_batch():
            intake.receive(mail("Request 0", 0), source=InboundSource.PIPE)
        raise RuntimeError("the whole group fails")
    assert handed_over == []


# --- several workers -----------------------------------------------------------------------------


def _drain_in_child() -> list[int]:
    return sorted(process_waiting())


# On SQLite these run too (its writer lock serialises the processes); the race they guard
# against is a server database's, so PostgreSQL and MariaDB are where they prove something.
@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_draining_at_once_process_each_message_once(
    support_address, run_in_processes, settings, workers
):
    settings.POSTMASTER_GROUP_SIZE = 4  # several groups per worker, taken in turns
    stored = [intake.store(mail(f"Request {i}", i), source=InboundSource.PIPE) for i in range(24)]

    done = run_in_processes(_drain_in_child, [()] * workers)

    taken = [pk for pks in done for pk in pks]
    assert sorted(taken) == sorted(row.pk for row in stored)  # each once, none left
    rows = InboundMessage.objects.all()
    assert {(r.status, r.attempts) for r in rows} == {(InboundStatus.PROCESSED, 1)}
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (24, 24, 24)

"""Recording events in the transaction of the change they announce.

:func:`record` writes the event into the outbox table with the caller's transaction, so the
event exists exactly when the change does: a rolled-back change leaves no event, and a
committed one cannot lose its event to a crash. The events recorded during one outermost
transaction form one :class:`~otrs.events.models.EventBatch`; when that transaction commits,
the batch is handed to the Celery task that delivers it (:mod:`otrs.events.delivery`). If the
task never runs (the broker was down, the process died right after the commit), the sweep
finds the batch undispatched and delivers it.

How a transaction is recognised: the first event of a transaction creates the batch and
registers an ``on_commit`` callback for it. A later event joins that batch while it runs in
the same outermost ``atomic`` block and the callback is still waiting in the connection's
queue. Django drops the callback when the transaction (or the savepoint it was registered
in) rolls back, together with the batch row, so the next event starts a new batch; once it
has run, the next transaction starts a new batch too. The transaction a test case wraps
around each test does not count as the outermost block (Django marks it), so in tests each
``atomic`` block of the code under test is a change of its own, as in production.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from django.db import router, transaction

from otrs.bulk import insert, insert_with_parent

from .models import EventBatch, OutboxEvent
from .tasks import deliver_batch, deliver_batches
from .types import Event

logger = logging.getLogger(__name__)


@dataclass
class _Open:
    """The batch of the transaction in progress on one connection."""

    batch_id: int
    muted: set[str]
    # The outermost atomic block the batch belongs to.
    block: object
    position: int = 0
    fired: bool = False
    callback: object = field(default=None, repr=False)


_open: WeakKeyDictionary = WeakKeyDictionary()
_muted: ContextVar[frozenset[str]] = ContextVar("events_muted", default=frozenset())
# Set by :func:`own_batch`: what the events recorded inside belong to, instead of the
# outermost atomic block.
_scope: ContextVar[object | None] = ContextVar("events_scope", default=None)
# Set by :func:`handed_over_together`: the committed batches waiting for one hand-over.
_together: ContextVar[list[int] | None] = ContextVar("events_together", default=None)


@contextmanager
def muting(*handlers: str) -> Iterator[None]:
    """Changes committed inside this block are not delivered to ``handlers`` (demo data and
    imports are history, not news: no notification mails). Other handlers (a search index)
    still get them. The transaction must commit inside the block."""
    token = _muted.set(_muted.get() | frozenset(handlers))
    try:
        yield
    finally:
        _muted.reset(token)


@contextmanager
def own_batch() -> Iterator[None]:
    """The events recorded inside make a batch of their own even within a larger
    transaction: the mail intake's group commit processes many messages in one transaction
    (a savepoint each) and keeps one batch per message, delivered as when each had its own
    transaction. The batch is still handed over only when the whole transaction commits,
    and dropped with the savepoint it was made in."""
    token = _scope.set(object())
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def handed_over_together() -> Iterator[None]:
    """The batches committed inside this block go to the workers in one Celery task when
    the block ends, instead of a task each (a worker committing many batches at once: the
    mail intake's group commit). The commit must happen inside the block; a batch whose
    task is lost (a crash right after the commit) is delivered by the sweep, as always."""
    pending: list[int] = []
    token = _together.set(pending)
    try:
        yield
    finally:
        _together.reset(token)
        if len(pending) == 1:
            dispatch_after_commit(pending[0])
        elif pending:
            _dispatch_many(pending)


def record(event: Event, *, using: str | None = None) -> None:
    """Add ``event`` to the batch of the current transaction (a new transaction of its own
    when none is open: then the event is a batch alone)."""
    record_many([event], using=using)


def record_many(events: list[Event], *, using: str | None = None) -> None:
    """Add ``events``, in order, to the batch of the current transaction with one insert
    (a new transaction of their own when none is open: then they are a batch)."""
    if not events:
        return
    using = using or router.db_for_write(OutboxEvent)
    connection = transaction.get_connection(using)
    block = _outermost(connection)
    if block is not None and _scope.get() is not None:
        block = _scope.get()
    if block is None:
        with transaction.atomic(using=using):
            record_many(events, using=using)
        return
    current = _current(connection, block)
    muted = _muted.get()
    if current is None:
        _begin(connection, block, using, muted, events)
        return
    if not muted <= current.muted:
        current.muted |= muted
        EventBatch.objects.using(using).filter(pk=current.batch_id).update(
            muted=sorted(current.muted)
        )
    insert(OutboxEvent, _rows(current, events), using=using)


def _rows(current: _Open, events: list[Event]) -> list[OutboxEvent]:
    rows = []
    for event in events:
        current.position += 1
        rows.append(
            OutboxEvent(
                batch_id=current.batch_id,
                position=current.position,
                name=str(event.name),
                object_type=event.object_type,
                object_id=event.object_id,
                actor_id=event.actor_id,
                payload=dict(event.payload),
            )
        )
    return rows


def _outermost(connection):
    """The outermost atomic block in progress, not counting a test case's own."""
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def _current(connection, block) -> _Open | None:
    current = _open.get(connection)
    if current is None or current.fired or current.block is not block:
        return None
    # Still queued: the transaction that created the batch is the one in progress.
    if any(entry[1] is current.callback for entry in connection.run_on_commit):
        return current
    return None


def _begin(connection, block, using: str, muted: frozenset[str], events: list[Event]) -> _Open:
    """Start the transaction's batch with its first ``events``: the batch row and theirs
    in one statement where the database allows it (otrs.bulk.insert_with_parent)."""
    batch = EventBatch(muted=sorted(muted))
    current = _Open(batch_id=0, muted=set(muted), block=block)
    insert_with_parent(batch, _rows(current, events), "batch", using=using)
    current.batch_id = batch.pk

    def committed() -> None:
        current.fired = True
        dispatch_after_commit(batch.pk)

    current.callback = committed
    _open[connection] = current
    transaction.on_commit(committed, using=using)
    return current


def dispatch_after_commit(batch_id: int) -> None:
    """Hand the committed batch to a worker. If the broker cannot take it, the sweep will
    deliver it later: nothing is lost, so this only logs."""
    pending = _together.get()
    if pending is not None:
        pending.append(batch_id)  # handed over with the others (handed_over_together)
        return
    try:
        deliver_batch.delay(batch_id)
    except Exception:
        logger.exception("Event batch %s: could not queue its delivery; the sweep will", batch_id)
        if deliver_batch.app.conf.task_always_eager:
            raise  # tests run tasks inline: a bug in the delivery must show there


def _dispatch_many(batch_ids: list[int]) -> None:
    """:func:`dispatch_after_commit` for several committed batches, in one task."""
    try:
        deliver_batches.delay(batch_ids)
    except Exception:
        logger.exception(
            "Event batches %s: could not queue their delivery; the sweep will", batch_ids
        )
        if deliver_batches.app.conf.task_always_eager:
            raise

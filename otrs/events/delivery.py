"""Delivering committed batches to their handlers, at least once.

:func:`deliver_batch` runs in a Celery worker right after the commit that recorded the
batch. It first *dispatches* the batch: one :class:`~otrs.events.models.EventDelivery` row
per handler subscribed to one of its events (a unique constraint makes that happen once,
whoever does it). Then each delivery is tried:

1. *claim*: a conditional UPDATE moves the row from pending to running and counts the
   attempt; only one worker's UPDATE matches. ``next_attempt_at`` becomes the end of the
   claim, after which a worker that died mid-delivery has lost the row to the sweep;
2. *handle*: the handler gets a :class:`~otrs.events.types.Batch` of the events it
   subscribed to, in order, with the delivery key. A handler is ``atomic`` by default: it
   runs in a transaction that also marks the delivery done, so what it writes to the
   database (a queued mail, a history row) is there exactly when the delivery is done, and
   a delivery whose claim was lost meanwhile is rolled back whole;
3. *settle*: on an exception the transaction rolls back and the delivery waits 1, 2, 4 ...
   minutes (``2 ** (attempts - 1)``, at most an hour) for the next attempt; after
   ``EVENT_DELIVERY_MAX_ATTEMPTS`` it is *failed* and stays so, visible in the admin
   (*Event deliveries*), until someone retries it there.

At least once: a handler can see a batch again (a worker killed after the handler talked to
the outside world, an administrator's retry of a half-done delivery). What it creates it
names by the delivery key and skips when it finds it (the outgoing mail queue refuses a
second message with the same key).

:func:`deliver_due` is the sweep (the beat schedule "Event delivery", every minute): it
dispatches batches that were committed but never dispatched and tries deliveries that are
due again.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import registry
from .models import DeliveryStatus, EventBatch, EventDelivery, OutboxEvent, delivery_key
from .types import Batch, Event

logger = logging.getLogger(__name__)

# How long one attempt may take before another worker may take the delivery over.
CLAIM_DURATION = timedelta(minutes=10)
# A batch committed this long ago and still undispatched lost its task: the sweep takes it.
DISPATCH_GRACE = timedelta(minutes=1)
# How much one sweep does at most.
SWEEP_LIMIT = 500


class _ClaimLost(Exception):
    """Another worker took the delivery over while this one was still handling it."""


def dispatch(batch_id: int, *, now: datetime | None = None) -> bool:
    """Create the batch's deliveries, once; False if it was dispatched already (or is gone)."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = EventBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.dispatched_at is not None:
            return False
        names = frozenset(OutboxEvent.objects.filter(batch=batch).values_list("name", flat=True))
        muted = set(batch.muted or [])
        wanted = [
            h for h in registry.wanting(names) if h.name not in muted and h.wants_batch(names)
        ]
        try:
            with transaction.atomic():
                EventDelivery.objects.bulk_create(
                    [
                        EventDelivery(batch=batch, handler=h.name, next_attempt_at=now)
                        for h in wanted
                    ]
                )
        except IntegrityError:
            pass  # made by someone else before the batch was marked (never by this code)
        batch.dispatched_at = now
        batch.save(update_fields=["dispatched_at"])
    return True


def deliver_batch(batch_id: int, *, now: datetime | None = None) -> int:
    """Dispatch the batch and try its due deliveries; how many succeeded."""
    now = now or timezone.now()
    dispatch(batch_id, now=now)
    due = EventDelivery.objects.filter(
        batch_id=batch_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).order_by("handler")
    return sum(
        attempt(pk, now=now) == DeliveryStatus.DONE for pk in due.values_list("pk", flat=True)
    )


def deliver_due(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """The sweep: batches that lost their task, then deliveries due again (retries, and
    claims of workers that died); how many deliveries succeeded."""
    now = now or timezone.now()
    done = 0
    lost = EventBatch.objects.filter(
        dispatched_at__isnull=True, created_at__lte=now - DISPATCH_GRACE
    ).order_by("created_at", "pk")
    for batch_id in lost.values_list("pk", flat=True)[:limit]:
        logger.warning("Event batch %s was never dispatched; delivering it now", batch_id)
        done += deliver_batch(batch_id, now=now)
    due = EventDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RUNNING], next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    for pk in due.values_list("pk", flat=True)[:limit]:
        done += attempt(pk, now=now) == DeliveryStatus.DONE
    return done


def attempt(pk: int, *, now: datetime | None = None) -> str | None:
    """Try delivery ``pk`` if it is due; its status afterwards, or None when it was not due
    (done, failed, or being handled by another worker)."""
    now = now or timezone.now()
    claimed = EventDelivery.objects.filter(
        pk=pk,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RUNNING],
        next_attempt_at__lte=now,
    ).update(
        status=DeliveryStatus.RUNNING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + CLAIM_DURATION,
    )
    if not claimed:
        return None
    delivery = EventDelivery.objects.get(pk=pk)
    handler = registry.get(delivery.handler)
    if handler is None:
        return _settle_failure(delivery, "No event handler is registered under this name.", now)
    batch = _batch_for(delivery, handler)
    try:
        if handler.atomic:
            with transaction.atomic():
                handler.func(batch)
                _settle_done(delivery)
        else:
            handler.func(batch)
            _settle_done(delivery)
    except _ClaimLost:
        logger.warning(
            "Event delivery %s (%s): its claim ran out before the handler finished; another "
            "worker has it now",
            pk,
            delivery.handler,
        )
        return None
    except Exception as exc:
        logger.exception("Event delivery %s (%s) failed", pk, delivery.handler)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _settle_failure(delivery, error, now)
    return DeliveryStatus.DONE


def _batch_for(delivery: EventDelivery, handler: registry.Handler) -> Batch:
    rows = OutboxEvent.objects.filter(batch_id=delivery.batch_id).order_by("position")
    if handler.events is not None:
        rows = rows.filter(name__in=sorted(handler.events))
    return Batch(
        id=delivery.batch_id,
        key=delivery_key(delivery.batch_id, delivery.handler),
        handler=delivery.handler,
        attempt=delivery.attempts,
        events=tuple(
            Event(
                name=row.name,
                object_type=row.object_type,
                object_id=row.object_id,
                actor_id=row.actor_id,
                payload=row.payload,
                id=row.pk,
                position=row.position,
            )
            for row in rows
        ),
    )


def _mine(delivery: EventDelivery):
    """The delivery's row, if the claim this attempt made is still in force."""
    return EventDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.RUNNING, attempts=delivery.attempts
    )


def _settle_done(delivery: EventDelivery) -> None:
    now = timezone.now()
    if not _mine(delivery).update(
        status=DeliveryStatus.DONE, finished_at=now, next_attempt_at=now, last_error=""
    ):
        raise _ClaimLost


def _settle_failure(delivery: EventDelivery, error: str, now: datetime) -> str:
    """Wait for the next attempt (counted from when this one began), or fail for good."""
    final = delivery.attempts >= settings.EVENT_DELIVERY_MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    _mine(delivery).update(
        status=status,
        last_error=error[:10000],
        next_attempt_at=now if final else now + backoff(delivery.attempts),
        finished_at=timezone.now() if final else None,
    )
    if final:
        logger.error(
            "Event delivery %s (%s) failed for good after %d attempts: %s",
            delivery.pk,
            delivery.handler,
            delivery.attempts,
            error,
        )
    return status


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def retry(pks: Iterable[int]) -> list[int]:
    """Make failed (or waiting) deliveries due now with a fresh count of attempts, and ask a
    worker to try them after the commit; the ids made due. Done and running ones are left
    alone."""
    now = timezone.now()
    pks = list(pks)
    with transaction.atomic():
        rows = EventDelivery.objects.select_for_update().filter(
            pk__in=pks, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
        )
        chosen = list(rows.values_list("pk", flat=True))
        EventDelivery.objects.filter(pk__in=chosen).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, finished_at=None
        )
        if chosen:
            # Imported here: tasks import this module.
            from .tasks import deliver

            transaction.on_commit(lambda: deliver.delay(chosen))
    return chosen

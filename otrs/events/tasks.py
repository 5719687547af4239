"""Celery tasks of the event outbox (thin: ids in, one call of :mod:`otrs.events.delivery`).

Their names (``otrs.events.tasks.<function>``) are what the beat schedule refers to
(``otrs/events/migrations``), so renaming one needs a data migration.
"""

from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(ignore_result=True)
def deliver_batch(batch_id: int) -> int:
    """Deliver one committed batch (queued by the commit that recorded it)."""
    return delivery.deliver_batch(batch_id)


@shared_task(ignore_result=True)
def deliver_batches(batch_ids: list[int]) -> int:
    """Deliver several committed batches, in order (one commit recorded them all)."""
    return sum(delivery.deliver_batch(batch_id) for batch_id in batch_ids)


@shared_task(ignore_result=True)
def deliver(delivery_ids: list[int]) -> int:
    """Try these deliveries now (an administrator's retry)."""
    return sum(delivery.attempt(pk) == delivery.DeliveryStatus.DONE for pk in delivery_ids)


@shared_task(ignore_result=True)
def deliver_due_events() -> int:
    """The sweep, every minute: batches whose task was lost, retries that are due, and
    deliveries whose worker died."""
    return delivery.deliver_due()

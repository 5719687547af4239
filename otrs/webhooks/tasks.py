"""Celery tasks of the webhooks (thin: ids in, one call of :mod:`otrs.webhooks.delivery`).

Their names are what the beat schedule refers to (``otrs/webhooks/migrations``)."""

from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send new (or redelivered) deliveries now."""
    return delivery.send_many(delivery_ids)


@shared_task(ignore_result=True)
def send_due_webhooks() -> int:
    """The sweep, every minute: retries that are due, and deliveries whose sender died."""
    return delivery.send_due()

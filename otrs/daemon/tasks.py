"""The daemon's own tasks (thin; the name is what the beat schedule refers to)."""

from __future__ import annotations

from celery import shared_task

from . import heartbeat as _heartbeat


@shared_task(ignore_result=True, expires=120)
def heartbeat() -> None:
    """Record that a worker runs what beat sends (every minute)."""
    _heartbeat.beat()

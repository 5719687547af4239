"""Celery tasks of accounts (thin; the name is what the beat schedule refers to, so renaming
a function here needs a data migration for its schedule)."""

from __future__ import annotations

from celery import shared_task

from . import twofactor


@shared_task(ignore_result=True)
def remove_unconfirmed_devices() -> int:
    """Unconfirmed authenticator devices older than a day go (daily; safe to run twice)."""
    return twofactor.remove_unconfirmed_devices()

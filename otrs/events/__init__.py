"""Durable domain events: an outbox written with the change, delivered after the commit.

An app names its events in a :class:`~enum.StrEnum` (``TicketEvent``, ``CustomerEvent``),
records them from its actions with :func:`record` (inside the action's transaction: one
outermost transaction is one batch, and a rolled-back change records nothing), and
subscribes handlers in its ``AppConfig.ready()`` with :func:`subscribe`. A Celery worker
delivers each committed batch to every subscribed handler at least once, retrying with
back-off; a delivery that keeps failing stays visible as failed in the admin. See
:mod:`otrs.events.outbox` and :mod:`otrs.events.delivery` for how, and the README for an
example.

This package imports no domain app.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from .registry import Handler, subscribe, unsubscribe
from .types import Batch, Event

__all__ = [
    "Batch",
    "Event",
    "Handler",
    "muting",
    "record",
    "record_many",
    "subscribe",
    "unsubscribe",
]


# The two functions below import the outbox when called: this module is imported while
# Django loads its apps (it is the app's package), before models may be imported.


def record(event: Event, *, using: str | None = None) -> None:
    """Record ``event`` in the current transaction's batch (:func:`otrs.events.outbox.record`)."""
    # Imported here: see above (the app registry is not ready when this package loads).
    from .outbox import record as record_in_outbox

    record_in_outbox(event, using=using)


def record_many(events: list[Event], *, using: str | None = None) -> None:
    """Record ``events`` in order with one insert (:func:`otrs.events.outbox.record_many`)."""
    # Imported here: see above.
    from .outbox import record_many as record_many_in_outbox

    record_many_in_outbox(events, using=using)


def muting(*handlers: str) -> AbstractContextManager[None]:
    """Keep the changes committed inside the block from ``handlers``
    (:func:`otrs.events.outbox.muting`)."""
    # Imported here: see above.
    from .outbox import muting as muting_in_outbox

    return muting_in_outbox(*handlers)

"""Ticket events, sent after the change has committed.

Actions call :func:`emit`; receivers (mail notifications, the search index, webhooks) connect
to :data:`ticket_event`. Because sending waits for the commit, a receiver never sees a change
that was rolled back, and can enqueue Celery tasks that will find the rows they need.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent with: event (an OTRS event name such as "TicketCreate"), ticket_id, actor_id and
# optional article_id and data (a dict of raw values).
ticket_event = Signal()


def emit(
    event: str,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
) -> None:
    def send() -> None:
        ticket_event.send(
            sender=None,
            event=event,
            ticket_id=ticket_id,
            actor_id=actor_id,
            article_id=article_id,
            data=data or {},
        )

    transaction.on_commit(send, robust=True)

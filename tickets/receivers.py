"""The ticket domain's event handlers, subscribed in :meth:`tickets.apps.TicketsConfig.ready`.

Each gets every committed change's events it asked for as one batch, in a Celery worker,
at least once (see :mod:`otrs.events.delivery`): agent notifications
(:mod:`tickets.notifications`) and customer notifications
(:mod:`tickets.customer_notifications`).
"""

from __future__ import annotations

from otrs import events

from . import customer_notifications, notifications


def subscribe() -> None:
    events.subscribe(notifications.HANDLER, notifications.handle, events=notifications.EVENTS)
    events.subscribe(
        customer_notifications.HANDLER,
        customer_notifications.handle,
        events=customer_notifications.EVENTS,
    )

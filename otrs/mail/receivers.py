"""The outgoing queue's event handler: a queued message is handed to the daemon once the
change that queued it has committed (subscribed in :meth:`otrs.mail.apps.MailConfig.ready`)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from otrs.events import Batch

from .outbound import MailEvent
from .tasks import send_outbound_message

HANDLER = "otrs.mail.send_queued"
EVENTS = [MailEvent.OUTBOUND_MESSAGE_QUEUED]


def send_queued(batch: Batch) -> None:
    """Ask a worker to send each queued message now. Safe to run twice: a message already
    sent (or being sent) is left alone by the sender, and one whose task is lost is sent by
    the queue's own sweep (``send_outgoing_mail``, every minute)."""
    for event in batch.events:
        pk = event.object_id
        assert pk is not None  # mail events carry the queued message's id (outbound.py)
        transaction.on_commit(partial(send_outbound_message.delay, pk))

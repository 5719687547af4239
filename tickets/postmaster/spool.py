"""The ticket e-mail channel's receiver for mail an MTA delivered: through ``otrs-postmaster``
(the spool) or the LMTP listener (:mod:`otrs.mail.spool`, :mod:`otrs.mail.lmtp`). Registered
at ``ready()``; stores and processes the raw message as ``manage.py postmaster`` does."""

from __future__ import annotations

from otrs.mail.hooks import Receipt
from otrs.mail.spool import Spooled

from ..models import InboundSource, Queue
from .intake import Incoming, receive, receive_many


class UnknownQueue(LookupError):
    """``otrs-postmaster --queue`` named a queue that does not exist (yet): the message stays
    in the spool and is tried again, as the MTA would after ``manage.py postmaster`` said 75."""


SOURCES = {"pipe": InboundSource.PIPE, "lmtp": InboundSource.LMTP}


def _queue(name: str | None) -> Queue | None:
    if not name:
        return None
    forced = Queue.objects.filter(full_name=name).first()
    if forced is None:
        raise UnknownQueue(f"no queue named {name!r}")
    return forced


def receive_spooled_group(messages: list[Spooled]) -> list[Receipt]:
    """Several spooled messages stored in one transaction and processed in groups
    (:func:`~tickets.postmaster.intake.receive_many`): raises, storing none, when one of
    them cannot be stored (the spool then takes them one by one)."""
    queues = {name: _queue(name) for name in {m.queue for m in messages}}
    rows = receive_many(
        [
            Incoming(
                raw=m.raw,
                source=SOURCES.get(m.source, InboundSource.PIPE),
                queue=queues[m.queue],
                trusted=m.trusted,
                envelope_recipients=m.recipients,
            )
            for m in messages
        ]
    )
    return [Receipt(stored_id=row.pk, duplicate=row.is_duplicate) for row in rows]


def receive_spooled(
    raw: bytes,
    *,
    source: str,
    queue: str | None,
    trusted: bool,
    recipients: tuple[str, ...] = (),
) -> Receipt:
    forced = _queue(queue)
    inbound = receive(
        raw,
        source=SOURCES.get(source, InboundSource.PIPE),
        queue=forced,
        trusted=trusted,
        envelope_recipients=recipients,
    )
    return Receipt(stored_id=inbound.pk, duplicate=inbound.is_duplicate)

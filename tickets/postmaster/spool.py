"""The ticket e-mail channel's receiver for mail an MTA delivered: through ``otrs-postmaster``
(the spool) or the LMTP listener (:mod:`otrs.mail.spool`, :mod:`otrs.mail.lmtp`). Registered
at ``ready()``; stores and processes the raw message as ``manage.py postmaster`` does."""

from __future__ import annotations

from otrs.mail.hooks import Receipt

from ..models import InboundSource, Queue
from .intake import receive


class UnknownQueue(LookupError):
    """``otrs-postmaster --queue`` named a queue that does not exist (yet): the message stays
    in the spool and is tried again, as the MTA would after ``manage.py postmaster`` said 75."""


SOURCES = {"pipe": InboundSource.PIPE, "lmtp": InboundSource.LMTP}


def receive_spooled(
    raw: bytes,
    *,
    source: str,
    queue: str | None,
    trusted: bool,
    recipients: tuple[str, ...] = (),
) -> Receipt:
    forced = None
    if queue:
        forced = Queue.objects.filter(full_name=queue).first()
        if forced is None:
            raise UnknownQueue(f"no queue named {queue!r}")
    inbound = receive(
        raw,
        source=SOURCES.get(source, InboundSource.PIPE),
        queue=forced,
        trusted=trusted,
        envelope_recipients=recipients,
    )
    return Receipt(stored_id=inbound.pk, duplicate=inbound.is_duplicate)

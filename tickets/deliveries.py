"""The ticket side of the outgoing mail queue: which queued message carries a ticket's mail.

The transport (:mod:`otrs.mail.outbound`) queues bytes for recipients and knows no tickets.
:func:`enqueue` queues a ticket's mail through it and records the link
(:class:`~tickets.models.MailDelivery`) in the same transaction; the zoom shows each article's
deliveries from it, and :func:`tickets.actions.email.on_delivery_report` (registered with
:mod:`otrs.mail.hooks` at ``ready()``) records the outcomes on the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage

from otrs.mail.models import OutboundMessage
from otrs.mail.outbound import enqueue as enqueue_message

from .models import Article, MailDelivery, SystemAddress, Ticket


def enqueue(
    message: EmailMessage,
    *,
    kind: str,
    recipients: Iterable[str] | None = None,
    envelope_from: str = "",
    ticket: Ticket | None = None,
    article: Article | None = None,
) -> OutboundMessage:
    """Queue ``message`` (see :func:`otrs.mail.outbound.enqueue`), linked to ``ticket`` and
    ``article`` when given."""
    queued = enqueue_message(message, kind=kind, recipients=recipients, envelope_from=envelope_from)
    if ticket is not None:
        MailDelivery.objects.create(message=queued, ticket=ticket, article=article)
    return queued


def link_copy(message_id: int, copied_from: int) -> MailDelivery | None:
    """The sender split a message's recipients into a copy: the copy belongs to the same
    ticket and article as its original. None when the original was no ticket's mail."""
    original = MailDelivery.objects.filter(message_id=copied_from).first()
    if original is None:
        return None
    link, _created = MailDelivery.objects.get_or_create(
        message_id=message_id,
        defaults={"ticket_id": original.ticket_id, "article_id": original.article_id},
    )
    return link


def is_system_address(address: str) -> bool:
    """Whether ``address`` is one of our valid system addresses (stored lower-cased): no
    automatic mail goes there (registered with :mod:`otrs.mail.hooks` at ``ready()``)."""
    return SystemAddress.objects.valid().filter(email=address.strip().lower()).exists()

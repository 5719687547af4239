"""The ticket side of the outgoing mail queue: which queued message carries a ticket's mail.

The transport (:mod:`otrs.mail.outbound`) queues bytes for recipients and knows no tickets.
:func:`enqueue` queues a ticket's mail through it and records the link
(:class:`~tickets.models.MailDelivery`) in the same transaction; the zoom shows each article's
deliveries from it, and :func:`tickets.actions.email.on_delivery_report` (registered with
:mod:`otrs.mail.hooks` at ``ready()``) records the outcomes on the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from email.message import EmailMessage

from django.db import transaction

from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import enqueue as enqueue_message
from otrs.mail.outbound import queue_system_mail as queue_system_message

from .models import Article, MailDelivery, RawMail, SystemAddress, Ticket


class RawMailStore:
    """The ticket channel's raw mail store offered to the outgoing queue
    (:func:`otrs.mail.hooks.set_raw_store`): an article's mail is kept once, as the
    :class:`RawMail` both the article and the queued message refer to."""

    def put(self, raw: bytes) -> int:
        return RawMail.objects.put(raw).pk

    def read(self, blob_id: int) -> bytes:
        return RawMail.objects.get(pk=blob_id).read()


RAW_STORE = RawMailStore()


def enqueue(
    message: EmailMessage,
    *,
    kind: str,
    recipients: Iterable[str] | None = None,
    envelope_from: str = "",
    ticket: Ticket | None = None,
    article: Article | None = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Queue ``message`` (see :func:`otrs.mail.outbound.enqueue`), linked to ``ticket`` and
    ``article`` when given. An article's mail is stored once: the queued row refers to the
    :class:`RawMail` that becomes the article's source (``queued.raw_blob_id``)."""
    with _atomic():
        queued = enqueue_message(
            message,
            kind=kind,
            recipients=recipients,
            envelope_from=envelope_from,
            idempotency_key=idempotency_key,
            shared=article is not None,
        )
        _link(queued, ticket, article)
    return queued


def queue_system_mail(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str = OutboundKind.SYSTEM,
    ticket: Ticket | None = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """A system mail about a ticket that is no article (an agent notification): see
    :func:`otrs.mail.outbound.queue_system_mail`; linked to ``ticket``."""
    with _atomic():
        queued = queue_system_message(
            to=to, subject=subject, body=body, kind=kind, idempotency_key=idempotency_key
        )
        _link(queued, ticket, None)
    return queued


def _atomic():
    """The queued row and its link are written together: in the caller's transaction, or in
    one of their own (no savepoint inside the caller's: one query less per mail)."""
    if transaction.get_connection().in_atomic_block:
        return nullcontext()
    return transaction.atomic()


def _link(queued: OutboundMessage, ticket: Ticket | None, article: Article | None) -> None:
    # Conflicts ignored: with an idempotency key the message may have been queued (and
    # linked) before, by an earlier delivery of the same event batch. One INSERT either way.
    if ticket is not None:
        MailDelivery.objects.bulk_create(
            [MailDelivery(message=queued, ticket=ticket, article=article)], ignore_conflicts=True
        )


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
